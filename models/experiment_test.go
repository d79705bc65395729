package models

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// PaperLinearModels are the ten models of Fig. 3a-f.
func paperLinearModels() []Model {
	return []Model{
		{Name: "BP", Kind: BP},
		{Name: "FA", Kind: FA, Feedback: Random},
		{Name: "FA-2", Kind: FA, Feedback: NegTranspose, Gain: 50},
		{Name: "PBP", Kind: PBP},
		{Name: "NDI", Kind: NDI, Feedback: NegTranspose, Leak: 0.01},
		{Name: "NDI-2", Kind: NDI, Feedback: NegTranspose, Leak: 0.001},
		{Name: "NDI-3", Kind: NDI, Feedback: Optim, Leak: 0.01},
		{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.01},
		{Name: "DI-2", Kind: DI, Feedback: NegTranspose, Leak: 0.001},
		{Name: "DI-3", Kind: DI, Feedback: Optim, Leak: 0.01},
	}
}

// series keeps every recorded point of one run by metric and layer.
type series map[string]map[int]map[int]float64

func (s series) Record(step int, metric string, layer int, v float64) {
	if s[metric] == nil {
		s[metric] = map[int]map[int]float64{}
	}
	if s[metric][layer] == nil {
		s[metric][layer] = map[int]float64{}
	}
	s[metric][layer][step] = v
}

// nonlinearModels are the models of Fig. 3g-k.
func nonlinearModels() []Model {
	ms := paperLinearModels()
	return append(ms,
		Model{Name: "SDI", Kind: SDI, Feedback: NegTranspose, Leak: 0.01},
		Model{Name: "SDI-3", Kind: SDI, Feedback: Optim, Leak: 0.01})
}

func run(t *testing.T, name string, p Params, m Model, seed uint64) (Result, series) {
	t.Helper()
	exp, err := LookupExperiment(name)
	if err != nil {
		t.Fatal(err)
	}
	s := series{}
	res, err := exp.Run(context.Background(), Env{}, p, m, seed, s)
	if err != nil {
		t.Fatalf("%s %s: %v", name, m.Name, err)
	}
	return res, s
}

func small(name string) Params {
	exp, _ := LookupExperiment(name)
	p := exp.Defaults()
	switch name {
	case "linear_regression":
		p.NumIters = 400
	case "nonlinear_regression":
		p.NumIters = 400
		p.EvalEvery = 20
		p.SSAMax, p.SSAMin = 200, 10
	}
	return p
}

// Every paper model learns the linear task at reduced size.
func TestLinearRegressionSmall(t *testing.T) {
	p := small("linear_regression")
	for _, m := range paperLinearModels() {
		res, s := run(t, "linear_regression", p, m, 1)
		e := s[MetricTrainError][0]
		if res.Status != OK || res.Steps != p.NumIters || !(e[p.NumIters-1] < 0.01*e[0]) {
			t.Errorf("%s: %v after %d steps, error %.3g -> %.3g", m.Name, res.Status, res.Steps, e[0], e[p.NumIters-1])
		}
		if m.Kind == DI {
			for _, metric := range []string{MetricLambdaMax, MetricAngleBNegWT, MetricAngleDeltaNDI, MetricAngleDeltaPBP} {
				if len(s[metric][1]) != p.NumIters {
					t.Errorf("%s: %d points of %s, want %d", m.Name, len(s[metric][1]), metric, p.NumIters)
				}
			}
		}
	}
}

// Every model of Fig. 3g-k, SDI included, lowers the nonlinear task's error.
func TestNonlinearRegressionSmall(t *testing.T) {
	p := small("nonlinear_regression")
	for _, m := range nonlinearModels() {
		res, s := run(t, "nonlinear_regression", p, m, 2)
		e := s[MetricTrainError][0]
		last := p.NumIters - 1
		if res.Status != OK || !(e[last] < 0.5*e[0]) {
			t.Errorf("%s: %v, error %.4g -> %.4g", m.Name, res.Status, e[0], e[last])
		}
	}
}

