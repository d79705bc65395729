//go:build openblas

package linalg

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"os"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// With the build tag openblas, every BLAS call of gonum (and so of gonum's
// LAPACK and of this project) goes to OpenBLAS through cgo. It needs
// Debian's libopenblas-dev (or any libopenblas on the linker's path).
//
// A sweep runs one cell per core, so OpenBLAS is held to one thread unless
// OPENBLAS_NUM_THREADS says otherwise.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	blas64.Use(netlib.Implementation{})
}

// BLAS names the BLAS implementation in use.
const BLAS = "openblas"
