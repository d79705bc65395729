package linalg

import (
	"encoding/json"
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// lyapCase is a "kind":"lyapunov" case of testdata/reference/vectors.json.
type lyapCase struct {
	Name string      `json:"name"`
	A    [][]float64 `json:"A"`
	Q    [][]float64 `json:"Q"`
	Want [][]float64 `json:"want"`
	Tol  float64     `json:"tol"`
}

func loadLyapCases(t *testing.T) []lyapCase {
	t.Helper()
	raw, err := os.ReadFile("../testdata/reference/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var cases []lyapCase
	for _, m := range file.Cases {
		var kind struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(m, &kind); err != nil {
			t.Fatal(err)
		}
		if kind.Kind != "lyapunov" {
			continue
		}
		var c lyapCase
		if err := json.Unmarshal(m, &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

func lyapDenseRows(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// lyapMaxAbsDiff returns max|a-b| and max|b|.
func lyapMaxAbsDiff(a, b mat.Matrix) (diff, scale float64) {
	r, c := b.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			diff = max(diff, math.Abs(a.At(i, j)-b.At(i, j)))
			scale = max(scale, math.Abs(b.At(i, j)))
		}
	}
	return diff, scale
}

// lyapRefPass applies the reference-vector rule max|got-want| <= tol*max(1, max|want|).
func lyapRefPass(got, want mat.Matrix, tol float64) (bool, float64) {
	d, s := lyapMaxAbsDiff(got, want)
	return d <= tol*max(1, s), d / max(1, s)
}

func TestLyapunovReference(t *testing.T) {
	cases := loadLyapCases(t)
	if len(cases) != 13 {
		t.Fatalf("found %d lyapunov cases, want 13", len(cases))
	}
	for _, c := range cases {
		a, q, want := lyapDenseRows(c.A), lyapDenseRows(c.Q), lyapDenseRows(c.Want)
		n, _ := a.Dims()
		l := NewLyapunov(n)

		var x mat.Dense
		if err := l.SolveTo(&x, a, q); err != nil {
			t.Errorf("%s: SolveTo: %v", c.Name, err)
			continue
		}
		if ok, rel := lyapRefPass(&x, want, c.Tol); !ok {
			t.Errorf("%s: SolveTo off by %.3g (relative), tol %g", c.Name, rel, c.Tol)
		}

		var x2 mat.Dense
		if err := LyapunovTo(&x2, a, q); err != nil {
			t.Errorf("%s: LyapunovTo: %v", c.Name, err)
		} else if ok, rel := lyapRefPass(&x2, want, c.Tol); !ok {
			t.Errorf("%s: LyapunovTo off by %.3g (relative), tol %g", c.Name, rel, c.Tol)
		}

		// SolvePairTo: its X is SolveTo's, its Y is SolveTo on aᵀ.
		var px, py, yt mat.Dense
		if err := l.SolvePairTo(&px, &py, a, q); err != nil {
			t.Errorf("%s: SolvePairTo: %v", c.Name, err)
			continue
		}
		if !mat.Equal(&px, &x) {
			t.Errorf("%s: SolvePairTo x differs from SolveTo", c.Name)
		}
		if err := l.SolveTo(&yt, mat.DenseCopyOf(a.T()), q); err != nil {
			t.Errorf("%s: SolveTo(aᵀ): %v", c.Name, err)
			continue
		}
		if ok, rel := lyapRefPass(&py, &yt, 1e-12); !ok {
			t.Errorf("%s: SolvePairTo y differs from SolveTo(aᵀ) by %.3g (relative)", c.Name, rel)
		}
	}
}

// lyapRandStable returns a random n×n matrix with all eigenvalues in the open
// left half plane; most of them are complex for n >= 3.
func lyapRandStable(rng *rand.Rand, n int) *mat.Dense {
	a := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a.Set(i, j, rng.NormFloat64()/math.Sqrt(float64(n)))
		}
		a.Set(i, i, a.At(i, i)-2)
	}
	return a
}

func lyapRandDense(rng *rand.Rand, r, c int, lo, hi float64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, lo+(hi-lo)*rng.Float64())
		}
	}
	return m
}

// lyapRandQ returns a non-symmetric (kind 0), symmetric (kind 1) or scaled
// identity (kind 2) right-hand side: SolveTo forms Uᵀ q U differently for each.
func lyapRandQ(rng *rand.Rand, n, kind int) *mat.Dense {
	q := lyapRandDense(rng, n, n, -1, 1)
	switch kind {
	case 1:
		var s mat.Dense
		s.Add(q, q.T())
		return &s
	case 2:
		q.Zero()
		for i := 0; i < n; i++ {
			q.Set(i, i, 2)
		}
	}
	return q
}

