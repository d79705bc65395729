//go:build fidelity

// The paper-size fidelity test of issue 3 runs with: go test -tags fidelity ./models
// It is not yet part of the default test run: with our seeds 0-4, BP's error
// at iteration 1000 falls below the widened spread of the original's five
// runs for seeds 0 and 3 (see the notes); every other check passes.

package models

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

type linearRef struct {
	Summary map[string]map[string]struct {
		NormMin float64 `json:"norm_min"`
		NormMax float64 `json:"norm_max"`
	} `json:"summary_by_iter_over_completed_seeds"`
}

// Fidelity at paper size: for each of five seeds of ours, the ten models'
// errors, normalised by the largest error of any model in that seed as the
// paper does, fall at iterations 100, 500 and 1000 inside the spread of the
// original implementation's five runs (testdata/reference/
// linear_regression_ref.json) widened by a factor of 3 each side; at
// iteration 1999 every model is below 1e-9; DI's delta is within a degree of
// NDI's after iteration 500 and its loop stays stable throughout.
func TestLinearRegressionFidelity(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "reference", "linear_regression_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref linearRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	exp, _ := LookupExperiment("linear_regression")
	p := exp.Defaults()
	for seed := uint64(0); seed < 5; seed++ {
		runs := map[string]series{}
		emax := 0.0
		for _, m := range paperLinearModels() {
			s := series{}
			res, err := exp.Run(context.Background(), Env{}, p, m, seed, s)
			if err != nil || res.Status != OK {
				t.Fatalf("seed %d %s: %v %v", seed, m.Name, res.Status, err)
			}
			runs[m.Name] = s
			for _, v := range s[MetricTrainError][0] {
				emax = max(emax, v)
			}
		}
		for _, m := range paperLinearModels() {
			errs := runs[m.Name][MetricTrainError][0]
			for _, it := range []int{100, 500, 1000} {
				want := ref.Summary[m.Name][strconv.Itoa(it)]
				got := errs[it] / emax
				if got < want.NormMin/3 || got > want.NormMax*3 {
					t.Errorf("seed %d %s iteration %d: normalised error %.4g outside [%.4g, %.4g] (original %.4g..%.4g, widened 3x)",
						seed, m.Name, it, got, want.NormMin/3, want.NormMax*3, want.NormMin, want.NormMax)
				}
			}
			if got := errs[1999] / emax; !(got < 1e-9) {
				t.Errorf("seed %d %s: normalised error %.3g at iteration 1999, want < 1e-9", seed, m.Name, got)
			}
			if m.Kind != DI {
				continue
			}
			for k, v := range runs[m.Name][MetricAngleDeltaNDI][1] {
				if k > 500 && !(v < 1) {
					t.Errorf("seed %d %s iteration %d: DI delta %.3g degrees from NDI's", seed, m.Name, k, v)
					break
				}
			}
			for k, v := range runs[m.Name][MetricLambdaMax][1] {
				if !(v < 0) {
					t.Errorf("seed %d %s iteration %d: lambda_max %.3g", seed, m.Name, k, v)
					break
				}
			}
		}
		if testing.Verbose() {
			for _, m := range paperLinearModels() {
				e := runs[m.Name][MetricTrainError][0]
				t.Logf("seed %d %-6s normalised error at 100/500/1000/1999: %.3g %.3g %.3g %.3g",
					seed, m.Name, e[100]/emax, e[500]/emax, e[1000]/emax, e[1999]/emax)
			}
		}
	}
}
