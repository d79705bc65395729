package linalg

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// eigRandMat returns a seeded random n x n matrix with standard normal
// entries (real and complex eigenvalues), or a symmetric one.
func eigRandMat(n int, seed, stream uint64, symmetric bool) []float64 {
	rng := rand.New(rand.NewPCG(seed, stream))
	a := make([]float64, n*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	if symmetric {
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				a[i*n+j] = a[j*n+i]
			}
		}
	}
	return a
}

// eigDgeev returns the eigenvalues of the n x n matrix a (not modified) by
// gonum's Dgeev without eigenvectors.
func eigDgeev(t testing.TB, a []float64, n int) (wr, wi []float64) {
	var impl gonum.Implementation
	ac := append([]float64(nil), a...)
	wr, wi = make([]float64, n), make([]float64, n)
	var q [1]float64
	impl.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, ac, max(1, n), wr, wi, nil, 1, nil, 1, q[:], -1)
	work := make([]float64, int(q[0]))
	if first := impl.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, ac, max(1, n), wr, wi, nil, 1, nil, 1, work, len(work)); first != 0 {
		t.Fatalf("Dgeev did not converge (first = %d)", first)
	}
	return wr, wi
}

// eigCompute runs Eigvals on a copy of a and checks that it converged and
// that complex pairs are stored as LAPACK stores them.
func eigCompute(t *testing.T, e *Eigvals, a []float64, n int) (wr, wi []float64) {
	t.Helper()
	ac := append([]float64(nil), a...)
	wr, wi = make([]float64, n), make([]float64, n)
	if !e.Compute(ac, max(1, n), wr, wi) {
		t.Fatalf("n=%d: Compute did not converge", n)
	}
	for i := 0; i < n; i++ {
		if wi[i] == 0 {
			continue
		}
		if wi[i] < 0 || i+1 == n || wr[i+1] != wr[i] || wi[i+1] != -wi[i] {
			t.Fatalf("n=%d: eigenvalue %d (%g%+gi) is not the first of a conjugate pair with positive imaginary part", n, i, wr[i], wi[i])
		}
		i++
	}
	return wr, wi
}

// eigMatch pairs each of got with the nearest unused of want and returns
// the largest distance.
func eigMatch(got, want []complex128) float64 {
	used := make([]bool, len(want))
	var worst float64
	for _, g := range got {
		best, bj := math.Inf(1), -1
		for j, w := range want {
			if d := cmplx.Abs(g - w); !used[j] && d < best {
				best, bj = d, j
			}
		}
		used[bj] = true
		worst = math.Max(worst, best)
	}
	return worst
}

func eigComplex(wr, wi []float64) []complex128 {
	z := make([]complex128, len(wr))
	for i := range z {
		z[i] = complex(wr[i], wi[i])
	}
	return z
}

func eigFrob(a []float64) float64 {
	var s float64
	for _, v := range a {
		s = math.Hypot(s, v)
	}
	return s
}

// eigCheck compares Eigvals on a with Dgeev and with mat.Eigen, within tol
// relative to the Frobenius norm of a. It returns our eigenvalues and
// whether they are bitwise those of Dgeev (in the same order).
func eigCheck(t *testing.T, name string, a []float64, n int, tol float64) (got []complex128, identical bool) {
	t.Helper()
	wr, wi := eigCompute(t, NewEigvals(n), a, n)
	got = eigComplex(wr, wi)
	rwr, rwi := eigDgeev(t, a, n)
	norm := eigFrob(a)
	if d := eigMatch(got, eigComplex(rwr, rwi)); !(d <= tol*norm) {
		t.Errorf("%s: n=%d: |Eigvals - Dgeev| = %.3g > %.3g * ||A|| (%.3g)", name, n, d, tol, norm)
	}
	identical = true
	for i := range wr {
		if wr[i] != rwr[i] || wi[i] != rwi[i] {
			identical = false
		}
	}

	var eig mat.Eigen
	if n > 0 {
		if !eig.Factorize(mat.NewDense(n, n, append([]float64(nil), a...)), mat.EigenNone) {
			t.Fatalf("%s: n=%d: mat.Eigen failed", name, n)
		}
		if d := eigMatch(got, eig.Values(nil)); !(d <= tol*norm) {
			t.Errorf("%s: n=%d: |Eigvals - mat.Eigen| = %.3g > %.3g * ||A||", name, n, d, tol)
		}
	}
	return got, identical
}

