package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmStrip bounds the sub-products Gemm hands to blas64: gonum's pure-Go
// Dgemm stays serial (and allocation-free) while its output spans fewer than
// four 64 x 64 blocks.
const (
	gemmRows = 64
	gemmCols = 192
)

func gemmSerial(m, n int) bool { return ((m+63)/64)*((n+63)/64) < 4 }

// Gemm computes c = alpha op(a) op(b) + beta c on one goroutine without
// allocating. A sweep runs one cell per core, so a product that spawns its own
// goroutines only adds contention; gonum's Dgemm does so for large outputs,
// which Gemm avoids by splitting the output into strips. A product with one
// output column is done as a matrix-vector product, and so is each row of a
// product with few output columns and a long inner dimension. Where the
// CPU has AVX2, the products of gemmFast and gemmNTFast run on their loops,
// with gonum's bits.
func Gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	if gemmFast(tA, tB, alpha, a, b, beta, c) || gemmNTFast(tA, tB, alpha, a, b, beta, c) {
		return
	}
	if c.Cols == 1 && tB == blas.NoTrans {
		blas64.Gemv(tA, alpha, a, blas64.Vector{N: b.Rows, Inc: b.Stride, Data: b.Data},
			beta, blas64.Vector{N: c.Rows, Inc: c.Stride, Data: c.Data})
		return
	}
	if tA == blas.NoTrans && tB == blas.NoTrans && c.Cols <= 16 && a.Cols >= 64 {
		// Few output columns and a long inner dimension (W B at MNIST size):
		// gonum's kernel would do an axpy of length c.Cols per inner index;
		// a transposed matrix-vector product per row is about three times
		// faster.
		for i := range c.Rows {
			blas64.Gemv(blas.Trans, alpha, b, blas64.Vector{N: a.Cols, Inc: 1, Data: a.Data[i*a.Stride:]},
				beta, blas64.Vector{N: c.Cols, Inc: 1, Data: c.Data[i*c.Stride:]})
		}
		return
	}
	if gemmSerial(c.Rows, c.Cols) {
		blas64.Gemm(tA, tB, alpha, a, b, beta, c)
		return
	}
	for i := 0; i < c.Rows; i += gemmRows {
		ni := min(gemmRows, c.Rows-i)
		as := rowsOf(a, tA, i, ni)
		for j := 0; j < c.Cols; j += gemmCols {
			nj := min(gemmCols, c.Cols-j)
			bs := colsOf(b, tB, j, nj)
			cs := blas64.General{Rows: ni, Cols: nj, Stride: c.Stride, Data: c.Data[i*c.Stride+j:]}
			blas64.Gemm(tA, tB, alpha, as, bs, beta, cs)
		}
	}
}

// rowsOf returns the part of a that produces rows i..i+n of op(a).
func rowsOf(a blas64.General, t blas.Transpose, i, n int) blas64.General {
	if t == blas.NoTrans {
		return blas64.General{Rows: n, Cols: a.Cols, Stride: a.Stride, Data: a.Data[i*a.Stride:]}
	}
	return blas64.General{Rows: a.Rows, Cols: n, Stride: a.Stride, Data: a.Data[i:]}
}

// colsOf returns the part of b that produces columns j..j+n of op(b).
func colsOf(b blas64.General, t blas.Transpose, j, n int) blas64.General {
	if t == blas.NoTrans {
		return blas64.General{Rows: b.Rows, Cols: n, Stride: b.Stride, Data: b.Data[j:]}
	}
	return blas64.General{Rows: n, Cols: b.Cols, Stride: b.Stride, Data: b.Data[j*b.Stride:]}
}
