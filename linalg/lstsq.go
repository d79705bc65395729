package linalg

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

var impl gonum.Implementation

// eps is LAPACK's relative machine precision (dlamch 'Epsilon', 2^-53). numpy's
// lstsq with rcond=-1 hands a negative rcond to gelsd, which then treats
// singular values <= eps * s_max as zero.
const eps = 0x1p-53

// gramRcond is the smallest estimated reciprocal condition number of the Gram
// or LU factor for which the fast paths are taken. Below it the problem may be
// numerically rank deficient, where only the SVD can reproduce numpy's
// cutoff. At the threshold cond(A)^2 <= 1e8, so one step of refinement brings
// the normal-equation solution to full accuracy.
const gramRcond = 1e-8

// LeastSquares computes minimum-norm least-squares solutions of a x = b for
// one shape of a (m x n) and up to maxRHS right-hand sides, with the answer of
// numpy.linalg.lstsq(a, b, rcond=-1).
//
// Well-conditioned problems take a fast path: LU for square a, the Cholesky
// factor of the Gram matrix (a aᵀ or aᵀ a) with one step of iterative
// refinement otherwise. They agree with the SVD answer to a few ulps times the
// condition number. Problems whose estimated condition is too large for that
// take the SVD path, whose cutoff is exactly gelsd's.
type LeastSquares struct {
	m, n, maxRHS int

	// SVD path.
	a, s, u, vt, svdWork, t []float64
	// Gram and LU paths.
	g, gWork, r, y []float64
	ipiv           []int
	iwork          []int

	forceSVD bool // for tests: always take the SVD path
}

// NewLeastSquares returns a workspace for m x n systems with up to maxRHS
// right-hand sides.
func NewLeastSquares(m, n, maxRHS int) *LeastSquares {
	if m <= 0 || n <= 0 || maxRHS <= 0 {
		panic("linalg: non-positive dimension")
	}
	k := min(m, n)
	ls := &LeastSquares{
		m: m, n: n, maxRHS: maxRHS,
		a:  make([]float64, m*n),
		s:  make([]float64, k),
		u:  make([]float64, m*k),
		vt: make([]float64, k*n),
		t:  make([]float64, k*maxRHS),
		r:  make([]float64, m*maxRHS),
		y:  make([]float64, max(m, n)*maxRHS),
	}
	var q [1]float64
	impl.Dgesvd(lapack.SVDStore, lapack.SVDStore, m, n, ls.a, n, ls.s, ls.u, k, ls.vt, n, q[:], -1)
	ls.svdWork = make([]float64, int(q[0]))
	g := k
	if m == n {
		g = n
	}
	ls.g = make([]float64, g*g)
	ls.gWork = make([]float64, 4*g)
	ls.ipiv = make([]int, g)
	ls.iwork = make([]int, g)
	return ls
}

// SolveTo sets dst (n x nrhs) to the minimum-norm least-squares solution of
// a x = b, with b m x nrhs, and returns the effective rank of a (min(m, n)
// when a fast path was taken, which it only is for full-rank a). If the SVD
// fails to converge, dst is filled with NaN and the rank is -1.
func (ls *LeastSquares) SolveTo(dst, a, b *mat.Dense) int {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	dr, dc := dst.Dims()
	if ar != ls.m || ac != ls.n || br != ls.m || dr != ls.n || dc != bc || bc > ls.maxRHS {
		panic("linalg: dimension mismatch")
	}
	return ls.solve(dst.RawMatrix(), a.RawMatrix(), b.RawMatrix())
}

// SolveRawTo is SolveTo on raw row-major matrices, for hot loops that view
// parts of their own buffers: x is n x nrhs, a is m x n, b is m x nrhs.
func (ls *LeastSquares) SolveRawTo(x, a, b blas64.General) int {
	if a.Rows != ls.m || a.Cols != ls.n || b.Rows != ls.m || x.Rows != ls.n || x.Cols != b.Cols || b.Cols > ls.maxRHS {
		panic("linalg: dimension mismatch")
	}
	return ls.solve(x, a, b)
}

// SolveVecTo is SolveTo for one right-hand side held in slices: x (length n)
// is set to the minimum-norm solution of a x = b (length m).
func (ls *LeastSquares) SolveVecTo(x []float64, a *mat.Dense, b []float64) int {
	ar, ac := a.Dims()
	if ar != ls.m || ac != ls.n || len(b) != ls.m || len(x) != ls.n {
		panic("linalg: dimension mismatch")
	}
	return ls.solve(
		blas64.General{Rows: ls.n, Cols: 1, Stride: 1, Data: x},
		a.RawMatrix(),
		blas64.General{Rows: ls.m, Cols: 1, Stride: 1, Data: b})
}

