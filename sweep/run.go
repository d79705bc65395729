package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"dinv/config"
	"dinv/models"
	"dinv/results"
)

// ErrInterrupted is returned when the context ended a run before its cells
// were done. Finished cells are kept.
var ErrInterrupted = errors.New("interrupted")

// ErrCellsFailed is returned when a run finished with failed cells.
var ErrCellsFailed = errors.New("some cells failed")

// Options control Run.
type Options struct {
	Dir      string // results folder
	Jobs     int    // cells at once; <= 0 means the number of CPUs
	Shard    int    // 1..Shards
	Shards   int    // 0 or 1: the whole sweep
	Env      models.Env
	Stderr   io.Writer
	TTY      bool          // draw a live bar instead of plain lines
	Interval time.Duration // between plain progress lines (0: 10 s)
	Version  string        // tool version for the runs table
	Commit   string        // git commit for the runs table
	// CheckpointEvery is the cadence of the cells' checkpoints (see
	// checkpointer); 0 writes none (an earlier checkpoint is still
	// resumed from). Negative means the default, DefaultCheckpointEvery.
	CheckpointEvery time.Duration
	// SaveWeights keeps each finished cell's final weights, biases and
	// feedback as DIR/weights/<id>.npz (see writeWeights).
	SaveWeights bool
	// Drain, when closed, stops the run gently: no cell starts any more,
	// and the cells in flight write a checkpoint and stop (as soon as
	// they are between two steps); Run then returns ErrInterrupted.
	// Cancelling ctx stops them at once instead.
	Drain <-chan struct{}
}

// DefaultCheckpointEvery is the cadence of checkpoints unless set.
const DefaultCheckpointEvery = 10 * time.Minute

// Summary counts the cells of one Run.
type Summary struct {
	Cells    int // in this shard
	Skipped  int // finished before this run
	Retried  int // failed before, run again
	OK       int
	Diverged int
	Failed   int
	Pending  int // not run because of interruption
}

