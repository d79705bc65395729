package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dinv/cell"
	"dinv/models"
	"dinv/results"
)

// A checkpoint file (DIR/checkpoints/<cell id>.ckpt) is checkpointMagic,
// the gob encoding of a checkpointFile, and the SHA-256 of everything
// before it. It is written as the results files are (results.WriteFileAtomic).
const (
	checkpointMagic  = "dinv checkpoint\n"
	checkpointFormat = 1
	// checkpointMax bounds the size read back: a damaged length must not
	// become an allocation of many gigabytes (the largest real one, an
	// MNIST autoencoder with feedback, is about 30 MB).
	checkpointMax = 1 << 30
)

// checkpointFile is what a checkpoint holds: the run's state (models.State),
// the curve points recorded so far, and what identifies the cell and the
// code that computed it.
type checkpointFile struct {
	Format   int    // checkpointFormat
	CellID   string // the cell's id
	Numerics string // the numerics versions: cell.Numerics, the experiment's
	Saved    time.Time
	Started  time.Time     // when the cell first started
	Elapsed  time.Duration // run time before this checkpoint, over all runs
	Steps    int           // steps planned (for status)
	State    models.State
	Points   []results.Point
}

// numericsOf is the numerics versions a checkpoint of c must match.
func numericsOf(c *Cell) string {
	n := 0
	if e, err := models.LookupExperiment(c.Def.Experiment); err == nil {
		n = e.Numerics()
	}
	return fmt.Sprintf("%d.%d", cell.Numerics, n)
}

// checkpointPath is where the checkpoint of cell id lives.
func checkpointPath(dir, id string) string {
	return filepath.Join(dir, "checkpoints", id+".ckpt")
}

// writeCheckpoint writes f to path atomically.
func writeCheckpoint(path string, f *checkpointFile) error {
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		h := sha256.New()
		mw := io.MultiWriter(w, h)
		if _, err := io.WriteString(mw, checkpointMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(mw).Encode(f); err != nil {
			return err
		}
		_, err := w.Write(h.Sum(nil))
		return err
	})
}

// errNoCheckpoint is readCheckpoint's error when there is none.
var errNoCheckpoint = errors.New("no checkpoint")

// readCheckpoint reads the checkpoint at path and checks it against cell c:
// errNoCheckpoint when there is none, another error (saying why) when it is
// damaged, of another cell or of other numerics.
func readCheckpoint(path string, c *Cell) (*checkpointFile, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoCheckpoint
	} else if err != nil {
		return nil, err
	}
	if fi.Size() > checkpointMax {
		return nil, fmt.Errorf("%s: damaged checkpoint: %d bytes, more than any checkpoint's", path, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("%s: damaged checkpoint: %v", path, err)
	}
	switch {
	case f.CellID != c.ID:
		return nil, fmt.Errorf("%s: a checkpoint of cell %s, not of this cell", path, f.CellID)
	case f.Format != checkpointFormat:
		return nil, fmt.Errorf("%s: a checkpoint of format %d, this dinv writes %d", path, f.Format, checkpointFormat)
	case f.Numerics != numericsOf(c):
		return nil, fmt.Errorf("%s: a checkpoint of numerics %s, this dinv computes %s", path, f.Numerics, numericsOf(c))
	}
	return f, nil
}

// decodeCheckpoint checks and decodes a checkpoint file's bytes.
func decodeCheckpoint(data []byte) (f *checkpointFile, err error) {
	if len(data) < len(checkpointMagic)+sha256.Size || !bytes.HasPrefix(data, []byte(checkpointMagic)) {
		return nil, errors.New("not a dinv checkpoint")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errors.New("its checksum does not match (truncated or changed)")
	}
	defer func() { // gob's own checks should catch everything; a panic is a damaged file too
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("undecodable: %v", r)
		}
	}()
	f = new(checkpointFile)
	dec := gob.NewDecoder(bytes.NewReader(body[len(checkpointMagic):]))
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("undecodable: %v", err)
	}
	return f, nil
}

// scanCheckpoints sets aside the checkpoints that belong to no cell of the
// plan (a stale plan's, or files that are not checkpoints), removes the
// temporaries of the shard's cells, and returns warnings saying what it
// moved. The checkpoints of planned cells are checked when they run.
func scanCheckpoints(dir string, all, mine []Cell) []string {
	planned := make(map[string]bool, len(all))
	for _, c := range all {
		planned[c.ID] = true
	}
	shard := make(map[string]bool, len(mine))
	for _, c := range mine {
		shard[c.ID] = true
	}
	var warnings []string
	for id := range shard { // left by a run that was killed
		os.Remove(progressPath(dir, id))
	}
	sub := filepath.Join(dir, "checkpoints")
	ents, _ := os.ReadDir(sub)
	for _, e := range ents {
		name, path := e.Name(), filepath.Join(sub, e.Name())
		switch id, ok := strings.CutSuffix(name, ".ckpt"); {
		case results.IsTemp(name):
			if shard[tempCell(name)] {
				os.Remove(path)
			}
		case e.IsDir():
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%s is not a checkpoint; moved to %s", path, quarantine(dir, path)))
		case !planned[id]:
			warnings = append(warnings, fmt.Sprintf("%s: a checkpoint of no cell of this sweep (its numbers or parameters changed); moved to %s", path, quarantine(dir, path)))
		}
	}
	return warnings
}

