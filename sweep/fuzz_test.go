package sweep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"dinv/config"
)

// FuzzPlan feeds arbitrary sweep files to the reader and the planner. The
// properties: no panic; an error is a configuration error (exit 2) naming
// the file, and a line of it where it names one; and a plan's resolved
// sweep.yaml reads back to the same cells, in the same order, with the
// same names. The seed corpus is every sweep file of the repository (the
// paper's configs, the plan and bad-config golden inputs) and the files
// in testdata/fuzz/FuzzPlan.
//
//	go test -run '^$' -fuzz FuzzPlan -fuzztime 10m ./sweep
func FuzzPlan(f *testing.F) {
	var files []string
	for _, glob := range []string{"../configs/*.yaml", "../testdata/plan/*.yaml", "../testdata/bad/*.yaml"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 20 {
		f.Fatalf("found %d seed files", len(files))
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) { planRoundTrip(t, src) })
}

// planRoundTrip reads src with the overrides sets and checks the fuzz
// targets' properties: an error is a configuration error naming the file
// (and one of its lines, or an override); a plan's resolved sweep.yaml,
// read without the overrides, plans the same cells, in the same order,
// with the same names.
func planRoundTrip(t *testing.T, src []byte, sets ...string) {
	// YAML ends a line at \r\n, \r or \n.
	lines := bytes.Count(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), []byte("\n")) +
		bytes.Count(bytes.ReplaceAll(src, []byte("\r\n"), nil), []byte("\r")) + 1
	c, err := config.Parse("f.yaml", src, sets...)
	if err != nil {
		checkConfigError(t, err, lines)
		return
	}
	// A small cap keeps each input fast; the cap itself is part of what is
	// tested (a refused plan is a configuration error).
	p, err := NewPlan(c, 2000)
	if err != nil {
		checkConfigError(t, err, lines)
		return
	}
	text, err := Resolved(p)
	if err != nil {
		t.Fatalf("Resolved: %v", err)
	}
	c2, err := config.Parse("sweep.yaml", text)
	if err != nil {
		t.Fatalf("sweep.yaml does not read back: %v\n%s", err, text)
	}
	q, err := NewPlan(c2, 2000)
	if err != nil {
		t.Fatalf("sweep.yaml does not plan: %v\n%s", err, text)
	}
	if len(q.Cells) != len(p.Cells) {
		t.Fatalf("sweep.yaml plans %d cells, the file %d\n%s", len(q.Cells), len(p.Cells), text)
	}
	for i := range p.Cells {
		a, b := p.Cells[i], q.Cells[i]
		if a.ID != b.ID || a.Model != b.Model {
			t.Fatalf("cell %d: %s %s (%s), sweep.yaml plans %s %s (%s)\n%s", i, a.Model, a.ID, a.Def.ParamsJSON(),
				b.Model, b.ID, b.Def.ParamsJSON(), text)
		}
	}
}

// checkConfigError checks that err is a configuration error whose parts
// all name the file and, where they name a line, one of its lines.
func checkConfigError(t *testing.T, err error, lines int) {
	t.Helper()
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("not a configuration error: %v", err)
	}
	var parts []*config.Error
	var es config.Errors
	var e *config.Error
	switch {
	case errors.As(err, &es):
		parts = es
	case errors.As(err, &e):
		parts = []*config.Error{e}
	}
	if len(parts) == 0 {
		t.Fatalf("no *config.Error in %v", err)
	}
	for _, e := range parts {
		if e.File != "f.yaml" || e.Line < 0 || e.Line > lines || e.Msg == "" {
			t.Fatalf("error %q: file %q, line %d of %d", e.Error(), e.File, e.Line, lines)
		}
	}
}

// FuzzSets feeds arbitrary command-line overrides (-set KEY=VALUE) to the
// reader over the repository's sweep files. The properties are FuzzPlan's:
// no panic; an error is a configuration error naming the file (and a line
// of it, or the override); a plan's sweep.yaml, which holds the overridden
// values, plans the same cells without the overrides.
//
//	go test -run '^$' -fuzz FuzzSets -fuzztime 10m ./sweep
func FuzzSets(f *testing.F) {
	files, _ := filepath.Glob("../testdata/plan/*.yaml")
	if len(files) < 5 {
		f.Fatalf("found %d seed files", len(files))
	}
	sets := [][2]string{
		{"params.num_iters=20", "seeds=[0, 1]"},
		{"grid.eta={log_uniform: [1.0e-4, 1.0e-1], samples: 3}", "zip=[[eta, leak_vals]]"},
		{"models[0].leak=0.1", "defaults.w_decay=0"},
		{"models[9]=1", "params[0].x=[1"},
		{"grid.w_decay=[0, 1.0e-6]", "sample_seed=3"},
	}
	for i, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		s := sets[i%len(sets)]
		f.Add(src, s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, src []byte, set1, set2 string) { planRoundTrip(t, src, set1, set2) })
}