// Run executes the pending cells of p's shard into opt.Dir, as described in
// the package documentation. It returns ErrInterrupted when ctx ends first,
// ErrCellsFailed when cells failed, ErrLocked when another run holds the
// folder or shard, and other errors when the folder cannot be used.
func Run(ctx context.Context, p *Plan, opt Options) (Summary, error) {
	if opt.Shards <= 1 {
		opt.Shard, opt.Shards = 1, 1
	}
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	if opt.Interval <= 0 {
		opt.Interval = 10 * time.Second
	}
	if opt.CheckpointEvery < 0 {
		opt.CheckpointEvery = DefaultCheckpointEvery
	}
	if err := makeFolders(opt.Dir); err != nil {
		return Summary{}, err
	}
	lock, err := lockFolder(opt.Dir, opt.Shard, opt.Shards)
	if err != nil {
		return Summary{}, err
	}
	defer lock.unlock()
	// Only the holder of the lock may rewrite sweep.yaml: a refused run
	// leaves the folder as it found it.
	if err := writeResolved(p, opt.Dir, opt.Stderr); err != nil {
		return Summary{}, err
	}
	if err := probeWritable(opt.Dir); err != nil {
		return Summary{}, err
	}

	cells := p.Shard(opt.Shard, opt.Shards)
	done, warnings := scan(opt.Dir, cells)
	warnings = append(warnings, scanCheckpoints(opt.Dir, p.Cells, cells)...)
	for _, w := range warnings {
		fmt.Fprintln(opt.Stderr, "warning:", w)
	}
	s := Summary{Cells: len(cells)}
	var todo []Cell
	for _, c := range cells {
		switch st := done[c.ID]; {
		case st.Finished():
			s.Skipped++
			os.Remove(checkpointPath(opt.Dir, c.ID)) // left by a run killed as it finished
		case st == results.StatusFailed:
			s.Retried++
			todo = append(todo, c)
		default:
			todo = append(todo, c)
		}
	}
	shard := ""
	if opt.Shards > 1 {
		shard = fmt.Sprintf(" (shard %d/%d)", opt.Shard, opt.Shards)
	}
	fmt.Fprintf(opt.Stderr, "sweep %s%s: %d cells; %d finished before, skipped; %d failed before, retrying; %d to run with %d jobs (kernels %s) into %s\n",
		p.Config.Sweep, shard, len(cells), s.Skipped, s.Retried, len(todo), opt.Jobs, models.KernelsName(opt.Env.Kernels), opt.Dir)

	longestFirst(todo)
	cnt := &counts{total: len(todo)}
	for i := range todo {
		cnt.planned += int64(plannedSteps(&todo[i]))
	}
	rep := newReporter(opt.Stderr, cnt, opt.TTY, opt.Interval)
	// Job slots that no cell will use (fewer cells than jobs, or none left
	// to start) are lent to the cells running (models.Spare): an MNIST
	// evaluation shares its chunks among them.
	spare := &models.Spare{}
	spare.Give(opt.Jobs - len(todo))
	opt.Env.Spare = spare
	var waiting atomic.Int64 // cells not started yet
	waiting.Store(int64(len(todo)))
	w := &worker{p: p, opt: opt, rep: rep, cnt: cnt}
	// startCtx ends when no cell may start any more: at ctx's end, or when
	// the run drains.
	startCtx, stopStarting := context.WithCancel(ctx)
	defer stopStarting()
	ranAll := make(chan struct{})
	var drained atomic.Bool
	go func() {
		select {
		case <-opt.Drain:
			drained.Store(true)
			stopStarting()
			w.live.drain()
		case <-ranAll:
		}
	}()
	// The progress of the cells in flight, for status from elsewhere.
	host, _ := os.Hostname()
	go func() {
		t := time.NewTicker(opt.Interval)
		defer t.Stop()
		for {
			select {
			case <-ranAll:
				return
			case <-t.C:
				w.writeProgress(host)
			}
		}
	}()
	g := new(errgroup.Group)
	g.SetLimit(opt.Jobs)
	for i := range todo {
		if startCtx.Err() != nil {
			break
		}
		c := &todo[i]
		g.Go(func() error {
			waiting.Add(-1)
			if startCtx.Err() != nil {
				return nil
			}
			w.run(ctx, c)
			if waiting.Load() == 0 && ctx.Err() == nil {
				spare.Give(1) // no cell will start in this slot
			}
			return nil
		})
	}
	g.Wait()
	close(ranAll)
	rep.close()

	s.OK = int(cnt.done.Load() - cnt.failed.Load() - cnt.diverged.Load())
	s.Diverged = int(cnt.diverged.Load())
	s.Failed = int(cnt.failed.Load())
	s.Pending = len(todo) - int(cnt.done.Load())
	fmt.Fprintf(opt.Stderr, "sweep %s%s: %d ok, %d diverged, %d failed, %d skipped, %d not run; %s\n",
		p.Config.Sweep, shard, s.OK, s.Diverged, s.Failed, s.Skipped, s.Pending,
		time.Since(rep.start).Round(time.Millisecond))
	switch {
	case (ctx.Err() != nil || drained.Load()) && s.Pending > 0:
		return s, ErrInterrupted
	case s.Failed > 0:
		return s, ErrCellsFailed
	}
	return s, nil
}

// longestFirst puts the cells of DI and SDI first, keeping the plan's order
// otherwise. Their feedback loops make them the longest cells of every
// experiment (an MNIST DI cell takes 2.5 times a BP cell), and started last
// they would run on alone while the other jobs' slots stand idle: one seed of
// Fig. 4a on two jobs takes 2.4 hours in this order and 2.7 in the plan's.
// A cell's results do not depend on when it runs.
func longestFirst(cells []Cell) {
	slices.SortStableFunc(cells, func(a, b Cell) int {
		return cmp.Compare(loopRank(a), loopRank(b))
	})
}

func loopRank(c Cell) int {
	if k := c.Def.Rule; k == models.DI || k == models.SDI {
		return 0
	}
	return 1
}

