package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"dinv/config"
	"dinv/results"
)

// Status is the state of a results folder against its plan.
type Status struct {
	Sweep      string        `json:"sweep"`
	Experiment string        `json:"experiment"`
	Dir        string        `json:"dir"`
	Cells      int           `json:"cells"`
	OK         int           `json:"ok"`
	Diverged   int           `json:"diverged"`
	Failed     int           `json:"failed"`
	Pending    int           `json:"pending"`
	Extra      int           `json:"extra"` // runs files of cells not in the plan (an older config)
	Models     []ModelStatus `json:"models"`
	FailedRuns []FailedRun   `json:"failed_cells"`
	Damaged    []string      `json:"damaged"` // unreadable runs files, and finished cells' unreadable or missing curves files; their cells count as pending
	Running    []string      `json:"running"` // the runs working on the folder now (pending includes their cells)
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
	inPlan := map[string]bool{}
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
		case r.Status.Finished() && !curveReadable(dir, cell.ID, s):
			m.Pending++
			s.Pending++
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
