package linalg

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// Eigvals computes the eigenvalues of a general real n x n matrix, reusing its workspace:
// after NewEigvals, Compute allocates nothing.
//
// Compute follows gonum's Dgeev with no eigenvectors step by step (scaling of
// a matrix with extreme entries, Dgebal with lapack.PermuteScale, Dgehrd,
// Dhseqr), and it hands Dgebal, Dgehrd and Dhseqr the same workspace layout
// Dgeev does, so its eigenvalues are those of Dgeev. The only difference is
// that for n <= 75, where Dhseqr would call Dlahqr, Compute calls eigLahqr, a
// copy of gonum's Dlahqr that allocates nothing (see its comment). For n > 75
// Compute calls gonum's Dhseqr (multishift QR, Dlaqr04), which allocates: the
// zero-allocation guarantee holds for n <= 75 only.
//
// If the double-shift QR iteration of eigLahqr does not converge (rare),
// Compute retries the unconverged block with gonum's Dlaqr04, as Dhseqr does;
// that fallback allocates.
//
// An Eigvals must not be shared between goroutines.
type Eigvals struct {
	n int

	// work is Dgeev's workspace of optimal length: work[:n] holds Dgebal's
	// scaling, work[n:2n-1] Dgehrd's tau, work[2n:] Dgehrd's work and
	// work[n:] Dhseqr's (or Dlaqr04's) work.
	work []float64

	// itsPerEig sets eigLahqr's QR iteration budget (30, as in LAPACK).
	// Tests lower it to exercise the fallback.
	itsPerEig int

	// hl and workl are the padded copy of H and the workspace that the
	// Dlaqr04 fallback uses for n < eigNl; allocated when first needed.
	hl, workl []float64
}

const (
	// eigNmin is Dhseqr's crossover: matrices of order n <= eigNmin go
	// to Dlahqr, larger ones to Dlaqr04 (gonum's Iparmq(12) default, 75).
	eigNmin = 75
	// eigNl is Dhseqr's minimum order for calling Dlaqr04 directly in
	// the fallback; smaller matrices are padded to this order.
	eigNl = 49

	// Machine constants, as gonum's dlamch*.
	eigDlamchE = 0x1p-53
	eigDlamchP = 2 * eigDlamchE // ulp
	eigDlamchS = 0x1p-1022      // safe minimum

	// Dgeev scales the matrix when its largest entry is outside
	// [eigSmlnum, eigBignum]; eigSmlnum = sqrt(dlamchS) / dlamchP.
	eigSmlnum = 0x1p-459
	eigBignum = 1 / eigSmlnum
)

// NewEigvals returns a workspace for the eigenvalues of n x n matrices.
func NewEigvals(n int) *Eigvals {
	if n < 0 {
		panic("linalg: NewEigvals: negative order")
	}
	var impl gonum.Implementation
	var query [1]float64
	// The workspace query of Dhseqr inside Dgeev inspects only sizes, but
	// give it a matrix of the right shape anyway.
	ld := max(1, n)
	a := make([]float64, n*n)
	w := make([]float64, n)
	impl.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, a, ld, w, w, nil, 1, nil, 1, query[:], -1)
	lwork := max(int(query[0]), 3*n, 1)
	return &Eigvals{
		n:         n,
		work:      make([]float64, lwork),
		itsPerEig: 30,
	}
}

