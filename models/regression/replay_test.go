package regression

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
	"dinv/models"
	"dinv/models/internal/curvetest"
	"dinv/models/internal/mattest"
	"dinv/models/internal/numpytest"
)

// The original's reference runs, as stored in linear_regression_ref.json.
type linearRefRuns struct {
	PerSeed []struct {
		Seed uint32  `json:"seed"`
		EMax float64 `json:"e_max"`
		// SSACalls: the optimiser's runs; Iter is nil for the optim B's.
		SSACalls []struct {
			Iter  *int   `json:"iter"`
			Model string `json:"model"`
		} `json:"ssa_calls"`
		Models map[string]struct {
			Curve  []float64 `json:"norm_error_curve_every_10"`
			Angles struct {
				BvsNegW []float64 `json:"B_vs_-W"`
				NDI     []float64 `json:"dDI_vs_dNDI"`
				PBP     []float64 `json:"dDI_vs_dPBP"`
			} `json:"angles_deg_curve_every_10"`
			MaxEig []float64 `json:"max_stability_eig"`
		} `json:"models"`
	} `json:"per_seed"`
}

// originalLinearDraws are the random draws of the original
// linear_regression.py after np.random.seed(seed), in its order.
type originalLinearDraws struct {
	teacher, x, w0, w1, bRandom, bOptim *mat.Dense
	order                               []int
}

func drawOriginalLinear(seed uint32, p models.Params) (*originalLinearDraws, error) {
	nIn, nHid, nOut, n := p.Sizes[0], p.Sizes[1], p.Sizes[2], p.NumIters
	r := numpytest.New(seed)
	d := &originalLinearDraws{}
	d.teacher = mat.NewDense(nOut, nIn, r.Uniform(-1, 1, nOut*nIn))
	d.x = mat.NewDense(nIn, n, r.Normal(0, 1, nIn*n))
	d.w0 = mat.NewDense(nHid, nIn, r.Uniform(-0.01, 0.01, nHid*nIn))
	r.Uniform(-0.01, 0.01, nOut*nHid) // W1, drawn again below
	bTmp := mat.NewDense(nHid, nOut, r.Uniform(-0.01, 0.01, nHid*nOut))
	d.bRandom = mat.NewDense(nHid, nOut, r.Uniform(-0.5, 0.5, nHid*nOut))
	// A fresh W1 until the optimiser stabilises B (alpha 0) against it; B
	// carries over from one attempt to the next, as in the original.
	opt := linalg.NewOptimizer(nHid, nOut)
	prm := linalg.SSAParams{LR: p.SSALR, MaxIters: p.SSAMax, MinIters: p.SSAMin}
	for try := 0; ; try++ {
		d.w1 = mat.NewDense(nOut, nHid, r.Uniform(-0.01, 0.01, nOut*nHid))
		_, err := opt.Optimize(bTmp, d.w1, 0, prm)
		if err == nil {
			break
		}
		if !errors.Is(err, linalg.ErrNotStable) || try == 10 {
			return nil, fmt.Errorf("optim B: %v", err)
		}
	}
	d.bOptim = bTmp
	d.order = r.Permutation(n)
	return d, nil
}

// replayLinear trains model m of the linear experiment from the original's
// draws instead of our seed's streams; everything else is runLinear. It
// calls restab with every iteration at which DI's loop was re-stabilised.
func replayLinear(d *originalLinearDraws, p models.Params, m models.Model, rec models.Recorder, restab func(k int)) (models.Result, error) {
	ctx := context.Background()
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: make([]models.Transfer, len(p.Sizes)-1)}
	net := models.NewNetwork(spec)
	net.Layers[0].W.Copy(d.w0)
	net.Layers[1].W.Copy(d.w1)
	tr, err := models.NewTrainer(ctx, net, p, m, models.TrainOptions{DiagPBP: true}, rand.NewPCG(0, 0))
	if err != nil {
		return models.Result{}, err
	}
	if b := tr.Feedback(1); b != nil {
		switch m.Feedback {
		case models.Random:
			b.Copy(d.bRandom)
		case models.NegTranspose:
			b.Scale(-gainOf(m), d.w1.T())
		case models.Optim:
			b.Copy(d.bOptim)
		default:
			return models.Result{}, fmt.Errorf("no original draw for feedback %v", m.Feedback)
		}
	}
	var y, s mat.Dense
	y.Mul(d.teacher, d.x)
	s.Mul(d.x, d.x.T())
	le := newLinearError(net, d.teacher, &s)
	runs, _ := tr.SSARuns()
	eval := func(k int) (models.Measure, models.Measure, bool, error) {
		if r, _ := tr.SSARuns(); r != runs {
			restab(k)
			runs = r
		}
		e := le.sse()
		rec.Record(k, models.MetricTrainError, 0, e)
		return models.Measured(e), models.Measure{}, finite(e), nil
	}
	return tr.Train(ctx, p.NumIters, rec, onlinePass(d.x, &y, d.order), eval)
}

