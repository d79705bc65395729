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

// TestGemmNTFastBitwise: a bᵀ on the AVX2 loop gives the bits of Gemm's
// pure-Go paths (gonum's Dgemm, dots whole) on every shape (rows not a
// multiple of six, an odd number of columns, inner lengths with every
// remainder of four, strides wider than the rows), for alpha and beta of
// every kind, with infinities, NaN and zeros in a, b and c; and it takes
// the product where it should.
func TestGemmNTFastBitwise(t *testing.T) {
	if !gemmAsm {
		t.Skip("no AVX2 on this CPU, or DINV_KERNELS=go: Gemm is gonum's")
	}
	rng := rand.New(rand.NewPCG(8, 4))
	general := func(r, c, stride int, s float64) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: stride, Data: make([]float64, (r-1)*stride+c)}
		for i := range g.Data {
			g.Data[i] = s * rng.NormFloat64()
		}
		return g
	}
	reference := func(alpha float64, a, b blas64.General, beta float64, c blas64.General) {
		gemmAsm = false
		defer func() { gemmAsm = true }()
		Gemm(blas.NoTrans, blas.Trans, alpha, a, b, beta, c)
	}
	shapes := [][3]int{{6, 1, 2}, {6, 4, 2}, {7, 5, 3}, {12, 6, 9}, {13, 7, 17}, {5, 100, 10}, {6, 100, 1},
		{30, 100, 250}, {500, 100, 784}, {784, 100, 500}, {250, 99, 31}, {64, 130, 200}}
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.37, 1}, {2.5, 0.5}, {1e-6, 1}} {
			alpha, beta := ab[0], ab[1]
			for _, pad := range []int{0, 3} {
				for _, special := range []string{"", "inf", "nan", "zero", "c-nan"} {
					a, b := general(m, k, k+pad, 0.1), general(n, k, k+pad, 1)
					switch special {
					case "inf":
						b.Data[rng.IntN(b.Rows)*b.Stride+rng.IntN(b.Cols)] = math.Inf(-1)
					case "nan":
						a.Data[rng.IntN(a.Rows)*a.Stride+rng.IntN(a.Cols)] = math.NaN()
					case "zero":
						for range 5 {
							a.Data[rng.IntN(a.Rows)*a.Stride+rng.IntN(a.Cols)] = 0
							b.Data[rng.IntN(b.Rows)*b.Stride+rng.IntN(b.Cols)] = math.Copysign(0, -1)
						}
					}
					got := general(m, n, n+pad, 1)
					if special == "c-nan" {
						got.Data[rng.IntN(m)*got.Stride+rng.IntN(n)] = math.NaN()
					}
					want := blas64.General{Rows: m, Cols: n, Stride: got.Stride, Data: append([]float64(nil), got.Data...)}
					took := gemmNTFast(blas.NoTrans, blas.Trans, alpha, a, b, beta, got)
					if want := m >= 6 && n >= 2; took != want {
						t.Fatalf("%dx%d times (%dx%d)ᵀ: gemmNTFast took the product: %v, want %v", m, k, n, k, took, want)
					}
					if !took {
						continue
					}
					reference(alpha, a, b, beta, want)
					for i := range m {
						for j := range n {
							g, r := got.Data[i*got.Stride+j], want.Data[i*want.Stride+j]
							if math.Float64bits(g) != math.Float64bits(r) && !(g != g && r != r) {
								t.Fatalf("%dx%d times (%dx%d)ᵀ (alpha %v, beta %v, pad %d, %q): entry (%d, %d) is %v, Dgemm's %v",
									m, k, n, k, alpha, beta, pad, special, i, j, g, r)
							}
						}
					}
				}
			}
		}
	}
}