// Compute overwrites a (n x n, row-major, stride lda) and sets wr, wi (length n) to the real and imaginary
// parts of its eigenvalues, complex pairs adjacent with the positive imaginary part first (as LAPACK).
// It returns false if the QR iteration failed to converge (then wr, wi are unspecified).
//
// Compute also returns false, without touching a, if a has an entry that is
// NaN or infinite (gonum's Dgeev would panic or loop on such input).
func (e *Eigvals) Compute(a []float64, lda int, wr, wi []float64) bool {
	n := e.n
	switch {
	case lda < max(1, n):
		panic("linalg: Eigvals.Compute: lda < n")
	case n > 0 && len(a) < (n-1)*lda+n:
		panic("linalg: Eigvals.Compute: matrix too short")
	case len(wr) != n || len(wi) != n:
		panic("linalg: Eigvals.Compute: len(wr) or len(wi) != n")
	}
	if n == 0 {
		return true
	}

	// Largest entry (Dlange with lapack.MaxAbs), rejecting NaN and Inf.
	var anrm float64
	for i := 0; i < n; i++ {
		for _, v := range a[i*lda : i*lda+n] {
			av := math.Abs(v)
			if !(av <= math.MaxFloat64) {
				return false
			}
			anrm = math.Max(anrm, av)
		}
	}

	var impl gonum.Implementation

	// Scale a if its largest entry is outside [eigSmlnum, eigBignum].
	var cscale float64
	scalea := false
	if 0 < anrm && anrm < eigSmlnum {
		scalea, cscale = true, eigSmlnum
	} else if anrm > eigBignum {
		scalea, cscale = true, eigBignum
	}
	if scalea {
		impl.Dlascl(lapack.General, 0, 0, anrm, cscale, n, n, a, lda)
	}

	// Balance, then reduce to upper Hessenberg form.
	lwork := len(e.work)
	ilo, ihi := impl.Dgebal(lapack.PermuteScale, n, a, lda, e.work[:n])
	impl.Dgehrd(n, ilo, ihi, a, lda, e.work[n:2*n-1], e.work[2*n:], lwork-2*n)

	// Eigenvalues of the Hessenberg matrix.
	var unconverged int
	if n > eigNmin {
		unconverged = impl.Dhseqr(lapack.EigenvaluesOnly, lapack.SchurNone, n, ilo, ihi,
			a, lda, wr, wi, nil, 1, e.work[n:], lwork-n)
	} else {
		unconverged = e.hseqrSmall(ilo, ihi, a, lda, wr, wi)
	}
	if unconverged > 0 {
		return false
	}

	if scalea {
		// Undo scaling.
		impl.Dlascl(lapack.General, 0, 0, cscale, anrm, n, 1, wr, 1)
		impl.Dlascl(lapack.General, 0, 0, cscale, anrm, n, 1, wi, 1)
	}
	return true
}

// hseqrSmall is gonum's Dhseqr(lapack.EigenvaluesOnly, lapack.SchurNone) for
// n <= eigNmin, calling eigLahqr instead of Dlahqr.
func (e *Eigvals) hseqrSmall(ilo, ihi int, h []float64, ldh int, wr, wi []float64) int {
	n := e.n
	// Copy eigenvalues isolated by Dgebal.
	for i := 0; i < ilo; i++ {
		wr[i] = h[i*ldh+i]
		wi[i] = 0
	}
	for i := ihi + 1; i < n; i++ {
		wr[i] = h[i*ldh+i]
		wi[i] = 0
	}
	if ilo == ihi {
		wr[ilo] = h[ilo*ldh+ilo]
		wi[ilo] = 0
		return 0
	}

	unconverged := eigLahqr(ilo, ihi, h, ldh, wr[:ihi+1], wi[:ihi+1], e.itsPerEig)
	if unconverged == 0 {
		return 0
	}

	// A rare Dlahqr failure: Dlaqr04 sometimes succeeds when Dlahqr fails.
	// The unconverged eigenvalues are those of H[ilo:kbot+1,ilo:kbot+1],
	// and H[kbot+1,kbot] is zero. (gonum's Dhseqr passes kbot =
	// unconverged, one too many, and would panic in Dlaqr04's argument
	// checks; LAPACK's dhseqr passes the 1-based INFO, i.e. our kbot.)
	var impl gonum.Implementation
	kbot := unconverged - 1
	if n >= eigNl {
		// Larger matrices have enough subdiagonal scratch space to call
		// Dlaqr04 directly.
		lwork := len(e.work) - n
		return impl.Dlaqr04(false, false, n, ilo, kbot, h, ldh, wr[:kbot+1], wi[:kbot+1],
			ilo, kbot, nil, 1, e.work[n:], lwork, 1)
	}
	// Tiny matrices must be copied into a larger array.
	if e.hl == nil {
		e.hl = make([]float64, eigNl*eigNl)
		e.workl = make([]float64, eigNl)
	}
	hl := e.hl
	impl.Dlaset(blas.All, eigNl, eigNl, 0, 0, hl, eigNl)
	impl.Dlacpy(blas.All, n, n, h, ldh, hl, eigNl)
	return impl.Dlaqr04(false, false, eigNl, ilo, kbot, hl, eigNl, wr[:kbot+1], wi[:kbot+1],
		ilo, kbot, nil, 1, e.workl, eigNl, 1)
}

