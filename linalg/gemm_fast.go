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
