package regression

import (
	"context"
	"dinv/models"
	"dinv/models/internal/curvetest"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/sync/errgroup"
)

// The paper-size fidelity test of the linear experiment (issue 3, acceptance 2).
//
// It runs 35 seeds of ours at paper size (the ten models, 2000 iterations)
// and holds them to the original implementation in three ways:
//
//   - every seed: each model's normalised error at iteration 1999 is below
//     1e-9, DI's delta is within a degree of NDI's after iteration 500 and its
//     loop is stable throughout (lambda_max < 0);
//   - distributions: for every model at iterations 100, 500 and 1000, the
//     log10 normalised errors of our 35 seeds and of 135 seeds of the original
//     (testdata/original/linear_regression_135seeds.json) must not differ by a
//     Mann-Whitney test at a family-wise level of 1% (Bonferroni over the 30
//     comparisons; go-moremath's test), nor their medians by more than half a decade;
//   - the literal band: our seeds 0-4 inside the spread of the
//     original's five runs (testdata/reference/linear_regression_ref.json),
//     widened 3x each side. This is reported, and enforced only with
//     -tags fidelity: the band rejects the original itself for 36 of 130
//     further seeds, so five seeds of the original pass it one time in five
//     (see testdata/original/README.md).
//
// TestLinearRegressionReplaysOriginal (replay_test.go) complements this with
// the original's own draws.

// fidelitySeeds is the number of our seeds.
const fidelitySeeds = 35

// originalSeeds is the number of the original's runs kept.
const originalSeeds = 135

var fidelityIters = []int{100, 500, 1000}

type linearRef struct {
	Summary map[string]map[string]struct {
		NormMin float64 `json:"norm_min"`
		NormMax float64 `json:"norm_max"`
	} `json:"summary_by_iter_over_completed_seeds"`
}

type originalRuns struct {
	NormError map[string]map[string]map[string]float64 `json:"norm_error"` // seed, model, iteration
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// inParallel runs f(0) .. f(n-1) on every core, as the sweep's scheduler
// does, and returns the first error.
func inParallel(n int, f func(i int) error) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error { return f(i) })
	}
	return g.Wait()
}

// seedRun is what the fidelity tests keep of one seed: each model's recorded
// series and the seed's largest error, the paper's normaliser.
type seedRun struct {
	runs map[string]curvetest.Curves
	emax float64
}

// runSeed trains models on exp with parameters p and one seed.
func runSeed(exp *models.Experiment, p models.Params, ms []models.Model, seed uint64) (seedRun, error) {
	sr := seedRun{runs: map[string]curvetest.Curves{}}
	for _, m := range ms {
		s := curvetest.Curves{}
		res, err := exp.Run(context.Background(), models.Env{}, p, m, seed, s)
		if err == nil && res.Status != models.OK {
			err = fmt.Errorf("status %v", res.Status)
		}
		if err != nil {
			return sr, fmt.Errorf("seed %d %s: %v", seed, m.Name, err)
		}
		sr.runs[m.Name] = s
		sr.emax = max(sr.emax, maxOf(s[models.MetricTrainError][0]))
	}
	return sr, nil
}

func TestLinearRegressionFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size runs of 35 seeds")
	}
	var ref linearRef
	readJSON(t, filepath.Join("..", "..", "testdata", "reference", "linear_regression_ref.json"), &ref)
	var orig originalRuns
	readJSON(t, filepath.Join("..", "..", "testdata", "original", "linear_regression_135seeds.json"), &orig)
	if len(orig.NormError) != originalSeeds {
		t.Fatalf("original runs: %d seeds, want %d", len(orig.NormError), originalSeeds)
	}

	exp, _ := models.LookupExperiment("linear_regression")
	p := exp.Defaults()
	out := make([]seedRun, fidelitySeeds)
	err := inParallel(fidelitySeeds, func(seed int) (err error) {
		out[seed], err = runSeed(exp, p, paperLinearModels(), uint64(seed))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	ms := paperLinearModels()
	ours := map[string]map[int][]float64{} // model, iteration: log10 normalised error by seed
	for _, m := range ms {
		ours[m.Name] = map[int][]float64{}
	}
	for seed, sr := range out {
		for _, m := range ms {
			errs := sr.runs[m.Name][models.MetricTrainError][0]
			for _, it := range fidelityIters {
				ours[m.Name][it] = append(ours[m.Name][it], math.Log10(errs[it]/sr.emax))
			}
			if got := errs[1999] / sr.emax; !(got < 1e-9) {
				t.Errorf("seed %d %s: normalised error %.3g at iteration 1999, want < 1e-9", seed, m.Name, got)
			}
			if m.Kind != models.DI {
				continue
			}
			if k, v, ok := firstBad(sr.runs[m.Name][models.MetricAngleDeltaNDI][1], func(k int, v float64) bool { return k > 500 && !(v < 1) }); ok {
				t.Errorf("seed %d %s iteration %d: DI delta %.3g degrees from NDI's", seed, m.Name, k, v)
			}
			if k, v, ok := firstBad(sr.runs[m.Name][models.MetricLambdaMax][1], func(_ int, v float64) bool { return !(v < 0) }); ok {
				t.Errorf("seed %d %s iteration %d: lambda_max %.3g", seed, m.Name, k, v)
			}
		}
	}

	// Distributions of ours against the original's.
	const familyLevel = 0.01
	pmin := familyLevel / float64(len(ms)*len(fidelityIters))
	for _, m := range ms {
		for _, it := range fidelityIters {
			var theirs []float64
			for seed := range originalSeeds {
				v, ok := orig.NormError[strconv.Itoa(seed)][m.Name][strconv.Itoa(it)]
				if !ok {
					t.Fatalf("original runs: no %s at iteration %d for seed %d", m.Name, it, seed)
				}
				theirs = append(theirs, math.Log10(v))
			}
			r, err := stats.MannWhitneyUTest(ours[m.Name][it], theirs, stats.LocationDiffers)
			if err != nil {
				t.Fatalf("%s iteration %d: %v", m.Name, it, err)
			}
			shift := median(ours[m.Name][it]) - median(theirs)
			if r.P < pmin || math.Abs(shift) > 0.5 {
				t.Errorf("%s iteration %d: log10 normalised error, median %.2f ours vs %.2f original (shift %.2f decades, Mann-Whitney p %.2g, limit %.2g)",
					m.Name, it, median(ours[m.Name][it]), median(theirs), shift, r.P, pmin)
			}
			if testing.Verbose() {
				t.Logf("%-6s %4d  median log10 ours %6.2f original %6.2f  shift %5.2f  p %.2g",
					m.Name, it, median(ours[m.Name][it]), median(theirs), shift, r.P)
			}
		}
	}

	// The literal band, seeds 0-4.
	outside := 0
	for seed := range 5 {
		for _, m := range ms {
			for _, it := range fidelityIters {
				want := ref.Summary[m.Name][strconv.Itoa(it)]
				got := math.Pow(10, ours[m.Name][it][seed])
				if got >= want.NormMin/3 && got <= want.NormMax*3 {
					continue
				}
				outside++
				msg := fmt.Sprintf("seed %d %s iteration %d: normalised error %.4g outside [%.4g, %.4g] (original %.4g..%.4g, widened 3x)",
					seed, m.Name, it, got, want.NormMin/3, want.NormMax*3, want.NormMin, want.NormMax)
				if strictBand {
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			}
		}
	}
	t.Logf("literal band of issue 3: %d of %d points of seeds 0-4 outside", outside, 5*len(ms)*len(fidelityIters))
}

// firstBad returns the first step, in order, whose value bad reports.
func firstBad(vs map[int]float64, bad func(k int, v float64) bool) (int, float64, bool) {
	ks := make([]int, 0, len(vs))
	for k := range vs {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		if bad(k, vs[k]) {
			return k, vs[k], true
		}
	}
	return 0, 0, false
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