// The rest of this file is adapted from gonum's lapack/gonum/dlahqr.go and
// lapack/gonum/dlarfg.go (gonum v0.17.0), which carry this notice; the
// license is gonum's:
//
// Copyright ©2016 The Gonum Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
//
// Changes from gonum: Dlahqr is restricted to wantt = false, wantz = false
// (eigenvalues only; the Schur form and Z are not updated, so the argument
// checks, Z and the Drot calls are gone), and its iteration budget per
// eigenvalue is a parameter. The 3-element Householder vector is held in
// scalars instead of a [3]float64 passed to BLAS (bi.Dcopy) and to Dlarfg
// (bi.Dnrm2, bi.Dscal) through interfaces, which made it escape to the heap;
// the copy is written out, and Dlarfg is inlined for the 2- and 3-element
// reflectors as eigLarfg, with Dnrm2's scaled sum of squares as eigNrm2, so
// that the arithmetic is the same as gonum's.

// eigLahqr computes the eigenvalues of the block H[ilo:ihi+1,ilo:ihi+1] of
// an upper Hessenberg matrix H by the double-shift/single-shift QR algorithm.
// It is gonum's Dlahqr with wantt = false and wantz = false: it returns 0 and
// sets wr[ilo:ihi+1], wi[ilo:ihi+1] on success, and on failure returns the
// positive unconverged such that wr[unconverged:ihi+1], wi[unconverged:ihi+1]
// hold the eigenvalues that converged and the others are those of
// H[ilo:unconverged,ilo:unconverged], and H[unconverged,unconverged-1] is
// zero if unconverged <= ihi. The contents of H are destroyed. At most
// itsPerEig*max(10, ihi-ilo+1) QR iterations are spent on each deflation.
//
// H[ilo,ilo-1] must be zero if ilo > 0, and wr, wi must have length ihi+1.
func eigLahqr(ilo, ihi int, h []float64, ldh int, wr, wi []float64, itsPerEig int) (unconverged int) {
	if ilo == ihi {
		wr[ilo] = h[ilo*ldh+ilo]
		wi[ilo] = 0
		return 0
	}

	// Clear out the trash.
	for j := ilo; j < ihi-2; j++ {
		h[(j+2)*ldh+j] = 0
		h[(j+3)*ldh+j] = 0
	}
	if ilo <= ihi-2 {
		h[ihi*ldh+ihi-2] = 0
	}

	nh := ihi - ilo + 1

	// Set machine-dependent constants for the stopping criterion.
	const ulp = eigDlamchP
	smlnum := float64(nh) / ulp * eigDlamchS

	// Number of QR iterations allowed per deflation (gonum's comment calls
	// it the total, but like LAPACK's ITS loop it restarts after each one).
	itmax := itsPerEig * max(10, nh)

	// kdefl counts the number of iterations since a deflation.
	kdefl := 0

	// The main loop begins here. i is the loop index and decreases from ihi
	// to ilo in steps of 1 or 2. Each iteration of the loop works with the
	// active submatrix in rows and columns l to i. Eigenvalues i+1 to ihi
	// have already converged. Either l = ilo or H[l,l-1] is negligible so
	// that the matrix splits. Since only eigenvalues are computed, only the
	// active submatrix is transformed (gonum's i1 = l, i2 = i).
	var impl gonum.Implementation
	i := ihi
	for i >= ilo {
		l := ilo

		// Perform QR iterations on rows and columns ilo to i until a
		// submatrix of order 1 or 2 splits off at the bottom because a
		// subdiagonal element has become negligible.
		converged := false
		for its := 0; its <= itmax; its++ {
			// Look for a single small subdiagonal element.
			var k int
			for k = i; k > l; k-- {
				if math.Abs(h[k*ldh+k-1]) <= smlnum {
					break
				}
				tst := math.Abs(h[(k-1)*ldh+k-1]) + math.Abs(h[k*ldh+k])
				if tst == 0 {
					if k-2 >= ilo {
						tst += math.Abs(h[(k-1)*ldh+k-2])
					}
					if k+1 <= ihi {
						tst += math.Abs(h[(k+1)*ldh+k])
					}
				}
				// The following is a conservative small
				// subdiagonal deflation criterion due to Ahues
				// & Tisseur (LAWN 122, 1997). It has better
				// mathematical foundation and improves accuracy
				// in some cases.
				if math.Abs(h[k*ldh+k-1]) <= ulp*tst {
					ab := math.Max(math.Abs(h[k*ldh+k-1]), math.Abs(h[(k-1)*ldh+k]))
					ba := math.Min(math.Abs(h[k*ldh+k-1]), math.Abs(h[(k-1)*ldh+k]))
					aa := math.Max(math.Abs(h[k*ldh+k]), math.Abs(h[(k-1)*ldh+k-1]-h[k*ldh+k]))
					bb := math.Min(math.Abs(h[k*ldh+k]), math.Abs(h[(k-1)*ldh+k-1]-h[k*ldh+k]))
					s := aa + ab
					if ab/s*ba <= math.Max(smlnum, aa/s*bb*ulp) {
						break
					}
				}
			}
			l = k
			if l > ilo {
				// H[l,l-1] is negligible.
				h[l*ldh+l-1] = 0
			}
			if l >= i-1 {
				// Break the loop because a submatrix of order 1
				// or 2 has split off.
				converged = true
				break
			}
			kdefl++

			// Now the active submatrix is in rows and columns l to
			// i; only it is transformed.
			i1, i2 := l, i

			const (
				dat1  = 0.75
				dat2  = -0.4375
				kexsh = 10
			)
			var h11, h21, h12, h22 float64
			switch {
			case kdefl%(2*kexsh) == 0: // Exceptional shift.
				s := math.Abs(h[i*ldh+i-1]) + math.Abs(h[(i-1)*ldh+i-2])
				h11 = dat1*s + h[i*ldh+i]
				h12 = dat2 * s
				h21 = s
				h22 = h11
			case kdefl%kexsh == 0: // Exceptional shift.
				s := math.Abs(h[(l+1)*ldh+l]) + math.Abs(h[(l+2)*ldh+l+1])
				h11 = dat1*s + h[l*ldh+l]
				h12 = dat2 * s
				h21 = s
				h22 = h11
			default: // Prepare to use Francis' double shift (i.e.,
				// 2nd degree generalized Rayleigh quotient).
				h11 = h[(i-1)*ldh+i-1]
				h21 = h[i*ldh+i-1]
				h12 = h[(i-1)*ldh+i]
				h22 = h[i*ldh+i]
			}
			s := math.Abs(h11) + math.Abs(h12) + math.Abs(h21) + math.Abs(h22)
			var (
				rt1r, rt1i float64
				rt2r, rt2i float64
			)
			if s != 0 {
				h11 /= s
				h21 /= s
				h12 /= s
				h22 /= s
				tr := (h11 + h22) / 2
				det := (h11-tr)*(h22-tr) - h12*h21
				rtdisc := math.Sqrt(math.Abs(det))
				if det >= 0 {
					// Complex conjugate shifts.
					rt1r = tr * s
					rt2r = rt1r
					rt1i = rtdisc * s
					rt2i = -rt1i
				} else {
					// Real shifts (use only one of them).
					rt1r = tr + rtdisc
					rt2r = tr - rtdisc
					if math.Abs(rt1r-h22) <= math.Abs(rt2r-h22) {
						rt1r *= s
						rt2r = rt1r
					} else {
						rt2r *= s
						rt1r = rt2r
					}
					rt1i = 0
					rt2i = 0
				}
			}

			// Look for two consecutive small subdiagonal elements.
			// v0, v1, v2 are gonum's v[0], v[1], v[2].
			var m int
			var v0, v1, v2 float64
			for m = i - 2; m >= l; m-- {
				// Determine the effect of starting the
				// double-shift QR iteration at row m, and see
				// if this would make H[m,m-1] negligible. The
				// following uses scaling to avoid overflows and
				// most underflows.
				h21s := h[(m+1)*ldh+m]
				s := math.Abs(h[m*ldh+m]-rt2r) + math.Abs(rt2i) + math.Abs(h21s)
				h21s /= s
				v0 = h21s*h[m*ldh+m+1] + (h[m*ldh+m]-rt1r)*((h[m*ldh+m]-rt2r)/s) - rt2i/s*rt1i
				v1 = h21s * (h[m*ldh+m] + h[(m+1)*ldh+m+1] - rt1r - rt2r)
				v2 = h21s * h[(m+2)*ldh+m+1]
				s = math.Abs(v0) + math.Abs(v1) + math.Abs(v2)
				v0 /= s
				v1 /= s
				v2 /= s
				if m == l {
					break
				}
				dsum := math.Abs(h[(m-1)*ldh+m-1]) + math.Abs(h[m*ldh+m]) + math.Abs(h[(m+1)*ldh+m+1])
				if math.Abs(h[m*ldh+m-1])*(math.Abs(v1)+math.Abs(v2)) <= ulp*math.Abs(v0)*dsum {
					break
				}
			}

			// Double-shift QR step.
			for k := m; k < i; k++ {
				// The first iteration of this loop determines a
				// reflection G from the vector V and applies it
				// from left and right to H, thus creating a
				// non-zero bulge below the subdiagonal.
				//
				// Each subsequent iteration determines a
				// reflection G to restore the Hessenberg form
				// in the (k-1)th column, and thus chases the
				// bulge one step toward the bottom of the
				// active submatrix. nr is the order of G.

				nr := min(3, i-k+1)
				if k > m {
					// bi.Dcopy(nr, h[k*ldh+k-1:], ldh, v[:], 1)
					v0 = h[k*ldh+k-1]
					v1 = h[(k+1)*ldh+k-1]
					if nr == 3 {
						v2 = h[(k+2)*ldh+k-1]
					}
				}
				var t0 float64
				v0, t0, v1, v2 = eigLarfg(nr, v0, v1, v2)
				if k > m {
					h[k*ldh+k-1] = v0
					h[(k+1)*ldh+k-1] = 0
					if k < i-1 {
						h[(k+2)*ldh+k-1] = 0
					}
				} else if m > l {
					// Use the following instead of H[k,k-1] = -H[k,k-1]
					// to avoid a bug when v[1] and v[2] underflow.
					h[k*ldh+k-1] *= 1 - t0
				}
				t1 := t0 * v1
				if nr == 3 {
					t2 := t0 * v2

					// Apply G from the left to transform
					// the rows of the matrix in columns k
					// to i2.
					for j := k; j <= i2; j++ {
						sum := h[k*ldh+j] + v1*h[(k+1)*ldh+j] + v2*h[(k+2)*ldh+j]
						h[k*ldh+j] -= sum * t0
						h[(k+1)*ldh+j] -= sum * t1
						h[(k+2)*ldh+j] -= sum * t2
					}

					// Apply G from the right to transform
					// the columns of the matrix in rows i1
					// to min(k+3,i).
					for j := i1; j <= min(k+3, i); j++ {
						sum := h[j*ldh+k] + v1*h[j*ldh+k+1] + v2*h[j*ldh+k+2]
						h[j*ldh+k] -= sum * t0
						h[j*ldh+k+1] -= sum * t1
						h[j*ldh+k+2] -= sum * t2
					}
				} else if nr == 2 {
					// Apply G from the left to transform
					// the rows of the matrix in columns k
					// to i2.
					for j := k; j <= i2; j++ {
						sum := h[k*ldh+j] + v1*h[(k+1)*ldh+j]
						h[k*ldh+j] -= sum * t0
						h[(k+1)*ldh+j] -= sum * t1
					}

					// Apply G from the right to transform
					// the columns of the matrix in rows i1
					// to min(k+3,i).
					for j := i1; j <= i; j++ {
						sum := h[j*ldh+k] + v1*h[j*ldh+k+1]
						h[j*ldh+k] -= sum * t0
						h[j*ldh+k+1] -= sum * t1
					}
				}
			}
		}

		if !converged {
			// The QR iteration finished without splitting off a
			// submatrix of order 1 or 2.
			return i + 1
		}

		if l == i {
			// H[i,i-1] is negligible: one eigenvalue has converged.
			wr[i] = h[i*ldh+i]
			wi[i] = 0
		} else if l == i-1 {
			// H[i-1,i-2] is negligible: a pair of eigenvalues have converged.

			// Transform the 2×2 submatrix to standard Schur form,
			// and compute and store the eigenvalues.
			a, b := h[(i-1)*ldh+i-1], h[(i-1)*ldh+i]
			c, d := h[i*ldh+i-1], h[i*ldh+i]
			a, b, c, d, wr[i-1], wi[i-1], wr[i], wi[i], _, _ = impl.Dlanv2(a, b, c, d)
			h[(i-1)*ldh+i-1], h[(i-1)*ldh+i] = a, b
			h[i*ldh+i-1], h[i*ldh+i] = c, d
		}

		// Reset deflation counter.
		kdefl = 0

		// Return to start of the main loop with new value of i.
		i = l - 1
	}
	return 0
}

