//go:build fidelity

package models

// strictBand makes TestLinearRegressionFidelity fail on the literal band of
// issue 3 (go test -tags fidelity ./models).
const strictBand = true
