package linalg

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Gemm must equal gonum's product for every transpose combination and for
// outputs large enough to be split into strips, without allocating.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, sh := range [][3]int{{1000, 100, 10}, {10, 100, 1000}, {300, 500, 7}, {5, 1, 9}, {200, 1, 30}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				a := randDense(rng, m, k, 1)
				if tA == blas.Trans {
					a = randDense(rng, k, m, 1)
				}
				b := randDense(rng, k, n, 1)
				if tB == blas.Trans {
					b = randDense(rng, n, k, 1)
				}
				c0 := randDense(rng, m, n, 1)
				want := mat.DenseCopyOf(c0)
				got := mat.DenseCopyOf(c0)
				blas64.Gemm(tA, tB, 2, a.RawMatrix(), b.RawMatrix(), 0.5, want.RawMatrix())
				Gemm(tA, tB, 2, a.RawMatrix(), b.RawMatrix(), 0.5, got.RawMatrix())
				if d := relDiff(got, want); d > 1e-13 {
					t.Errorf("%v: tA %c tB %c: differs by %.3g", sh, tA, tB, d)
				}
				if allocs := testing.AllocsPerRun(2, func() {
					Gemm(tA, tB, 2, a.RawMatrix(), b.RawMatrix(), 0.5, got.RawMatrix())
				}); allocs != 0 {
					t.Errorf("%v: %v allocations", sh, allocs)
				}
			}
		}
	}
}
