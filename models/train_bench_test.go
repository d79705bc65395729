package models

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Training-step and evaluation benchmarks at the paper's sizes, on random
// data of MNIST's shape (no data files needed). BENCHMARKS.md compares them
// with the original implementation.

func benchTrainer(b *testing.B, p Params, spec NetSpec, m Model) *trainer {
	_, t, err := newRun(context.Background(), p, m, 1, spec, false)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func randColumns(rng *rand.Rand, r, c int) *mat.Dense {
	x := mat.NewDense(r, c, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return x
}

func mnistModels() []Model {
	return []Model{
		{Name: "BP", Kind: BP}, {Name: "FA", Kind: FA, Feedback: Random}, {Name: "PBP", Kind: PBP},
		{Name: "NDI", Kind: NDI, Feedback: NegTranspose, Leak: 0.01},
		{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.01},
	}
}

// One online step of the 784-1000-10 classifier: forward, backward,
// update (with weight decay) and DI's stability check.
func BenchmarkMNISTClassificationStep(b *testing.B) {
	exp, _ := LookupExperiment("mnist_classification")
	p := exp.Defaults()
	p.DiagEvery = 0
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Linear}, Bias: true, Softmax: true}
	rng := rand.New(rand.NewPCG(1, 9))
	x := randColumns(rng, 784, 1)
	y := mat.NewDense(10, 1, nil)
	y.Set(3, 0, 1)
	for _, m := range mnistModels() {
		b.Run(m.Name, func(b *testing.B) {
			t := benchTrainer(b, p, spec, m)
			b.ReportAllocs()
			for b.Loop() {
				t.step(1, x, y, true)
				if err := t.restabilise(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// One minibatch step (100 examples) of the autoencoder.
func BenchmarkMNISTAutoencoderStep(b *testing.B) {
	exp, _ := LookupExperiment("mnist_autoencoder")
	p := exp.Defaults()
	p.DiagEvery = 0
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Tanh, Linear, Tanh, Tanh, Linear}, Bias: true}
	rng := rand.New(rand.NewPCG(2, 9))
	x := randColumns(rng, 784, 100)
	for _, m := range mnistModels()[:4] {
		b.Run(m.Name, func(b *testing.B) {
			t := benchTrainer(b, p, spec, m)
			b.ReportAllocs()
			for b.Loop() {
				t.step(1, x, x, true)
			}
		})
	}
}

// Evaluating the classifier on 1000 examples (one chunk): the paper
// evaluates 70000 every 1000 training examples.
func BenchmarkMNISTEval1000(b *testing.B) {
	exp, _ := LookupExperiment("mnist_classification")
	p := exp.Defaults()
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Tanh, Linear}, Bias: true, Softmax: true}
	net := NewNetwork(spec)
	net.InitUniform(rand.New(rand.NewPCG(3, 9)), 0.01, 0)
	fw := newForward(p.Sizes, evalChunk)
	x := randColumns(rand.New(rand.NewPCG(4, 9)), 784, evalChunk)
	b.ReportAllocs()
	for b.Loop() {
		fw.run(net, x)
	}
}

// One iteration of all ten linear-regression models, each with its error
// over the whole data set and DI's diagnostics, as the original's loop.
func BenchmarkLinearRegressionIteration(b *testing.B) {
	exp, _ := LookupExperiment("linear_regression")
	p := exp.Defaults()
	var ts []*trainer
	var les []*linearError
	rng := rand.New(rand.NewPCG(5, 9))
	teacher, xs := randColumns(rng, 10, 30), randColumns(rng, 30, 2000)
	var s mat.Dense
	s.Mul(xs, xs.T())
	spec := NetSpec{Sizes: p.Sizes, Transfers: []Transfer{Linear, Linear}}
	for _, m := range paperLinearModels() {
		net, t, err := newRun(context.Background(), p, m, 1, spec, true)
		if err != nil {
			b.Fatal(err)
		}
		ts, les = append(ts, t), append(les, newLinearError(net, teacher, &s))
	}
	x, y := randColumns(rng, 30, 1), randColumns(rng, 10, 1)
	rec := discard{}
	b.ReportAllocs()
	k := 1
	for b.Loop() {
		for i, t := range ts {
			t.step(k, x, y, true)
			if err := t.restabilise(context.Background()); err != nil {
				b.Fatal(err)
			}
			if t.m.Kind == DI {
				t.diagnostics(k, rec)
			}
			if e := les[i].sse(); math.IsNaN(e) {
				b.Fatal("NaN")
			}
		}
		k++
	}
}

type discard struct{}

func (discard) Record(int, string, int, float64) {}
