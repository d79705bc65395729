package summary

import (
	"math"
	"testing"

	"dinv/results"
)

// TestRows checks the grouping, the statistics and the two orders on runs
// whose numbers are worked out by hand.
func TestRows(t *testing.T) {
	leak := 0.01
	run := func(id, model string, eta float64, seed int64, status results.Status, train, test, wall float64) results.Run {
		r := results.Run{CellKey: results.CellKey{CellID: id, Model: model, ModelType: "DI", FbackType: "optim",
			Leak: &leak, Eta: eta, Seed: seed}, Status: status, FinalTrainError: &train, FinalTestError: &test, WallSeconds: wall}
		if status == "failed" || model == "DI" && status == "ok" { // nothing measured: null
			r.FinalTestError = nil
		}
		if model == "BP" {
			r.ModelType, r.FbackType, r.Leak = "BP", "", nil
		}
		return r
	}
	nan := math.NaN()
	runs := []results.Run{
		run("a", "DI", 0.01, 0, "ok", 1, nan, 1),
		run("b", "DI", 0.01, 1, "ok", 3, nan, 2),
		run("c", "DI", 0.01, 2, "diverged", nan, nan, 4),
		run("d", "DI", 0.1, 0, "failed", nan, nan, 8),
		run("e", "BP", 0.01, 0, "ok", 2, 0.5, 16),
	}
	// Plan order: BP first; without a plan, by model name: BP, then DI by eta.
	for _, tc := range []struct {
		order map[string]int
		want  []string
	}{
		{map[string]int{"e": 0, "d": 1, "a": 2, "b": 3, "c": 4}, []string{"BP 0.01", "DI 0.1", "DI 0.01"}},
		{nil, []string{"BP 0.01", "DI 0.01", "DI 0.1"}},
	} {
		rows := Rows(runs, tc.order)
		var got []string
		for _, r := range rows {
			got = append(got, r.Model+" "+full(r.Eta))
		}
		if len(got) != len(tc.want) || got[0] != tc.want[0] || got[1] != tc.want[1] || got[2] != tc.want[2] {
			t.Errorf("order %v: rows %v, want %v", tc.order, got, tc.want)
		}
	}
	for _, r := range Rows(runs, nil) {
		if r.Model != "DI" || r.Eta != 0.01 {
			continue
		}
		// train errors 1 and 3: mean 2, sample standard deviation sqrt(2).
		if r.OK != 2 || r.Diverged != 1 || r.Failed != 0 || r.Train.Mean != 2 || r.Train.Std != math.Sqrt2 ||
			!math.IsNaN(r.Test.Mean) || r.CPUSeconds != 7 {
			t.Errorf("DI 0.01: %+v", r)
		}
	}
}
