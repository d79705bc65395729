package linalg

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// Errors returned by the Lyapunov solver. A (nearly) singular equation is not
// an error: like LAPACK's DTRSYL, the solver perturbs the singular diagonal
// sums and returns the huge but finite solution, whose direction is what the
// stability optimiser uses.
var (
	// ErrLyapunovOverflow means the solution is not representable in float64.
	ErrLyapunovOverflow = errors.New("linalg: Lyapunov solution overflows")
	// ErrLyapunovNoConvergence means the QR algorithm computing the real Schur
	// form did not converge (scipy raises LinAlgError in that case).
	ErrLyapunovNoConvergence = errors.New("linalg: Schur decomposition for Lyapunov equation did not converge")
	// ErrLyapunovNonFinite means a or q holds an Inf or a NaN (scipy raises
	// ValueError in that case).
	ErrLyapunovNonFinite = errors.New("linalg: Lyapunov equation has non-finite input")
)

const (
	// LAPACK machine constants as used by DGEES and DTRSYL:
	// DLAMCH('P') = eps*base and DLAMCH('S') = safe minimum.
	lyapPrec   = 0x1p-52
	lyapSafmin = 0x1p-1022

	// lyapPanel is the number of columns of the solution that the
	// Bartels–Stewart back substitution computes together; contributions of
	// finished panels to the remaining columns are accumulated by lyapMulAdd.
	lyapPanel = 64
	// lyapPanelStride is the row stride of the panel buffer: a panel may
	// grow by one column so as not to split a 2×2 diagonal block.
	lyapPanelStride = lyapPanel + 1
)

// Lyapunov solves continuous Lyapunov equations of one size n and reuses its
// workspace: after NewLyapunov, SolveTo and SolvePairTo allocate nothing
// themselves and run on the calling goroutine. (gonum's QR algorithm, which
// they call, does allocate: its Dlahqr heap-allocates 24 bytes per
// double-shift sweep, and for n > 64 its Dgehrd, Dorghr and Dhseqr use
// gonum's Dgemm, which starts goroutines for large products.)
//
// The method is scipy's solve_continuous_lyapunov: a real Schur
// decomposition a = U T Uᵀ (the LAPACK DGEES path: DGEBAL permutation,
// DGEHRD, DORGHR, DHSEQR, DGEBAK), F = Uᵀ q U, the quasi-triangular
// Sylvester equation T Y + Y Tᵀ = F solved as LAPACK's DTRSYL does
// (TRANA='N', TRANB='T', ISGN=+1, including its perturbation of
// near-singular diagonal blocks), and X = U Y Uᵀ.
type Lyapunov struct {
	n    int
	impl gonum.Implementation

	h    []float64 // Hessenberg reduction, then the Schur form T.
	u    []float64 // Schur vectors U.
	ut   []float64 // Uᵀ, so that every product is a cache-friendly NN one.
	f    []float64 // Right-hand side Uᵀ q U.
	tmp  []float64 // Scratch for the two-sided products.
	yt   []float64 // Transposed solution of the quasi-triangular equation.
	sacc []float64 // DTRSYL "SUMR" sums over finished panels; then Y itself.
	xp   []float64 // Current panel of the solution, row-major n×lyapPanelStride.

	tau  []float64
	wr   []float64
	wi   []float64
	bal  []float64
	work []float64
}

// NewLyapunov allocates once all the workspace that SolveTo and SolvePairTo
// need for equations of order n, so that an iterative caller such as the
// stability optimiser does not allocate per iteration.
func NewLyapunov(n int) *Lyapunov {
	if n <= 0 {
		panic("linalg: Lyapunov order must be positive")
	}
	l := &Lyapunov{
		n:    n,
		h:    make([]float64, n*n),
		u:    make([]float64, n*n),
		ut:   make([]float64, n*n),
		f:    make([]float64, n*n),
		tmp:  make([]float64, n*n),
		yt:   make([]float64, n*n),
		sacc: make([]float64, n*n),
		xp:   make([]float64, n*lyapPanelStride),
		tau:  make([]float64, n-1),
		wr:   make([]float64, n),
		wi:   make([]float64, n),
		bal:  make([]float64, n),
	}
	var q [1]float64
	lwork := n
	l.impl.Dgehrd(n, 0, n-1, l.h, n, l.tau, q[:], -1)
	lwork = max(lwork, int(q[0]))
	l.impl.Dorghr(n, 0, n-1, l.u, n, l.tau, q[:], -1)
	lwork = max(lwork, int(q[0]))
	l.impl.Dhseqr(lapack.EigenvaluesAndSchur, lapack.SchurOrig, n, 0, n-1, l.h, n, l.wr, l.wi, l.u, n, q[:], -1)
	lwork = max(lwork, int(q[0]))
	l.work = make([]float64, lwork)
	return l
}