// Prepare creates the results folder and writes sweep.yaml, the resolved
// configuration, for runs that will start later (Slurm tasks). It takes the
// folder's lock shared while it writes, so that it never rewrites the
// sweep.yaml of a whole run in progress; shard runs hold the lock shared
// too and may be running beside it.
func Prepare(p *Plan, dir string, warn io.Writer) error {
	if err := makeFolders(dir); err != nil {
		return err
	}
	l, err := sharedFolderLock(dir)
	if err != nil {
		return err
	}
	defer l.Unlock()
	return writeResolved(p, dir, warn)
}

func makeFolders(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, "runs"), filepath.Join(dir, "curves"), filepath.Join(dir, "checkpoints"), filepath.Join(dir, "weights"), filepath.Join(dir, "progress")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// writeResolved writes sweep.yaml unless it already holds the same text:
// shards started together find it written and leave it alone. When the
// folder's sweep.yaml plans other cells (the configuration changed), it
// says so on warn: the finished cells of the old plan stay, and status
// counts them as extra.
func writeResolved(p *Plan, dir string, warn io.Writer) error {
	text, err := Resolved(p)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "sweep.yaml")
	old, err := os.ReadFile(path)
	if err == nil && string(old) == string(text) {
		return nil
	}
	if err == nil && warn != nil && !samePlan(p, path) {
		fmt.Fprintf(warn, "note: %s planned other cells; replacing it (finished cells of the old plan stay in runs/, and status counts them as extra)\n", path)
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(text)
		return err
	})
}

// probeWritable proves that runs/ and curves/ take new files, so that a
// read-only folder is an error before any cell has trained, not after.
func probeWritable(dir string) error {
	for _, sub := range []string{"runs", "curves"} {
		f, err := os.CreateTemp(filepath.Join(dir, sub), ".dinv-probe-*")
		if err == nil {
			_, err = f.Write([]byte{0})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if rerr := os.Remove(f.Name()); err == nil {
				err = rerr
			}
		}
		if err != nil {
			return fmt.Errorf("results folder %s cannot be written (%s/): %w", dir, sub, err)
		}
	}
	return nil
}

// samePlan reports whether the configuration at path plans p's cells.
func samePlan(p *Plan, path string) bool {
	c, err := config.Load(path)
	if err != nil {
		return false
	}
	q, err := NewPlan(c, math.MaxInt)
	if err != nil || len(q.Cells) != len(p.Cells) {
		return false
	}
	for i := range q.Cells {
		if q.Cells[i].ID != p.Cells[i].ID || q.Cells[i].Model != p.Cells[i].Model {
			return false
		}
	}
	return true
}

// scan reads the runs files of cells: their status by cell id, and
// warnings about files it set aside. It removes temporaries and stray
// curves of these cells only, since other shards may be writing theirs.
func scan(dir string, cells []Cell) (map[string]results.Status, []string) {
	mine := make(map[string]bool, len(cells))
	for _, c := range cells {
		mine[c.ID] = true
	}
	status := map[string]results.Status{}
	var warnings []string
	for _, sub := range []string{"runs", "curves"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range ents {
			name := e.Name()
			if results.IsTemp(name) && mine[tempCell(name)] {
				os.Remove(filepath.Join(dir, sub, name))
			}
		}
	}
	for _, c := range cells {
		path := filepath.Join(dir, "runs", c.ID+".parquet")
		r, err := results.ReadRun(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("%v; moved to %s, cell will run again", err, quarantine(dir, path)))
		case r.CellID != c.ID:
			warnings = append(warnings, fmt.Sprintf("%s holds cell %s; moved to %s, cell will run again", path, r.CellID, quarantine(dir, path)))
		default:
			status[c.ID] = r.Status
		}
		if status[c.ID].Finished() {
			// A finished cell is one whose curves read back too.
			if err := checkCurve(dir, c.ID); err != nil {
				delete(status, c.ID)
				warnings = append(warnings, fmt.Sprintf("%v; cell will run again (its runs file moved to %s)", err, quarantine(dir, path)))
			}
		}
		if !status[c.ID].Finished() {
			// A curve without a finished run is left from a run killed
			// between the two renames, or from a cell that failed later.
			os.Remove(filepath.Join(dir, "curves", c.ID+".parquet"))
		}
	}
	return status, warnings
}

