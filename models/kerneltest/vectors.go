package kerneltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
	"dinv/models"
	"dinv/models/internal/mattest"
)

// The reference vectors were computed with the original implementation of
// the paper (its sim_tools.py) on random inputs; testdata/reference/README.md
// gives the schema. Other files of the same schema can be run through the
// suite with DINV_REFERENCE_VECTORS=path.

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

// vectorsPath is $DINV_REFERENCE_VECTORS, else testdata/reference/vectors.json
// of the module that holds the working directory (a test's package folder).
func vectorsPath() (string, error) {
	if p := os.Getenv("DINV_REFERENCE_VECTORS"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "reference", "vectors.json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kerneltest: no go.mod above the working directory to find testdata/reference in")
		}
		dir = parent
	}
}

// referenceVectors runs every case of the reference file on k.
func referenceVectors(t *testing.T, k models.Kernels) {
	path, err := vectorsPath()
	if err != nil {
		t.Fatal(err)
	}
	n, errs := checkReferenceFile(path, k)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) == 0 {
		t.Logf("reference vectors: %d cases passed (%s)", n, path)
	}
}

// checkReferenceFile runs every case of a reference file on k and returns
// how many passed and what failed.
func checkReferenceFile(path string, k models.Kernels) (int, []error) {
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
		if err := runRefCase(f, c, k); err != nil {
			errs = append(errs, fmt.Errorf("case %d %q (%s): %v", i, c.Name, c.Kind, err))
			continue
		}
		passed++
	}
	return passed, errs
}

func runRefCase(f refFile, c refCase, k models.Kernels) error {
	switch c.Kind {
	case "backprop":
		return refBackprop(f, c, k)
	case "sdi":
		return refSDI(f, c, k)
	case "max_real_eig":
		var want float64
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return err
		}
		got := linalg.LambdaMax(mattest.FromRows(c.W), mattest.FromRows(c.B), c.Alpha)
		return within("lambda_max", []float64{got}, []float64{want}, c.Tol)
	case "lyapunov":
		a := c.A
		var want [][]float64
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return err
		}
		got := mat.NewDense(len(a), len(a), nil)
		if err := linalg.LyapunovTo(got, mattest.FromRows(a), mattest.FromRows(c.Q)); err != nil {
			return err
		}
		return within("X", got.RawMatrix().Data, mattest.FromRows(want).RawMatrix().Data, c.Tol)
	case "ssa":
		return refSSA(c)
	case "angle":
		return within("angle", []float64{models.VecAngle(c.Vec1, c.Vec2)}, []float64{c.WantDeg}, c.Tol)
	case "mat_angle":
		return within("angle", []float64{models.MatAngle(mattest.FromRows(c.A), mattest.FromRows(c.B))}, []float64{c.WantDeg}, c.Tol)
	}
	return fmt.Errorf("unknown case kind %q", c.Kind)
}

func refRule(f refFile, c refCase, kind models.Kind) (models.Rule, error) {
	g, err := models.ParseTransfer(c.Transfer)
	if err != nil {
		return models.Rule{}, err
	}
	return models.Rule{Kind: kind, Leak: c.Alpha, G: g, DT: f.DT, TSteps: f.TSteps}, nil
}

func refBackprop(f refFile, c refCase, k models.Kernels) error {
	kind, err := models.ParseKind(c.Rule)
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
	w := mattest.FromRows(c.W)
	nOut, nIn := w.Dims()
	var b *mat.Dense
	if c.B != nil {
		b = mattest.FromRows(c.B)
	}
	var dh *mat.Dense
	if kind != models.DI { // the original returns DI's rx as is
		dh = mat.NewDense(nIn, 1, c.DH)
	}
	got := mat.NewDense(nIn, 1, nil)
	models.NewPropagator(k, r, nIn, nOut, 1).PropagateTo(got, w, b, mat.NewDense(nOut, 1, c.Delta), dh)
	return within("delta", got.RawMatrix().Data, want, c.Tol)
}

func refSDI(f refFile, c refCase, k models.Kernels) error {
	r, err := refRule(f, c, models.SDI)
	if err != nil {
		return err
	}
	w1, w2 := mattest.FromRows(c.W1), mattest.FromRows(c.W2)
	n2, n1 := w1.Dims()
	n3, _ := w2.Dims()
	d1, d2 := mat.NewDense(n1, 1, nil), mat.NewDense(n2, 1, nil)
	models.NewSDIPropagator(k, r, n1, n2, n3, 1).PropagateTo(d1, d2, w1, w2, mattest.FromRows(c.B), mat.NewDense(n3, 1, c.Delta))
	if err := within("delta1", d1.RawMatrix().Data, c.Want1, c.Tol); err != nil {
		return err
	}
	return within("delta2", d2.RawMatrix().Data, c.Want2, c.Tol)
}

func refSSA(c refCase) error {
	w, b := mattest.FromRows(c.W), mattest.FromRows(c.B)
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
		return within("B", b.RawMatrix().Data, mattest.FromRows(wantB).RawMatrix().Data, c.Tol)
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
	return withinAbs("B", b.RawMatrix().Data, mattest.FromRows(wantB).RawMatrix().Data, c.TolB)
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
