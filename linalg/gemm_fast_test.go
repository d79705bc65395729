package linalg

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// TestGemmFastBitwise: where Gemm takes the AVX2 loop it gives gonum's
// Dgemm's bits, on every shape (rows not a multiple of ten, columns not
// of four, strides wider than the rows, a transposed), with infinities and
// NaN in b and zeros in a; and it takes the loop where it should.
func TestGemmFastBitwise(t *testing.T) {
	if !gemmAsm {
		t.Skip("no AVX2 on this CPU, or DINV_KERNELS=go: Gemm is gonum's")
	}
	rng := rand.New(rand.NewPCG(8, 3))
	general := func(r, c, stride int, s float64) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: stride, Data: make([]float64, (r-1)*stride+c)}
		for i := range g.Data {
			g.Data[i] = s * rng.NormFloat64()
		}
		return g
	}
	for _, sh := range [][3]int{{10, 1000, 1000}, {10, 1, 17}, {16, 784, 33}, {13, 17, 1001}, {20, 5, 18}, {500, 784, 100}, {784, 500, 100}, {9, 50, 50}} {
		m, k, n := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, pad := range []int{0, 3} {
				for _, special := range []string{"", "inf", "nan", "zero"} {
					a := general(m, k, k+pad, 0.1)
					if tA == blas.Trans {
						a = general(k, m, m+pad, 0.1)
					}
					b := general(k, n, n+pad, 1)
					switch special {
					case "inf":
						b.Data[rng.IntN(b.Rows)*b.Stride+rng.IntN(b.Cols)] = math.Inf(-1)
					case "nan":
						b.Data[rng.IntN(b.Rows)*b.Stride+rng.IntN(b.Cols)] = math.NaN()
					case "zero": // an entry, not the padding between rows
						a.Data[rng.IntN(a.Rows)*a.Stride+rng.IntN(a.Cols)] = 0
					}
					got, want := general(m, n, n+pad, 1), general(m, n, n+pad, 1)
					took := gemmFast(tA, blas.NoTrans, 1, a, b, 0, got)
					if want := m >= 10 && special != "zero"; took != want {
						t.Fatalf("%dx%d times %dx%d (trans %v): gemmFast took the product: %v, want %v", m, k, k, n, tA == blas.Trans, took, want)
					}
					if !took {
						continue
					}
					blas64.Gemm(tA, blas.NoTrans, 1, a, b, 0, want)
					for i := range m {
						for j := range n {
							g, r := got.Data[i*got.Stride+j], want.Data[i*want.Stride+j]
							if math.Float64bits(g) != math.Float64bits(r) && !(g != g && r != r) {
								t.Fatalf("%dx%d times %dx%d (trans %v, pad %d, %q): entry (%d, %d) is %v, Dgemm's %v",
									m, k, k, n, tA == blas.Trans, pad, special, i, j, g, r)
							}
						}
					}
				}
			}
		}
	}
}