func TestEigvalsMatchesDgeev(t *testing.T) {
	const tol = 1e-13
	var total, same, complexCount int
	for _, n := range []int{1, 2, 3, 4, 5, 10, 17, 40, 100} {
		for seed := uint64(1); seed <= 4; seed++ {
			for _, sym := range []bool{false, true} {
				a := eigRandMat(n, seed, uint64(n), sym)
				got, identical := eigCheck(t, "random", a, n, tol)
				total++
				if identical {
					same++
				}
				for _, z := range got {
					if imag(z) != 0 {
						complexCount++
						if sym {
							t.Errorf("symmetric n=%d: complex eigenvalue %v", n, z)
						}
					}
				}
			}
		}
	}
	if complexCount == 0 {
		t.Error("no random matrix had complex eigenvalues")
	}
	t.Logf("%d of %d random matrices: eigenvalues bitwise identical to Dgeev's", same, total)
	if runtime.GOARCH == "amd64" && same != total {
		// Same operations in the same order, and Go does not fuse
		// multiply-adds on amd64.
		t.Errorf("on amd64 expected all results bitwise identical to Dgeev, got %d of %d", same, total)
	}
}

// eigWant checks got against known eigenvalues want.
func eigWant(t *testing.T, name string, got, want []complex128, tol float64) {
	t.Helper()
	if d := eigMatch(got, want); !(d <= tol) {
		t.Errorf("%s: eigenvalues %v, want %v (distance %.3g > %.3g)", name, got, want, d, tol)
	}
}

func TestEigvalsSpecial(t *testing.T) {
	const tol = 1e-13

	// Zero matrix (and the empty one).
	for _, n := range []int{0, 1, 3, 10} {
		got, _ := eigCheck(t, "zero", make([]float64, n*n), n, tol)
		eigWant(t, "zero", got, make([]complex128, n), 0)
	}

	// Rotation by 90 degrees: eigenvalues +i, -i in this order.
	{
		wr, wi := eigCompute(t, NewEigvals(2), []float64{0, -1, 1, 0}, 2)
		if wr[0] != 0 || wr[1] != 0 || wi[0] != 1 || wi[1] != -1 {
			t.Errorf("rotation: got %v %v, want [0 0] [1 -1]", wr, wi)
		}
		eigCheck(t, "rotation", []float64{0, -1, 1, 0}, 2, tol)
	}

	// Diagonal, with a repeated entry: balancing isolates every
	// eigenvalue, so they come back exactly.
	{
		d := []float64{3, -1, 0.5, 3, 7, -2.25}
		n := len(d)
		a := make([]float64, n*n)
		want := make([]complex128, n)
		for i, v := range d {
			a[i*n+i] = v
			want[i] = complex(v, 0)
		}
		got, _ := eigCheck(t, "diagonal", a, n, tol)
		eigWant(t, "diagonal", got, want, 0)
	}

	// Upper triangular, including a defective double eigenvalue
	// (a Jordan block): the diagonal, exactly after permutation.
	{
		rng := rand.New(rand.NewPCG(7, 1))
		d := []float64{2, 2, -3, 0.125, 5, -1, 4}
		n := len(d)
		a := make([]float64, n*n)
		want := make([]complex128, n)
		for i := 0; i < n; i++ {
			a[i*n+i] = d[i]
			want[i] = complex(d[i], 0)
			for j := i + 1; j < n; j++ {
				a[i*n+j] = rng.NormFloat64()
			}
		}
		got, _ := eigCheck(t, "triangular", a, n, tol)
		eigWant(t, "triangular", got, want, 0)
	}

	// Exactly repeated eigenvalues in a full matrix: Q B Qᵀ with Q
	// orthogonal (from a QR factorisation) and B block diagonal, so that
	// the matrix is normal and its eigenvalues well conditioned.
	{
		const n = 8
		rng := rand.New(rand.NewPCG(11, 2))
		g := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q mat.Dense
		qr.QTo(&q)
		// Eigenvalues 2 (four times), -1 (twice) and 1±3i.
		blk := mat.NewDense(n, n, nil)
		for i, v := range []float64{2, 2, 2, -1, -1} {
			blk.Set(i, i, v)
		}
		blk.Set(5, 5, 1)
		blk.Set(5, 6, -3)
		blk.Set(6, 5, 3)
		blk.Set(6, 6, 1)
		blk.Set(7, 7, 2)
		var tmp, m mat.Dense
		tmp.Mul(&q, blk)
		m.Mul(&tmp, q.T())
		a := append([]float64(nil), m.RawMatrix().Data...)
		want := []complex128{2, 2, 2, 2, -1, -1, 1 + 3i, 1 - 3i}
		got, _ := eigCheck(t, "repeated", a, n, tol)
		eigWant(t, "repeated", got, want, 100*eigFrob(a)*eigDlamchE)
	}

	// Badly scaled: B = D A D⁻¹ with D = diag(1e8, ..., 1e-8, ...) has the
	// eigenvalues of A, but entries from 1e-16 to 1e16 times A's; balancing
	// brings it back.
	{
		const n = 10
		a := eigRandMat(n, 5, 3, false)
		d := make([]float64, n)
		for i := range d {
			d[i] = 1e8
			if i%2 == 1 {
				d[i] = 1e-8
			}
		}
		b := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				b[i*n+j] = d[i] * a[i*n+j] / d[j]
			}
		}
		wantWr, wantWi := eigDgeev(t, a, n)
		want := eigComplex(wantWr, wantWi)
		got, _ := eigCheck(t, "badly scaled", b, n, tol)
		eigWant(t, "badly scaled vs unscaled A", got, want, 1e-12*eigFrob(a))

		// Without balancing (Dgehrd + Dhseqr alone) the same matrix loses
		// everything: logged to show that balancing matters here.
		var impl gonum.Implementation
		bc := append([]float64(nil), b...)
		work := make([]float64, 64*n+65*64)
		impl.Dgehrd(n, 0, n-1, bc, n, make([]float64, n-1), work, len(work))
		wr, wi := make([]float64, n), make([]float64, n)
		impl.Dhseqr(lapack.EigenvaluesOnly, lapack.SchurNone, n, 0, n-1, bc, n, wr, wi, nil, 1, work, len(work))
		t.Logf("badly scaled: error with balancing %.3g, without %.3g (||A|| = %.3g)",
			eigMatch(got, want), eigMatch(eigComplex(wr, wi), want), eigFrob(a))
	}

	// Entries outside [2^-459, 2^459]: Dgeev's scaling path.
	for _, s := range []float64{1e-200, 1e200} {
		const n = 6
		a := eigRandMat(n, 9, 9, false)
		wr0, wi0 := eigDgeev(t, a, n)
		for i := range a {
			a[i] *= s
		}
		got, _ := eigCheck(t, "extreme scale", a, n, tol)
		want := eigComplex(wr0, wi0)
		for i := range want {
			want[i] *= complex(s, 0)
		}
		eigWant(t, "extreme scale", got, want, 1e-13*eigFrob(a))
	}

	// Non-finite input.
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		a := eigRandMat(4, 1, 1, false)
		a[5] = v
		if NewEigvals(4).Compute(a, 4, make([]float64, 4), make([]float64, 4)) {
			t.Errorf("Compute accepted a matrix containing %v", v)
		}
	}
}

