//go:build !openblas

package linalg

// BLAS names the BLAS implementation in use: gonum's pure Go one, unless the
// project is built with the tag openblas (see openblas.go).
const BLAS = "gonum"
