package config

import (
	"errors"
	"strings"
	"testing"

	"dinv/models"
)

func TestSuggest(t *testing.T) {
	valid := []string{"model_type", "fback_type", "leak_vals", "eta", "w_decay"}
	for _, tc := range []struct{ word, want string }{
		{"leak_val", `did you mean "leak_vals"?`},
		{"fback_typ", `did you mean "fback_type"?`},
		{"ETA", `did you mean "eta"?`},
		{"wdecay", `did you mean "w_decay"?`},
		{"seeds", ""}, // nothing close: only the list
	} {
		got := suggest(tc.word, valid)
		if tc.want != "" && !strings.Contains(got, tc.want) || tc.want == "" && strings.Contains(got, "did you mean") {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
		if !strings.Contains(got, "valid: model_type, fback_type, leak_vals, eta, w_decay") {
			t.Errorf("suggest(%q) = %q lacks the list", tc.word, got)
		}
	}
}

// yaml.v3 reports some syntax errors on the line before the problem; the
// reader corrects them (lines checked by hand against the files).
func TestYAMLErrorLines(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
	}{
		{"sweep: a\nexperiment: linear_regression\nx: 5\nseeds: [0,\n 2\nmodels: 3\n", 4}, // unclosed list opened on line 4
		{"sweep: a\nexperiment: b\nx: 5\n\tc: 3\n", 4},                                    // tab on line 4
		{"sweep: a\nexperiment: b\nx: 5\n- 3\n", 4},                                       // sequence item on line 4
		{"sweep: a\nexperiment: b\nx: 5\nd: 'abc\n", 4},                                   // unterminated quote from line 4
	} {
		_, err := Parse("x.yaml", []byte(tc.src))
		var es Errors
		if !errors.As(err, &es) || len(es) != 1 || es[0].Line != tc.line {
			t.Errorf("%q: %v, want one error on line %d", tc.src, err, tc.line)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: error does not match ErrInvalid", tc.src)
		}
	}
}

func TestParse(t *testing.T) {
	c, err := Parse("ok.yaml", []byte(`
sweep: s
experiment: nonlinear_regression
seeds: [3, 1]
params: {num_iters: 100, clip: [2, 2]}
defaults: {eta: 0.02, fback_type: optim}
models:
  - {name: D, model_type: di, leak: 0.01, params: {dt: 0.25}}
grid:
  w_decay: [0, 0.001]
  fback_type: [random, neg-transpose]
`))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Models[0]
	switch {
	case c.Sweep != "s" || c.Experiment.Name != "nonlinear_regression":
		t.Errorf("sweep %q, experiment %q", c.Sweep, c.Experiment.Name)
	case len(c.Seeds) != 2 || c.Seeds[0] != 3:
		t.Errorf("seeds %v, want [3 1] in order", c.Seeds)
	case c.Base.NumIters != 100 || c.Base.Clip[0] != 2 || !c.Base.Bias:
		t.Errorf("base params %+v: want num_iters 100, clip [2 2] and the experiment's bias", c.Base)
	case len(c.Defaults) != 2 || c.Defaults[0].String() != "optim" || c.Defaults[1].String() != "0.02":
		t.Errorf("defaults %v, want fback_type optim then eta 0.02", c.Defaults)
	case m.Rule != models.DI || m.Params.DT != 0.25 || c.Base.DT == 0.25 || m.Params.NumIters != 100:
		t.Errorf("model %+v: params of its own must not leak into the base", m)
	case len(c.Grid) != 2 || c.Grid[0].Name() != "fback_type" || c.Grid[1].Name() != "w_decay":
		t.Errorf("grid axes %+v, want fback_type then w_decay (cell.Fields order)", c.Grid)
	}
	d := c.Def(m, nil, 3)
	if d.Rule != models.DI || d.Leak != 0.01 || d.Params.Eta != 0.02 || d.Feedback != models.Optim || d.Params.DT != 0.25 {
		t.Errorf("model %q's definition %+v: want DI, leak 0.01, eta 0.02 from defaults, optim feedback, dt 0.25", m.Name, d)
	}
}

