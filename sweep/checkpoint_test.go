package sweep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// drainable: six cells of a few seconds each, all in flight at once with
// six jobs.
const drainable = `
sweep: drainable
experiment: linear_regression
seeds: [0, 1]
params: {num_iters: 6000}
defaults: {eta: 0.01}
models:
  - {name: BP, model_type: BP, params: {num_iters: 30000}}
  - {name: NDI, model_type: NDI, fback_type: neg-transpose, leak: 0.01, params: {num_iters: 15000}}
  - {name: DI, model_type: DI, fback_type: optim, leak: 0.01}
`

// drained runs p into dir until every cell has written two checkpoints
// (so that each has made steps), then drains the run: every cell writes a
// last checkpoint and stops.
func drained(t *testing.T, p *Plan, dir string) {
	t.Helper()
	drain := make(chan struct{})
	var mu sync.Mutex
	saves := map[string]int{}
	TestHookCheckpointed = func(id string) {
		mu.Lock()
		defer mu.Unlock()
		saves[id]++
		for _, c := range p.Cells {
			if saves[c.ID] < 2 {
				return
			}
		}
		if saves[""] == 0 {
			saves[""] = 1
			close(drain)
		}
	}
	defer func() { TestHookCheckpointed = nil }()
	s, err := runSweep(t, p, Options{Dir: dir, Jobs: len(p.Cells), CheckpointEvery: 5 * time.Millisecond, Drain: drain})
	if !errors.Is(err, ErrInterrupted) || s.Pending != len(p.Cells) {
		t.Fatalf("drained run: %+v, %v; want every cell pending and ErrInterrupted", s, err)
	}
	for _, c := range p.Cells {
		if _, err := os.Stat(checkpointPath(dir, c.ID)); err != nil {
			t.Fatalf("cell %s %s wrote no checkpoint when drained: %v", c.Model, c.ID, err)
		}
	}
}

