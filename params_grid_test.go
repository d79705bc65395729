package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dinv/results"
)

// TestParamsGrid runs a sweep whose grid varies experiment parameters
// (DI's loop length and Euler step) through run, status, summary, plot and
// a rerun of the folder's sweep.yaml: each parameter is a column of its own,
// null where the rule does not read it, and the cells of rules that do not
// read it collapse.
func TestParamsGrid(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "params.yaml")
	if err := os.WriteFile(cfg, []byte(paramsGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, _, errs := cli(t, "run", "-out", out, cfg); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	runs, rerrs := results.ReadRuns(out)
	if len(rerrs) > 0 || len(runs) != 5 {
		t.Fatalf("%d runs (%v), want 5: BP once, DI at 2 x 2 points", len(runs), rerrs)
	}
	points := map[string]bool{}
	for _, r := range runs {
		if r.Status != "ok" {
			t.Errorf("cell %s (%s): %s %s", r.CellID, r.Model, r.Status, r.Message)
		}
		var names []string
		for _, a := range r.Axes {
			names = append(names, a.Name)
			if r.ModelType == "BP" && a.Value != nil {
				t.Errorf("BP's %s is %v, want null: BP does not read it", a.Name, a.Value)
			}
		}
		if !slices.Equal(names, []string{"dt", "tsteps"}) {
			t.Errorf("cell %s: parameter columns %v, want [dt tsteps]", r.CellID, names)
		}
		if r.ModelType == "DI" {
			points[r.Axes[0].String()+"/"+r.Axes[1].String()] = true
			if r.Axes[0].Type != "float64" || r.Axes[1].Type != "int64" {
				t.Errorf("column types %s, %s; want float64, int64", r.Axes[0].Type, r.Axes[1].Type)
			}
		}
	}
	if len(points) != 4 {
		t.Errorf("DI's points %v, want the 4 of the grid", points)
	}
	// The loop's length changes DI's numbers, so the curves differ.
	var first []float64
	distinct := false
	for _, r := range runs {
		if r.ModelType != "DI" {
			continue
		}
		if first == nil {
			first = []float64{*r.FinalTrainError}
		} else if *r.FinalTrainError != first[0] {
			distinct = true
		}
	}
	if !distinct {
		t.Error("every DI cell ended with the same error: the axes did not reach the runs")
	}

	code, stdout, errs := cli(t, "status", out)
	if code != 0 || !strings.Contains(stdout, "5 cells: 5 ok") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, errs)
	}
	code, stdout, errs = cli(t, "summary", out)
	if code != 0 {
		t.Fatalf("summary: exit %d: %s", code, errs)
	}
	head := strings.Fields(strings.SplitN(stdout, "\n", 2)[0])
	if i := slices.Index(head, "w_decay"); i < 0 || !slices.Equal(head[i+1:i+3], []string{"dt", "tsteps"}) {
		t.Errorf("summary columns %v, want dt and tsteps after w_decay", head)
	}
	if n := strings.Count(stdout, "\nDI "); n != 4 {
		t.Errorf("summary has %d DI rows, want 4 (one per grid point):\n%s", n, stdout)
	}
	png := filepath.Join(dir, "by_tsteps.png")
	if code, _, errs := cli(t, "plot", "-by", "tsteps", "-o", png, out); code != 0 {
		t.Errorf("plot -by tsteps: exit %d: %s", code, errs)
	} else if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Errorf("plot -by tsteps wrote no figure: %v", err)
	}
	if code, _, errs := cli(t, "plot", "-by", "tstep", "-o", png, out); code != 2 || !strings.Contains(errs, `unknown axis "tstep"`) {
		t.Errorf("plot -by tstep: exit %d, %q; want exit 2 naming the axis", code, errs)
	}
	// The resolved sweep.yaml plans the same cells; a rerun finds them done.
	_, plan1, _ := cli(t, "plan", cfg)
	_, plan2, _ := cli(t, "plan", filepath.Join(out, "sweep.yaml"))
	if plan1 != plan2 {
		t.Errorf("sweep.yaml plans\n%s\nthe configuration\n%s", plan2, plan1)
	}
	if code, _, errs := cli(t, "run", "-out", out, filepath.Join(out, "sweep.yaml")); code != 0 || !strings.Contains(errs, "5 skipped") {
		t.Errorf("rerun of sweep.yaml: exit %d: %s", code, errs)
	}
}