func (ls *LeastSquares) solve(x, a, b blas64.General) int {
	if !ls.forceSVD {
		var ok bool
		switch {
		case ls.m == ls.n:
			ok = ls.solveLU(x, a, b)
		case ls.m < ls.n:
			ok = ls.solveWide(x, a, b)
		default:
			ok = ls.solveTall(x, a, b)
		}
		if ok {
			return min(ls.m, ls.n)
		}
	}
	return ls.solveSVD(x, a, b)
}

// solveSVD is gelsd's answer: x = V diag(1/s_i, s_i > eps s_max) Uᵀ b.
func (ls *LeastSquares) solveSVD(x, a, b blas64.General) int {
	m, n, k, nrhs := ls.m, ls.n, min(ls.m, ls.n), b.Cols
	copyGeneral(ls.a, n, a)
	if !impl.Dgesvd(lapack.SVDStore, lapack.SVDStore, m, n, ls.a, n, ls.s, ls.u, k, ls.vt, n, ls.svdWork, len(ls.svdWork)) {
		// The bidiagonal QR did not converge (numpy raises LinAlgError
		// here). Poison the answer so that the caller's divergence checks
		// see it, rather than returning a silently wrong one.
		for i := range n {
			row := x.Data[i*x.Stride : i*x.Stride+nrhs]
			for j := range row {
				row[j] = math.NaN()
			}
		}
		return -1
	}
	t := blas64.General{Rows: k, Cols: nrhs, Stride: nrhs, Data: ls.t[:k*nrhs]}
	Gemm(blas.Trans, blas.NoTrans, 1, blas64.General{Rows: m, Cols: k, Stride: k, Data: ls.u}, b, 0, t)
	tol := eps * ls.s[0]
	rank := 0
	for i := range k {
		row := t.Data[i*nrhs : (i+1)*nrhs]
		if ls.s[i] <= tol {
			clear(row)
			continue
		}
		rank++
		inv := 1 / ls.s[i]
		for j := range row {
			row[j] *= inv
		}
	}
	Gemm(blas.Trans, blas.NoTrans, 1, blas64.General{Rows: k, Cols: n, Stride: n, Data: ls.vt}, t, 0, x)
	return rank
}

// solveLU solves a square system by LU when its estimated condition allows.
func (ls *LeastSquares) solveLU(x, a, b blas64.General) bool {
	n, nrhs := ls.n, b.Cols
	copyGeneral(ls.g, n, a)
	anorm := impl.Dlange(lapack.MaxColumnSum, n, n, ls.g, n, ls.gWork)
	// Unblocked LU: the blocked one calls gonum's parallel Dgemm, which
	// allocates, and these systems are small.
	if !impl.Dgetf2(n, n, ls.g, n, ls.ipiv) {
		return false
	}
	if impl.Dgecon(lapack.MaxColumnSum, n, ls.g, n, anorm, ls.gWork, ls.iwork) < gramRcond {
		return false
	}
	copyGeneral(x.Data, x.Stride, b)
	impl.Dgetrs(blas.NoTrans, n, nrhs, ls.g, n, ls.ipiv, x.Data, x.Stride)
	return true
}

// gram sets ls.g to the Cholesky factor of a aᵀ (trans false) or aᵀ a and
// reports whether it is well conditioned enough for the fast path.
func (ls *LeastSquares) gram(a blas64.General, trans bool) bool {
	k := min(ls.m, ls.n)
	g := blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: ls.g}
	t := blas.NoTrans
	if trans {
		t = blas.Trans
	}
	blas64.Syrk(t, 1, a, 0, g)
	anorm := impl.Dlansy(lapack.MaxColumnSum, blas.Upper, k, ls.g, k, ls.gWork)
	if !impl.Dpotrf(blas.Upper, k, ls.g, k) {
		return false
	}
	return impl.Dpocon(blas.Upper, k, ls.g, k, anorm, ls.gWork, ls.iwork) >= gramRcond
}