// TestEigvalsStride checks lda > n and reuse of one workspace.
func TestEigvalsStride(t *testing.T) {
	const n, lda = 7, 11
	e := NewEigvals(n)
	for seed := uint64(1); seed <= 3; seed++ {
		a := eigRandMat(n, seed, 77, false)
		wantWr, wantWi := eigDgeev(t, a, n)
		p := make([]float64, (n-1)*lda+n)
		for i := range p {
			p[i] = math.NaN() // padding must not be read
		}
		for i := 0; i < n; i++ {
			copy(p[i*lda:i*lda+n], a[i*n:i*n+n])
		}
		wr, wi := make([]float64, n), make([]float64, n)
		if !e.Compute(p, lda, wr, wi) {
			t.Fatal("Compute failed")
		}
		eigWant(t, "stride", eigComplex(wr, wi), eigComplex(wantWr, wantWi), 1e-13*eigFrob(a))
	}
}

// TestEigvalsFallback forces the double-shift QR iteration to give up and
// checks the Dlaqr04 retry, for a padded (n < 49) and a direct (n >= 49)
// matrix, when nothing has converged and when a trailing block has.
func TestEigvalsFallback(t *testing.T) {
	for _, n := range []int{10, 60} {
		for _, split := range []bool{false, true} {
			a := eigRandMat(n, 3, 5, false)
			if split {
				// Block upper triangular with a trailing 2 x 2 block
				// (eigenvalues 1±3i): Dgebal does not permute it and
				// Dgehrd keeps H[n-2,n-3] exactly zero, so eigLahqr
				// deflates that block before giving up.
				for j := 0; j < n-2; j++ {
					a[(n-2)*n+j] = 0
					a[(n-1)*n+j] = 0
				}
				a[(n-2)*n+n-2], a[(n-2)*n+n-1] = 1, -3
				a[(n-1)*n+n-2], a[(n-1)*n+n-1] = 3, 1
			}
			e := NewEigvals(n)
			e.itsPerEig = 0 // one QR sweep per deflation

			// eigLahqr alone gives up.
			h := append([]float64(nil), a...)
			var impl gonum.Implementation
			ilo, ihi := impl.Dgebal(lapack.PermuteScale, n, h, n, e.work[:n])
			impl.Dgehrd(n, ilo, ihi, h, n, e.work[n:2*n-1], e.work[2*n:], len(e.work)-2*n)
			wr, wi := make([]float64, n), make([]float64, n)
			unconverged := eigLahqr(ilo, ihi, h, n, wr[:ihi+1], wi[:ihi+1], e.itsPerEig)
			want := ihi + 1
			if split {
				want = n - 2
			}
			if unconverged != want {
				t.Fatalf("n=%d split=%t: eigLahqr returned %d, want %d", n, split, unconverged, want)
			}

			// Compute recovers through Dlaqr04.
			wr, wi = eigCompute(t, e, a, n)
			wantWr, wantWi := eigDgeev(t, a, n)
			eigWant(t, "fallback", eigComplex(wr, wi), eigComplex(wantWr, wantWi), 1e-13*eigFrob(a))
			if split && math.Hypot(wr[n-2]-1, wi[n-2]-3) > 1e-14 {
				t.Errorf("n=%d: trailing block eigenvalue %g%+gi, want 1+3i", n, wr[n-2], wi[n-2])
			}
		}
	}
}

