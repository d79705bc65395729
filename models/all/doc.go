// Package all registers every experiment with package models: a program or
// a test that looks experiments up by name (models.LookupExperiment)
// imports it for that side effect,
//
//	import _ "dinv/models/all"
//
// An experiment is a package of its own that calls models.Register from
// an init function; adding one is that package plus its line in all.go.
package all
