package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// The reference vectors were computed with the original implementation of
// the paper (its sim_tools.py) on random inputs; testdata/reference/README.md
// gives the schema. Other files of the same schema can be run through this
// test with DINV_REFERENCE_VECTORS=path.

type refFile struct {
	Schema string            `json:"schema"`
	DT     float64           `json:"dt"`
	TSteps int               `json:"tsteps"`
	Cases  []json.RawMessage `json:"cases"`
}

type refCase struct {
	Name     string      `json:"name"`
	Kind     string      `json:"kind"`
	Rule     string      `json:"rule"`
	Transfer string      `json:"transfer"`
	Alpha    float64     `json:"alpha"`
	W        [][]float64 `json:"W"`
	B        [][]float64 `json:"B"`
	W1       [][]float64 `json:"W1"`
	W2       [][]float64 `json:"W2"`
	A        [][]float64 `json:"A"`
	Q        [][]float64 `json:"Q"`
	DH       []float64   `json:"dh"`
	Delta    []float64   `json:"delta"`
	Tol      float64     `json:"tol"`

	Want  json.RawMessage `json:"want"`
	Want1 []float64       `json:"want1"`
	Want2 []float64       `json:"want2"`

	// ssa
	LR               float64     `json:"lr"`
	MaxIters         int         `json:"maxiters"`
	MinIters         int         `json:"miniters"`
	WantB            [][]float64 `json:"want_B"`
	FinalB           [][]float64 `json:"final_B"`
	WantLambda       float64     `json:"want_lambda"`
	WellPosed        bool        `json:"well_posed"`
	TolB             float64     `json:"tol_B"`
	TolLambda        float64     `json:"tol_lambda"`
	WantIters        int         `json:"want_iters"`
	TolIters         int         `json:"tol_iters"`
	WantReturnedNone bool        `json:"want_returned_none"`

	// angles
	Vec1    []float64 `json:"a"`
	Vec2    []float64 `json:"b"`
	WantDeg float64   `json:"want_deg"`
}

func refPath() string {
	if p := os.Getenv("DINV_REFERENCE_VECTORS"); p != "" {
		return p
	}
	return filepath.Join("..", "testdata", "reference", "vectors.json")
}

func TestReferenceVectors(t *testing.T) {
	path := refPath()
	n, errs := checkReferenceFile(path)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) == 0 {
		t.Logf("reference vectors: %d cases passed (%s)", n, path)
	}
}

// checkReferenceFile runs every case of a reference file and returns how
// many passed and what failed.
func checkReferenceFile(path string) (int, []error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, []error{err}
	}
	var f refFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, []error{fmt.Errorf("%s: %v", path, err)}
	}
	if len(f.Cases) == 0 {
		return 0, []error{fmt.Errorf("%s: no cases", path)}
	}
	var errs []error
	passed := 0
	for i, rc := range f.Cases {
		var c refCase
		if err := json.Unmarshal(rc, &c); err != nil {
			errs = append(errs, fmt.Errorf("%s: case %d: %v", path, i, err))
			continue
		}
		if err := runRefCase(f, c); err != nil {
			errs = append(errs, fmt.Errorf("case %d %q (%s): %v", i, c.Name, c.Kind, err))
			continue
		}
		passed++
	}
	return passed, errs
}

// The harness itself must fail on an empty file, an unknown kind and a
// case outside its tolerance.
func TestReferenceHarnessFails(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	angle := `{"name":"a","kind":"angle","a":[1,0],"b":[0,1],"want_deg":%s,"tol":1e-9}`
	for _, c := range []struct{ name, body, want string }{
		{"empty", `{"schema":"dinv-reference-vectors/1","cases":[]}`, "no cases"},
		{"unknown", `{"cases":[{"name":"x","kind":"teleport"}]}`, `unknown case kind "teleport"`},
		{"off", `{"cases":[` + fmt.Sprintf(angle, "90.001") + `]}`, `case 0 "a" (angle): angle: largest difference 0.001`},
	} {
		n, errs := checkReferenceFile(write(c.name+".json", c.body))
		if n != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%s: %d passed, errors %v; want one containing %q", c.name, n, errs, c.want)
		}
	}
	if n, errs := checkReferenceFile(write("good.json", `{"cases":[`+fmt.Sprintf(angle, "90")+`]}`)); n != 1 || errs != nil {
		t.Errorf("good file: %d passed, %v", n, errs)
	}
}

func runRefCase(f refFile, c refCase) error {
	switch c.Kind {
	case "backprop":
		return refBackprop(f, c)
	case "sdi":
		return refSDI(f, c)
	case "max_real_eig":
		var want float64
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return err
		}
		got := linalg.LambdaMax(dense(c.W), dense(c.B), c.Alpha)
		return within("lambda_max", []float64{got}, []float64{want}, c.Tol)
	case "lyapunov":
		a := c.A
		var want [][]float64
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return err
		}
		got := mat.NewDense(len(a), len(a), nil)
		if err := linalg.LyapunovTo(got, dense(a), dense(c.Q)); err != nil {
			return err
		}
		return within("X", got.RawMatrix().Data, dense(want).RawMatrix().Data, c.Tol)
	case "ssa":
		return refSSA(c)
	case "angle":
		return within("angle", []float64{VecAngle(c.Vec1, c.Vec2)}, []float64{c.WantDeg}, c.Tol)
	case "mat_angle":
		return within("angle", []float64{MatAngle(dense(c.A), dense(c.B))}, []float64{c.WantDeg}, c.Tol)
	}
	return fmt.Errorf("unknown case kind %q", c.Kind)
}