// SolveTo sets dst to X solving a X + X aᵀ = q, as scipy's
// solve_continuous_lyapunov(a, q) does; q need not be symmetric. When a has
// eigenvalues λi, λj with λi + λj ≈ 0 (for example a = M − sI with s the
// spectral abscissa of M) the equation is singular up to rounding: the result
// is then huge but finite, its direction is meaningful, and err is nil.
// SolveTo returns ErrLyapunovOverflow only if the solution is not
// representable, in which case dst holds non-finite values. For a or q with
// Inf or NaN entries (ErrLyapunovNonFinite) or a failed Schur decomposition
// (ErrLyapunovNoConvergence), dst is not written.
//
// dst must be n×n or empty; it may be a or q.
func (l *Lyapunov) SolveTo(dst *mat.Dense, a, q *mat.Dense) error {
	ar, qr := l.inputs(a, q)
	dr := l.output(dst, "dst")
	if err := l.rhsFirst(ar, qr); err != nil {
		return err
	}
	scale := l.trsyl()
	return l.backTransform(dr, scale)
}

// SolvePairTo sets x and y to the solutions of a X + X aᵀ = q and
// aᵀ Y + Y a = q, sharing one Schur decomposition a = U T Uᵀ between them:
// the stability optimiser needs both in every iteration. The second equation
// is Tᵀ Y' + Y' T = Uᵀ q U with Y = U Y' Uᵀ; with J the reversal permutation,
// S = J Tᵀ J is upper quasi-triangular and S Z + Z Sᵀ = J (Uᵀ q U) J with
// Z = J Y' J, which the same DTRSYL-type solver handles. The results agree with
// SolveTo(a) and SolveTo(aᵀ) up to rounding (in the singular case, up to the
// rounding-determined size of the huge component).
//
// x and y must be n×n or empty and must be distinct; either may be a or q.
// The error semantics are those of SolveTo; on ErrLyapunovOverflow both x and
// y have been computed and at least one of them holds non-finite values.
func (l *Lyapunov) SolvePairTo(x, y *mat.Dense, a, q *mat.Dense) error {
	if x == y {
		panic("linalg: SolvePairTo needs distinct x and y")
	}
	ar, qr := l.inputs(a, q)
	xr := l.output(x, "x")
	yr := l.output(y, "y")
	if err := l.rhsFirst(ar, qr); err != nil {
		return err
	}
	n := l.n
	errX := l.backTransform(xr, l.trsyl())

	// S = J Tᵀ J, i.e. S[i,j] = T[n-1-j, n-1-i]: swap across the anti-diagonal.
	h := l.h
	for i := 0; i < n; i++ {
		for j := 0; i+j < n-1; j++ {
			p, r := i*n+j, (n-1-j)*n+(n-1-i)
			h[p], h[r] = h[r], h[p]
		}
	}
	// J F J and, after the solve, J Zᵀ J reverse a row-major n×n array.
	lyapReverse(l.f)
	scale := l.trsyl()
	lyapReverse(l.yt)
	errY := l.backTransform(yr, scale)
	if errX != nil {
		return errX
	}
	return errY
}