// solveWide handles m < n: x = aᵀ (a aᵀ)⁻¹ b, refined once.
func (ls *LeastSquares) solveWide(x, a, b blas64.General) bool {
	m, nrhs := ls.m, b.Cols
	if !ls.gram(a, false) {
		return false
	}
	y := blas64.General{Rows: m, Cols: nrhs, Stride: nrhs, Data: ls.y[:m*nrhs]}
	copyGeneral(y.Data, nrhs, b)
	impl.Dpotrs(blas.Upper, m, nrhs, ls.g, m, y.Data, nrhs)
	Gemm(blas.Trans, blas.NoTrans, 1, a, y, 0, x)
	// Refinement: r = b - a x; x += aᵀ (a aᵀ)⁻¹ r.
	r := blas64.General{Rows: m, Cols: nrhs, Stride: nrhs, Data: ls.r[:m*nrhs]}
	copyGeneral(r.Data, nrhs, b)
	Gemm(blas.NoTrans, blas.NoTrans, -1, a, x, 1, r)
	impl.Dpotrs(blas.Upper, m, nrhs, ls.g, m, r.Data, nrhs)
	Gemm(blas.Trans, blas.NoTrans, 1, a, r, 1, x)
	return true
}

// solveTall handles m > n: x = (aᵀ a)⁻¹ aᵀ b, refined once.
func (ls *LeastSquares) solveTall(x, a, b blas64.General) bool {
	m, n, nrhs := ls.m, ls.n, b.Cols
	if !ls.gram(a, true) {
		return false
	}
	Gemm(blas.Trans, blas.NoTrans, 1, a, b, 0, x)
	impl.Dpotrs(blas.Upper, n, nrhs, ls.g, n, x.Data, x.Stride)
	// Refinement: r = b - a x; x += (aᵀ a)⁻¹ aᵀ r.
	r := blas64.General{Rows: m, Cols: nrhs, Stride: nrhs, Data: ls.r[:m*nrhs]}
	copyGeneral(r.Data, nrhs, b)
	Gemm(blas.NoTrans, blas.NoTrans, -1, a, x, 1, r)
	y := blas64.General{Rows: n, Cols: nrhs, Stride: nrhs, Data: ls.y[:n*nrhs]}
	Gemm(blas.Trans, blas.NoTrans, 1, a, r, 0, y)
	impl.Dpotrs(blas.Upper, n, nrhs, ls.g, n, y.Data, nrhs)
	for i := range n {
		xi := x.Data[i*x.Stride : i*x.Stride+nrhs]
		for j, v := range y.Data[i*nrhs : (i+1)*nrhs] {
			xi[j] += v
		}
	}
	return true
}

// PinvTo sets dst (n x m) to the pseudo-inverse of a (m x n), with the same
// cutoff as SolveTo. ls must have been built with maxRHS >= m.
func (ls *LeastSquares) PinvTo(dst, a *mat.Dense) {
	dr, dc := dst.Dims()
	if dr != ls.n || dc != ls.m || ls.maxRHS < ls.m {
		panic("linalg: dimension mismatch")
	}
	id := blas64.General{Rows: ls.m, Cols: ls.m, Stride: ls.m, Data: ls.r[:ls.m*ls.m]}
	clear(id.Data)
	for i := range ls.m {
		id.Data[i*ls.m+i] = 1
	}
	ls.solve(dst.RawMatrix(), a.RawMatrix(), id)
}

// LstsqTo sets dst to the minimum-norm least-squares solution of a x = b and
// returns the effective rank of a. It allocates a workspace per call.
func LstsqTo(dst *mat.Dense, a, b mat.Matrix) int {
	m, n := a.Dims()
	_, nrhs := b.Dims()
	ls := NewLeastSquares(m, n, nrhs)
	return ls.SolveTo(dst, mat.DenseCopyOf(a), mat.DenseCopyOf(b))
}

// PinvTo sets dst (n x m) to the pseudo-inverse of a (m x n). It allocates a
// workspace per call.
func PinvTo(dst *mat.Dense, a mat.Matrix) {
	m, n := a.Dims()
	NewLeastSquares(m, n, m).PinvTo(dst, mat.DenseCopyOf(a))
}

// copyGeneral copies src into dst, a row-major buffer with stride ld.
func copyGeneral(dst []float64, ld int, src blas64.General) {
	for i := range src.Rows {
		copy(dst[i*ld:i*ld+src.Cols], src.Data[i*src.Stride:i*src.Stride+src.Cols])
	}
}
