package linalg

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randDense(rng *rand.Rand, r, c int, s float64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, s*(2*rng.Float64()-1))
		}
	}
	return m
}

// relDiff returns max|a-b| / max(1, max|b|).
func relDiff(a, b mat.Matrix) float64 {
	r, c := b.Dims()
	var d, s float64 = 0, 1
	for i := range r {
		for j := range c {
			d = max(d, math.Abs(a.At(i, j)-b.At(i, j)))
			s = max(s, math.Abs(b.At(i, j)))
		}
	}
	return d / s
}

// The fast paths (LU, Gram + refinement) must give the SVD answer to
// rounding on well-conditioned problems of every shape.
func TestLeastSquaresFastPathsMatchSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][3]int{{10, 1000, 1}, {10, 30, 5}, {30, 10, 1}, {784, 500, 3}, {10, 10, 1}, {10, 10, 7}, {5, 3, 2}, {1, 4, 1}, {4, 1, 1}} {
		m, n, nrhs := sh[0], sh[1], sh[2]
		a := randDense(rng, m, n, 0.5)
		b := randDense(rng, m, nrhs, 1)
		fast, slow := mat.NewDense(n, nrhs, nil), mat.NewDense(n, nrhs, nil)
		ls := NewLeastSquares(m, n, nrhs)
		if rank := ls.SolveTo(fast, a, b); rank != min(m, n) {
			t.Errorf("%dx%d: rank %d", m, n, rank)
		}
		ls.forceSVD = true
		ls.SolveTo(slow, a, b)
		if d := relDiff(fast, slow); d > 1e-12 {
			t.Errorf("%dx%d, %d rhs: fast path differs from SVD by %.3g", m, n, nrhs, d)
		}
	}
}

// A direction with a singular value below eps * s_max is treated as zero, as
// gelsd does with rcond=-1; one at 1e-10 * s_max is kept. Either way the fast
// paths must refuse such a problem and the SVD must answer, obeying the
// Moore-Penrose conditions.
func TestLeastSquaresCutoff(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, sh := range [][2]int{{10, 30}, {30, 10}, {10, 10}} {
		for _, tiny := range []float64{1e-20, 1e-10} {
			m, n := sh[0], sh[1]
			a := randDense(rng, m, n, 1)
			if m <= n { // shrink one row: one singular value becomes tiny
				row := a.RawRowView(m - 1)
				for j := range row {
					row[j] *= tiny
				}
			} else {
				for i := range m {
					a.Set(i, n-1, a.At(i, n-1)*tiny)
				}
			}
			wantRank := min(m, n)
			if tiny < eps {
				wantRank--
			}
			ls := NewLeastSquares(m, n, m)
			p := mat.NewDense(n, m, nil)
			ls.PinvTo(p, a)
			var apa, pap, ap, pa mat.Dense
			ap.Mul(a, p)
			pa.Mul(p, a)
			apa.Mul(&ap, a)
			pap.Mul(&pa, p)
			// A+ has entries up to 1/tiny: compare it relative to its own size.
			for name, d := range map[string]float64{
				"A A+ A = A":   relDiff(&apa, a),
				"A+ A A+ = A+": relDiff(&pap, p) / max(1, mat.Norm(p, math.Inf(1))),
				"(A A+)ᵀ=A A+": relDiff(ap.T(), &ap),
				"(A+ A)ᵀ=A+ A": relDiff(pa.T(), &pa),
			} {
				// The error scales with cond(A) eps: about 1e-6 when the
				// 1e-10 direction is kept.
				tol := 1e-9
				if wantRank == min(m, n) {
					tol = 1e-4
				}
				if d > tol {
					t.Errorf("%dx%d tiny %g: %s off by %.3g", m, n, tiny, name, d)
				}
			}
			b := randDense(rng, m, 1, 1)
			x := mat.NewDense(n, 1, nil)
			if rank := ls.SolveTo(x, a, b); rank != wantRank {
				t.Errorf("%dx%d tiny %g: rank %d, want %d", m, n, tiny, rank, wantRank)
			}
			var px mat.Dense
			px.Mul(p, b)
			if d := relDiff(x, &px); d > 1e-12 {
				t.Errorf("%dx%d tiny %g: lstsq differs from pinv b by %.3g", m, n, tiny, d)
			}
		}
	}
}

func TestLeastSquaresVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	a := randDense(rng, 10, 20, 0.5)
	b := randDense(rng, 10, 1, 1)
	x := make([]float64, 20)
	ls := NewLeastSquares(10, 20, 1)
	ls.SolveVecTo(x, a, b.RawMatrix().Data)
	var r mat.VecDense
	r.MulVec(a, mat.NewVecDense(20, x))
	r.SubVec(&r, b.ColView(0))
	if n := mat.Norm(&r, 2); n > 1e-12 {
		t.Errorf("consistent system: residual %.3g", n)
	}
}

func TestLeastSquaresNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	for _, sh := range [][3]int{{10, 1000, 1}, {10, 10, 1}, {250, 30, 100}, {10, 30, 1}} {
		m, n, nrhs := sh[0], sh[1], sh[2]
		a, b := randDense(rng, m, n, 0.5), randDense(rng, m, nrhs, 1)
		x := mat.NewDense(n, nrhs, nil)
		ls := NewLeastSquares(m, n, nrhs)
		// Only the fast paths: gonum's Dgesvd allocates inside, so the SVD
		// fallback (for nearly rank-deficient problems) does too.
		if allocs := testing.AllocsPerRun(5, func() { ls.SolveTo(x, a, b) }); allocs != 0 {
			t.Errorf("%dx%d: %v allocations per call", m, n, allocs)
		}
	}
}