// LyapunovTo sets dst to X solving a X + X aᵀ = q (scipy's
// solve_continuous_lyapunov(a, q)) for callers that solve once; repeated
// solves of one size should keep a Lyapunov to avoid reallocating its
// workspace. See Lyapunov.SolveTo for the singular case and errors.
func LyapunovTo(dst *mat.Dense, a, q mat.Matrix) error {
	n, c := a.Dims()
	if n != c {
		panic("linalg: Lyapunov matrix a is not square")
	}
	if n == 0 {
		panic("linalg: Lyapunov order must be positive")
	}
	return NewLyapunov(n).SolveTo(dst, lyapDense(a), lyapDense(q))
}

// lyapDense returns m itself if it is a *mat.Dense and a copy otherwise.
func lyapDense(m mat.Matrix) *mat.Dense {
	if d, ok := m.(*mat.Dense); ok {
		return d
	}
	return mat.DenseCopyOf(m)
}

// inputs checks the shapes of a and q and returns their raw storage.
func (l *Lyapunov) inputs(a, q *mat.Dense) (ar, qr blas64.General) {
	if r, c := a.Dims(); r != l.n || c != l.n {
		panic("linalg: Lyapunov matrix a has the wrong shape")
	}
	if r, c := q.Dims(); r != l.n || c != l.n {
		panic("linalg: Lyapunov matrix q has the wrong shape")
	}
	return a.RawMatrix(), q.RawMatrix()
}

// output checks the shape of dst, sizing it if it is empty, and returns its
// raw storage.
func (l *Lyapunov) output(dst *mat.Dense, name string) blas64.General {
	if dst.IsEmpty() {
		dst.ReuseAs(l.n, l.n)
	} else if r, c := dst.Dims(); r != l.n || c != l.n {
		panic("linalg: Lyapunov result " + name + " has the wrong shape")
	}
	return dst.RawMatrix()
}

// rhsFirst computes the real Schur form of a into l.h and l.u and the
// right-hand side F = Uᵀ q U into l.f, reading a and q only here.
func (l *Lyapunov) rhsFirst(a, q blas64.General) error {
	n := l.n
	for i := 0; i < n; i++ {
		for _, v := range q.Data[i*q.Stride : i*q.Stride+n] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return ErrLyapunovNonFinite
			}
		}
	}
	if err := l.schur(a); err != nil {
		return err
	}
	lyapTranspose(l.ut, l.u, n)
	u, ut, tmp, f := l.square(l.u), l.square(l.ut), l.square(l.tmp), l.square(l.f)
	// F = Uᵀ (q U) as scipy computes it. For q = cI (the optimiser's 2I),
	// q U = cU exactly; for a symmetric q, F is symmetric and only its upper
	// triangle is computed.
	if c, ok := scaledIdentity(q); ok {
		for i, v := range l.u {
			l.tmp[i] = c * v
		}
	} else {
		lyapMul(tmp, q, u, false)
	}
	lyapMul(f, ut, tmp, isSymmetric(q))
	return nil
}

// square returns the n×n row-major matrix stored in s.
func (l *Lyapunov) square(s []float64) blas64.General {
	return blas64.General{Rows: l.n, Cols: l.n, Stride: l.n, Data: s}
}

// scaledIdentity reports whether q = c I.
func scaledIdentity(q blas64.General) (c float64, ok bool) {
	c = q.Data[0]
	for i := 0; i < q.Rows; i++ {
		for j, v := range q.Data[i*q.Stride : i*q.Stride+q.Cols] {
			if (i == j && v != c) || (i != j && v != 0) {
				return 0, false
			}
		}
	}
	return c, true
}

// isSymmetric reports whether the square matrix q is exactly symmetric.
func isSymmetric(q blas64.General) bool {
	for i := 0; i < q.Rows; i++ {
		for j := 0; j < i; j++ {
			if q.Data[i*q.Stride+j] != q.Data[j*q.Stride+i] {
				return false
			}
		}
	}
	return true
}

// lyapBlock is the block size of lyapMul: gonum's Dgemm runs serially and
// without allocating on 64×64 blocks.
const lyapBlock = 64

// lyapMul sets c = a b on the calling goroutine, blocked over all three
// dimensions so that the operands of each gonum Dgemm call stay in cache.
// If upper is set, a b is known to be symmetric: only the blocks on and
// above the diagonal are computed and the rest is mirrored.
func lyapMul(c, a, b blas64.General, upper bool) {
	lyapMulAdd(c, a, b, 0, upper)
}

