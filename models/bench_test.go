package models

import (
	"dinv/models/internal/mattest"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Benchmarks at MNIST size: the output layer of the 784-1000-10 classifier,
// W 10 x 1000 and B 1000 x 10, one example per call. BENCHMARKS.md records
// the figures and .ci/bench-vs-original compares them with the original
// implementation's.

func mnistLayer() (w, b, delta, dh *mat.Dense) {
	rng := rand.New(rand.NewPCG(1, 3))
	w = mattest.Rand(rng, 10, 1000, 0.01)
	b = mattest.Rand(rng, 1000, 10, 0.5)
	b.Scale(-1, w.T()) // NDI/DI neg-transpose: a stable loop
	delta = mattest.Rand(rng, 10, 1, 1)
	dh = mattest.Rand(rng, 1000, 1, 1)
	return
}

func benchRule(b *testing.B, r Rule) { benchRuleOn(b, Reference{}, r) }

func benchRuleOn(b *testing.B, k Kernels, r Rule) {
	w, fb, delta, dh := mnistLayer()
	if r.Kind == FA {
		fb = mattest.Rand(rand.New(rand.NewPCG(2, 3)), 1000, 10, 0.5)
	}
	dst := mat.NewDense(1000, 1, nil)
	p := NewPropagator(k, r, 1000, 10, 1)
	p.PropagateTo(dst, w, fb, delta, dh)
	b.ReportAllocs()
	for b.Loop() {
		p.PropagateTo(dst, w, fb, delta, dh)
	}
}

func BenchmarkRuleMNIST(b *testing.B) {
	b.Run("BP", func(b *testing.B) { benchRule(b, Rule{Kind: BP}) })
	b.Run("FA", func(b *testing.B) { benchRule(b, Rule{Kind: FA}) })
	b.Run("PBP", func(b *testing.B) { benchRule(b, Rule{Kind: PBP}) })
	b.Run("NDI", func(b *testing.B) { benchRule(b, Rule{Kind: NDI, Leak: 0.01}) })
	b.Run("DI-linear", func(b *testing.B) { benchRule(b, Rule{Kind: DI, Leak: 0.01}) })
	b.Run("DI-linear-direct", func(b *testing.B) {
		w, fb, delta, dh := mnistLayer()
		dst := mat.NewDense(1000, 1, nil)
		p := NewPropagator(Reference{}, Rule{Kind: DI, Leak: 0.01}, 1000, 10, 1)
		p.di.(*refDI).noReduce = true
		p.PropagateTo(dst, w, fb, delta, dh)
		b.ReportAllocs()
		for b.Loop() {
			p.PropagateTo(dst, w, fb, delta, dh)
		}
	})
	b.Run("DI-tanh", func(b *testing.B) { benchRule(b, Rule{Kind: DI, Leak: 0.01, G: Tanh}) })
	b.Run("DI-tanh-fast", func(b *testing.B) { benchRuleOn(b, Fast{}, Rule{Kind: DI, Leak: 0.01, G: Tanh}) })
}

// SDI across the two layers of the classifier: W1 1000 x 784, W2 10 x 1000,
// B 784 x 10.
func BenchmarkSDIMNIST(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	w1, w2 := mattest.Rand(rng, 1000, 784, 0.01), mattest.Rand(rng, 10, 1000, 0.01)
	var w21 mat.Dense
	w21.Mul(w2, w1)
	fb := mattest.NegT(&w21)
	delta := mattest.Rand(rng, 10, 1, 1)
	d1, d2 := mat.NewDense(784, 1, nil), mat.NewDense(1000, 1, nil)
	for _, g := range []Transfer{Linear, Tanh} {
		b.Run(g.String(), func(b *testing.B) {
			p := NewSDIPropagator(Reference{}, Rule{Kind: SDI, Leak: 0.01, G: g}, 784, 1000, 10, 1)
			p.PropagateTo(d1, d2, w1, w2, fb, delta)
			b.ReportAllocs()
			for b.Loop() {
				p.PropagateTo(d1, d2, w1, w2, fb, delta)
			}
		})
	}
}
