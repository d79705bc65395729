package sweep

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dinv/config"
	"dinv/models"
	"dinv/results"
)

// small is a sweep of every rule that runs in well under a second.
const small = `
sweep: small
experiment: linear_regression
seeds: [0, 1]
params: {num_iters: 60}
defaults: {eta: 0.01}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: PBP, model_type: PBP}
  - {name: NDI, model_type: NDI, fback_type: neg-transpose, leak: 0.01}
  - {name: DI, model_type: DI, fback_type: optim, leak: 0.01}
  - {name: SDI, model_type: SDI, fback_type: neg-transpose, leak: 0.01, params: {sizes: [30, 20, 20, 10]}}
grid:
  w_decay: [0, 0.0001]
`

func plan(t *testing.T, name, src string) *Plan {
	t.Helper()
	c, err := config.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runSweep(t *testing.T, p *Plan, opt Options) (Summary, error) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	return Run(context.Background(), p, opt)
}

// tables reads both tables of dir with the columns that vary between runs
// of the same cells (timings, versions) blanked.
func tables(t *testing.T, dir string) ([]results.Run, []results.Curve) {
	t.Helper()
	runs, errs := results.ReadRuns(dir)
	curves, errs2 := results.ReadCurves(dir)
	if len(errs)+len(errs2) > 0 {
		t.Fatalf("unreadable results: %v %v", errs, errs2)
	}
	for i := range runs {
		runs[i].WallSeconds, runs[i].StartedAt, runs[i].FinishedAt = 0, time.Time{}, time.Time{}
	}
	return runs, curves
}