// TestLyapunovStructured covers the DGEES paths that random dense matrices
// miss: permutations by DGEBAL (triangular and reducible a) and the scaling
// of a matrix whose largest entry is tiny or huge.
func TestLyapunovStructured(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	const n = 9
	base := lyapRandStable(rng, n)
	upper := mat.NewDense(n, n, nil)
	lower := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j >= i {
				upper.Set(i, j, base.At(i, j))
			}
			if j <= i {
				lower.Set(i, j, base.At(i, j))
			}
		}
	}
	// Rows 2 and 6 and column 4 hold only their diagonal entries.
	reducible := mat.DenseCopyOf(base)
	for j := 0; j < n; j++ {
		if j != 2 {
			reducible.Set(2, j, 0)
		}
		if j != 6 {
			reducible.Set(6, j, 0)
		}
		if j != 4 {
			reducible.Set(j, 4, 0)
		}
	}
	var tiny, huge mat.Dense
	tiny.Scale(1e-150, base)
	huge.Scale(1e150, base)
	for _, c := range []struct {
		name string
		a    *mat.Dense
	}{{"upper", upper}, {"lower", lower}, {"reducible", reducible}, {"tiny", &tiny}, {"huge", &huge}} {
		for kind := 0; kind < 3; kind++ {
			q := lyapRandQ(rng, n, kind)
			var x, px, py mat.Dense
			l := NewLyapunov(n)
			if err := l.SolveTo(&x, c.a, q); err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if res := lyapResidual(c.a, &x, q); res > 1e-14*n {
				t.Errorf("%s q kind %d: residual %.3g", c.name, kind, res)
			}
			if err := l.SolvePairTo(&px, &py, c.a, q); err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if res := lyapResidual(c.a.T(), &py, q); res > 1e-14*n {
				t.Errorf("%s q kind %d: SolvePairTo y residual %.3g", c.name, kind, res)
			}
		}
	}
}

// lyapResidual returns ||a x + x aᵀ − q||_F / (||a||_F ||x||_F).
func lyapResidual(a, x, q mat.Matrix) float64 {
	var r, xat mat.Dense
	r.Mul(a, x)
	xat.Mul(x, a.T())
	r.Add(&r, &xat)
	r.Sub(&r, q)
	return mat.Norm(&r, 2) / (mat.Norm(a, 2) * mat.Norm(x, 2))
}

// lyapSchurBlocks2 returns the number of 2×2 diagonal blocks of l's Schur form.
func lyapSchurBlocks2(l *Lyapunov) int {
	n, k := l.n, 0
	for i := 1; i < n; i++ {
		if l.h[i*n+i-1] != 0 {
			k++
		}
	}
	return k
}

func TestLyapunovResidual(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 3, 7, 50, 130} {
		blocks := 0
		for trial := 0; trial < 6; trial++ {
			a := lyapRandStable(rng, n)
			if n == 2 && trial == 0 {
				a = mat.NewDense(2, 2, []float64{-1, 2, -1.5, -0.8}) // eigenvalues -0.9 ± 1.73i
			}
			q := lyapRandQ(rng, n, trial%3)
			l := NewLyapunov(n)
			var x mat.Dense
			if err := l.SolveTo(&x, a, q); err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			blocks += lyapSchurBlocks2(l)
			tol := 1e-14 * float64(n+4)
			if res := lyapResidual(a, &x, q); res > tol {
				t.Errorf("n=%d trial %d: residual %.3g > %.3g", n, trial, res, tol)
			}

			var px, py, y mat.Dense
			if err := l.SolvePairTo(&px, &py, a, q); err != nil {
				t.Fatalf("n=%d: SolvePairTo: %v", n, err)
			}
			if res := lyapResidual(a.T(), &py, q); res > tol {
				t.Errorf("n=%d trial %d: SolvePairTo y residual %.3g > %.3g", n, trial, res, tol)
			}
			if !mat.Equal(&px, &x) {
				t.Errorf("n=%d trial %d: SolvePairTo x differs from SolveTo", n, trial)
			}
			if err := l.SolveTo(&y, mat.DenseCopyOf(a.T()), q); err != nil {
				t.Fatal(err)
			}
			if d, s := lyapMaxAbsDiff(&py, &y); d > 1e-12*s {
				t.Errorf("n=%d trial %d: SolvePairTo y differs from SolveTo(aᵀ) by %.3g (relative)", n, trial, d/s)
			}
		}
		if n >= 2 && blocks == 0 {
			t.Errorf("n=%d: no 2×2 Schur block in any trial: the test does not cover them", n)
		}
	}
}