// TestGridOverridesWhatTheBaseLacks: a model is checked with the grid's
// values, not with parameters the grid replaces: SDI needs four sizes, which
// the linear experiment's default lacks and the grid gives. (A grid value
// that does not suit SDI is the plan's to refuse: TestPlanChecksEveryPoint.)
func TestGridOverridesWhatTheBaseLacks(t *testing.T) {
	src := "sweep: s\nexperiment: linear_regression\nseeds: [0]\ngrid:\n  model_type: [BP, SDI]\n  sizes: [[30, 20, 15, 10], [30, 25, 20, 10]]\n"
	if _, err := Parse("ok.yaml", []byte(src)); err != nil {
		t.Errorf("a grid of four sizes for SDI: %v", err)
	}
}

func TestSplitPath(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"params.epochs", "params epochs"},
		{"models[2].leak", "models [2] leak"},
		{"models[0].params.di_g", "models [0] params di_g"},
		{"a[1][2]", "a [1] [2]"},
		{"", "error"},
		{"[0]", "error"},
		{"a..b", "error"},
		{"a.", "error"},
		{"a[x]", "error"},
		{"a[1", "error"},
		{"a[1]b", "error"},
		{"a[-1]", "error"},
	} {
		segs, err := splitPath(tc.key)
		got := "error"
		if err == nil {
			var parts []string
			for _, g := range segs {
				parts = append(parts, g.String())
			}
			got = strings.Join(parts, " ")
		}
		if got != tc.want {
			t.Errorf("splitPath(%q) = %s (%v), want %s", tc.key, got, err, tc.want)
		}
	}
}

// TestSets checks what overrides do to the configuration: replace, add,
// index into a list, and the hash that tells an overridden sweep apart.
func TestSets(t *testing.T) {
	src := []byte("sweep: s\nexperiment: linear_regression\nseeds: [0]\nparams:\nmodels:\n  - {name: BP, model_type: BP}\n  - {name: FA, model_type: FA}\n")
	plain, err := Parse("s.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("s.yaml", src, "params.num_iters=7", "seeds=[3, 4]", "models[1].eta=0.5", "grid.w_decay=[0, 0.1]", "description=from -set")
	if err != nil {
		t.Fatal(err)
	}
	if c.Base.NumIters != 7 || len(c.Seeds) != 2 || c.Seeds[1] != 4 || c.Models[1].Fields[0].String() != "0.5" ||
		len(c.Grid) != 1 || c.Grid[0].Len() != 2 || c.Description != "from -set" {
		t.Errorf("overrides not applied: num_iters %d, seeds %v, models[1] %v, grid %v, description %q",
			c.Base.NumIters, c.Seeds, c.Models[1].Fields, c.Grid, c.Description)
	}
	if c.SHA256 == plain.SHA256 {
		t.Error("the overridden configuration has the file's sha256")
	}
	again, _ := Parse("s.yaml", src, "params.num_iters=7", "seeds=[3, 4]", "models[1].eta=0.5", "grid.w_decay=[0, 0.1]", "description=from -set")
	if again.SHA256 != c.SHA256 {
		t.Error("the same overrides give another sha256")
	}
	if c.Sets[0].Over != 0 || c.Sets[1].Over != 3 || c.Sets[2].Over != 0 {
		t.Errorf("lines overridden: %d %d %d, want 0 (new), 3, 0 (new)", c.Sets[0].Over, c.Sets[1].Over, c.Sets[2].Over)
	}
	// Later overrides see earlier ones.
	c, err = Parse("s.yaml", src, "params={num_iters: 9}", "params.dt=0.5")
	if err != nil || c.Base.NumIters != 9 || c.Base.DT != 0.5 {
		t.Errorf("params replaced then extended: %v, %+v", err, c)
	}
	_, err = Parse("s.yaml", src, "models[1]=[1]")
	var e *Error
	if !errors.As(err, &e) || e.Set == nil || e.Set.N != 1 || !strings.Contains(err.Error(), "-set #1 (models[1]=[1], over line 7)") {
		t.Errorf("a bad model entry from -set: %v", err)
	}
}
