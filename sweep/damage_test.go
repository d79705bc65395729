package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"dinv/config"
	"dinv/results"
)

// tiny is a sweep of two cells that runs in milliseconds.
const tiny = `
sweep: tiny
experiment: linear_regression
seeds: [0]
params: {num_iters: 30}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA}
`

// Parameters that are false or empty survive sweep.yaml: reloading it must
// not restore the defaults (skip_first_update true, clip [10]).
func TestResolvedKeepsFalseAndEmptyParams(t *testing.T) {
	for _, params := range []string{
		"{num_iters: 100, clip: []}",
		"{num_iters: 100, skip_first_update: false}",
		"{num_iters: 100, clip: [], skip_first_update: false, norm_delw: false, clip_from: 0}",
	} {
		src := strings.Replace(tiny, "{num_iters: 30}", params, 1)
		p := plan(t, "x.yaml", src)
		text, err := Resolved(p)
		if err != nil {
			t.Fatal(err)
		}
		q := plan(t, "sweep.yaml", string(text))
		for i := range p.Cells {
			if p.Cells[i].ID != q.Cells[i].ID {
				t.Errorf("params %s: cell %d is %s, but %s after reloading sweep.yaml:\n%s", params, i,
					p.Cells[i].Def.ParamsJSON(), q.Cells[i].Def.ParamsJSON(), text)
				break
			}
		}
		// After a run, status of the folder counts every cell ok.
		dir := t.TempDir()
		if _, err := runSweep(t, p, Options{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		st, err := ReadStatus(dir, 0)
		if err != nil || st.OK != len(p.Cells) || st.Pending != 0 || st.Extra != 0 {
			t.Errorf("params %s: status after a run: %+v, %v; want %d ok", params, st, err, len(p.Cells))
		}
	}
}

// A run refused because the folder is in use leaves sweep.yaml alone.
func TestRefusedRunKeepsSweepYAML(t *testing.T) {
	dir := t.TempDir()
	p := plan(t, "tiny.yaml", tiny)
	if _, err := runSweep(t, p, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "sweep.yaml"))
	l, err := lockFolder(dir, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	edited := plan(t, "tiny.yaml", strings.Replace(tiny, "[0]", "[0, 1]", 1))
	for _, opt := range []Options{{Dir: dir}, {Dir: dir, Shard: 1, Shards: 2}} {
		if _, err := runSweep(t, edited, opt); !errors.Is(err, ErrLocked) {
			t.Fatalf("got %v, want ErrLocked", err)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "sweep.yaml"))
		if string(after) != string(before) {
			t.Fatalf("a refused run (shards %d) rewrote sweep.yaml:\n%s", opt.Shards, after)
		}
	}
}

// axisValues returns n distinct values for a grid axis, as a YAML flow list.
func axisValues(n int, scale float64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%g", float64(i+1)*scale)
	}
	b.WriteByte(']')
	return b.String()
}

// The cap on cells holds before anything is expanded: a crossed count that
// overflows int is refused, and so is a grid of millions of cells, without
// building its cells first.
func TestPlanCapBeforeExpanding(t *testing.T) {
	seeds := make([]string, 1<<16)
	for i := range seeds {
		seeds[i] = fmt.Sprint(i)
	}
	huge := fmt.Sprintf(`
sweep: huge
experiment: linear_regression
seeds: [%s]
models: [{name: NDI, model_type: NDI}]
grid:
  leak_vals: %s
  eta: %s
  w_decay: %s
`, strings.Join(seeds, ", "), axisValues(1<<16, 1e-3), axisValues(1<<16, 1e-6), axisValues(1<<16, 1e-7))
	big := `
sweep: big
experiment: linear_regression
seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
models: [{name: NDI, model_type: NDI}]
grid:
  leak_vals: ` + axisValues(500, 1e-3) + `
  eta: ` + axisValues(500, 1e-6) + `
`
	for _, c := range []struct{ name, src, want string }{
		{"overflow", huge, "more cells than can be counted"},
		{"2.5M cells", big, "2500000 cells"},
	} {
		cfg, err := config.Parse(c.name+".yaml", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		p, err := NewPlan(cfg, 0)
		runtime.ReadMemStats(&m1)
		var ce *config.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			n := 0
			if p != nil {
				n = len(p.Cells)
			}
			t.Errorf("%s: got %d cells, error %v; want a configuration error saying %q", c.name, n, err, c.want)
		}
		if mb := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mb > 16 {
			t.Errorf("%s: planning allocated %d MiB before refusing", c.name, mb)
		}
	}
}

