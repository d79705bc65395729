package sweep

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"dinv/config"
	"dinv/results"
)

// Status is the state of a results folder against its plan.
type Status struct {
	Sweep      string         `json:"sweep"`
	Experiment string         `json:"experiment"`
	Dir        string         `json:"dir"`
	Cells      int            `json:"cells"`
	OK         int            `json:"ok"`
	Diverged   int            `json:"diverged"`
	Failed     int            `json:"failed"`
	Pending    int            `json:"pending"`
	Extra      int            `json:"extra"` // runs files of cells not in the plan (an older config)
	Models     []ModelStatus  `json:"models"`
	FailedRuns []FailedRun    `json:"failed_cells"`
	Damaged    []string       `json:"damaged"`   // unreadable runs files, and finished cells' unreadable or missing curves files; their cells count as pending
	Running    []string       `json:"running"`   // the runs working on the folder now (pending includes their cells)
	InFlight   []CellProgress `json:"in_flight"` // pending cells' progress files: cells in flight, or left by a run killed
}

// ModelStatus counts the cells of one model.
type ModelStatus struct {
	Model    string `json:"model"`
	Cells    int    `json:"cells"`
	OK       int    `json:"ok"`
	Diverged int    `json:"diverged"`
	Failed   int    `json:"failed"`
	Pending  int    `json:"pending"`
}

// FailedRun is a failed cell and why.
type FailedRun struct {
	CellID  string `json:"cell_id"`
	Model   string `json:"model"`
	Seed    int64  `json:"seed"`
	Message string `json:"message"`
}

// ErrNotResults is wrapped by the error of ReadStatus on a folder without
// sweep.yaml: the argument was wrong, not the folder's contents.
var ErrNotResults = errors.New("not a results folder")

// ReadStatus compares the results in dir with the plan of its sweep.yaml.
func ReadStatus(dir string, maxCells int) (*Status, error) {
	path := filepath.Join(dir, "sweep.yaml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is %w: it has no sweep.yaml", dir, ErrNotResults)
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	p, err := NewPlan(c, maxCells)
	if err != nil {
		return nil, err
	}
	runs, errs := results.ReadRuns(dir)
	byID := make(map[string]*results.Run, len(runs))
	for i := range runs {
		byID[runs[i].CellID] = &runs[i]
	}
	s := &Status{Sweep: c.Sweep, Experiment: c.Experiment.Name, Dir: dir, Cells: len(p.Cells), Running: Running(dir)}
	for _, err := range errs {
		if errors.Is(err, os.ErrNotExist) {
			continue // no runs/ yet: every cell is pending
		}
		s.Damaged = append(s.Damaged, err.Error())
	}
	models := map[string]*ModelStatus{}
	var order []string
	inPlan, pending := map[string]bool{}, map[string]bool{}
	for _, cell := range p.Cells {
		inPlan[cell.ID] = true
		m := models[cell.Model]
		if m == nil {
			m = &ModelStatus{Model: cell.Model}
			models[cell.Model] = m
			order = append(order, cell.Model)
		}
		m.Cells++
		r := byID[cell.ID]
		switch {
		case r == nil:
			m.Pending++
			s.Pending++
			pending[cell.ID] = true
		case r.Status.Finished() && !curveReadable(dir, cell.ID, s):
			m.Pending++
			s.Pending++
			pending[cell.ID] = true
		case r.Status == results.StatusOK:
			m.OK++
			s.OK++
		case r.Status == results.StatusDiverged:
			m.Diverged++
			s.Diverged++
		default:
			m.Failed++
			s.Failed++
			s.FailedRuns = append(s.FailedRuns, FailedRun{cell.ID, cell.Model, int64(cell.Def.Seed), firstLine(r.Message)})
		}
	}
	for id := range byID {
		if !inPlan[id] {
			s.Extra++
		}
	}
	for _, name := range order {
		s.Models = append(s.Models, *models[name])
	}
	sort.Slice(s.FailedRuns, func(i, j int) bool { return s.FailedRuns[i].CellID < s.FailedRuns[j].CellID })
	s.InFlight = ReadProgress(dir, pending)
	return s, nil
}

// curveReadable reports whether the curves file of a finished cell reads
// back, noting in s.Damaged why not.
func curveReadable(dir, id string, s *Status) bool {
	if err := curveError(dir, id); err != nil {
		s.Damaged = append(s.Damaged, err.Error()+" (its cell runs again on resume)")
		return false
	}
	return true
}

// InFlightCurves returns, for the plotted figures, a runs row and the curve
// recorded so far of each unfinished cell of dir's plan that has a
// checkpoint: the points up to its last checkpoint. The rows say ok, so
// that figures draw them; they are never written. Unreadable checkpoints
// are errors, left where they are.
func InFlightCurves(dir string) ([]results.Run, []results.Curve, []error) {
	c, err := config.Load(filepath.Join(dir, "sweep.yaml"))
	if err != nil {
		return nil, nil, []error{err}
	}
	p, err := NewPlan(c, math.MaxInt)
	if err != nil {
		return nil, nil, []error{err}
	}
	var runs []results.Run
	var curves []results.Curve
	var errs []error
	for i := range p.Cells {
		cl := &p.Cells[i]
		if r, err := results.ReadRun(filepath.Join(dir, "runs", cl.ID+".parquet")); err == nil && r.Status.Finished() {
			continue
		}
		f, err := readCheckpoint(checkpointPath(dir, cl.ID), cl)
		if errors.Is(err, errNoCheckpoint) {
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		key := cl.Key(c.Sweep)
		runs = append(runs, results.Run{CellKey: key, FbackGain: cl.Def.FbackGain(), Params: cl.Def.ParamsJSON(),
			Status: results.StatusOK, Message: "in flight", Steps: int64(f.State.Step),
			FinalTrainError: measured(f.State.Result.FinalTrainError), FinalTestError: measured(f.State.Result.FinalTestError)})
		curves = append(curves, results.Curve{CellKey: key, Points: f.Points})
	}
	return runs, curves, errs
}
