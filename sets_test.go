package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dinv/results"
)

// TestPlanSets pins the plan of a configuration with command-line
// overrides of every kind of key: params, seeds, a grid axis, a model
// entry's field and its params, defaults, and a key the file does not have.
func TestPlanSets(t *testing.T) {
	code, out, errs := cli(t, "plan",
		"-set", "params.num_iters=20",
		"-set", "seeds=[0, 1]",
		"-set", "grid.eta=[0.01, 0.003]",
		"-set", "models[1].fback_gain=10",
		"-set", "models[2].params.di_g=linear",
		"-set", "defaults.leak=0.001",
		"-set", "grid.w_decay=[0, 1.0e-4]",
		"testdata/plan/mixed.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "plan/mixed_sets", out+"# stderr\n"+errs)
}

// TestBadSets checks the message of bad overrides: each names -set #N, what
// it said and the line of the file it overrode, and run writes nothing.
func TestBadSets(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"no_equals", []string{"params.num_iters"}},
		{"bad_yaml", []string{"seeds=[0,"}},
		{"bad_key", []string{"params..num_iters=1"}},
		{"bad_value", []string{"params.num_iters=20", "grid.eta=[0.01, fast]"}},
		{"unknown_param", []string{"params.num_iter=20"}},
		{"unknown_axis", []string{"grid.etta=[0.1]"}},
		{"index_range", []string{"models[7].leak=0.1"}},
		{"not_a_list", []string{"params[0]=1"}},
		{"rejected_param", []string{"params.num_iters=0"}},
		{"model_field", []string{"models[1].fback_type=sideways"}},
		{"seeds_twice", []string{"seeds=[1, 1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, s := range tc.sets {
				args = append(args, "-set", s)
			}
			code, out, errs := cli(t, append(append([]string{"plan"}, args...), "testdata/plan/mixed.yaml")...)
			if code != 2 || out != "" {
				t.Errorf("plan: exit %d, stdout %q; want exit 2 and nothing", code, out)
			}
			if !strings.Contains(errs, "-set #") {
				t.Errorf("the message does not name the override:\n%s", errs)
			}
			golden(t, "bad/set_"+tc.name, errs)
			dir := filepath.Join(t.TempDir(), "out")
			code, _, errs2 := cli(t, append(append([]string{"run", "-out", dir}, args...), "testdata/plan/mixed.yaml")...)
			if code != 2 || errs2 != errs {
				t.Errorf("run: exit %d, stderr %q; want exit 2 and plan's message", code, errs2)
			}
		})
	}
}

// TestSetsRecorded runs an overridden sweep and checks that the overrides
// are carried: sweep.yaml holds the overridden values and lists the
// overrides, the runs rows' config_sha256 is the plan's (not the file's),
// and the resolved sweep.yaml, run -resolved as Slurm's tasks run it,
// plans the same cells and finds them finished.
func TestSetsRecorded(t *testing.T) {
	sets := []string{"-set", "params.num_iters=30", "-set", "seeds=[5]", "-set", "grid.eta=[0.02]"}
	cfg := "testdata/plan/mixed.yaml"
	sha := func(args ...string) string {
		t.Helper()
		out := planOutput(t, cfg, args...)
		var row struct {
			ConfigSHA256 string `json:"config_sha256"`
		}
		first, _, _ := strings.Cut(out, "\n")
		if err := json.Unmarshal([]byte(first), &row); err != nil {
			t.Fatal(err)
		}
		return row.ConfigSHA256
	}
	plain, over := sha(), sha(sets...)
	if plain == over {
		t.Fatalf("config_sha256 %s is the same with and without overrides", plain)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if code, _, errs := cli(t, append(append([]string{"run", "-jobs", "2", "-out", dir}, sets...), cfg)...); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	runs, err := results.ReadRuns(dir)
	if err != nil || len(runs) != 4 {
		t.Fatalf("%d runs (%v), want 4: one per model at one eta and one seed", len(runs), err)
	}
	for _, r := range runs {
		if r.ConfigSHA256 != over || r.Seed != 5 || r.Eta != 0.02 {
			t.Errorf("cell %s: config_sha256 %s, seed %d, eta %g; want %s, 5, 0.02", r.CellID, r.ConfigSHA256, r.Seed, r.Eta, over)
		}
	}
	code, out, errs := cli(t, "run", "-resolved", "-out", dir, filepath.Join(dir, "sweep.yaml"))
	if code != 0 || !strings.Contains(errs, "0 ok, 0 diverged, 0 failed, 4 skipped") {
		t.Fatalf("run -resolved of the overridden sweep.yaml: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = cli(t, "run", "-resolved", "-set", "seeds=[1]", "-out", dir, filepath.Join(dir, "sweep.yaml"))
	if code != 2 || !strings.Contains(errs, "-set cannot change a -resolved sweep.yaml") {
		t.Errorf("run -resolved -set: exit %d, %s", code, errs)
	}
}

// TestDrawnAxesStable checks that drawn axes draw the same values on every
// run: two plans, a run and its resume, two shards, and the folder's
// sweep.yaml (which lists them) all make the same cells; another
// sample_seed draws others.
func TestDrawnAxesStable(t *testing.T) {
	cfg := "testdata/plan/random.yaml"
	plan := func(args ...string) string { t.Helper(); return planOutput(t, cfg, args...) }
	first := plan()
	if again := plan(); again != first {
		t.Fatal("two plans of a drawn sweep differ")
	}
	if other := plan("-set", "sample_seed=8"); other == first {
		t.Fatal("sample_seed 8 draws what sample_seed 7 draws")
	}
	ids := func(plan string) []string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(plan), "\n") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, `{"cell_id":"`), `"`)
			out = append(out, id)
		}
		return out
	}
	want := ids(first)

	tmp := t.TempDir()
	whole, sharded := filepath.Join(tmp, "whole"), filepath.Join(tmp, "sharded")
	if code, _, errs := cli(t, "run", "-jobs", "2", "-out", whole, cfg); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	code, _, errs := cli(t, "run", "-jobs", "2", "-out", whole, cfg)
	if code != 0 || !strings.Contains(errs, fmt.Sprintf("0 ok, 0 diverged, 0 failed, %d skipped", len(want))) {
		t.Fatalf("the resume did not find every cell finished: exit %d\n%s", code, errs)
	}
	for _, shard := range []string{"1/2", "2/2"} {
		if code, _, errs := cli(t, "run", "-shard", shard, "-out", sharded, cfg); code != 0 {
			t.Fatalf("run -shard %s: %s", shard, errs)
		}
	}
	sameResults(t, whole, sharded)
	runs, err := results.ReadRuns(whole)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.CellID)
	}
	slices.Sort(got)
	sorted := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, sorted) {
		t.Errorf("the run made cells %v, the plan %v", got, sorted)
	}
	// sweep.yaml lists the drawn values: planning it gives the same cells.
	code, out, errs := cli(t, "plan", "-json", filepath.Join(whole, "sweep.yaml"))
	if code != 0 {
		t.Fatalf("plan of sweep.yaml: %s", errs)
	}
	if !slices.Equal(ids(out), want) {
		t.Errorf("sweep.yaml plans other cells than the configuration")
	}
}

// planOutput is the output of plan -json with args for cfg; a failure fails t.
func planOutput(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, append(append([]string{"plan", "-json"}, args...), cfg)...)
	if code != 0 {
		t.Fatalf("plan: %s", errs)
	}
	return out
}