// TestLyapunovKronecker checks small solutions against the dense linear
// system (I⊗A + A⊗I) vec(X) = vec(Q) (row-major vec).
func TestLyapunovKronecker(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, n := range []int{1, 2, 3, 4, 7} {
		a := lyapRandStable(rng, n)
		q := lyapRandDense(rng, n, n, -1, 1)
		k := mat.NewDense(n*n, n*n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				// (A X + X Aᵀ)[i,j] = Σ_m A[i,m] X[m,j] + Σ_m X[i,m] A[j,m]
				for m := 0; m < n; m++ {
					k.Set(i*n+j, m*n+j, k.At(i*n+j, m*n+j)+a.At(i, m))
					k.Set(i*n+j, i*n+m, k.At(i*n+j, i*n+m)+a.At(j, m))
				}
			}
		}
		var v mat.VecDense
		if err := v.SolveVec(k, mat.NewVecDense(n*n, mat.DenseCopyOf(q).RawMatrix().Data)); err != nil {
			t.Fatal(err)
		}
		want := mat.NewDense(n, n, v.RawVector().Data)
		var x mat.Dense
		if err := LyapunovTo(&x, a, q); err != nil {
			t.Fatal(err)
		}
		if d, s := lyapMaxAbsDiff(&x, want); d > 1e-13*s {
			t.Errorf("n=%d: differs from Kronecker solution by %.3g (relative)", n, d/s)
		}
	}
}

// trsylNTRef is a literal transcription of LAPACK's DTRSYL for TRANA='N',
// TRANB='T', ISGN=+1, A = B = r (row-major n×n): column by column from the
// right, row block by row block from the bottom, the DDOTs as strided loops
// and the rescaling applied to all of C at once. It overwrites c with Y.
func trsylNTRef(n int, r, c []float64) (scale float64, info int) {
	A := func(i, j int) float64 { return r[(i-1)*n+j-1] } // 1-based, as in Fortran
	C := func(i, j int) *float64 { return &c[(i-1)*n+j-1] }
	// SUML: DDOT(M-K2, A(KR, K2+1), LDA, C(K2+1, LC), 1).
	suml := func(kr, k2, lc int) float64 {
		s := 0.0
		for i := k2 + 1; i <= n; i++ {
			s += A(kr, i) * *C(i, lc)
		}
		return s
	}
	// SUMR: DDOT(N-L2, C(KR, L2+1), LDC, B(LB, L2+1), LDB).
	sumr := func(kr, l2, lb int) float64 {
		s := 0.0
		for j := l2 + 1; j <= n; j++ {
			s += *C(kr, j) * A(lb, j)
		}
		return s
	}
	dscal := func(s float64) {
		for i := range c {
			c[i] *= s
		}
	}
	eps := 0x1p-52
	smlnum := 0x1p-1022 * float64(n*n) / eps
	bignum := 1 / smlnum
	amax := 0.0
	for _, v := range r {
		amax = max(amax, math.Abs(v))
	}
	smin := max(smlnum, eps*amax, eps*amax)
	scale = 1
	var vec, x [4]float64
	var lp gonum.Implementation

	lnext := n
	for L := n; L >= 1; L-- {
		if L > lnext {
			continue
		}
		var l1, l2 int
		if L == 1 {
			l1, l2 = L, L
		} else if A(L, L-1) != 0 {
			l1, l2, lnext = L-1, L, L-2
		} else {
			l1, l2, lnext = L, L, L-1
		}
		knext := n
		for K := n; K >= 1; K-- {
			if K > knext {
				continue
			}
			var k1, k2 int
			if K == 1 {
				k1, k2 = K, K
			} else if A(K, K-1) != 0 {
				k1, k2, knext = K-1, K, K-2
			} else {
				k1, k2, knext = K, K, K-1
			}
			switch {
			case l1 == l2 && k1 == k2:
				v := *C(k1, l1) - (suml(k1, k1, l1) + sumr(k1, l1, l1))
				scaloc := 1.0
				a11 := A(k1, k1) + A(l1, l1)
				da11 := math.Abs(a11)
				if da11 <= smin {
					a11, da11, info = smin, smin, 1
				}
				db := math.Abs(v)
				if da11 < 1 && db > 1 && db > bignum*da11 {
					scaloc = 1 / db
				}
				x[0] = (v * scaloc) / a11
				if scaloc != 1 {
					dscal(scaloc)
					scale *= scaloc
				}
				*C(k1, l1) = x[0]
			case l1 == l2 && k1 != k2:
				vec[0] = *C(k1, l1) - (suml(k1, k2, l1) + sumr(k1, l1, l1))
				vec[1] = *C(k2, l1) - (suml(k2, k2, l1) + sumr(k2, l1, l1))
				scaloc, _, ok := lp.Dlaln2(false, 2, 1, smin, 1, r[(k1-1)*n+k1-1:], n, 1, 1, vec[:2], 1, -A(l1, l1), 0, x[:2], 1)
				if !ok {
					info = 1
				}
				if scaloc != 1 {
					dscal(scaloc)
					scale *= scaloc
				}
				*C(k1, l1), *C(k2, l1) = x[0], x[1]
			case l1 != l2 && k1 == k2:
				vec[0] = *C(k1, l1) - (suml(k1, k1, l1) + sumr(k1, l2, l1))
				vec[1] = *C(k1, l2) - (suml(k1, k1, l2) + sumr(k1, l2, l2))
				scaloc, _, ok := lp.Dlaln2(false, 2, 1, smin, 1, r[(l1-1)*n+l1-1:], n, 1, 1, vec[:2], 1, -A(k1, k1), 0, x[:2], 1)
				if !ok {
					info = 1
				}
				if scaloc != 1 {
					dscal(scaloc)
					scale *= scaloc
				}
				*C(k1, l1), *C(k1, l2) = x[0], x[1]
			default:
				vec[0] = *C(k1, l1) - (suml(k1, k2, l1) + sumr(k1, l2, l1))
				vec[1] = *C(k1, l2) - (suml(k1, k2, l2) + sumr(k1, l2, l2))
				vec[2] = *C(k2, l1) - (suml(k2, k2, l1) + sumr(k2, l2, l1))
				vec[3] = *C(k2, l2) - (suml(k2, k2, l2) + sumr(k2, l2, l2))
				scaloc, _, ok := lp.Dlasy2(false, true, 1, 2, 2, r[(k1-1)*n+k1-1:], n, r[(l1-1)*n+l1-1:], n, vec[:], 2, x[:], 2)
				if !ok {
					info = 1
				}
				if scaloc != 1 {
					dscal(scaloc)
					scale *= scaloc
				}
				*C(k1, l1), *C(k1, l2), *C(k2, l1), *C(k2, l2) = x[0], x[1], x[2], x[3]
			}
		}
	}
	return scale, info
}

