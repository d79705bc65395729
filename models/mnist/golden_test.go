package mnist

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"dinv/io/mnist/mnisttest"
	"dinv/models"
	"dinv/models/internal/curvetest"
)

var updateCurves = flag.Bool("update-curves", false, "rewrite testdata/mnist_curves.golden.json from this build")

// goldenCurvesFile keeps every recorded point of short MNIST runs, written
// by this code before the restructuring of issue 12, so that moving code
// around provably changes no number: the runs must reproduce it bit for bit.
const goldenCurvesFile = "testdata/mnist_curves.golden.json"

// goldenRun is one short run of TestMNISTCurvesGolden.
type goldenRun struct {
	exp string
	m   models.Model
	set func(p *models.Params)
}

func goldenRuns() []goldenRun {
	classify := func(p *models.Params) {
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.DiagEvery = 1, 300, 300, 299, 100
	}
	encode := func(p *models.Params) {
		// Larger steps than the paper's 1e-6, so that 8 minibatches move.
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.Eta = 1, 800, 200, 7, 2e-5
	}
	var runs []goldenRun
	for _, m := range []models.Model{ // Fig. 4a's models, DI (layer g) included
		{Name: "BP", Kind: models.BP}, {Name: "FA", Kind: models.FA, Feedback: models.Random, Scale: 0.5}, {Name: "PBP", Kind: models.PBP},
		{Name: "NDI-0", Kind: models.NDI, Feedback: models.NegTranspose}, {Name: "NDI-0.01", Kind: models.NDI, Feedback: models.NegTranspose, Leak: 0.01},
		{Name: "DI", Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01},
	} {
		runs = append(runs, goldenRun{"mnist_classification", m, classify})
	}
	for _, m := range []models.Model{ // Fig. 4b's models
		{Name: "BP", Kind: models.BP}, {Name: "FA", Kind: models.FA, Feedback: models.Random, Scale: 0.01}, {Name: "PBP", Kind: models.PBP},
		{Name: "NDI-0", Kind: models.NDI, Feedback: models.NegTranspose}, {Name: "NDI-0.01", Kind: models.NDI, Feedback: models.NegTranspose, Leak: 0.01},
	} {
		inits := []string{"normal"}
		if m.Kind == models.BP {
			inits = append(inits, "orthogonal")
		}
		for _, init := range inits {
			m := m
			m.Name += "/" + init
			runs = append(runs, goldenRun{"mnist_autoencoder", m, func(p *models.Params) { encode(p); p.Init = init }})
		}
	}
	return runs
}

// points lists a run's recorded points as "metric layer step value", the
// value with every digit (strconv's shortest exact form), in a fixed order.
func points(s curvetest.Curves) []string {
	var out []string
	for metric, layers := range s {
		for layer, steps := range layers {
			for step, v := range steps {
				out = append(out, fmt.Sprintf("%s %d %d %s", metric, layer, step, strconv.FormatFloat(v, 'g', -1, 64)))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMNISTCurvesGolden runs short MNIST classifications (every rule of
// Fig. 4a, DI included, 300 online steps, evaluations at the first and the
// last) and short autoencoders (Fig. 4b's rules, BP also with orthogonal
// initialisation, 8 minibatches, two evaluations) and compares every
// recorded point with goldenCurvesFile, bit for bit.
//
// The golden file is amd64's: there Go never fuses a multiply and an add
// into one FMA (GOAMD64=v1, the default), and gonum's kernels do not look at
// the CPU, so every amd64 machine gives the same bits. arm64 fuses, and its
// last digits differ: the test is skipped there.
func TestMNISTCurvesGolden(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the golden curves are amd64's bits; this is %s", runtime.GOARCH)
	}
	mnisttest.Require(t)
	got := map[string][]string{}
	for _, r := range goldenRuns() {
		exp, _ := models.LookupExperiment(r.exp)
		p := exp.Defaults()
		r.set(&p)
		m := r.m
		if m.Scale != 0 { // as a sweep passes fback_scale: through the parameters
			p.FbackScale, m.Scale = m.Scale, 0
		}
		s := curvetest.Curves{}
		// The final weights too, by layer: a classifier's error is a count,
		// which a small change of the arithmetic rarely moves.
		var weights []string
		finalNetHook = func(net *models.Network) {
			for l, ly := range net.Layers {
				var sum, sq, bias float64
				for _, v := range ly.W.RawMatrix().Data {
					sum += v
					sq += v * v
				}
				for _, v := range ly.Bias {
					bias += v
				}
				for _, w := range []struct {
					name string
					v    float64
				}{{"sum", sum}, {"sumsq", sq}, {"bias_sum", bias}} {
					weights = append(weights, fmt.Sprintf("weights %d %s %s", l, w.name, strconv.FormatFloat(w.v, 'g', -1, 64)))
				}
			}
		}
		start := time.Now()
		res, err := exp.Run(context.Background(), models.Env{}, p, m, 1, s)
		finalNetHook = nil
		if err != nil || res.Status != models.OK {
			t.Fatalf("%s %s: %v %v", r.exp, r.m.Name, res.Status, err)
		}
		t.Logf("%s %s: %v", r.exp, r.m.Name, time.Since(start).Round(time.Millisecond)) // a report of the cost
		got[r.exp+" "+r.m.Name] = append(points(s), weights...)
	}
	if *updateCurves {
		js, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenCurvesFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenCurvesFile, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	js, err := os.ReadFile(goldenCurvesFile)
	if err != nil {
		t.Fatalf("%v (go test ./models/mnist -run TestMNISTCurvesGolden -update-curves writes it)", err)
	}
	var want map[string][]string
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("%d runs, the golden file has %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if len(g) != len(w) {
			t.Errorf("%s: %d points, the golden file has %d", name, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] && !sameValue(g[i], w[i]) {
				t.Errorf("%s: point %q, the golden file has %q", name, g[i], w[i])
				break
			}
		}
	}
}

// sameValue reports whether two points differ only in how a NaN is written.
func sameValue(a, b string) bool {
	var ma, mb string
	var la, lb, sa, sb int
	var va, vb float64
	na, _ := fmt.Sscanf(a, "%s %d %d %g", &ma, &la, &sa, &va)
	nb, _ := fmt.Sscanf(b, "%s %d %d %g", &mb, &lb, &sb, &vb)
	return na == 4 && nb == 4 && ma == mb && la == lb && sa == sb && math.IsNaN(va) && math.IsNaN(vb)
}