// checkpointer is a cell's models.Checkpoints: it asks for a checkpoint
// every `every`, and at once when the sweep is stopping (final), and
// writes what the run saves, with the points recorded so far.
type checkpointer struct {
	path    string
	id      string
	every   time.Duration // 0: none
	curve   *results.Curve
	started time.Time     // when the cell first started
	before  time.Duration // run time of the earlier runs
	this    time.Time     // when this run started
	steps   int
	numer   string
	resume  *models.State
	last    *models.State // the final state (Final)
	warn    func(format string, args ...any)
	stop    context.CancelFunc // ends the cell's run after a final save

	cnt  *counts      // the run's, for its progress line
	step atomic.Int64 // steps done, as the run last said

	model             string // for the progress file
	seed              uint64
	trainErr, testErr atomic.Uint64 // the last recorded errors' bits (0: none)

	due, final atomic.Bool
	timer      *time.Timer
	mu         sync.Mutex // guards the timer's reset against close
	closed     bool
	saves      atomic.Int64
	lastSaved  atomic.Int64 // unix nanoseconds
}

func (c *checkpointer) Resume() *models.State { return c.resume }

// Final keeps the final state, for the weights file.
func (c *checkpointer) Final(st *models.State) { c.last = st }

func (c *checkpointer) Due(steps int) bool {
	if d := int64(steps) - c.step.Swap(int64(steps)); d != 0 && c.cnt != nil {
		c.cnt.steps.Add(d)
	}
	return c.due.Load()
}

// Save writes the checkpoint; a write that fails is a warning, not the
// cell's failure (the run goes on, and the next checkpoint may succeed).
func (c *checkpointer) Save(st *models.State) error {
	now := time.Now()
	f := &checkpointFile{Format: checkpointFormat, CellID: c.id, Numerics: c.numer, Saved: now.UTC(),
		Started: c.started, Elapsed: c.before + now.Sub(c.this), Steps: c.steps, State: *st, Points: c.curve.Points}
	if err := writeCheckpoint(c.path, f); err != nil {
		c.warn("checkpoint of cell %s not written: %v", c.id, err)
	} else {
		c.saves.Add(1)
		c.lastSaved.Store(now.UnixNano())
		if TestHookCheckpointed != nil {
			TestHookCheckpointed(c.id)
		}
	}
	c.due.Store(false)
	if c.final.Load() {
		c.stop()
		return nil
	}
	c.mu.Lock()
	if !c.closed && c.every > 0 {
		c.timer.Reset(c.every)
	}
	c.mu.Unlock()
	return nil
}

// start arms the cadence.
func (c *checkpointer) start() {
	if c.every > 0 {
		c.timer = time.AfterFunc(c.every, func() { c.due.Store(true) })
	}
}

// finish asks for a last checkpoint, after which the run ends.
func (c *checkpointer) finish() {
	c.final.Store(true)
	c.due.Store(true)
}

// close stops the cadence.
func (c *checkpointer) close() {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
}

// TestHookCheckpointed, when a test sets it, runs after each checkpoint
// is written, on the cell's goroutine.
var TestHookCheckpointed func(id string)

// checkpointer returns cell c's checkpointer, holding the checkpoint an
// earlier run left when it fits c (one that does not is set aside, with a
// warning), with the points it recorded put back into curve.
func (w *worker) checkpointer(c *Cell, curve *results.Curve, stop context.CancelFunc) *checkpointer {
	now := time.Now()
	cp := &checkpointer{path: checkpointPath(w.opt.Dir, c.ID), id: c.ID, every: w.opt.CheckpointEvery,
		curve: curve, started: now.UTC(), this: now, steps: plannedSteps(c), numer: numericsOf(c),
		warn: w.rep.logf, stop: stop, cnt: w.cnt, model: c.Model, seed: c.Def.Seed}
	f, err := readCheckpoint(cp.path, c)
	switch {
	case errors.Is(err, errNoCheckpoint):
	case err != nil:
		w.rep.logf("warning: %v; moved to %s, the cell starts from zero", err, quarantine(w.opt.Dir, cp.path))
	default:
		cp.resume, cp.started, cp.before = &f.State, f.Started, f.Elapsed
		curve.Points = f.Points
		for _, pt := range f.Points {
			cp.noted(pt.Metric, pt.Value)
		}
		cp.step.Store(int64(f.State.Step))
		w.cnt.before.Add(int64(f.State.Step))
		cp.lastSaved.Store(f.Saved.UnixNano())
		w.rep.logf("cell %s (%s, seed %d) continues from its checkpoint at step %d of %d", c.ID, c.Model, c.Def.Seed, f.State.Step, f.Steps)
	}
	return cp
}

