package cell

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"dinv/models"
)

func params() models.Params {
	return models.Params{Sizes: []int{30, 20, 10}, NumIters: 100, BatchSize: 1, Eta: 0.01, Init: "normal",
		InitScale: 0.01, FbackScale: 0.5, DIG: "linear", SDIG: "tanh", DT: 0.5, TSteps: 1000,
		SSALR: 0.05, SSAMax: 200, SSAMin: 10, SSATries: 3, EvalEvery: 1, DiagEvery: 1}
}

func mustParse(t *testing.T, name string, x any) Value {
	t.Helper()
	f := Lookup(name)
	if f == nil {
		t.Fatalf("no field %q", name)
	}
	v, err := f.Parse(x)
	if err != nil {
		t.Fatalf("%s %v: %v", name, x, err)
	}
	return v
}

// TestIDPinned pins the ids of two definitions. They are the ids that
// sweep.Def of commit 19c23e1, before the vocabulary moved here, gave the
// same cells: an id that changes orphans every finished cell of every
// folder, so this test fails on any change of what is hashed. The results
// file format is not hashed at all (this package does not import results:
// TestImportRules), so a change of it cannot move an id.
func TestIDPinned(t *testing.T) {
	d := New("linear_regression", models.BP, params(), 0)
	di := New("linear_regression", models.DI, params(), 3)
	di.Set(mustParse(t, "fback_type", "neg-transpose"))
	di.Set(mustParse(t, "leak", 0.01))
	for _, tc := range []struct {
		d    Def
		want string
	}{{d, "615888353db4281d"}, {di, "b6c30dc11f903c41"}} {
		if got := tc.d.ID(); got != tc.want {
			t.Errorf("%s cell id %s, want %s", tc.d.Rule, got, tc.want)
		}
	}
}

// TestCollapse: a rule's definition ignores the fields it does not read,
// so that grid axes over them make one cell.
func TestCollapse(t *testing.T) {
	bp := New("linear_regression", models.BP, params(), 0)
	id := bp.ID()
	for _, v := range []Value{mustParse(t, "leak", 0.5), mustParse(t, "fback_type", "sign"), mustParse(t, "fback_gain", 3),
		mustParse(t, "fback_scale", 0.1), mustParse(t, "tsteps", 5), mustParse(t, "dt", 0.1), mustParse(t, "di_g", "tanh")} {
		bp.Set(v)
		if bp.ID() != id {
			t.Errorf("BP's id changed with %s %s, which BP does not read", v.Field.Name, v)
		}
		if bp.Column(v.Field) != nil {
			t.Errorf("BP's %s column is %v, want null", v.Field.Name, bp.Column(v.Field))
		}
	}
	di := New("linear_regression", models.DI, params(), 0)
	before := di.ID()
	di.Set(mustParse(t, "tsteps", 5))
	if di.Params.TSteps != 5 || di.ID() == before || di.Column(Lookup("tsteps")) != int64(5) {
		t.Errorf("DI with tsteps 5: params.tsteps %d, column %v, id unchanged %v", di.Params.TSteps, di.Column(Lookup("tsteps")), di.ID() == before)
	}
	for _, v := range []Value{mustParse(t, "eta", 0.1), mustParse(t, "batch_size", 2), mustParse(t, "sizes", []any{30, 5, 10})} {
		bp.Set(v)
		if bp.ID() == id {
			t.Errorf("BP's id did not change with %s %s, which every rule reads", v.Field.Name, v)
		}
		id = bp.ID()
	}
	if got := bp.Column(Lookup("sizes")); got != "[30,5,10]" {
		t.Errorf("sizes column %v, want its JSON text", got)
	}
}

// TestFieldsCoverParams: every experiment parameter is a field, and the
// keys are unique.
func TestFieldsCoverParams(t *testing.T) {
	names, axes := map[string]bool{}, map[string]bool{}
	for _, f := range Fields {
		if names[f.Name] || axes[f.Axis] {
			t.Errorf("field %q (axis %q) twice", f.Name, f.Axis)
		}
		names[f.Name], axes[f.Axis] = true, true
	}
	typ := reflect.TypeFor[models.Params]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if f := Lookup(name); f == nil || !f.InParams() {
			t.Errorf("parameter %q has no field that keeps it in the parameters", name)
		}
	}
}

func TestParse(t *testing.T) {
	var we *WantError
	for _, tc := range []struct {
		field string
		x     any
		want  string // "" for success, else the error's text
	}{
		{"tsteps", 250, ""},
		{"tsteps", 2.5, "want an integer"},
		{"tsteps", "x", "want an integer"},
		{"sizes", []any{784, 10}, ""},
		{"sizes", []any{784, "a"}, "want a list of integers"},
		{"di_g", "tanh", ""},
		{"eta", 1, ""},
		{"eta", "x", "want a number"},
		{"fback_gain", 0, "must not be 0"},
		{"model_type", "xx", `unknown model_type "xx" (valid: BP, FA, PBP, NDI, DI, SDI)`},
		{"model_type", "di", ""},
	} {
		v, err := Lookup(tc.field).Parse(tc.x)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v: %v", tc.field, tc.x, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s %v: %v, want %q", tc.field, tc.x, err, tc.want)
		case strings.HasPrefix(tc.want, "want ") && !errors.As(err, &we):
			t.Errorf("%s %v: %T is not a *WantError", tc.field, tc.x, err)
		case tc.want == "" && tc.field == "tsteps":
			if js, _ := json.Marshal(v.YAML()); string(js) != "250" {
				t.Errorf("tsteps 250 writes %s to sweep.yaml", js)
			}
		}
	}
}

// TestExperimentNumerics: an experiment's own numerics version moves the
// ids of its cells (TestIDPinned holds those of version 0 to the first
// version's).
func TestExperimentNumerics(t *testing.T) {
	d := models.Definition{Name: "cell_test_numerics", Defaults: models.BaseParams, Numerics: 1,
		Run: func(context.Context, models.Env, models.Params, models.Model, uint64, models.Recorder) (models.Result, error) {
			return models.Result{}, nil
		}}
	before := New(d.Name, models.BP, params(), 0).ID() // not registered: version 0
	models.Register(d)
	if after := New(d.Name, models.BP, params(), 0).ID(); after == before {
		t.Errorf("numerics version 1 leaves the id %s", after)
	}
}