// Two runs of one cell give bit-identical metrics; models of one seed start
// from identical weights and data.
func TestDeterminism(t *testing.T) {
	p := small("nonlinear_regression")
	p.NumIters = 100
	for _, m := range []Model{{Kind: DI, Feedback: Optim, Leak: 0.01}, {Kind: FA, Feedback: Random}} {
		_, a := run(t, "nonlinear_regression", p, m, 7)
		_, b := run(t, "nonlinear_regression", p, m, 7)
		if !sameSeries(a, b) {
			t.Errorf("%v: two runs differ", m.Kind)
		}
	}
	var first *Network
	for _, m := range nonlinearModels() {
		net, _, err := newRun(context.Background(), p, m, 7, NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Tanh, Linear}, Bias: true}, false)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = net
			continue
		}
		for l := range net.Layers {
			if !mat.Equal(net.Layers[l].W, first.Layers[l].W) || !floatsEqual(net.Layers[l].Bias, first.Layers[l].Bias) {
				t.Errorf("%s: layer %d starts from other weights than BP", m.Name, l)
			}
		}
	}
	// All models see the same first error (the skipped first update).
	q := small("linear_regression")
	var e0 float64
	for i, m := range paperLinearModels() {
		_, s := run(t, "linear_regression", q, m, 3)
		if v := s[MetricTrainError][0][0]; i > 0 && v != e0 {
			t.Errorf("%s: first error %v, BP's %v", m.Name, v, e0)
		} else {
			e0 = v
		}
	}
}

func sameSeries(a, b series) bool {
	if len(a) != len(b) {
		return false
	}
	for m, layers := range a {
		for l, pts := range layers {
			if len(pts) != len(b[m][l]) {
				return false
			}
			for k, v := range pts {
				if w, ok := b[m][l][k]; !ok || math.Float64bits(v) != math.Float64bits(w) {
					return false
				}
			}
		}
	}
	return true
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cancelAt cancels its context when a given step is recorded.
type cancelAt struct {
	step   int
	cancel context.CancelFunc
}

func (c cancelAt) Record(step int, _ string, _ int, _ float64) {
	if step >= c.step {
		c.cancel()
	}
}

// A run stops promptly when its context is cancelled, and says why.
func TestCancel(t *testing.T) {
	exp, _ := LookupExperiment("nonlinear_regression")
	p := exp.Defaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	res, err := exp.Run(ctx, Env{}, p, Model{Kind: DI, Feedback: NegTranspose, Leak: 0.01}, 1, cancelAt{50, cancel})
	if !errors.Is(err, context.Canceled) || res.Steps > 52 {
		t.Errorf("got %v after %d steps, want context.Canceled near step 50", err, res.Steps)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

// A diverging run is a result with the step, not an error or a crash.
func TestDivergence(t *testing.T) {
	p := small("linear_regression")
	p.Eta = 5
	p.Clip = nil
	res, s := run(t, "linear_regression", p, Model{Kind: BP}, 1)
	if res.Status != Diverged || res.DivergedAt <= 0 || res.DivergedAt >= p.NumIters {
		t.Fatalf("got %+v, want divergence", res)
	}
	if n := len(s[MetricTrainError][0]); n > res.DivergedAt+1 {
		t.Errorf("%d points recorded after divergence at %d", n, res.DivergedAt)
	}
}

// A DI or SDI run whose weights blow up diverges: NaN weights are a result,
// found before the stability optimiser is asked to stabilise them.
func TestDivergenceDI(t *testing.T) {
	for _, c := range []struct {
		exp string
		m   Model
	}{
		{"linear_regression", Model{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.01}},
		{"nonlinear_regression", Model{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.01}},
		{"nonlinear_regression", Model{Name: "SDI", Kind: SDI, Feedback: NegTranspose, Leak: 0.01}},
	} {
		p := small(c.exp)
		p.Eta = 1e300
		p.Clip = nil
		exp, _ := LookupExperiment(c.exp)
		res, err := exp.Run(context.Background(), Env{}, p, c.m, 1, series{})
		if err != nil || res.Status != Diverged {
			t.Errorf("%s %s at eta 1e300: got status %v, error %v; want diverged without error", c.exp, c.m.Name, res.Status, err)
		}
	}
	// The case: the paper's nonlinear DI at eta 1e10 makes NaN
	// weights at step 2, after one successful re-stabilisation at step 1.
	exp, _ := LookupExperiment("nonlinear_regression")
	p := exp.Defaults()
	p.NumIters, p.Eta = 300, 1e10
	res, err := exp.Run(context.Background(), Env{}, p, Model{Kind: DI, Feedback: NegTranspose, Leak: 0.01}, 1, series{})
	if err != nil || res.Status != Diverged || res.SSARuns > 1 {
		t.Errorf("nonlinear DI at eta 1e10: got %+v, error %v; want diverged after at most one SSA run", res, err)
	}
}

// An optimiser that cannot succeed is retried from fresh random feedback,
// counted, and then fails the run with the reason.
func TestSSAFailure(t *testing.T) {
	exp, _ := LookupExperiment("linear_regression")
	p := small("linear_regression")
	p.SSALR, p.SSAMax, p.SSAMin, p.SSATries = 1e-9, 1, 1, 2
	p.OptimLeak = 0 // at alpha 0 the random start is unstable, and one tiny step cannot mend it
	res, err := exp.Run(context.Background(), Env{}, p, Model{Kind: DI, Feedback: Optim, Leak: 0.01}, 1, series{})
	if !errors.Is(err, ErrSSA) || res.SSARetries != 2 || res.SSARuns != 3 {
		t.Errorf("got %v, %+v; want ErrSSA after 2 retries", err, res)
	}
}

// A training step allocates nothing, for every rule.
func TestStepNoAllocs(t *testing.T) {
	p := small("nonlinear_regression")
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Tanh, Linear}, Bias: true}
	x, y := mat.NewDense(30, 1, nil), mat.NewDense(10, 1, nil)
	for i := range 30 {
		x.Set(i, 0, float64(i%7)-3)
	}
	for _, m := range nonlinearModels() {
		_, tr, err := newRun(context.Background(), p, m, 1, spec, true)
		if err != nil {
			t.Fatal(err)
		}
		tr.step(1, x, y, true)
		if a := testing.AllocsPerRun(5, func() { tr.step(1, x, y, true) }); a != 0 {
			t.Errorf("%s: %v allocations per step", m.Name, a)
		}
	}
}

// SDI's loop feedback is -W1ᵀ W2ᵀ (neg-transpose) or -B1 B2 of the two
// layers' optimised matrices (optim), and its diagnostics cover both layers.
func TestSDIFeedback(t *testing.T) {
	p := small("nonlinear_regression")
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Tanh, Linear}, Bias: true}
	for _, f := range []FeedbackType{NegTranspose, Optim} {
		net, tr, err := newRun(context.Background(), p, Model{Kind: SDI, Feedback: f, Leak: 0.01}, 4, spec, false)
		if err != nil {
			t.Fatal(err)
		}
		var want mat.Dense
		if f == NegTranspose {
			want.Mul(net.Layers[1].W.T(), net.Layers[2].W.T())
		} else {
			want.Mul(tr.fb[1], tr.fb[2])
		}
		want.Scale(-1, &want)
		if !mat.EqualApprox(tr.sdiB, &want, 1e-15) {
			t.Errorf("%v: SDI feedback is not %s", f, map[FeedbackType]string{NegTranspose: "-W1ᵀW2ᵀ", Optim: "-B1 B2"}[f])
		}
	}
	p.NumIters = 30
	_, s := run(t, "nonlinear_regression", p, Model{Kind: SDI, Feedback: NegTranspose, Leak: 0.01}, 4)
	for _, metric := range []string{MetricAngleBNegWT, MetricLambdaMax, MetricAngleDeltaNDI} {
		if len(s[metric][1]) != 30 || len(s[metric][2]) != 30 {
			t.Errorf("%s: %d and %d points for layers 1 and 2, want 30", metric, len(s[metric][1]), len(s[metric][2]))
		}
	}
}