// lyapMulAdd sets c = a b + beta c; see lyapMul.
func lyapMulAdd(c, a, b blas64.General, beta float64, upper bool) {
	m, n, k := c.Rows, c.Cols, a.Cols
	sub := func(g blas64.General, i, j, r, c int) blas64.General {
		return blas64.General{Rows: r, Cols: c, Stride: g.Stride, Data: g.Data[i*g.Stride+j:]}
	}
	for i := 0; i < m; i += lyapBlock {
		mi := min(lyapBlock, m-i)
		j0 := 0
		if upper {
			j0 = i
		}
		for j := j0; j < n; j += lyapBlock {
			nj := min(lyapBlock, n-j)
			cs := sub(c, i, j, mi, nj)
			bt := beta
			for p := 0; p < k; p += lyapBlock {
				kp := min(lyapBlock, k-p)
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, sub(a, i, p, mi, kp), sub(b, p, j, kp, nj), bt, cs)
				bt = 1
			}
		}
	}
	if upper {
		for i := 1; i < m; i++ {
			for j := 0; j < i; j++ {
				c.Data[i*c.Stride+j] = c.Data[j*c.Stride+i]
			}
		}
	}
}

// lyapTranspose sets the n×n row-major dst to the transpose of src, in
// cache-sized tiles.
func lyapTranspose(dst, src []float64, n int) {
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, n); j++ {
					dst[j*n+i] = src[i*n+j]
				}
			}
		}
	}
}

// schur follows LAPACK's DGEES with JOBVS='V', SORT='N': it leaves the real
// Schur form T of a in l.h and the orthogonal U with a = U T Uᵀ in l.u.
func (l *Lyapunov) schur(a blas64.General) error {
	n := l.n
	h := l.h
	anrm := 0.0
	for i := 0; i < n; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+n]
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return ErrLyapunovNonFinite
			}
			anrm = max(anrm, math.Abs(v))
		}
		copy(h[i*n:i*n+n], row)
	}

	// Scale a if its largest element is outside [smlnum, bignum].
	smlnum := math.Sqrt(lyapSafmin) / lyapPrec
	bignum := 1 / smlnum
	cscale := 0.0
	if anrm > 0 && anrm < smlnum {
		cscale = smlnum
	} else if anrm > bignum {
		cscale = bignum
	}
	if cscale != 0 {
		l.impl.Dlascl(lapack.General, 0, 0, anrm, cscale, n, n, h, n)
	}

	ilo, ihi := l.impl.Dgebal(lapack.Permute, n, h, n, l.bal)
	l.impl.Dgehrd(n, ilo, ihi, h, n, l.tau, l.work, len(l.work))
	copy(l.u, h)
	l.impl.Dorghr(n, ilo, ihi, l.u, n, l.tau, l.work, len(l.work))
	if l.impl.Dhseqr(lapack.EigenvaluesAndSchur, lapack.SchurOrig, n, ilo, ihi, h, n, l.wr, l.wi, l.u, n, l.work, len(l.work)) > 0 {
		return ErrLyapunovNoConvergence
	}
	l.impl.Dgebak(lapack.Permute, lapack.EVRight, n, ilo, ihi, l.bal, n, l.u, n)
	if cscale != 0 {
		l.impl.Dlascl(lapack.General, 0, 0, cscale, anrm, n, n, h, n)
	}
	return nil
}

// backTransform sets dst to U Y Uᵀ with Y = l.ytᵀ / scale and reports whether
// the result is finite.
func (l *Lyapunov) backTransform(dst blas64.General, scale float64) error {
	n := l.n
	if scale != 1 {
		for i, v := range l.yt {
			l.yt[i] = v / scale
		}
	}
	// X = (U Y) Uᵀ as scipy computes it; sacc is free to hold Y.
	lyapTranspose(l.sacc, l.yt, n)
	lyapMul(l.square(l.tmp), l.square(l.u), l.square(l.sacc), false)
	lyapMul(dst, l.square(l.tmp), l.square(l.ut), false)
	for i := 0; i < n; i++ {
		for _, v := range dst.Data[i*dst.Stride : i*dst.Stride+n] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return ErrLyapunovOverflow
			}
		}
	}
	return nil
}