// gainOf is m's fback_gain (0 means 1).
func gainOf(m models.Model) float64 {
	if m.Gain == 0 {
		return 1
	}
	return m.Gain
}

// TestLinearRegressionReplaysOriginal replays the original's five reference
// runs (testdata/reference/linear_regression_ref.json) draw for draw: numpy's
// generator is reproduced, so teacher, data, initial weights, feedback and
// example order are the original's own, and our training loop must then
// give the original's numbers.
//
// Runs that never go through the stability optimiser must agree to
// rounding: the normalised error at every 10th iteration within 1e-9
// relative up to iteration 1000 and 1e-6 after (where it nears the rounding
// floor), and DI's angles within 2e-5 degrees (the reference's own bound for
// nearly parallel vectors).
//
// The optimiser's path is not a well-posed function of its input between
// correct implementations (the reference README: its gradient depends on
// rounding at the 1e-3..1e-1 level once the leading eigenvalue is a complex
// pair). The reference does not keep its optim B, and the same script rerun
// with Debian's scipy finds another one. So the optim models (NDI-3, DI-3)
// are held to the reference within a factor of 3 (the widening of issue 3),
// and, with the optim B of that rerun put in place, to the rerun's curves
// (testdata/original/linear_regression_optim.json) to rounding. A run that
// re-stabilises DI's loop during training leaves the original's path there:
// its first re-stabilisation must come at the original's iteration, and its
// error must stay within a factor of 3 of the original's throughout.
func TestLinearRegressionReplaysOriginal(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size runs")
	}
	var ref linearRefRuns
	readJSON(t, filepath.Join("..", "..", "testdata", "reference", "linear_regression_ref.json"), &ref)
	var rerun []struct {
		Seed   uint32               `json:"seed"`
		EMax   float64              `json:"e_max"`
		BOptim [][]float64          `json:"b_optim"`
		Every  int                  `json:"every"`
		Curve  map[string][]float64 `json:"norm_error_curve"`
	}
	readJSON(t, filepath.Join("..", "..", "testdata", "original", "linear_regression_optim.json"), &rerun)
	if len(rerun) != len(ref.PerSeed) {
		t.Fatalf("%d reruns for %d reference runs", len(rerun), len(ref.PerSeed))
	}
	exp, _ := models.LookupExperiment("linear_regression")
	p := exp.Defaults()

	type seedReplays struct {
		runs    map[string]replay // with our optimiser's B
		rerunOf map[string]replay // optim models with the rerun's B
		emax    float64
		bDiff   float64 // largest difference of our optim B from the rerun's, relative to its largest element
	}
	run := func(d *originalLinearDraws, m models.Model) (replay, error) {
		return replayRun(func(rec models.Recorder, restab func(int)) (models.Result, error) {
			return replayLinear(d, p, m, rec, restab)
		})
	}
	out := make([]seedReplays, len(ref.PerSeed))
	err := inParallel(len(ref.PerSeed), func(i int) error {
		rs, sr := ref.PerSeed[i], &out[i]
		d, err := drawOriginalLinear(rs.Seed, p)
		if err != nil {
			return err
		}
		if rerun[i].Seed != rs.Seed {
			return fmt.Errorf("rerun %d is of seed %d, want %d", i, rerun[i].Seed, rs.Seed)
		}
		theirs := *d
		theirs.bOptim = mattest.FromRows(rerun[i].BOptim)
		sr.bDiff = mattest.RelDiff(d.bOptim, theirs.bOptim)
		sr.runs, sr.rerunOf = map[string]replay{}, map[string]replay{}
		for _, m := range paperLinearModels() {
			r, err := run(d, m)
			if err != nil {
				return fmt.Errorf("seed %d %s: %v", rs.Seed, m.Name, err)
			}
			sr.runs[m.Name] = r
			sr.emax = max(sr.emax, maxOf(r.s[models.MetricTrainError][0]))
			if m.Feedback == models.Optim {
				if sr.rerunOf[m.Name], err = run(&theirs, m); err != nil {
					return fmt.Errorf("seed %d %s with the rerun's B: %v", rs.Seed, m.Name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for i, rs := range ref.PerSeed {
		sr := out[i]
		if d := math.Abs(sr.emax-rs.EMax) / rs.EMax; d > 1e-12 {
			t.Errorf("seed %d: largest error %.17g, original %.17g", rs.Seed, sr.emax, rs.EMax)
		}
		if testing.Verbose() {
			t.Logf("seed %d: our optimiser's B differs from the rerun's by %.2g (largest element difference, relative)", rs.Seed, sr.bDiff)
		}
		for _, m := range paperLinearModels() {
			want := rs.Models[m.Name]
			got := sr.runs[m.Name]
			var origRestabs []int
			for _, c := range rs.SSACalls {
				if c.Model == m.Name {
					origRestabs = append(origRestabs, *c.Iter)
				}
			}
			what := fmt.Sprintf("seed %d %s", rs.Seed, m.Name)
			viaSSA := checkFirstRestab(t, what, got.restabs, origRestabs) || m.Feedback == models.Optim
			checkReplayCurve(t, what, got.s[models.MetricTrainError][0], sr.emax, want.Curve, 10, !viaSSA, linearReplayTol)
			if m.Feedback == models.Optim {
				r := sr.rerunOf[m.Name]
				if len(r.restabs) > 0 {
					t.Errorf("%s with the rerun's B: re-stabilised at %v", what, r.restabs)
				}
				checkReplayCurve(t, what+" with the rerun's B", r.s[models.MetricTrainError][0], sr.emax, rerun[i].Curve[m.Name], rerun[i].Every, true, linearReplayTol)
			}
			if m.Kind != models.DI || viaSSA {
				continue
			}
			for _, a := range []struct {
				name string
				want []float64
			}{{models.MetricAngleBNegWT, want.Angles.BvsNegW}, {models.MetricAngleDeltaNDI, want.Angles.NDI}, {models.MetricAngleDeltaPBP, want.Angles.PBP}} {
				for j, v := range a.want {
					if g := got.s[a.name][1][10*j]; !(math.Abs(g-v) <= 2e-5) {
						t.Errorf("%s iteration %d: %s %.9g degrees, original %.9g", what, 10*j, a.name, g, v)
						break
					}
				}
			}
			if g, w := maxOf(got.s[models.MetricLambdaMax][1]), want.MaxEig[0]; !(math.Abs(g-w) <= 1e-9) {
				t.Errorf("%s: largest lambda_max %.12g, original %.12g", what, g, w)
			}
		}
	}
}

// replay is one replayed run: its recorded series and the iterations at
// which DI's loop was re-stabilised.
type replay struct {
	s       curvetest.Curves
	restabs []int
}

// replayRun runs a replay, keeping what it records; a run that ends other
// than OK is an error.
func replayRun(f func(rec models.Recorder, restab func(k int)) (models.Result, error)) (replay, error) {
	r := replay{s: curvetest.Curves{}}
	res, err := f(r.s, func(k int) { r.restabs = append(r.restabs, k) })
	if err == nil && res.Status != models.OK {
		err = fmt.Errorf("status %v", res.Status)
	}
	return r, err
}

// checkFirstRestab reports whether either run, ours or the original's,
// re-stabilised DI's loop; if one did, both must have, first at the same
// iteration (until then they follow the same path).
func checkFirstRestab(t *testing.T, what string, ours, theirs []int) bool {
	t.Helper()
	if len(ours) == 0 && len(theirs) == 0 {
		return false
	}
	if len(ours) == 0 || len(theirs) == 0 || ours[0] != theirs[0] {
		t.Errorf("%s: re-stabilised at iterations %v, original at %v", what, ours, theirs)
	}
	return true
}

// linearReplayTol: the linear error nears the rounding floor after
// iteration 1000.
func linearReplayTol(k int) float64 {
	if k > 1000 {
		return 1e-6
	}
	return 1e-9
}

// checkReplayCurve compares a replayed run's errors, normalised by emax, at
// every every-th iteration with the original's normalised errors want: to
// the relative tolerance tol(k) if exact, else within a factor of 3. It
// reports the first point that fails and, with -v, the largest difference.
func checkReplayCurve(t *testing.T, what string, errs map[int]float64, emax float64, want []float64, every int, exact bool, tol func(k int) float64) {
	t.Helper()
	worst, worstAt := 0.0, 0
	defer func() {
		if testing.Verbose() {
			t.Logf("%s: largest relative difference %.2g (at iteration %d)", what, worst, worstAt)
		}
	}()
	for j, w := range want {
		k := every * j
		g := errs[k] / emax
		if d := math.Abs(g-w) / w; d > worst {
			worst, worstAt = d, k
		}
		switch {
		case !exact && !(g < 3*w && g > w/3):
			t.Errorf("%s iteration %d: normalised error %.6g, original %.6g (beyond a factor 3)", what, k, g, w)
		case exact && !(math.Abs(g-w) <= tol(k)*w):
			t.Errorf("%s iteration %d: normalised error %.15g, original %.15g (relative %.2g > %g)", what, k, g, w, math.Abs(g-w)/w, tol(k))
		default:
			continue
		}
		return
	}
}

func maxOf(vs map[int]float64) float64 {
	m := math.Inf(-1)
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}