// lyapRandQuasiTri returns an n×n upper quasi-triangular matrix in Schur
// canonical form with 2×2 blocks at random places (about 40% of the
// eigenvalues complex) and the given range of real parts.
func lyapRandQuasiTri(rng *rand.Rand, n int, reLo, reHi float64) []float64 {
	r := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			r[i*n+j] = rng.NormFloat64() / math.Sqrt(float64(n))
		}
	}
	for i := 0; i < n; {
		re := reLo + (reHi-reLo)*rng.Float64()
		if i+1 < n && rng.Float64() < 0.4 {
			b := 0.2 + rng.Float64()
			c := -(0.2 + rng.Float64())
			r[i*n+i], r[i*n+i+1], r[(i+1)*n+i], r[(i+1)*n+i+1] = re, b, c, re
			i += 2
		} else {
			r[i*n+i] = re
			i++
		}
	}
	return r
}

// TestTrsylNTAgainstLiteral checks the panelled DTRSYL against the literal
// transcription, on sizes around the panel width so that 2×2 blocks straddle
// panel boundaries, including singular diagonal sums that DTRSYL perturbs.
func TestTrsylNTAgainstLiteral(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, n := range []int{1, 2, 3, 4, 5, 17, 63, 64, 65, 66, 67, 129, 130, 131, 200} {
		for _, singular := range []bool{false, true} {
			for trial := 0; trial < 3; trial++ {
				r := lyapRandQuasiTri(rng, n, -2, -0.5)
				if singular {
					// One real eigenvalue 0 and, if there is room, a 2×2
					// block with eigenvalues ±iω: λi+λj = 0 for both.
					k := rng.IntN(n)
					if k > 0 && r[k*n+k-1] != 0 {
						k--
					}
					if k+1 < n && r[(k+1)*n+k] != 0 {
						r[k*n+k], r[(k+1)*n+k+1] = 0, 0
					} else {
						r[k*n+k] = 0
					}
				}
				c := make([]float64, n*n)
				for i := range c {
					c[i] = rng.Float64()*2 - 1
				}
				want := append([]float64(nil), c...)
				wantScale, wantInfo := trsylNTRef(n, r, want)

				yt := make([]float64, n*n)
				sacc := make([]float64, n*n)
				xp := make([]float64, n*lyapPanelStride)
				for i := range yt {
					yt[i] = math.NaN() // must all be overwritten
				}
				scale, perturbed := trsylNT(n, r, c, yt, sacc, xp)
				if scale != wantScale || perturbed != (wantInfo == 1) {
					t.Errorf("n=%d singular=%v: scale %v perturbed %v, want %v %v", n, singular, scale, perturbed, wantScale, wantInfo)
				}
				if singular && wantInfo != 1 {
					t.Errorf("n=%d: singular case not perturbed", n)
				}
				diff, big := 0.0, 0.0
				for i := 0; i < n; i++ {
					for j := 0; j < n; j++ {
						diff = max(diff, math.Abs(yt[j*n+i]-want[i*n+j]))
						big = max(big, math.Abs(want[i*n+j]))
					}
				}
				if !(diff <= 1e-12*big) {
					t.Errorf("n=%d singular=%v trial %d: max diff %.3g, max |Y| %.3g", n, singular, trial, diff, big)
				}
				if singular && big < 1e10 {
					t.Errorf("n=%d: singular solution not huge: %.3g", n, big)
				}
			}
		}
	}
}