// curveError says why the curves file of the finished cell id does not
// read back, or returns nil.
func curveError(dir, id string) error {
	path := filepath.Join(dir, "curves", id+".parquet")
	cv, err := results.ReadCurve(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s is missing", path)
	case err == nil && cv.CellID != id:
		return fmt.Errorf("%s holds cell %s", path, cv.CellID)
	}
	return err
}

// checkCurve is curveError that moves a damaged curves file to damaged/.
func checkCurve(dir, id string) error {
	err := curveError(dir, id)
	path := filepath.Join(dir, "curves", id+".parquet")
	if _, serr := os.Stat(path); err != nil && serr == nil {
		err = fmt.Errorf("%v; moved to %s", err, quarantine(dir, path))
	}
	return err
}

// tempCell returns the cell id in a temporary's name (".ID.parquet.tmp-N").
func tempCell(name string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(name, "."), ".")
	return id
}

// quarantine moves a damaged file out of the result folders, keeping it
// for inspection, and returns where it went.
func quarantine(dir, path string) string {
	q := filepath.Join(dir, "damaged")
	os.MkdirAll(q, 0o755)
	to := filepath.Join(q, fmt.Sprintf("%s.%s", filepath.Base(path), time.Now().UTC().Format("20060102T150405.000000000")))
	if err := os.Rename(path, to); err != nil {
		os.Remove(path)
		return "nowhere (removed)"
	}
	return to
}

// worker runs cells and writes their results.
type worker struct {
	p    *Plan
	opt  Options
	rep  *reporter
	cnt  *counts
	live liveCells
}

// run trains one cell and writes its files. A panic or error is the cell's
// failure, recorded in its runs file; an interruption writes nothing.
func (w *worker) run(ctx context.Context, c *Cell) {
	w.cnt.running.Add(1)
	defer w.cnt.running.Add(-1)
	curve := results.Curve{CellKey: c.Key(w.p.Config.Sweep)}
	cellCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cp := w.checkpointer(c, &curve, cancel)
	w.live.add(cp)
	cp.start()
	res, err := w.train(cellCtx, c, cp, &curve)
	if cp.resume != nil && errors.Is(err, models.ErrCheckpoint) && cellCtx.Err() == nil {
		// A checkpoint that reads but does not fit the run: set it
		// aside and start again from zero.
		w.rep.logf("warning: cell %s: %v; %s moved to %s, the cell starts from zero", c.ID, err, cp.path, quarantine(w.opt.Dir, cp.path))
		cp.resume, cp.started, cp.before, cp.this, curve.Points = nil, time.Now().UTC(), 0, time.Now(), nil
		w.cnt.before.Add(-cp.step.Swap(0))
		res, err = w.train(cellCtx, c, cp, &curve)
	}
	w.live.remove(cp)
	cp.close()
	os.Remove(progressPath(w.opt.Dir, c.ID))
	if err != nil && cellCtx.Err() != nil {
		return // interrupted: the cell stays pending, its checkpoint kept
	}
	started := cp.started
	finished := time.Now()
	run := results.Run{
		CellKey:         curve.CellKey,
		FbackGain:       c.Def.FbackGain(),
		Params:          c.Def.ParamsJSON(),
		Steps:           int64(res.Steps),
		FinalTrainError: measured(res.FinalTrainError),
		FinalTestError:  measured(res.FinalTestError),
		WallSeconds:     (cp.before + finished.Sub(cp.this)).Seconds(),
		SSARuns:         int64(res.SSARuns),
		StartedAt:       started.UTC(),
		FinishedAt:      finished.UTC(),
		ToolVersion:     w.opt.Version,
		GitCommit:       w.opt.Commit,
		ConfigSHA256:    w.p.Config.SHA256,
		Kernels:         models.KernelsName(w.opt.Env.Kernels),
		DataMD5:         res.Data,
	}
	switch {
	case err != nil:
		run.Status, run.Message = results.StatusFailed, err.Error()
		run.FinalTrainError, run.FinalTestError = nil, nil
	case res.Status == models.Diverged:
		run.Status, run.Message = results.StatusDiverged, fmt.Sprintf("diverged at step %d", res.DivergedAt)
	default:
		run.Status = results.StatusOK
	}
	if res.SSARetries > 0 {
		run.Message = strings.TrimPrefix(run.Message+fmt.Sprintf("; %d SSA retries", res.SSARetries), "; ")
	}
	runs := filepath.Join(w.opt.Dir, "runs", c.ID+".parquet")
	curves := filepath.Join(w.opt.Dir, "curves", c.ID+".parquet")
	// Curves first: a runs file marks the cell finished, so it comes last.
	var werr error
	if run.Status != results.StatusFailed && w.opt.SaveWeights && cp.last != nil {
		werr = writeWeights(weightsPath(w.opt.Dir, c.ID), cp.last)
	}
	if werr == nil && run.Status != results.StatusFailed {
		werr = writeCurve(curves, curve)
	}
	if werr == nil {
		if TestHookWriting != nil {
			TestHookWriting(c)
		}
		werr = results.WriteRun(runs, run)
	}
	if werr != nil {
		os.Remove(curves)
		// Record the failure where a small file still fits (a disk that
		// filled up under a curves file), so that status says why.
		run.Status, run.Message = results.StatusFailed, "writing results: "+werr.Error()
		run.FinalTrainError, run.FinalTestError = nil, nil
		msg := run.Message
		if err := results.WriteRun(runs, run); err != nil {
			msg += " (and its failure could not be recorded: status counts it pending)"
		}
		w.rep.logf("cell %s (%s, seed %d) failed: %s", c.ID, c.Model, c.Def.Seed, msg)
	} else if run.Status == results.StatusFailed {
		w.rep.logf("cell %s (%s, seed %d) failed: %s", c.ID, c.Model, c.Def.Seed, firstLine(run.Message))
	}
	switch run.Status {
	case results.StatusFailed:
		w.cnt.failed.Add(1)
	case results.StatusDiverged:
		w.cnt.diverged.Add(1)
	}
	os.Remove(cp.path) // the cell is recorded: its checkpoint is done with
	if n := int64(cp.steps) - cp.step.Load(); n > 0 {
		w.cnt.dropped.Add(n) // the steps the cell did not need: it ended early, or its last steps ran without a Due
	}
	w.cnt.done.Add(1)
	w.rep.cellDone()
	if TestHookWritten != nil {
		TestHookWritten(c)
	}
}

