package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Layer shapes of the benchmarks: nIn x nOut = 20 x 10 (the regression
// experiments' layer) and 1000 x 10 (the MNIST classifier's output layer).
var benchShapes = [][2]int{{20, 10}, {1000, 10}}

func benchLayer(nIn, nOut int) (w, b *mat.Dense) {
	rng := rand.New(rand.NewPCG(1, 4))
	return randDense(rng, nOut, nIn, 0.01), randDense(rng, nIn, nOut, 0.5)
}

// BenchmarkLambdaMax is the stability check: the fast path through W B.
func BenchmarkLambdaMax(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
			w, fb := benchLayer(sh[0], sh[1])
			s := NewStability(sh[0], sh[1])
			b.ReportAllocs()
			for b.Loop() {
				s.LambdaMax(w, fb, 0.01)
			}
		})
	}
}

// BenchmarkLambdaMaxFull is what the original computes: the full
// eigen-decomposition of the (nIn+nOut)-square loop matrix.
func BenchmarkLambdaMaxFull(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
			w, fb := benchLayer(sh[0], sh[1])
			b.ReportAllocs()
			for b.Loop() {
				LambdaMaxFull(w, fb, 0.01)
			}
		})
	}
}

// BenchmarkSSA is one optimisation from the optim initialisation
// (uniform(-0.01, 0.01)) with the paper's default settings.
func BenchmarkSSA(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 4))
			w := randDense(rng, sh[1], sh[0], 0.01)
			b0 := randDense(rng, sh[0], sh[1], 0.01)
			fb := mat.NewDense(sh[0], sh[1], nil)
			o := NewOptimizer(sh[0], sh[1])
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				fb.Copy(b0)
				res, err := o.Optimize(fb, w, 0.01, DefaultSSAParams())
				if err != nil {
					b.Fatal(err)
				}
				iters = res.Iters
			}
			b.ReportMetric(float64(iters), "iters")
		})
	}
}

func BenchmarkLeastSquaresMNIST(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, rhs := randDense(rng, 10, 1000, 0.01), randDense(rng, 10, 1, 1)
	x := mat.NewDense(1000, 1, nil)
	for _, svd := range []bool{false, true} {
		b.Run(fmt.Sprintf("svd=%v", svd), func(b *testing.B) {
			ls := NewLeastSquares(10, 1000, 1)
			ls.forceSVD = svd
			b.ReportAllocs()
			for b.Loop() {
				ls.SolveTo(x, a, rhs)
			}
		})
	}
}