// lyapLoopMatrix returns M = [[-I, B], [W, -alpha I]] for W dy×dx and B dx×dy.
func lyapLoopMatrix(w, b *mat.Dense, alpha float64) *mat.Dense {
	dy, dx := w.Dims()
	n := dx + dy
	m := mat.NewDense(n, n, nil)
	for i := 0; i < dx; i++ {
		m.Set(i, i, -1)
	}
	for i := 0; i < dy; i++ {
		m.Set(dx+i, dx+i, -alpha)
	}
	m.Slice(0, dx, dx, n).(*mat.Dense).Copy(b)
	m.Slice(dx, n, 0, dx).(*mat.Dense).Copy(w)
	return m
}

// TestLyapunovSingular solves with A = M − sI, s the spectral abscissa of
// M, as the stability optimiser does, for a real leading eigenvalue (seed 7)
// and a complex leading pair (seed 2). The solutions must be finite and huge,
// and lie along the leading eigenvectors: for a real eigenvalue with right
// and left eigenvectors v and w, X/||X|| ≈ ±v vᵀ/||v||² for
// a X + X aᵀ = 2I and Y/||Y|| ≈ ±w wᵀ/||w||² for aᵀ Y + Y a = 2I; for a
// pair, where the 2×2 diagonal block of the Sylvester equation has a
// two-dimensional near-null space, X lies in the span of Re(v vᴴ) and
// Im(v vᴴ) (and only there is the direction rounding-dependent).
func TestLyapunovSingular(t *testing.T) {
	for _, c := range []struct {
		seed    uint64
		complex bool
	}{{7, false}, {2, true}} {
		testLyapunovSingular(t, c.seed, c.complex)
	}
}

