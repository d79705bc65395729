package mnist

import (
	"context"
	"math/rand/v2"
	"testing"

	mnistio "dinv/io/mnist"
	"dinv/io/mnist/mnisttest"
	"dinv/models"
)

// BenchmarkEvaluate: one evaluation of the classifier and of the
// autoencoder on MNIST's 10000 test images, as a run makes it (the first
// layer over the nonzero pixels), and the same through dense products
// (the evaluation before the sparse first layer). The paper's cadence
// evaluates 70000 images (train and test) every 1000 steps.
func BenchmarkEvaluate(b *testing.B) {
	mnisttest.Require(b)
	ds, err := mnistio.Load(context.Background(), mnistio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, autoencoder := range []bool{false, true} {
		name := "classifier"
		exp, _ := models.LookupExperiment("mnist_classification")
		tr := []models.Transfer{models.Tanh, models.Linear}
		if autoencoder {
			name = "autoencoder"
			exp, _ = models.LookupExperiment("mnist_autoencoder")
			tr = []models.Transfer{models.Tanh, models.Tanh, models.Linear, models.Tanh, models.Tanh, models.Linear}
		}
		p := exp.Defaults()
		net := models.NewNetwork(models.NetSpec{Sizes: p.Sizes, Transfers: tr, Bias: true, Softmax: !autoencoder})
		net.InitUniform(rand.New(rand.NewPCG(3, 9)), 0.01, 0)
		test := part{set: &ds.Test, n: ds.Test.N, scale: 1 / 78.6, shift: -33.3 / 78.6}
		if autoencoder {
			test.scale, test.shift = 1.0/255, 0
		}
		ev := newEvaluator(models.Env{}, net, p, autoencoder)
		b.Run(name+"/sparse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ev.error(context.Background(), test); err != nil {
					b.Fatal(err)
				}
			}
		})
		// With one spare job slot: the evaluation's chunks on two
		// goroutines (the same result).
		spare := &models.Spare{}
		spare.Give(1)
		evSpare := newEvaluator(models.Env{Spare: spare}, net, p, autoencoder)
		b.Run(name+"/sparse-spare1", func(b *testing.B) {
			for b.Loop() {
				if _, err := evSpare.error(context.Background(), test); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/dense", func(b *testing.B) {
			fw := models.NewForward(nil, p.Sizes, evalChunk)
			for b.Loop() {
				for start := 0; start < test.n; start += evalChunk {
					for j := range evalChunk {
						ev.work[0].idx[j] = start + j
					}
					test.fillColumns(ev.work[0].x, ev.work[0].idx)
					fw.Run(net, ev.work[0].x)
				}
			}
		})
	}
}