// Under norm_delw every update moves each W by exactly eta in Frobenius
// norm, for one example and for a minibatch.
func TestNormDelW(t *testing.T) {
	p := small("linear_regression")
	p.NormDelW, p.Clip = true, nil
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Linear, Linear}}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, bs := range []int{1, 5} {
		p.BatchSize = bs
		net, tr, err := newRun(context.Background(), p, Model{Kind: BP}, 1, spec, false)
		if err != nil {
			t.Fatal(err)
		}
		x, y := randDense(rng, 30, bs, 1), randDense(rng, 10, bs, 1)
		before := net.Clone()
		tr.step(1, x, y, true)
		for l := range net.Layers {
			var d mat.Dense
			d.Sub(net.Layers[l].W, before.Layers[l].W)
			if got := mat.Norm(&d, 2); math.Abs(got-p.Eta) > 1e-12 {
				t.Errorf("batch %d layer %d: ||dW|| = %v, want eta = %v", bs, l, got, p.Eta)
			}
		}
	}
}

// Clipping bounds the norm of each example's delta, column by column, and
// leaves small ones alone.
func TestClipPerColumn(t *testing.T) {
	p := small("linear_regression")
	p.BatchSize, p.Clip = 3, []float64{0.5}
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Linear, Linear}}
	_, tr, err := newRun(context.Background(), p, Model{Kind: FA, Feedback: Random}, 1, spec, false)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := randDense(rng, 30, 3, 1), randDense(rng, 10, 3, 1)
	y.Set(0, 2, 0) // one column with a tiny error
	for i := range 10 {
		y.Set(i, 2, 1e-6)
	}
	tr.step(1, x, y, false)
	for j := range 3 {
		n := mat.Norm(tr.delta[0].ColView(j), 2)
		var raw mat.VecDense
		raw.MulVec(tr.fb[1], tr.delta[1].ColView(j))
		want := min(0.5, mat.Norm(&raw, 2))
		if math.Abs(n-want) > 1e-12 {
			t.Errorf("column %d: norm %v, want %v", j, n, want)
		}
	}
}