func testLyapunovSingular(t *testing.T, seed uint64, wantComplex bool) {
	const dx, dy, n = 20, 10, 30
	rng := rand.New(rand.NewPCG(seed, 3))
	w := lyapRandDense(rng, dy, dx, -0.5, 0.5)
	b := lyapRandDense(rng, dx, dy, -0.5, 0.5)
	m := lyapLoopMatrix(w, b, 0)

	var eig mat.Eigen
	if !eig.Factorize(m, mat.EigenRight|mat.EigenLeft) {
		t.Fatal("eigendecomposition failed")
	}
	vals := eig.Values(nil)
	lead := 0
	for i, v := range vals {
		if real(v) > real(vals[lead]) || real(v) == real(vals[lead]) && imag(v) > imag(vals[lead]) {
			lead = i
		}
	}
	s := real(vals[lead])
	if isComplex := imag(vals[lead]) != 0; isComplex != wantComplex {
		t.Fatalf("seed %d: leading eigenvalue %v, want complex=%v: pick another seed", seed, vals[lead], wantComplex)
	}
	for i, v := range vals {
		if i != lead && v != cmplx.Conj(vals[lead]) && real(v) > s-1e-3 {
			t.Fatalf("seed %d: leading eigenvalue %v is not well separated from %v: pick another seed", seed, vals[lead], v)
		}
	}
	t.Logf("seed %d: leading eigenvalue %v", seed, vals[lead])
	var vr, vl mat.CDense
	eig.VectorsTo(&vr)
	eig.LeftVectorsTo(&vl)
	// basis returns Re(v vᴴ) and, for a pair, Im(v vᴴ), orthonormalised
	// (they are symmetric and antisymmetric, hence already orthogonal).
	basis := func(vecs *mat.CDense) []*mat.Dense {
		re := mat.NewDense(n, n, nil)
		im := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				p := vecs.At(i, lead) * cmplx.Conj(vecs.At(j, lead))
				re.Set(i, j, real(p))
				im.Set(i, j, imag(p))
			}
		}
		re.Scale(1/mat.Norm(re, 2), re)
		if !wantComplex {
			return []*mat.Dense{re}
		}
		im.Scale(1/mat.Norm(im, 2), im)
		return []*mat.Dense{re, im}
	}
	// offSpan returns the norm of the part of x/||x|| outside span(basis).
	offSpan := func(x *mat.Dense, basis []*mat.Dense) float64 {
		var r mat.Dense
		r.Scale(1/mat.Norm(x, 2), x)
		for _, e := range basis {
			var p mat.Dense
			p.MulElem(&r, e)
			var d mat.Dense
			d.Scale(mat.Sum(&p), e)
			r.Sub(&r, &d)
		}
		return mat.Norm(&r, 2)
	}

	a := mat.NewDense(n, n, nil)
	a.Copy(m)
	for i := 0; i < n; i++ {
		a.Set(i, i, a.At(i, i)-s)
	}
	q := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		q.Set(i, i, 2)
	}

	l := NewLyapunov(n)
	var x, xp, yp, y mat.Dense
	if err := l.SolveTo(&x, a, q); err != nil {
		t.Fatalf("SolveTo: %v", err)
	}
	if err := l.SolvePairTo(&xp, &yp, a, q); err != nil {
		t.Fatalf("SolvePairTo: %v", err)
	}
	if err := l.SolveTo(&y, mat.DenseCopyOf(a.T()), q); err != nil {
		t.Fatalf("SolveTo(aᵀ): %v", err)
	}
	right, left := basis(&vr), basis(&vl)
	for _, c := range []struct {
		name  string
		x     *mat.Dense
		basis []*mat.Dense
	}{
		{"SolveTo", &x, right},
		{"SolvePairTo x", &xp, right},
		{"SolvePairTo y", &yp, left},
		{"SolveTo(aᵀ)", &y, left},
	} {
		if !lyapFinite(c.x) {
			t.Errorf("seed %d: %s: non-finite solution", seed, c.name)
			continue
		}
		norm := mat.Norm(c.x, 2)
		if norm < 1e10 {
			t.Errorf("seed %d: %s: ||X|| = %.3g, want huge", seed, c.name, norm)
		}
		off := offSpan(c.x, c.basis)
		if off > 1e-6 {
			t.Errorf("seed %d: %s: direction off the predicted span by %.3g", seed, c.name, off)
		}
		t.Logf("%s: ||X||_F = %.3g, off the predicted direction by %.2g", c.name, norm, off)
	}
}

