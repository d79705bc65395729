package models

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/models/internal/mattest"
)

// A training step allocates nothing, for every rule.
func TestStepNoAllocs(t *testing.T) {
	p, spec := nonlinearNet()
	x, y := mat.NewDense(30, 1, nil), mat.NewDense(10, 1, nil)
	for i := range 30 {
		x.Set(i, 0, float64(i%7)-3)
	}
	for _, m := range everyRule() {
		_, tr, err := NewRun(context.Background(), p, m, 1, spec, TrainOptions{DiagPBP: true})
		if err != nil {
			t.Fatal(err)
		}
		tr.Step(1, x, y, true)
		if a := testing.AllocsPerRun(5, func() { tr.Step(1, x, y, true) }); a != 0 {
			t.Errorf("%s: %v allocations per step", m.Name, a)
		}
	}
}

// nonlinearNet returns parameters and the shape of the nonlinear
// regression's 30-20-10-10 network (tanh, tanh, linear, with biases), with
// the optimiser's rate of that experiment.
func nonlinearNet() (Params, NetSpec) {
	p := BaseParams()
	p.Sizes, p.Eta, p.Bias, p.BiasInit, p.Clip, p.SSALR = []int{30, 20, 10, 10}, 0.01, true, 0.01, []float64{1, 1}, 0.5
	return p, NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Tanh, Linear}, Bias: true}
}

// linearNet returns parameters and the shape of the linear regression's
// 30-20-10 network.
func linearNet() (Params, NetSpec) {
	p := BaseParams()
	p.Sizes, p.Eta = []int{30, 20, 10}, 0.01
	return p, NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Linear, Linear}}
}

// everyRule is every rule, with each of random, neg-transpose and optim
// feedback where it reads feedback.
func everyRule() []Model {
	var ms []Model
	for _, k := range Kinds() {
		if !k.UsesFeedback() {
			ms = append(ms, Model{Name: k.String(), Kind: k})
			continue
		}
		for _, f := range []FeedbackType{Random, NegTranspose, Optim} {
			ms = append(ms, Model{Name: k.String() + " " + f.String(), Kind: k, Feedback: f, Leak: 0.01})
		}
	}
	return ms
}

// SDI's loop feedback is -W1ᵀ W2ᵀ (neg-transpose) or -B1 B2 of the two
// layers' optimised matrices (optim).
func TestSDIFeedback(t *testing.T) {
	p, spec := nonlinearNet()
	for _, f := range []FeedbackType{NegTranspose, Optim} {
		net, tr, err := NewRun(context.Background(), p, Model{Kind: SDI, Feedback: f, Leak: 0.01}, 4, spec, TrainOptions{})
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
}

// Under norm_delw every update moves each W by exactly eta in Frobenius
// norm, for one example and for a minibatch.
func TestNormDelW(t *testing.T) {
	p, spec := linearNet()
	p.NormDelW = true
	rng := rand.New(rand.NewPCG(8, 8))
	for _, bs := range []int{1, 5} {
		p.BatchSize = bs
		net, tr, err := NewRun(context.Background(), p, Model{Kind: BP}, 1, spec, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		x, y := mattest.Rand(rng, 30, bs, 1), mattest.Rand(rng, 10, bs, 1)
		before := net.Clone()
		tr.Step(1, x, y, true)
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
	p, spec := linearNet()
	p.BatchSize, p.Clip = 3, []float64{0.5}
	_, tr, err := NewRun(context.Background(), p, Model{Kind: FA, Feedback: Random}, 1, spec, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := mattest.Rand(rng, 30, 3, 1), mattest.Rand(rng, 10, 3, 1)
	y.Set(0, 2, 0) // one column with a tiny error
	for i := range 10 {
		y.Set(i, 2, 1e-6)
	}
	tr.Step(1, x, y, false)
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
