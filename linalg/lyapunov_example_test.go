package linalg_test

import (
	"fmt"
	"log"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// ExampleLyapunovTo solves A X + X Aᵀ = Q for a stable A whose eigenvalues
// -1 ± 2i form a 2×2 block of the real Schur form, and checks the residual.
func ExampleLyapunovTo() {
	a := mat.NewDense(2, 2, []float64{
		-1, 2,
		-2, -1,
	})
	q := mat.NewDense(2, 2, []float64{
		-2, 1,
		1, -4,
	})
	var x mat.Dense
	if err := linalg.LyapunovTo(&x, a, q); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("X =\n%.6f\n", mat.Formatted(&x))

	var r, xat mat.Dense
	r.Mul(a, &x)
	xat.Mul(&x, a.T())
	r.Add(&r, &xat)
	r.Sub(&r, q)
	fmt.Printf("residual below 1e-14: %t\n", mat.Norm(&r, 1) < 1e-14)
	// Output:
	// X =
	// ⎡1.200000  0.100000⎤
	// ⎣0.100000  1.800000⎦
	// residual below 1e-14: true
}