func refRule(f refFile, c refCase, kind Kind) (Rule, error) {
	g, err := ParseTransfer(c.Transfer)
	if err != nil {
		return Rule{}, err
	}
	return Rule{Kind: kind, Leak: c.Alpha, G: g, DT: f.DT, TSteps: f.TSteps}, nil
}

func refBackprop(f refFile, c refCase) error {
	kind, err := ParseKind(c.Rule)
	if err != nil {
		return err
	}
	r, err := refRule(f, c, kind)
	if err != nil {
		return err
	}
	var want []float64
	if err := json.Unmarshal(c.Want, &want); err != nil {
		return err
	}
	w := dense(c.W)
	nOut, nIn := w.Dims()
	var b *mat.Dense
	if c.B != nil {
		b = dense(c.B)
	}
	var dh *mat.Dense
	if kind != DI { // the original returns DI's rx as is
		dh = mat.NewDense(nIn, 1, c.DH)
	}
	got := mat.NewDense(nIn, 1, nil)
	NewPropagator(r, nIn, nOut, 1).PropagateTo(got, w, b, mat.NewDense(nOut, 1, c.Delta), dh)
	return within("delta", got.RawMatrix().Data, want, c.Tol)
}

func refSDI(f refFile, c refCase) error {
	r, err := refRule(f, c, SDI)
	if err != nil {
		return err
	}
	w1, w2 := dense(c.W1), dense(c.W2)
	n2, n1 := w1.Dims()
	n3, _ := w2.Dims()
	d1, d2 := mat.NewDense(n1, 1, nil), mat.NewDense(n2, 1, nil)
	NewSDIPropagator(r, n1, n2, n3, 1).PropagateTo(d1, d2, w1, w2, dense(c.B), mat.NewDense(n3, 1, c.Delta))
	if err := within("delta1", d1.RawMatrix().Data, c.Want1, c.Tol); err != nil {
		return err
	}
	return within("delta2", d2.RawMatrix().Data, c.Want2, c.Tol)
}

func refSSA(c refCase) error {
	w, b := dense(c.W), dense(c.B)
	nOut, nIn := w.Dims()
	res, err := linalg.NewOptimizer(nIn, nOut).Optimize(b, w, c.Alpha,
		linalg.SSAParams{LR: c.LR, MaxIters: c.MaxIters, MinIters: c.MinIters})
	if gotNone := err != nil; gotNone != c.WantReturnedNone {
		return fmt.Errorf("returned none = %v (err %v), want %v", gotNone, err, c.WantReturnedNone)
	}
	wantB := c.WantB
	if wantB == nil {
		wantB = c.FinalB
	}
	if c.WellPosed {
		if res.Iters != c.WantIters {
			return fmt.Errorf("iterations %d, want %d", res.Iters, c.WantIters)
		}
		if err := within("lambda", []float64{res.LambdaMax}, []float64{c.WantLambda}, c.Tol); err != nil {
			return err
		}
		return within("B", b.RawMatrix().Data, dense(wantB).RawMatrix().Data, c.Tol)
	}
	// Ill-posed: the path depends on rounding; the README says what to check.
	if d := res.Iters - c.WantIters; d < -c.TolIters || d > c.TolIters {
		return fmt.Errorf("iterations %d, want %d +- %d", res.Iters, c.WantIters, c.TolIters)
	}
	if d := math.Abs(res.LambdaMax - c.WantLambda); !(d <= c.TolLambda) {
		return fmt.Errorf("lambda %v, want %v +- %v", res.LambdaMax, c.WantLambda, c.TolLambda)
	}
	if !c.WantReturnedNone && !(linalg.LambdaMaxFull(w, b, c.Alpha) < 0) {
		return fmt.Errorf("final loop not stable")
	}
	// tol_B is an indicative absolute bound on B for these cases.
	return withinAbs("B", b.RawMatrix().Data, dense(wantB).RawMatrix().Data, c.TolB)
}

// within applies the reference tolerance rule:
// max_i |got_i - want_i| <= tol * max(1, max_i |want_i|).
func within(what string, got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d values, want %d", what, len(got), len(want))
	}
	var diff, scale float64 = 0, 1
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if !(d <= diff) { // NaN-safe
			diff = d
		}
		scale = max(scale, math.Abs(want[i]))
	}
	if !(diff <= tol*scale) {
		return fmt.Errorf("%s: largest difference %.3g > %.3g (tol %g x %.3g)", what, diff, tol*scale, tol, scale)
	}
	return nil
}

// withinAbs checks max_i |got_i - want_i| <= tol.
func withinAbs(what string, got, want []float64, tol float64) error {
	var diff float64
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= diff) {
			diff = d
		}
	}
	if !(diff <= tol) {
		return fmt.Errorf("%s: largest difference %.3g > %.3g", what, diff, tol)
	}
	return nil
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}
