package linalg_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// The minimum-norm solution of an underdetermined system.
func ExampleLstsqTo() {
	a := mat.NewDense(1, 2, []float64{1, 1})
	b := mat.NewDense(1, 1, []float64{2})
	x := mat.NewDense(2, 1, nil)
	rank := linalg.LstsqTo(x, a, b)
	fmt.Printf("rank %d, x = %.4f\n", rank, mat.Col(nil, 0, x))
	// Output: rank 1, x = [1.0000 1.0000]
}

// A singular value below machine precision times the largest is treated as
// zero, as numpy.linalg.lstsq does with rcond=-1.
func ExamplePinvTo() {
	a := mat.NewDense(2, 2, []float64{2, 0, 0, 1e-30})
	p := mat.NewDense(2, 2, nil)
	linalg.PinvTo(p, a)
	fmt.Printf("%.4g\n", mat.Formatted(p))
	// Output:
	// ⎡0.5    0⎤
	// ⎣  0    0⎦
}

// Reusing a workspace: after construction, SolveTo allocates nothing.
func ExampleLeastSquares() {
	w := mat.NewDense(2, 3, []float64{1, 0, 0, 0, 2, 0})
	ls := linalg.NewLeastSquares(2, 3, 1)
	x := mat.NewDense(3, 1, nil)
	for _, d := range [][]float64{{1, 2}, {3, 4}} {
		ls.SolveTo(x, w, mat.NewDense(2, 1, d))
		fmt.Println(mat.Col(nil, 0, x))
	}
	// Output:
	// [1 1 0]
	// [3 2 0]
}

// The loop of a layer with B = -Wᵀ and a leak is stable.
func ExampleLambdaMax() {
	w := mat.NewDense(1, 2, []float64{0.6, 0.8})
	b := mat.NewDense(2, 1, []float64{-0.6, -0.8})
	fmt.Printf("%.4f\n", linalg.LambdaMax(w, b, 0.1))
	// Output: -0.5500
}

// The stability optimiser turns an unstable feedback matrix into a stable
// one, updating it in place.
func ExampleOptimizer() {
	w := mat.NewDense(1, 2, []float64{0.6, 0.8})
	b := mat.NewDense(2, 1, []float64{0.6, 0.8}) // B = +Wᵀ: unstable
	fmt.Printf("before: %.4f\n", linalg.LambdaMax(w, b, 0.1))
	res, err := linalg.NewOptimizer(2, 1).Optimize(b, w, 0.1, linalg.SSAParams{LR: 0.5, MaxIters: 2000, MinIters: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("after: stable %v\n", res.LambdaMax < 0)
	// Output:
	// before: 0.5466
	// after: stable true
}

// Gemm is blas64.Gemm on one goroutine, without allocating.
func ExampleGemm() {
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	c := mat.NewDense(2, 2, nil)
	linalg.Gemm(blas.NoTrans, blas.Trans, 1, a.RawMatrix(), a.RawMatrix(), 0, c.RawMatrix())
	fmt.Println(mat.Formatted(c))
	// Output:
	// ⎡ 5  11⎤
	// ⎣11  25⎦
}
