package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Cells run with other parameters into the same folder never merge with the
// current plan's: summary gives them rows of their own, marked "other", and
// plot leaves them out, saying so.
func TestReportsKeepPlansApart(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	cfg := filepath.Join(tmp, "s.yaml")
	sweepOf := func(iters int) string {
		return "sweep: s\nexperiment: linear_regression\nseeds: [0, 1, 2, 3]\n" +
			"params: {num_iters: " + strconv.Itoa(iters) + "}\nmodels: [{name: BP, model_type: BP}]\n"
	}
	for _, iters := range []int{50, 80} {
		if err := os.WriteFile(cfg, []byte(sweepOf(iters)), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := cli(t, "run", "-out", dir, cfg); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", iters, code, errs)
		}
	}
	code, out, errs := cli(t, "summary", "-format", "csv", dir)
	if code != 0 {
		t.Fatalf("summary: exit %d\n%s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "BP,BP,,,0.01,0,4,0,0,") || !strings.HasSuffix(lines[1], ",current") ||
		!strings.HasSuffix(lines[2], ",other") || !strings.Contains(errs, "4 cells") {
		t.Errorf("summary:\n%s\nstderr:\n%s\nwant one BP row of 4 cells in the plan and one of 4 from the other", out, errs)
	}
	code, _, errs = cli(t, "plot", "-o", filepath.Join(tmp, "f.svg"), dir)
	if code != 0 || !strings.Contains(errs, "leaving out 4 cells") {
		t.Errorf("plot: exit %d\n%s\nwant the 4 cells of the other plan left out", code, errs)
	}
	// A finished cell without its curves file is not drawn, and plot says so.
	curves, _ := filepath.Glob(filepath.Join(dir, "curves", "*.parquet"))
	for _, c := range curves {
		os.Remove(c)
		break
	}
	code, _, errs = cli(t, "plot", "-o", filepath.Join(tmp, "g.svg"), dir)
	if code != 0 || !strings.Contains(errs, "1 finished cells") {
		t.Errorf("plot without a curves file: exit %d\n%s", code, errs)
	}
}