// sameTables compares two result folders value for value (NaN equals NaN).
func sameTables(t *testing.T, a, b string) {
	t.Helper()
	ra, ca := tables(t, a)
	rb, cb := tables(t, b)
	if len(ra) != len(rb) || len(ca) != len(cb) {
		t.Fatalf("%s has %d runs and %d curves, %s has %d and %d", a, len(ra), len(ca), b, len(rb), len(cb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if ptrBitsEqual(x.FinalTrainError, y.FinalTrainError) && ptrBitsEqual(x.FinalTestError, y.FinalTestError) {
			x.FinalTrainError, y.FinalTrainError, x.FinalTestError, y.FinalTestError = nil, nil, nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("runs differ:\n%+v\n%+v", x, y)
		}
	}
	for i := range ca {
		if !reflect.DeepEqual(ca[i].CellKey, cb[i].CellKey) || len(ca[i].Points) != len(cb[i].Points) {
			t.Fatalf("curves of %s differ in key or length", ca[i].CellID)
		}
		for j, p := range ca[i].Points {
			q := cb[i].Points[j]
			if p.Step != q.Step || p.Metric != q.Metric || p.Layer != q.Layer || !bitsEqual(p.Value, q.Value) {
				t.Fatalf("curve %s point %d: %+v vs %+v", ca[i].CellID, j, p, q)
			}
		}
	}
}

func bitsEqual(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// ptrBitsEqual is bitsEqual for nullable values: both null, or both the same bits.
func ptrBitsEqual(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && bitsEqual(*a, *b)
}

func TestJobsDeterminism(t *testing.T) {
	p := plan(t, "small.yaml", small)
	one, two := t.TempDir(), t.TempDir()
	if s, err := runSweep(t, p, Options{Dir: one, Jobs: 1}); err != nil || s.OK != len(p.Cells) {
		t.Fatalf("jobs 1: %+v %v", s, err)
	}
	if s, err := runSweep(t, p, Options{Dir: two, Jobs: 2}); err != nil || s.OK != len(p.Cells) {
		t.Fatalf("jobs 2: %+v %v", s, err)
	}
	sameTables(t, one, two)
}

// TestShards runs the two halves of a plan side by side into one folder
// and checks they cover it exactly once and equal a whole run.
func TestShards(t *testing.T) {
	p := plan(t, "small.yaml", small)
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		for _, c := range p.Shard(k, 3) {
			seen[c.ID]++
			if ShardOf(c.Index, 3) != k {
				t.Errorf("cell %d in shard %d, ShardOf says %d", c.Index, k, ShardOf(c.Index, 3))
			}
		}
	}
	if len(seen) != len(p.Cells) {
		t.Fatalf("shards cover %d of %d cells", len(seen), len(p.Cells))
	}
	shared, whole := t.TempDir(), t.TempDir()
	errc := make(chan error, 2)
	for k := 1; k <= 2; k++ {
		go func() {
			_, err := Run(context.Background(), p, Options{Dir: shared, Jobs: 1, Shard: k, Shards: 2})
			errc <- err
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	runSweep(t, p, Options{Dir: whole, Jobs: 2})
	sameTables(t, shared, whole)
}

func TestResolvedPlansTheSameCells(t *testing.T) {
	eachResolved(t, func(f string, _ *config.Config, p *Plan, text []byte) {
		samePlans(t, f, p, plan(t, "sweep.yaml", string(text)))
	})
}

// eachResolved calls fn with every sweep file of the repository, its
// plan and its resolved sweep.yaml.
func eachResolved(t *testing.T, fn func(file string, c *config.Config, p *Plan, text []byte)) {
	t.Helper()
	files, _ := filepath.Glob("../configs/*.yaml")
	more, _ := filepath.Glob("../testdata/plan/*.yaml")
	for _, f := range append(files, more...) {
		c, err := config.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(c, 0)
		if err != nil {
			t.Fatal(err)
		}
		text, err := Resolved(p)
		if err != nil {
			t.Fatal(err)
		}
		fn(f, c, p, text)
	}
}

// samePlans fails unless q has p's cells, in p's order, with its names.
func samePlans(t *testing.T, f string, p, q *Plan) {
	t.Helper()
	if len(p.Cells) != len(q.Cells) {
		t.Fatalf("%s: %d cells, its sweep.yaml %d", f, len(p.Cells), len(q.Cells))
	}
	for i := range p.Cells {
		if p.Cells[i].ID != q.Cells[i].ID || p.Cells[i].Model != q.Cells[i].Model {
			t.Fatalf("%s: cell %d is %s %s, in its sweep.yaml %s %s", f, i, p.Cells[i].Model, p.Cells[i].ID, q.Cells[i].Model, q.Cells[i].ID)
		}
	}
}

// TestCellIdentity: a cell's id depends on its definition only, not on
// the model's name, the config it came from or its neighbours, and every
// value of the definition changes it.
func TestCellIdentity(t *testing.T) {
	base := "sweep: a\nexperiment: linear_regression\nseeds: [3]\nparams: {num_iters: 100}\nmodels:\n"
	id := func(model string, extra ...string) string {
		src := base + "  - " + model + "\n" + strings.Join(extra, "\n")
		return plan(t, "x.yaml", src).Cells[0].ID
	}
	ref := id("{name: DI, model_type: DI, fback_type: optim, leak: 0.01}")
	if got := id("{name: other-name, model_type: DI, fback_type: optim, leak: 0.01}", "  - {name: BP, model_type: BP}"); got != ref {
		t.Errorf("renaming the model or adding one changed the id: %s vs %s", got, ref)
	}
	if got := id("{name: DI, model_type: DI, fback_type: optim}", "defaults: {leak: 0.01, eta: 0.01}"); got != ref {
		t.Errorf("the same values through defaults gave a new id: %s vs %s", got, ref)
	}
	for _, m := range []string{
		"{name: DI, model_type: NDI, fback_type: optim, leak: 0.01}",
		"{name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.02}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.01, eta: 0.02}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.01, w_decay: 0.001}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.01, fback_gain: 2}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.01, fback_scale: 0.1}",
		"{name: DI, model_type: DI, fback_type: optim, leak: 0.01, params: {dt: 0.25}}",
	} {
		if id(m) == ref {
			t.Errorf("%s has the reference id", m)
		}
	}
	if got := plan(t, "x.yaml", strings.Replace(base, "[3]", "[4]", 1)+"  - {name: DI, model_type: DI, fback_type: optim, leak: 0.01}").Cells[0].ID; got == ref {
		t.Error("another seed has the reference id")
	}
}

func TestFailedCellsAreRecordedAndRetried(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := t.TempDir()
	victim := p.Cells[3].ID
	testHook = func(c *Cell) {
		if c.ID == victim {
			panic("boom")
		}
	}
	s, err := runSweep(t, p, Options{Dir: dir, Jobs: 2})
	testHook = nil
	if !errors.Is(err, ErrCellsFailed) || s.Failed != 1 || s.OK != len(p.Cells)-1 {
		t.Fatalf("first run: %+v, %v; want one failed cell", s, err)
	}
	r, err := results.ReadRun(filepath.Join(dir, "runs", victim+".parquet"))
	if err != nil || r.Status != results.StatusFailed || !strings.Contains(r.Message, "panic: boom") || !strings.Contains(r.Message, "sweep.(*worker).train") {
		t.Fatalf("failed cell's run: %+v, %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "curves", victim+".parquet")); !os.IsNotExist(err) {
		t.Errorf("a failed cell has a curves file")
	}
	st, err := ReadStatus(dir, 0)
	if err != nil || st.Failed != 1 || st.OK != len(p.Cells)-1 || len(st.FailedRuns) != 1 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	var ran atomic.Int64
	testHook = func(*Cell) { ran.Add(1) }
	defer func() { testHook = nil }()
	s, err = runSweep(t, p, Options{Dir: dir, Jobs: 2})
	if err != nil || s.Retried != 1 || s.Skipped != len(p.Cells)-1 || ran.Load() != 1 || s.OK != 1 {
		t.Fatalf("second run: %+v, %v, %d cells trained; want only the failed one", s, err, ran.Load())
	}
}

func TestInterruptKeepsFinishedCells(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	testHook = func(*Cell) {
		if started.Add(1) == 5 {
			cancel()
		}
	}
	s, err := Run(ctx, p, Options{Dir: dir, Jobs: 2})
	testHook = nil
	if !errors.Is(err, ErrInterrupted) || s.Pending == 0 {
		t.Fatalf("interrupted run: %+v, %v", s, err)
	}
	runs, _ := results.ReadRuns(dir)
	if len(runs) != s.OK+s.Diverged+s.Failed || len(runs) >= len(p.Cells) {
		t.Fatalf("%d runs files after an interrupted run of %+v", len(runs), s)
	}
	s2, err := Run(context.Background(), p, Options{Dir: dir, Jobs: 2})
	if err != nil || s2.Skipped != len(runs) || s2.OK+s2.Skipped != len(p.Cells) {
		t.Fatalf("resumed: %+v, %v", s2, err)
	}
	whole := t.TempDir()
	runSweep(t, p, Options{Dir: whole, Jobs: 2})
	sameTables(t, dir, whole)
}

// A changed configuration replaces sweep.yaml with a note; the same plan
// from an edited comment does not note anything.
func TestPrepareNotesAChangedPlan(t *testing.T) {
	dir := t.TempDir()
	var note strings.Builder
	p := plan(t, "small.yaml", small)
	if err := Prepare(p, dir, &note); err != nil || note.Len() > 0 {
		t.Fatalf("first: %v %q", err, note.String())
	}
	if err := Prepare(plan(t, "small.yaml", "# a comment\n"+small), dir, &note); err != nil || note.Len() > 0 {
		t.Fatalf("same plan: %v %q", err, note.String())
	}
	if err := Prepare(plan(t, "small.yaml", strings.Replace(small, "[0, 1]", "[0, 1, 2]", 1)), dir, &note); err != nil ||
		!strings.Contains(note.String(), "planned other cells") {
		t.Fatalf("other plan: %v %q", err, note.String())
	}
}

func TestSecondRunIsLockedOut(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := t.TempDir()
	if err := Prepare(p, dir, nil); err != nil {
		t.Fatal(err)
	}
	l, err := lockFolder(dir, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runSweep(t, p, Options{Dir: dir})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("whole run beside a whole run: %v", err)
	}
	_, err = runSweep(t, p, Options{Dir: dir, Shard: 1, Shards: 2})
	if !errors.Is(err, ErrLocked) {
		t.Errorf("shard run beside a whole run: %v", err)
	}
	if r := Running(dir); len(r) != 1 || !strings.Contains(r[0], "shard 1/1") {
		t.Errorf("Running says %q, want the whole run", r)
	}
	l.unlock()
	if r := Running(dir); len(r) != 0 {
		t.Errorf("Running says %q with no run", r)
	}
	l, err = lockFolder(dir, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	if r := Running(dir); len(r) != 1 || !strings.Contains(r[0], "shard 2/3") {
		t.Errorf("Running says %q, want shard 2/3", r)
	}
	_, err = runSweep(t, p, Options{Dir: dir, Shard: 2, Shards: 3})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "shard 2/3") {
		t.Errorf("the same shard twice: %v", err)
	}
	_, err = runSweep(t, p, Options{Dir: dir})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "shard runs") {
		t.Errorf("whole run beside a shard run: %v", err)
	}
	if _, err := runSweep(t, p, Options{Dir: dir, Shard: 1, Shards: 3}); err != nil {
		t.Errorf("another shard: %v", err)
	}
}

// TestPlanChecksEveryPoint: a grid value that the experiment rejects for a
// model is a configuration error at the value's line, found when the plan
// is made (after its cap, so that a huge grid costs no checks).
func TestPlanChecksEveryPoint(t *testing.T) {
	src := "sweep: s\nexperiment: linear_regression\nseeds: [0]\ngrid:\n  model_type: [BP, SDI]\n  sizes: [[30, 20, 15, 10], [30, 10]]\n"
	c, err := config.Parse("bad.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(c, 0)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:6: grid.sizes[1]: linear_regression: SDI needs at least three layers") {
		t.Errorf("a grid value of two sizes for SDI: %v, want an error at grid.sizes[1]", err)
	}
}

// TestRunsRecordKernels: the runs table names the kernels each cell ran on,
// and with one job the DI and SDI cells run first (longestFirst), the others
// in the plan's order.
func TestRunsRecordKernels(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := t.TempDir()
	opt := Options{Dir: dir, Jobs: 1}
	opt.Env.Kernels = models.Fast{}
	if s, err := runSweep(t, p, opt); err != nil || s.OK != len(p.Cells) {
		t.Fatalf("%+v %v", s, err)
	}
	runs, errs := results.ReadRuns(dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := models.KernelsName(models.Fast{})
	byID := map[string]results.Run{}
	for _, r := range runs {
		if r.Kernels != want {
			t.Errorf("cell %s: kernels %q, want %q", r.CellID, r.Kernels, want)
		}
		byID[r.CellID] = r
	}
	var started []string // model types, in the order the cells started
	order := slices.Clone(runs)
	slices.SortFunc(order, func(a, b results.Run) int { return a.StartedAt.Compare(b.StartedAt) })
	for _, r := range order {
		started = append(started, r.ModelType)
	}
	var wantOrder []string
	for _, first := range []bool{true, false} {
		for _, c := range p.Cells {
			if k := c.Def.Rule; (k == models.DI || k == models.SDI) == first {
				wantOrder = append(wantOrder, byID[c.ID].ModelType)
			}
		}
	}
	if !slices.Equal(started, wantOrder) {
		t.Errorf("cells started in the order %v, want %v", started, wantOrder)
	}
}

// spareSeen records, per seed, the free spare slots a cell of the
// sweep_test_spare experiment saw when it ran.
var spareSeen sync.Map

func init() {
	models.Register(models.Definition{Name: "sweep_test_spare", Doc: "a test experiment: records the spare slots it sees",
		Defaults: func() models.Params {
			p := models.BaseParams()
			p.Sizes, p.Eta = []int{2, 1}, 0.1
			return p
		},
		Run: func(_ context.Context, env models.Env, _ models.Params, _ models.Model, seed uint64, _ models.Recorder) (models.Result, error) {
			spareSeen.Store(seed, env.Spare.Free())
			return models.Result{Status: models.OK}, nil
		}})
}

// TestSpareSlots: a run with fewer cells than jobs lends the idle slots to
// its cells (models.Env.Spare); with as many cells as jobs there are none
// while every cell is to start.
func TestSpareSlots(t *testing.T) {
	for _, tc := range []struct {
		jobs  int
		seeds string
		want  map[uint64]int
	}{
		{4, "[7]", map[uint64]int{7: 3}},
		{2, "[1, 2]", map[uint64]int{1: 0, 2: 0}},
	} {
		spareSeen.Clear()
		p := plan(t, "spare.yaml", "sweep: s\nexperiment: sweep_test_spare\nseeds: "+tc.seeds+"\nmodels:\n  - {name: BP, model_type: BP}\n")
		if s, err := runSweep(t, p, Options{Jobs: tc.jobs}); err != nil || s.OK != len(tc.want) {
			t.Fatalf("jobs %d: %+v %v", tc.jobs, s, err)
		}
		for seed, want := range tc.want {
			if got, _ := spareSeen.Load(seed); got != want {
				t.Errorf("jobs %d, seed %d: the cell saw %v spare slots, want %d", tc.jobs, seed, got, want)
			}
		}
	}
}
