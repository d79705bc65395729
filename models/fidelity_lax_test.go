//go:build !fidelity

package models

// strictBand: the literal band of issue 3 is reported, not enforced; see
// fidelity_test.go.
const strictBand = false