func lyapFinite(m mat.Matrix) bool {
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// TestLyapunovAllocs checks that SolveTo and SolvePairTo allocate nothing
// beyond what gonum's QR algorithm does by itself: its Dlahqr heap-allocates
// a [3]float64 per double-shift sweep, so the count is compared with that of
// the bare Schur decomposition on the same input (which is deterministic).
// Inputs needing no QR sweep (triangular a, n <= 2) must allocate nothing.
func TestLyapunovAllocs(t *testing.T) {
	for _, n := range []int{1, 2, 7, 50, 100} {
		rng := rand.New(rand.NewPCG(4, uint64(n)))
		a := lyapRandStable(rng, n)
		q := lyapRandDense(rng, n, n, -1, 1)
		l := NewLyapunov(n)
		x := mat.NewDense(n, n, nil)
		y := mat.NewDense(n, n, nil)

		var lp gonum.Implementation
		h := make([]float64, n*n)
		u := make([]float64, n*n)
		schurOnly := testing.AllocsPerRun(5, func() {
			copy(h, a.RawMatrix().Data)
			ilo, ihi := lp.Dgebal(lapack.Permute, n, h, n, l.bal)
			lp.Dgehrd(n, ilo, ihi, h, n, l.tau, l.work, len(l.work))
			copy(u, h)
			lp.Dorghr(n, ilo, ihi, u, n, l.tau, l.work, len(l.work))
			lp.Dhseqr(lapack.EigenvaluesAndSchur, lapack.SchurOrig, n, ilo, ihi, h, n, l.wr, l.wi, u, n, l.work, len(l.work))
			lp.Dgebak(lapack.Permute, lapack.EVRight, n, ilo, ihi, l.bal, n, u, n)
		})
		if n <= 2 && schurOnly != 0 {
			t.Errorf("n=%d: bare Schur decomposition allocates %v times", n, schurOnly)
		}
		if got := testing.AllocsPerRun(5, func() { _ = l.SolveTo(x, a, q) }); got != schurOnly {
			t.Errorf("n=%d: SolveTo allocates %v times, the Schur decomposition %v", n, got, schurOnly)
		}
		if got := testing.AllocsPerRun(5, func() { _ = l.SolvePairTo(x, y, a, q) }); got != schurOnly {
			t.Errorf("n=%d: SolvePairTo allocates %v times, the Schur decomposition %v", n, got, schurOnly)
		}
		t.Logf("n=%d: %v allocations per solve, all in gonum's Dhseqr", n, schurOnly)

		// Upper triangular a: DGEBAL isolates every eigenvalue, no QR sweep.
		tri := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				tri.Set(i, j, a.At(i, j))
			}
			tri.Set(i, i, -1-float64(i)/float64(n))
		}
		if got := testing.AllocsPerRun(5, func() { _ = l.SolveTo(x, tri, q) }); got != 0 {
			t.Errorf("n=%d: SolveTo on triangular a allocates %v times", n, got)
		}
		if got := testing.AllocsPerRun(5, func() { _ = l.SolvePairTo(x, y, tri, q) }); got != 0 {
			t.Errorf("n=%d: SolvePairTo on triangular a allocates %v times", n, got)
		}
	}
}

func TestLyapunovErrors(t *testing.T) {
	var x mat.Dense
	// a X + X aᵀ = q with X = q/(2a) = -2e308.
	err := LyapunovTo(&x, mat.NewDense(1, 1, []float64{-0.25}), mat.NewDense(1, 1, []float64{1e308}))
	if !errors.Is(err, ErrLyapunovOverflow) {
		t.Errorf("overflowing solution: got %v, want ErrLyapunovOverflow", err)
	}
	// Tiny a: DGEES scales it, DTRSYL rescales its right-hand side.
	err = LyapunovTo(&x, mat.NewDense(1, 1, []float64{-1e-300}), mat.NewDense(1, 1, []float64{1e300}))
	if !errors.Is(err, ErrLyapunovOverflow) {
		t.Errorf("overflowing solution: got %v, want ErrLyapunovOverflow", err)
	}
	// Near overflow but representable: the rescaling is divided out.
	err = LyapunovTo(&x, mat.NewDense(1, 1, []float64{-1}), mat.NewDense(1, 1, []float64{1e308}))
	if err != nil || x.At(0, 0) != -5e307 {
		t.Errorf("large solution: got %v, %v, want -5e307", x.At(0, 0), err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		var x mat.Dense
		a := mat.NewDense(2, 2, []float64{-1, 0, 0, -1})
		q := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
		a.Set(0, 1, bad)
		if err := LyapunovTo(&x, a, q); !errors.Is(err, ErrLyapunovNonFinite) {
			t.Errorf("a with %v: got %v", bad, err)
		}
		a.Set(0, 1, 0)
		q.Set(1, 0, bad)
		if err := LyapunovTo(&x, a, q); !errors.Is(err, ErrLyapunovNonFinite) {
			t.Errorf("q with %v: got %v", bad, err)
		}
	}
}

func TestLyapunovPanics(t *testing.T) {
	l := NewLyapunov(3)
	a3 := mat.NewDense(3, 3, nil)
	a2 := mat.NewDense(2, 2, nil)
	x3 := mat.NewDense(3, 3, nil)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"NewLyapunov(0)", func() { NewLyapunov(0) }},
		{"a shape", func() { _ = l.SolveTo(x3, a2, a3) }},
		{"q shape", func() { _ = l.SolveTo(x3, a3, a2) }},
		{"dst shape", func() { _ = l.SolveTo(a2, a3, a3) }},
		{"pair y shape", func() { _ = l.SolvePairTo(x3, a2, a3, a3) }},
		{"pair same", func() { _ = l.SolvePairTo(x3, x3, a3, a3) }},
		{"LyapunovTo non-square", func() { _ = LyapunovTo(x3, mat.NewDense(3, 2, nil), a3) }},
	} {
		func() {
			defer func() {
				r := recover()
				s, ok := r.(string)
				if !ok || !strings.HasPrefix(s, "linalg: ") {
					t.Errorf("%s: panic %v, want a string starting with \"linalg: \"", c.name, r)
				}
			}()
			c.f()
		}()
	}
}

