package models_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/models"
	_ "dinv/models/all" // the experiments' defaults
	"dinv/models/internal/mattest"
)

// Training-step and evaluation benchmarks at the paper's sizes, on random
// data of MNIST's shape (no data files needed). BENCHMARKS.md compares them
// with the original implementation.

func benchTrainer(b *testing.B, p models.Params, spec models.NetSpec, m models.Model) *models.Trainer {
	_, t, err := models.NewRun(context.Background(), p, m, 1, spec, models.TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func mnistModels() []models.Model {
	return []models.Model{
		{Name: "BP", Kind: models.BP}, {Name: "FA", Kind: models.FA, Feedback: models.Random}, {Name: "PBP", Kind: models.PBP},
		{Name: "NDI", Kind: models.NDI, Feedback: models.NegTranspose, Leak: 0.01},
		{Name: "DI", Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01},
	}
}

// One online step of the 784-1000-10 classifier: forward, backward,
// update (with weight decay) and DI's stability check.
func BenchmarkMNISTClassificationStep(b *testing.B) {
	exp, _ := models.LookupExperiment("mnist_classification")
	p := exp.Defaults()
	p.DiagEvery = 0
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: []models.Transfer{models.Tanh, models.Linear}, Bias: true, Softmax: true}
	rng := rand.New(rand.NewPCG(1, 9))
	x := mattest.Normal(rng, 784, 1)
	y := mat.NewDense(10, 1, nil)
	y.Set(3, 0, 1)
	for _, m := range mnistModels() {
		b.Run(m.Name, func(b *testing.B) {
			t := benchTrainer(b, p, spec, m)
			b.ReportAllocs()
			for b.Loop() {
				t.Step(1, x, y, true)
				if err := t.Restabilise(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// One minibatch step (100 examples) of the autoencoder.
func BenchmarkMNISTAutoencoderStep(b *testing.B) {
	exp, _ := models.LookupExperiment("mnist_autoencoder")
	p := exp.Defaults()
	p.DiagEvery = 0
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: []models.Transfer{models.Tanh, models.Tanh, models.Linear, models.Tanh, models.Tanh, models.Linear}, Bias: true}
	rng := rand.New(rand.NewPCG(2, 9))
	x := mattest.Normal(rng, 784, 100)
	for _, m := range mnistModels()[:4] {
		b.Run(m.Name, func(b *testing.B) {
			t := benchTrainer(b, p, spec, m)
			b.ReportAllocs()
			for b.Loop() {
				t.Step(1, x, x, true)
			}
		})
	}
}

// Evaluating the classifier on 1000 examples (one chunk): the paper
// evaluates 70000 every 1000 training examples.
func BenchmarkMNISTEval1000(b *testing.B) {
	exp, _ := models.LookupExperiment("mnist_classification")
	p := exp.Defaults()
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: []models.Transfer{models.Tanh, models.Linear}, Bias: true, Softmax: true}
	net := models.NewNetwork(spec)
	net.InitUniform(rand.New(rand.NewPCG(3, 9)), 0.01, 0)
	fw := models.NewForward(models.Reference{}, p.Sizes, 1000)
	x := mattest.Normal(rand.New(rand.NewPCG(4, 9)), 784, 1000)
	b.ReportAllocs()
	for b.Loop() {
		fw.Run(net, x)
	}
}