// plannedSteps is the number of steps cell c's run takes (0 when its
// experiment does not say).
func plannedSteps(c *Cell) int {
	e, err := models.LookupExperiment(c.Def.Experiment)
	if err != nil {
		return 0
	}
	return e.Steps(c.Def.Params)
}

// liveCells are the checkpointers of the cells in flight.
type liveCells struct {
	mu       sync.Mutex
	cells    map[*checkpointer]bool
	draining bool
}

func (l *liveCells) add(cp *checkpointer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cells == nil {
		l.cells = map[*checkpointer]bool{}
	}
	l.cells[cp] = true
	if l.draining {
		l.stopOne(cp)
	}
}

func (l *liveCells) remove(cp *checkpointer) {
	l.mu.Lock()
	delete(l.cells, cp)
	l.mu.Unlock()
}

// drain asks every cell in flight, and every cell added later, to save a
// checkpoint and stop (or to stop, when checkpoints are off).
func (l *liveCells) drain() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draining = true
	for cp := range l.cells {
		l.stopOne(cp)
	}
}

func (l *liveCells) stopOne(cp *checkpointer) {
	if cp.every > 0 {
		cp.finish()
	} else {
		cp.stop()
	}
}

// CellProgress is where a cell in flight is, as its run last wrote it to
// DIR/progress/<cell_id>.json (every progress interval): what status shows
// of a sweep that runs elsewhere (a Slurm task, another machine).
type CellProgress struct {
	CellID     string    `json:"cell_id"`
	Model      string    `json:"model"`
	Seed       uint64    `json:"seed"`
	Step       int       `json:"step"`  // steps done
	Steps      int       `json:"steps"` // planned (0: unknown)
	TrainError *float64  `json:"train_error"`
	TestError  *float64  `json:"test_error"`
	Checkpoint time.Time `json:"checkpoint"` // when its last checkpoint was written (zero: none)
	Updated    time.Time `json:"updated"`
	Host       string    `json:"host"`
	PID        int       `json:"pid"`
}

// progressPath is where the progress of cell id goes.
func progressPath(dir, id string) string { return filepath.Join(dir, "progress", id+".json") }

// progress is the cell's CellProgress now.
func (c *checkpointer) progress(model string, seed uint64, host string) CellProgress {
	p := CellProgress{CellID: c.id, Model: model, Seed: seed, Step: int(c.step.Load()), Steps: c.steps,
		Updated: time.Now().UTC(), Host: host, PID: os.Getpid()}
	if ns := c.lastSaved.Load(); ns != 0 {
		p.Checkpoint = time.Unix(0, ns).UTC()
	}
	if b := c.trainErr.Load(); b != 0 {
		v := math.Float64frombits(b)
		p.TrainError = &v
	}
	if b := c.testErr.Load(); b != 0 {
		v := math.Float64frombits(b)
		p.TestError = &v
	}
	return p
}

// noted keeps a recorded point's value when it is an error the progress
// shows, as its bits: 0 means none, so a recorded +0 is kept as -0.
func (c *checkpointer) noted(metric string, v float64) {
	b := math.Float64bits(v)
	if b == 0 {
		b = 1 << 63 // +0 as -0: prints as 0, and is not "none"
	}
	switch metric {
	case models.MetricTrainError:
		c.trainErr.Store(b)
	case models.MetricTestError:
		c.testErr.Store(b)
	}
}

// writeProgress writes the progress of the cells in flight. It holds the
// set's lock while it writes, so that a cell that leaves the set (and then
// removes its progress file) does not find it written again after.
func (w *worker) writeProgress(host string) {
	w.live.mu.Lock()
	defer w.live.mu.Unlock()
	for cp := range w.live.cells {
		p := cp.progress(cp.model, cp.seed, host)
		data, _ := json.MarshalIndent(p, "", "  ")
		results.WriteFileAtomic(progressPath(w.opt.Dir, p.CellID), func(wr io.Writer) error {
			_, err := wr.Write(append(data, '\n'))
			return err
		})
	}
}

// ReadProgress returns the progress files of dir's cells ids (the cells in
// flight, or left by a run that was killed), sorted by cell id.
func ReadProgress(dir string, ids map[string]bool) []CellProgress {
	ents, _ := os.ReadDir(filepath.Join(dir, "progress"))
	var out []CellProgress
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !ids[id] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "progress", e.Name()))
		if err != nil || len(data) > 1<<16 {
			continue
		}
		var p CellProgress
		if json.Unmarshal(data, &p) == nil && p.CellID == id {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b CellProgress) int { return strings.Compare(a.CellID, b.CellID) })
	return out
}