// A finished cell is one whose runs and curves files both read back: a
// curves file that is damaged or missing sends the cell round again, and
// the bad file to damaged/.
func TestDamagedCurvesRunAgain(t *testing.T) {
	p := plan(t, "tiny.yaml", tiny)
	for _, damage := range []string{"truncate", "zero", "delete"} {
		dir := t.TempDir()
		if _, err := runSweep(t, p, Options{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		id := p.Cells[0].ID
		path := filepath.Join(dir, "curves", id+".parquet")
		switch damage {
		case "truncate":
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)/2], 0o644)
		case "zero":
			os.WriteFile(path, nil, 0o644)
		case "delete":
			os.Remove(path)
		}
		st, err := ReadStatus(dir, 0)
		if err != nil || st.OK != len(p.Cells)-1 || st.Pending != 1 {
			t.Errorf("%s: status %+v, %v; want the cell pending", damage, st, err)
		}
		s, err := runSweep(t, p, Options{Dir: dir})
		if err != nil || s.OK != 1 || s.Skipped != len(p.Cells)-1 {
			t.Errorf("%s: resume %+v, %v; want the cell run again", damage, s, err)
		}
		if _, err := results.ReadCurve(path); err != nil {
			t.Errorf("%s: after resume: %v", damage, err)
		}
		moved, _ := filepath.Glob(filepath.Join(dir, "damaged", id+".parquet.*"))
		if damage != "delete" && len(moved) == 0 {
			t.Errorf("%s: nothing moved to damaged/", damage)
		}
		if st, err := ReadStatus(dir, 0); err != nil || st.OK != len(p.Cells) {
			t.Errorf("%s: status after resume %+v, %v", damage, st, err)
		}
	}
}

// A results folder that cannot be written is found before any cell runs.
func TestUnwritableFolderFoundFirst(t *testing.T) {
	p := plan(t, "tiny.yaml", tiny)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /proc takes no new files, even from root.
	if err := os.Symlink("/proc", filepath.Join(dir, "curves")); err != nil {
		t.Fatal(err)
	}
	trained := 0
	testHook = func(*Cell) { trained++ }
	defer func() { testHook = nil }()
	_, err := runSweep(t, p, Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "curves") || trained > 0 {
		t.Errorf("got %v after training %d cells; want an error naming curves/ before any cell", err, trained)
	}
}

// A cell whose results cannot be written (a full disk) is recorded as
// failed with the message where a runs file can still be written, and
// status calls it failed, not pending.
func TestWriteFailureIsFailed(t *testing.T) {
	p := plan(t, "tiny.yaml", tiny)
	dir := t.TempDir()
	writeCurve = func(string, results.Curve) error { return &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC} }
	defer func() { writeCurve = results.WriteCurve }()
	s, err := runSweep(t, p, Options{Dir: dir})
	if !errors.Is(err, ErrCellsFailed) || s.Failed != len(p.Cells) {
		t.Fatalf("got %+v, %v; want every cell failed", s, err)
	}
	st, err := ReadStatus(dir, 0)
	if err != nil || st.Failed != len(p.Cells) || len(st.FailedRuns) == 0 ||
		!strings.Contains(st.FailedRuns[0].Message, "no space left") {
		t.Fatalf("status %+v, %v; want failed cells saying why", st, err)
	}
}
