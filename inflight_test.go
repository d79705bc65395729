package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dinv/config"
	"dinv/sweep"
)

// inflight: a short BP cell and a long DI cell.
const inflight = `
sweep: inflight
experiment: linear_regression
seeds: [0]
defaults: {eta: 0.01}
models:
  - {name: BP, model_type: BP, params: {num_iters: 50}}
  - {name: DI, model_type: DI, fback_type: optim, leak: 0.01, params: {num_iters: 20000}}
`

// TestStatusInFlight (golden file testdata/status/in_flight.golden):
// status lists a pending cell's progress file (step of steps, last errors,
// the ages of its checkpoint and of the file) and marks it left when no run
// holds the folder; -json carries the same.
func TestStatusInFlight(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "inflight.yaml")
	os.WriteFile(cfg, []byte(inflight), 0o644)
	dir := filepath.Join(tmp, "out")
	if code, _, errs := cli(t, "run", "-jobs", "2", "-out", dir, cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errs)
	}
	// Make the DI cell pending again, as if in flight.
	di := planOf(t, cfg).Cells[1]
	os.Remove(filepath.Join(dir, "runs", di.ID+".parquet"))
	os.Remove(filepath.Join(dir, "curves", di.ID+".parquet"))
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	train, test := 0.0123, 0.0456
	pr := sweep.CellProgress{CellID: di.ID, Model: "DI", Step: 12000, Steps: 20000, TrainError: &train, TestError: &test,
		Checkpoint: now.Add(-4 * time.Minute), Updated: now.Add(-7 * time.Second), Host: "node7", PID: 4242}
	data, _ := json.Marshal(pr)
	os.WriteFile(filepath.Join(dir, "progress", di.ID+".json"), data, 0o644)
	defer func(f func() time.Time) { statusNow = f }(statusNow)
	statusNow = func() time.Time { return now }
	code, out, errs := cli(t, "status", dir)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, errs)
	}
	golden(t, "status/in_flight", strings.ReplaceAll(out, dir, "DIR"))
	code, out, _ = cli(t, "status", "-json", dir)
	var s sweep.Status
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || len(s.InFlight) != 1 || s.InFlight[0].Step != 12000 {
		t.Errorf("status -json: exit %d, %v, in flight %+v", code, err, s.InFlight)
	}
}

// TestPlotPartial: plot -partial draws the cells in flight from their
// checkpoints, and says which up to what step; without it they are left out.
func TestPlotPartial(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "inflight.yaml")
	os.WriteFile(cfg, []byte(inflight), 0o644)
	dir := filepath.Join(tmp, "out")
	p := planOf(t, cfg)
	// Drain once the DI cell has checkpointed twice: it stays in flight.
	drain := make(chan struct{})
	var once sync.Once
	n := 0
	sweep.TestHookCheckpointed = func(id string) {
		if id == p.Cells[1].ID {
			if n++; n == 2 {
				once.Do(func() { close(drain) })
			}
		}
	}
	defer func() { sweep.TestHookCheckpointed = nil }()
	s, err := sweep.Run(context.Background(), p, sweep.Options{Dir: dir, Jobs: 2, CheckpointEvery: 5 * time.Millisecond, Drain: drain})
	if s.OK != 1 || s.Pending != 1 {
		t.Fatalf("drained run: %+v, %v; want BP done and DI in flight", s, err)
	}
	png := filepath.Join(tmp, "partial.png")
	code, _, errs := cli(t, "plot", "-partial", "-o", png, dir)
	if code != 0 || !strings.Contains(errs, "-partial: 1 cells in flight, up to their last checkpoints: "+p.Cells[1].ID+" DI step ") {
		t.Fatalf("plot -partial: exit %d\n%s", code, errs)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Fatalf("plot -partial wrote %v, %v", fi, err)
	}
	code, _, errs = cli(t, "plot", "-figure", "metric", "-o", filepath.Join(tmp, "done.png"), dir)
	if code != 0 || strings.Contains(errs, "in flight") {
		t.Errorf("plot without -partial: exit %d\n%s", code, errs)
	}
}

// planOf is the plan of the sweep file cfg.
func planOf(t *testing.T, cfg string) *sweep.Plan {
	t.Helper()
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sweep.NewPlan(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
