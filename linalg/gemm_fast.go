package linalg

import (
	"os"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmAsm reports whether Gemm may take gemm10x4, the AVX2 loop: the CPU
// has AVX2, DINV_KERNELS is not "go" (as for models.Fast's loops), and
// gonum is the BLAS (with the openblas build tag, whose bits are OpenBLAS's,
// every product stays OpenBLAS's).
var gemmAsm = haveGemmAVX2 && BLAS == "gonum" && os.Getenv("DINV_KERNELS") != "go"

// gemmFast computes c = op(a) b on gemm10x4 and reports true, or reports
// false and leaves c alone, for the products whose bits it gives exactly
// as gonum's Dgemm does: alpha 1, beta 0, b not transposed, more than 16
// columns (fewer go to Gemm's matrix-vector paths), ten rows or more, and
// no zero entry in a. Dgemm's sums run over the inner index in order,
// from zero, one axpy (multiply, then add) per index, and gemm10x4 does the
// same operations in the same order on whole registers. Dgemm skips the
// terms of a zero entry of a, which changes nothing unless b holds an
// infinity or NaN; that is why such an a goes to Dgemm. The rows past the
// last whole ten go to Dgemm too, and the columns past the last whole
// four are summed here in the same order.
func gemmFast(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) bool {
	m, n := c.Rows, c.Cols
	k := a.Cols
	rs, ls := a.Stride, 1
	if tA != blas.NoTrans {
		k, rs, ls = a.Rows, 1, a.Stride
	}
	if !gemmAsm || tB != blas.NoTrans || alpha != 1 || beta != 0 || n <= 16 || m < 10 || k == 0 ||
		b.Rows != k || b.Cols != n || (tA == blas.NoTrans && a.Rows != m) || (tA != blas.NoTrans && a.Cols != m) ||
		hasZero(a) {
		return false
	}
	// Bounds the assembly relies on: the last entry of each matrix.
	_ = a.Data[(a.Rows-1)*a.Stride+a.Cols-1]
	_ = b.Data[(b.Rows-1)*b.Stride+b.Cols-1]
	_ = c.Data[(c.Rows-1)*c.Stride+c.Cols-1]
	strips := n / 4
	whole := m / 10 * 10
	for i := 0; i < whole; i += 10 {
		gemm10x4(&c.Data[i*c.Stride], c.Stride, &a.Data[i*rs], rs, ls, &b.Data[0], b.Stride, k, strips)
		for r := i; r < i+10; r++ {
			row := c.Data[r*c.Stride : r*c.Stride+n]
			for j := 4 * strips; j < n; j++ {
				var s float64
				for l := range k {
					s += float64(a.Data[r*rs+l*ls] * b.Data[l*b.Stride+j])
				}
				row[j] = s
			}
		}
	}
	if whole < m {
		rest := blas64.General{Rows: m - whole, Cols: n, Stride: c.Stride, Data: c.Data[whole*c.Stride:]}
		Gemm(tA, tB, 1, rowsOf(a, tA, whole, m-whole), b, 0, rest)
	}
	return true
}

// hasZero reports whether a has an entry equal to zero.
func hasZero(a blas64.General) bool {
	for i := range a.Rows {
		for _, v := range a.Data[i*a.Stride : i*a.Stride+a.Cols] {
			if v == 0 {
				return true
			}
		}
	}
	return false
}

// gemmNTFast computes c = beta c + alpha a bᵀ on gemmNT6x2 and reports
// true, or reports false and leaves c alone. gonum's Dgemm gives each
// entry of a bᵀ as c[i,j] += alpha * DotUnitary(a row i, b row j), after
// scaling c by beta, and gemmNT6x2 does the same operations in the same
// order for six rows of a and two of b at once, so every product it takes
// has Dgemm's bits, infinities and NaN included. The rows past the last
// whole six and the column past the last whole two go to Gemm's other
// paths (whose strips keep Dgemm serial, its dots whole), with c already
// scaled. A zero alpha, an empty inner dimension and fewer than six
// rows or two columns are left to Dgemm.
func gemmNTFast(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) bool {
	m, n, k := c.Rows, c.Cols, a.Cols
	if !gemmAsm || tA != blas.NoTrans || tB == blas.NoTrans || alpha == 0 || k == 0 || m < 6 || n < 2 ||
		a.Rows != m || b.Rows != n || b.Cols != k {
		return false
	}
	_ = a.Data[(a.Rows-1)*a.Stride+a.Cols-1]
	_ = b.Data[(b.Rows-1)*b.Stride+b.Cols-1]
	_ = c.Data[(c.Rows-1)*c.Stride+c.Cols-1]
	if beta != 1 {
		for i := range m {
			row := c.Data[i*c.Stride : i*c.Stride+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	pairs, whole := n/2, m/6*6
	for i := 0; i < whole; i += 6 {
		gemmNT6x2(&c.Data[i*c.Stride], c.Stride, &a.Data[i*a.Stride], a.Stride, &b.Data[0], b.Stride, k, alpha, pairs)
	}
	if whole < m {
		rest := blas64.General{Rows: m - whole, Cols: n, Stride: c.Stride, Data: c.Data[whole*c.Stride:]}
		Gemm(tA, tB, alpha, rowsOf(a, tA, whole, m-whole), b, 1, rest)
	}
	if 2*pairs < n {
		last := blas64.General{Rows: whole, Cols: 1, Stride: c.Stride, Data: c.Data[2*pairs:]}
		Gemm(tA, tB, alpha, rowsOf(a, tA, 0, whole), colsOf(b, tB, 2*pairs, 1), 1, last)
	}
	return true
}