// eigLarfg is gonum's Dlarfg for a reflector of order nr = 2 (x = [x1]) or
// nr = 3 (x = [x1, x2]): it returns beta, tau and v = [v1] or [v1, v2] such
// that H = I - tau*(1; v)*(1 vᵀ) maps (alpha; x) to (beta; 0). For nr = 2,
// x2 is returned unchanged.
func eigLarfg(nr int, alpha, x1, x2 float64) (beta, tau, v1, v2 float64) {
	if nr <= 1 {
		return alpha, 0, x1, x2
	}
	// bi.Dnrm2(nr-1, x, 1).
	xnorm := math.Abs(x1)
	if nr == 3 {
		xnorm = eigNrm2(x1, x2)
	}
	if xnorm == 0 {
		return alpha, 0, x1, x2
	}
	beta = -math.Copysign(math.Hypot(alpha, xnorm), alpha)
	const safmin = eigDlamchS / eigDlamchE
	knt := 0
	if math.Abs(beta) < safmin {
		// xnorm and beta may be inaccurate, scale x and recompute.
		const rsafmn = 1 / safmin
		for {
			knt++
			x1 *= rsafmn
			if nr == 3 {
				x2 *= rsafmn
			}
			beta *= rsafmn
			alpha *= rsafmn
			if math.Abs(beta) >= safmin {
				break
			}
		}
		xnorm = math.Abs(x1)
		if nr == 3 {
			xnorm = eigNrm2(x1, x2)
		}
		beta = -math.Copysign(math.Hypot(alpha, xnorm), alpha)
	}
	tau = (beta - alpha) / beta
	// bi.Dscal(nr-1, 1/(alpha-beta), x, 1); Dscal sets x to zero when
	// the factor is zero (alpha - beta infinite).
	scal := 1 / (alpha - beta)
	if scal == 0 {
		x1 = 0
	} else {
		x1 *= scal
	}
	if nr == 3 {
		if scal == 0 {
			x2 = 0
		} else {
			x2 *= scal
		}
	}
	for j := 0; j < knt; j++ {
		beta *= safmin
	}
	return beta, tau, x1, x2
}

// eigNrm2 is the Euclidean norm of (x1, x2) computed as gonum's Dnrm2 does
// (a scaled sum of squares, internal/asm/f64.L2NormUnitary), so that it is
// safe from overflow and underflow and rounds as gonum does.
func eigNrm2(x1, x2 float64) float64 {
	var scale float64
	sumSquares := 1.0
	for _, v := range [2]float64{x1, x2} {
		if v == 0 {
			continue
		}
		absxi := math.Abs(v)
		if math.IsNaN(absxi) {
			return math.NaN()
		}
		if scale < absxi {
			s := scale / absxi
			sumSquares = 1 + sumSquares*s*s
			scale = absxi
		} else {
			s := absxi / scale
			sumSquares += s * s
		}
	}
	if math.IsInf(scale, 1) {
		return math.Inf(1)
	}
	return scale * math.Sqrt(sumSquares)
}