// TestEigvalsLarfg compares the inlined Householder generation with gonum's
// Dlarfg, including the rescaling loop for tiny beta.
func TestEigvalsLarfg(t *testing.T) {
	var impl gonum.Implementation
	rng := rand.New(rand.NewPCG(13, 13))
	rescaled := 0 // trials that go through Dlarfg's rescaling loop
	for trial := 0; trial < 300; trial++ {
		nr := 2 + trial%2
		s := math.Pow(10, float64(rng.IntN(620)-320)) // 1e-320 (subnormal) to 1e299
		alpha, x1, x2 := s*rng.NormFloat64(), s*rng.NormFloat64(), s*rng.NormFloat64()
		switch trial % 7 {
		case 3:
			x1 = 0
		case 5:
			x1, x2 = 0, 0
		case 6:
			alpha = 0
		}
		if nb := math.Hypot(alpha, math.Hypot(x1, x2)); nb > 0 && nb < eigDlamchS/eigDlamchE && (x1 != 0 || x2 != 0 && nr == 3) {
			rescaled++
		}
		x := []float64{x1, x2}
		wantBeta, wantTau := impl.Dlarfg(nr, alpha, x, 1)
		beta, tau, v1, v2 := eigLarfg(nr, alpha, x1, x2)
		got := []float64{beta, tau, v1, v2}
		want := []float64{wantBeta, wantTau, x[0], x[1]}
		for k := range got {
			if got[k] != want[k] && !(runtime.GOARCH != "amd64" && math.Abs(got[k]-want[k]) <= 1e-14*math.Abs(want[k])) {
				t.Fatalf("nr=%d alpha=%g x=(%g,%g): got (beta,tau,v1,v2) = %v, Dlarfg %v", nr, alpha, x1, x2, got, want)
			}
		}
	}
	if rescaled < 5 {
		t.Errorf("only %d trials exercised the rescaling loop", rescaled)
	}
	t.Logf("%d of 300 trials exercised the rescaling loop", rescaled)
}

func TestEigvalsAllocs(t *testing.T) {
	for _, tc := range []struct {
		n     int
		scale float64
	}{{10, 1}, {30, 1}, {10, 1e-200}, {75, 1}} {
		n := tc.n
		a := eigRandMat(n, 21, 1, false)
		for i := range a {
			a[i] *= tc.scale
		}
		ac := make([]float64, n*n)
		wr, wi := make([]float64, n), make([]float64, n)
		e := NewEigvals(n)
		allocs := testing.AllocsPerRun(20, func() {
			copy(ac, a)
			if !e.Compute(ac, n, wr, wi) {
				t.Fatal("Compute failed")
			}
		})
		if allocs != 0 {
			t.Errorf("n=%d scale=%g: %v allocations per Compute, want 0", n, tc.scale, allocs)
		}
	}
}

func BenchmarkEigvals10(b *testing.B) {
	const n = 10
	a := eigRandMat(n, 1, 2, false)
	ac := make([]float64, n*n)
	wr, wi := make([]float64, n), make([]float64, n)
	e := NewEigvals(n)
	b.ReportAllocs()
	for b.Loop() {
		copy(ac, a)
		e.Compute(ac, n, wr, wi)
	}
}

func BenchmarkDgeev10(b *testing.B) {
	const n = 10
	var impl gonum.Implementation
	a := eigRandMat(n, 1, 2, false)
	ac := make([]float64, n*n)
	wr, wi := make([]float64, n), make([]float64, n)
	var q [1]float64
	impl.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, ac, n, wr, wi, nil, 1, nil, 1, q[:], -1)
	work := make([]float64, int(q[0]))
	b.ReportAllocs()
	for b.Loop() {
		copy(ac, a)
		impl.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, ac, n, wr, wi, nil, 1, nil, 1, work, len(work))
	}
}