// lyapReverse reverses s in place.
func lyapReverse(s []float64) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// trsyl solves T Y + Y Tᵀ = scale F for Y, with T = l.h upper
// quasi-triangular and F = l.f, leaving Yᵀ in l.yt and returning scale.
func (l *Lyapunov) trsyl() (scale float64) {
	scale, _ = trsylNT(l.n, l.h, l.f, l.yt, l.sacc, l.xp)
	return scale
}

// trsylNT is LAPACK's DTRSYL for TRANA='N', TRANB='T', ISGN=+1 and A = B = r:
// it solves R Y + Y Rᵀ = scale*C for the n×n matrix Y, where r is upper
// quasi-triangular and c is read-only (both row-major with stride n). It
// leaves Yᵀ in yt and uses sacc (n×n, holding Σ_{j>=pend} R(l,j) Y(k,j) at
// sacc[l*n+k]) and xp (n×lyapPanelStride) as workspace. perturbed reports
// DTRSYL's INFO=1: some diagonal sum was perturbed because it was (nearly)
// singular.
//
// Every block Y(K,L) is computed from exactly the quantities DTRSYL uses,
// VEC = C(K,L) − (SUML + SUMR) with SUML = Σ_{i>K} R(K,i) Y(i,L) and
// SUMR = Σ_{j>L} Y(K,j) R(L,j), and solved by the same 1×1 code, DLALN2 or
// DLASY2 call; block boundaries are found the same way (nonzero
// subdiagonal, scanning from the bottom). Only the evaluation order differs,
// for speed: the columns are processed in panels of about lyapPanel columns
// (from the right, as DTRSYL does), within a panel row block by row block
// from the bottom, and the parts of SUMR that come from finished panels are
// accumulated by matrix products. Each block still sees every term it depends on, so
// the result is DTRSYL's up to the order of floating-point summation. The
// overflow-protecting rescaling (scaloc < 1) rescales everything computed so
// far and is applied lazily to C; it only happens near overflow.
func trsylNT(n int, r, c, yt, sacc, xp []float64) (scale float64, perturbed bool) {
	const xps = lyapPanelStride
	var lp gonum.Implementation
	scale = 1

	smlnum := lyapSafmin * float64(n*n) / lyapPrec
	bignum := 1 / smlnum
	rmax := 0.0
	for _, v := range r[:n*n] {
		rmax = max(rmax, math.Abs(v))
	}
	// SMIN = max(smlnum, eps*|A|max, eps*|B|max) with A = B = r.
	smin := max(smlnum, lyapPrec*rmax)

	clear(sacc[:n*n])

	var vec, x [4]float64
	for pend := n; pend > 0; {
		// The panel [p0, pend) consists of whole column blocks.
		p0 := pend
		for p0 > 0 && pend-p0 < lyapPanel {
			l := p0 - 1
			if l > 0 && r[l*n+l-1] != 0 {
				p0 = l - 1
			} else {
				p0 = l
			}
		}
		pw := pend - p0

		// rhs returns C(k,l) at the current scale.
		rhs := func(k, l int) float64 {
			if scale != 1 {
				return c[k*n+l] * scale
			}
			return c[k*n+l]
		}
		// sumL is SUML for row kr of the row block ending at k2, column lc.
		sumL := func(kr, k2, lc int) float64 {
			return floats.Dot(r[kr*n+k2+1:kr*n+n], yt[lc*n+k2+1:lc*n+n])
		}
		// sumR is SUMR for row kr, column lc of the column block ending at l2.
		sumR := func(kr, l2, lc int) float64 {
			return sacc[lc*n+kr] + floats.Dot(xp[kr*xps+l2+1-p0:kr*xps+pw], r[lc*n+l2+1:lc*n+pend])
		}
		store := func(k, l int, v float64) {
			yt[l*n+k] = v
			xp[k*xps+l-p0] = v
		}
		rescale := func(s float64) {
			for i := range yt {
				yt[i] *= s
			}
			for i := range xp {
				xp[i] *= s
			}
			for i := range sacc {
				sacc[i] *= s
			}
			scale *= s
		}

		for k := n - 1; k >= 0; {
			k1, k2 := k, k
			if k > 0 && r[k*n+k-1] != 0 {
				k1 = k - 1
			}
			for l := pend - 1; l >= p0; {
				l1, l2 := l, l
				if l > 0 && r[l*n+l-1] != 0 {
					l1 = l - 1
				}
				switch {
				case l1 == l2 && k1 == k2:
					v := rhs(k1, l1) - (sumL(k1, k1, l1) + sumR(k1, l1, l1))
					scaloc := 1.0
					a11 := r[k1*n+k1] + r[l1*n+l1]
					da11 := math.Abs(a11)
					if da11 <= smin {
						a11 = smin
						da11 = smin
						perturbed = true
					}
					db := math.Abs(v)
					if da11 < 1 && db > 1 && db > bignum*da11 {
						scaloc = 1 / db
					}
					x11 := (v * scaloc) / a11
					if scaloc != 1 {
						rescale(scaloc)
					}
					store(k1, l1, x11)

				case l1 == l2 && k1 != k2:
					vec[0] = rhs(k1, l1) - (sumL(k1, k2, l1) + sumR(k1, l1, l1))
					vec[1] = rhs(k2, l1) - (sumL(k2, k2, l1) + sumR(k2, l1, l1))
					scaloc, _, ok := lp.Dlaln2(false, 2, 1, smin, 1, r[k1*n+k1:], n, 1, 1,
						vec[:2], 1, -r[l1*n+l1], 0, x[:2], 1)
					perturbed = perturbed || !ok
					if scaloc != 1 {
						rescale(scaloc)
					}
					store(k1, l1, x[0])
					store(k2, l1, x[1])

				case l1 != l2 && k1 == k2:
					// ISGN = +1, so the SGN factors of DTRSYL drop out.
					vec[0] = rhs(k1, l1) - (sumL(k1, k1, l1) + sumR(k1, l2, l1))
					vec[1] = rhs(k1, l2) - (sumL(k1, k1, l2) + sumR(k1, l2, l2))
					scaloc, _, ok := lp.Dlaln2(false, 2, 1, smin, 1, r[l1*n+l1:], n, 1, 1,
						vec[:2], 1, -r[k1*n+k1], 0, x[:2], 1)
					perturbed = perturbed || !ok
					if scaloc != 1 {
						rescale(scaloc)
					}
					store(k1, l1, x[0])
					store(k1, l2, x[1])

				default:
					vec[0] = rhs(k1, l1) - (sumL(k1, k2, l1) + sumR(k1, l2, l1))
					vec[1] = rhs(k1, l2) - (sumL(k1, k2, l2) + sumR(k1, l2, l2))
					vec[2] = rhs(k2, l1) - (sumL(k2, k2, l1) + sumR(k2, l2, l1))
					vec[3] = rhs(k2, l2) - (sumL(k2, k2, l2) + sumR(k2, l2, l2))
					scaloc, _, ok := lp.Dlasy2(false, true, 1, 2, 2, r[k1*n+k1:], n, r[l1*n+l1:], n,
						vec[:], 2, x[:], 2)
					perturbed = perturbed || !ok
					if scaloc != 1 {
						rescale(scaloc)
					}
					store(k1, l1, x[0])
					store(k1, l2, x[1])
					store(k2, l1, x[2])
					store(k2, l2, x[3])
				}
				l = l1 - 1
			}
			k = k1 - 1
		}

		// Add the finished panel's part of SUMR for the remaining columns,
		// transposed: sacc[:p0, :] += R[:p0, p0:pend] Yᵀ[p0:pend, :].
		if p0 > 0 {
			lyapMulAdd(blas64.General{Rows: p0, Cols: n, Stride: n, Data: sacc},
				blas64.General{Rows: p0, Cols: pw, Stride: n, Data: r[p0:]},
				blas64.General{Rows: pw, Cols: n, Stride: n, Data: yt[p0*n:]}, 1, false)
		}
		pend = p0
	}
	return scale, perturbed
}
