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