// train runs the experiment, turning a panic into an error with its stack.
func (w *worker) train(ctx context.Context, c *Cell, cp *checkpointer, curve *results.Curve) (res models.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	if testHook != nil {
		testHook(c)
	}
	exp, err := models.LookupExperiment(c.Def.Experiment)
	if err != nil {
		return res, err
	}
	rec := recorder{curve: curve, cp: cp}
	env := w.opt.Env
	env.Checkpoints = cp
	return exp.Run(ctx, env, c.Def.Params, c.Def.Model(c.Model), c.Def.Seed, &rec)
}

// writeCurve writes a curves file; tests replace it to fail writes.
var writeCurve = results.WriteCurve

// testHook, when set by a test, runs before each cell trains.
var testHook func(c *Cell)

// Hooks for the command's tests, which run it as a child process and set
// them there to kill it at a known point (TestResumeAfterKill); nil
// otherwise. They run in the cell's goroutine.
var (
	// TestHookWriting runs when a cell has trained and written its curves
	// file, before its runs file marks it finished.
	TestHookWriting func(c *Cell)
	// TestHookWritten runs when a cell's files are written and counted.
	TestHookWritten func(c *Cell)
)

// recorder collects a run's points into its curve.
type recorder struct {
	curve *results.Curve
	cp    *checkpointer // notes the last errors, for the progress file
}

func (r *recorder) Record(step int, metric string, layer int, value float64) {
	r.curve.Points = append(r.curve.Points, results.Point{Step: int64(step), Metric: metric, Layer: int32(layer), Value: value})
	r.cp.noted(metric, value)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// measured is a final error as the runs table keeps it: nil (null) when
// nothing was measured.
func measured(m models.Measure) *float64 {
	if !m.OK {
		return nil
	}
	v := m.Value
	return &v
}
