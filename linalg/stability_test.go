package linalg

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The fast path through the eigenvalues of W B (or B W) must equal the full
// eigen-decomposition of the loop matrix, for every shape relation.
func TestLambdaMaxMatchesFullEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	shapes := [][2]int{{20, 10}, {10, 20}, {10, 10}, {30, 10}, {3, 5}, {1, 4}, {4, 1}, {1, 1}, {100, 10}}
	for _, sh := range shapes {
		nIn, nOut := sh[0], sh[1]
		for _, alpha := range []float64{0, 0.001, 0.01, 0.5} {
			for _, bs := range []float64{0.01, 0.5, 3} {
				w := randDense(rng, nOut, nIn, 0.5)
				b := randDense(rng, nIn, nOut, bs)
				if bs == 3 { // neg-transpose
					b.Scale(-1, w.T())
				}
				fast, full := LambdaMax(w, b, alpha), LambdaMaxFull(w, b, alpha)
				if d := math.Abs(fast - full); d > 1e-10*max(1, math.Abs(full)) {
					t.Errorf("nIn %d nOut %d alpha %v scale %v: fast %.15g, full %.15g", nIn, nOut, alpha, bs, fast, full)
				}
			}
		}
	}
}

func TestLambdaMaxNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	w, b := randDense(rng, 10, 1000, 0.01), randDense(rng, 1000, 10, 0.5)
	s := NewStability(1000, 10)
	if a := testing.AllocsPerRun(5, func() { s.LambdaMax(w, b, 0.01) }); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}

func TestLambdaMaxNotFinite(t *testing.T) {
	w := mat.NewDense(1, 2, []float64{math.NaN(), 1})
	b := mat.NewDense(2, 1, []float64{1, 1})
	if got := LambdaMax(w, b, 0); !math.IsNaN(got) {
		t.Errorf("got %v, want NaN", got)
	}
}

// The optimiser must turn unstable random feedback into a stable loop, and
// report failure as an *SSAError that matches ErrNotStable.
func TestOptimizerStabilises(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	// With nOut > nIn the loop has nOut-nIn eigenvalues at -alpha, so alpha
	// must be positive there for stability to be reachable.
	for _, sh := range [][3]float64{{20, 10, 0}, {10, 20, 0.01}, {30, 10, 0.01}} {
		nIn, nOut, alpha := int(sh[0]), int(sh[1]), sh[2]
		w := randDense(rng, nOut, nIn, 0.5)
		b := randDense(rng, nIn, nOut, 0.5)
		before := LambdaMaxFull(w, b, alpha)
		if !(before > 0) {
			t.Fatalf("%dx%d: test wants an unstable start, lambda_max %v", nIn, nOut, before)
		}
		res, err := NewOptimizer(nIn, nOut).Optimize(b, w, alpha, SSAParams{LR: 0.5, MaxIters: 2000, MinIters: 10})
		if err != nil {
			t.Fatalf("%dx%d: %v (before %v)", nIn, nOut, err, before)
		}
		after := LambdaMaxFull(w, b, alpha)
		if !(after < 0) || math.Abs(after-res.LambdaMax) > 1e-10 {
			t.Errorf("%dx%d: lambda_max %v -> %v (reported %v)", nIn, nOut, before, after, res.LambdaMax)
		}
	}
	// One tiny step cannot stabilise a strongly unstable loop.
	w := randDense(rng, 10, 20, 0.5)
	b := mat.NewDense(20, 10, nil)
	b.Scale(1, w.T()) // B = +Wᵀ: W B positive definite, unstable
	_, err := NewOptimizer(20, 10).Optimize(b, w, 0, SSAParams{LR: 1e-6, MaxIters: 2, MinIters: 1})
	var se *SSAError
	if !errors.Is(err, ErrNotStable) || !errors.As(err, &se) || se.Iters != 2 || !(se.LambdaMax > 0) {
		t.Errorf("got %v, want an SSAError after 2 iterations", err)
	}
}
