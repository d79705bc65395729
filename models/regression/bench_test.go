package regression

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/models"
	"dinv/models/internal/mattest"
)

// The benchmark of issue 3 on the linear regression; BENCHMARKS.md compares
// it with the original implementation.

// One iteration of all ten linear-regression models, each with its error
// over the whole data set and DI's diagnostics, as the original's loop.
func BenchmarkLinearRegressionIteration(b *testing.B) {
	exp, _ := models.LookupExperiment("linear_regression")
	p := exp.Defaults()
	var ts []*models.Trainer
	var les []*linearError
	rng := rand.New(rand.NewPCG(5, 9))
	teacher, xs := mattest.Normal(rng, 10, 30), mattest.Normal(rng, 30, 2000)
	var s mat.Dense
	s.Mul(xs, xs.T())
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: []models.Transfer{models.Linear, models.Linear}}
	ms := paperLinearModels()
	for _, m := range ms {
		net, t, err := models.NewRun(context.Background(), p, m, 1, spec, models.TrainOptions{DiagPBP: true})
		if err != nil {
			b.Fatal(err)
		}
		ts, les = append(ts, t), append(les, newLinearError(net, teacher, &s))
	}
	x, y := mattest.Normal(rng, 30, 1), mattest.Normal(rng, 10, 1)
	rec := discard{}
	b.ReportAllocs()
	k := 1
	for b.Loop() {
		for i, t := range ts {
			t.Step(k, x, y, true)
			if err := t.Restabilise(context.Background()); err != nil {
				b.Fatal(err)
			}
			if ms[i].Kind == models.DI {
				t.Diagnostics(k, rec)
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
