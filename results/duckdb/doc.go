// Package duckdb checks that DuckDB reads a sweep's results folder the way
// package results and the README promise: a plain glob over runs/ or curves/
// is one table with the documented column types, nulls only where a rule
// ignores a field, and the README's queries give sensible answers.
//
// It holds only a test, in a module of its own (dinv/results/duckdb), because
// DuckDB comes as a cgo binding with a large static library: the main module
// stays pure Go and quick to build, and only this check needs a C toolchain.
// For the same reason it does not import the main module: it builds the dinv
// command, runs a small sweep with it as a user would, and reads the files.
//
//	cd results/duckdb && go test ./...
//
// .ci/run runs it after the main module's tests.
package duckdb