// TestLyapunovAliasAndViews checks dst aliasing a or q and strided views.
func TestLyapunovAliasAndViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	n := 6
	a := lyapRandStable(rng, n)
	q := lyapRandDense(rng, n, n, -1, 1)
	var want mat.Dense
	if err := LyapunovTo(&want, a, q); err != nil {
		t.Fatal(err)
	}
	l := NewLyapunov(n)

	ac := mat.DenseCopyOf(a)
	if err := l.SolveTo(ac, ac, q); err != nil || !mat.Equal(ac, &want) {
		t.Errorf("dst == a: %v", err)
	}
	qc := mat.DenseCopyOf(q)
	if err := l.SolveTo(qc, a, qc); err != nil || !mat.Equal(qc, &want) {
		t.Errorf("dst == q: %v", err)
	}
	// Views into larger matrices (stride != n).
	big := mat.NewDense(n+3, n+2, nil)
	av := big.Slice(1, n+1, 2, n+2).(*mat.Dense)
	av.Copy(a)
	bigq := mat.NewDense(n+1, n+5, nil)
	qv := bigq.Slice(1, n+1, 0, n).(*mat.Dense)
	qv.Copy(q)
	bigx := mat.NewDense(n+2, n+4, nil)
	xv := bigx.Slice(2, n+2, 1, n+1).(*mat.Dense)
	if err := l.SolveTo(xv, av, qv); err != nil || !mat.Equal(xv, &want) {
		t.Errorf("views: %v", err)
	}
	// mat.Matrix inputs that are not *mat.Dense.
	var x2 mat.Dense
	if err := LyapunovTo(&x2, a.T().T(), q.T().T()); err != nil || !mat.Equal(&x2, &want) {
		t.Errorf("non-Dense inputs: %v", err)
	}
	// Pair into aliases of a and q.
	ac.Copy(a)
	qc.Copy(q)
	var wantY mat.Dense
	if err := l.SolveTo(&wantY, mat.DenseCopyOf(a.T()), q); err != nil {
		t.Fatal(err)
	}
	if err := l.SolvePairTo(ac, qc, ac, qc); err != nil || !mat.Equal(ac, &want) {
		t.Errorf("pair x == a: %v", err)
	} else if d, s := lyapMaxAbsDiff(qc, &wantY); d > 1e-12*s {
		t.Errorf("pair y == q: off by %.3g", d/s)
	}
}

// lyapBenchMatrix is the block matrix of an MNIST-like layer of size n:
// W is 10×(n−10) uniform(-0.01, 0.01), B = −Wᵀ, alpha = 0.01.
func lyapBenchMatrix(n int) *mat.Dense {
	const dy = 10
	dx := n - dy
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	w := lyapRandDense(rng, dy, dx, -0.01, 0.01)
	var b mat.Dense
	b.Scale(-1, w.T())
	return lyapLoopMatrix(w, &b, 0.01)
}

func benchmarkLyapunov(b *testing.B, n int) {
	m := lyapBenchMatrix(n)
	var eig mat.Eigen
	if !eig.Factorize(m, mat.EigenNone) {
		b.Fatal("eigendecomposition failed")
	}
	s := math.Inf(-1)
	for _, v := range eig.Values(nil) {
		s = max(s, real(v))
	}
	shifted := mat.DenseCopyOf(m)
	for i := 0; i < n; i++ {
		shifted.Set(i, i, shifted.At(i, i)-s)
	}
	q := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		q.Set(i, i, 2)
	}
	l := NewLyapunov(n)
	x := mat.NewDense(n, n, nil)
	y := mat.NewDense(n, n, nil)
	for _, c := range []struct {
		name string
		a    *mat.Dense
	}{{"stable", m}, {"singular", shifted}} {
		b.Run("SolveTo/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := l.SolveTo(x, c.a, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("SolvePairTo/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := l.SolvePairTo(x, y, c.a, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLyapunov30(b *testing.B)   { benchmarkLyapunov(b, 30) }
func BenchmarkLyapunov200(b *testing.B)  { benchmarkLyapunov(b, 200) }
func BenchmarkLyapunov1010(b *testing.B) { benchmarkLyapunov(b, 1010) }