// TestDrainCheckpoints: a run that is drained (a signal's gentle stop)
// leaves a checkpoint of each cell in flight, and the run that resumes them
// gives the tables of a run never stopped, leaving no checkpoint behind.
func TestDrainCheckpoints(t *testing.T) {
	p := plan(t, "drainable.yaml", drainable)
	ref, dir := t.TempDir(), t.TempDir()
	if _, err := runSweep(t, p, Options{Dir: ref, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	drained(t, p, dir)
	var log bytes.Buffer
	if _, err := runSweep(t, p, Options{Dir: dir, Jobs: 2, CheckpointEvery: time.Hour, Stderr: &log}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "continues from its checkpoint at step"); n != len(p.Cells) {
		t.Errorf("%d cells continued from their checkpoints, want %d:\n%s", n, len(p.Cells), log.String())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(left) > 0 {
		t.Errorf("checkpoints left: %v", left)
	}
	sameTables(t, ref, dir)
}

// TestBadCheckpointsSetAside: a truncated checkpoint, another cell's, one
// of other numerics, one that reads but does not fit its cell's network,
// one of a cell no longer planned and a file that is no checkpoint are
// each moved to damaged/ with a warning that says why; their cells start
// from zero, the others continue, and the tables equal a run never stopped.
func TestBadCheckpointsSetAside(t *testing.T) {
	p := plan(t, "drainable.yaml", drainable)
	ref, dir := t.TempDir(), t.TempDir()
	if _, err := runSweep(t, p, Options{Dir: ref, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	drained(t, p, dir)
	c := p.Cells
	path := func(i int) string { return checkpointPath(dir, c[i].ID) }
	read := func(i int) *checkpointFile {
		f, err := readCheckpoint(path(i), &c[i])
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// 0: truncated.
	data, _ := os.ReadFile(path(0))
	os.WriteFile(path(0), data[:len(data)/2], 0o644)
	// 1: cell 2's, under cell 1's name.
	data, _ = os.ReadFile(path(2))
	os.WriteFile(path(1), data, 0o644)
	// 3: other numerics.
	f := read(3)
	f.Numerics = "0.0"
	if err := writeCheckpoint(path(3), f); err != nil {
		t.Fatal(err)
	}
	// 4: reads, but of a network of other shapes.
	f = read(4)
	f.State.Weights[0] = f.State.Weights[0][:3]
	if err := writeCheckpoint(path(4), f); err != nil {
		t.Fatal(err)
	}
	// A cell no longer planned, and a stray file.
	stale := checkpointPath(dir, "0123456789abcdef")
	data, _ = os.ReadFile(path(5))
	os.WriteFile(stale, data, 0o644)
	stray := filepath.Join(dir, "checkpoints", "notes.txt")
	os.WriteFile(stray, []byte("mine"), 0o644)

	var log bytes.Buffer
	if _, err := runSweep(t, p, Options{Dir: dir, Jobs: 2, CheckpointEvery: time.Hour, Stderr: &log}); err != nil {
		t.Fatal(err)
	}
	out := log.String()
	for _, want := range []string{
		path(0) + ": damaged checkpoint: its checksum does not match",
		path(1) + ": a checkpoint of cell " + c[2].ID + ", not of this cell",
		path(3) + ": a checkpoint of numerics 0.0, this dinv computes " + numericsOf(&c[3]),
		"cell " + c[4].ID + ": models: checkpoint does not fit the run: layer 0 has another shape; " + path(4) + " moved to",
		stale + ": a checkpoint of no cell of this sweep",
		stray + " is not a checkpoint",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the run does not say %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "continues from its checkpoint"); n != 3 {
		t.Errorf("%d cells continued from checkpoints, want 3 (cells 2, 5 and 4, whose checkpoint then did not fit):\n%s", n, out)
	}
	if d, _ := filepath.Glob(filepath.Join(dir, "damaged", "*")); len(d) != 6 {
		t.Errorf("damaged/ holds %d files, want 6: %v", len(d), d)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(left) > 0 {
		t.Errorf("checkpoints left: %v", left)
	}
	sameTables(t, ref, dir)
}

// TestCheckpointRoundTrip: what is written reads back equal, and a checkpoint
// with a byte changed anywhere is damaged, never a panic.
func TestCheckpointRoundTrip(t *testing.T) {
	p := plan(t, "drainable.yaml", drainable)
	dir := t.TempDir()
	drained(t, p, dir)
	c := &p.Cells[2]
	data, err := os.ReadFile(checkpointPath(dir, c.ID))
	if err != nil {
		t.Fatal(err)
	}
	f, err := decodeCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.CellID != c.ID || f.Numerics != numericsOf(c) || f.State.Step <= 0 || f.Steps != plannedSteps(c) {
		t.Fatalf("read back cell %s, numerics %s, step %d of %d; %v", f.CellID, f.Numerics, f.State.Step, f.Steps, err)
	}
	for i := 0; i < len(data); i += 1 + len(data)/300 {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if _, err := decodeCheckpoint(bad); err == nil {
			t.Fatalf("a checkpoint with byte %d changed reads", i)
		}
	}
}

// TestProgressLine: the plain progress line counts the steps of all the
// cells to run, those of the checkpoints resumed from included, and
// estimates the time left from this run's steps.
func TestProgressLine(t *testing.T) {
	c := &counts{total: 3, planned: 200}
	c.before.Store(20)
	c.steps.Store(30)
	r := &reporter{c: c, start: time.Now().Add(-30 * time.Second)}
	line := r.line()
	if !strings.HasPrefix(line, "progress: 0/3 cells (steps 50/200, 25.0%), 0 running") {
		t.Errorf("line %q", line)
	}
	// 30 steps in 30 s, 150 left: 2m30s.
	if !strings.HasSuffix(line, "eta 2m30s") {
		t.Errorf("line %q, want eta 2m30s", line)
	}
	c.dropped.Store(150) // a cell that diverged early
	if line := r.line(); !strings.Contains(line, "(steps 200/200, 100.0%)") || !strings.HasSuffix(line, "eta 0s") {
		t.Errorf("line %q", line)
	}
}

// TestProgressFiles: while a sweep runs, each cell in flight has a progress
// file saying its step of its steps; a cell that leaves (here, drained)
// removes it.
func TestProgressFiles(t *testing.T) {
	p := plan(t, "drainable.yaml", drainable)
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string]CellProgress{}
	all := map[string]bool{}
	for _, c := range p.Cells {
		all[c.ID] = true
	}
	drain := make(chan struct{})
	var once sync.Once
	TestHookCheckpointed = func(string) {
		mu.Lock()
		defer mu.Unlock()
		for _, pr := range ReadProgress(dir, all) {
			if pr.Step > 0 && pr.PID == os.Getpid() {
				seen[pr.CellID] = pr
			}
		}
		if len(seen) == len(p.Cells) {
			once.Do(func() { close(drain) })
		}
	}
	defer func() { TestHookCheckpointed = nil }()
	runSweep(t, p, Options{Dir: dir, Jobs: len(p.Cells), CheckpointEvery: 5 * time.Millisecond, Interval: 10 * time.Millisecond, Drain: drain})
	if len(seen) != len(p.Cells) {
		t.Fatalf("progress seen of %d cells, want %d", len(seen), len(p.Cells))
	}
	for _, c := range p.Cells {
		pr := seen[c.ID]
		if pr.Model != c.Model || pr.Steps != plannedSteps(&c) || pr.Step > pr.Steps || pr.Checkpoint.IsZero() {
			t.Errorf("cell %s: progress %+v", c.ID, pr)
		}
	}
	if left := ReadProgress(dir, all); len(left) > 0 {
		t.Errorf("progress files left after the run: %+v", left)
	}
}
