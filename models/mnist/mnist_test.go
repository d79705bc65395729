package mnist

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"dinv/io/mnist/mnisttest"
	"dinv/models"
	"dinv/models/internal/curvetest"
)

// A short run of every rule, DI included, lowers the classifier's error.
func TestMNISTClassificationSmoke(t *testing.T) {
	mnisttest.Require(t)
	exp, _ := models.LookupExperiment("mnist_classification")
	for _, m := range []models.Model{
		{Name: "BP", Kind: models.BP}, {Name: "FA", Kind: models.FA, Feedback: models.Random}, {Name: "PBP", Kind: models.PBP},
		{Name: "NDI", Kind: models.NDI, Feedback: models.NegTranspose}, {Name: "NDI-2", Kind: models.NDI, Feedback: models.NegTranspose, Leak: 0.01},
		{Name: "DI", Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01},
	} {
		p := exp.Defaults()
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.DiagEvery = 1, 1500, 500, 500, 500
		if m.Kind == models.DI {
			p.TrainSize, p.EvalEvery, p.DiagEvery = 600, 200, 200 // 5 ms a step
		}
		s := curvetest.Curves{}
		res, err := exp.Run(context.Background(), models.Env{}, p, m, 1, s)
		if err != nil || res.Status != models.OK {
			t.Fatalf("%s: %v %v", m.Name, res.Status, err)
		}
		first, last := s[models.MetricTestError][0][0], res.FinalTestError.Value
		if !(last < first-0.2) || !(res.FinalTrainError.Value < s[models.MetricTrainError][0][0]-0.2) {
			t.Errorf("%s: test error %.3f -> %.3f, train %.3f -> %.3f", m.Name, first, last,
				s[models.MetricTrainError][0][0], res.FinalTrainError.Value)
		}
		if m.Kind == models.DI && len(s[models.MetricLambdaMax][1]) == 0 {
			t.Errorf("%s: no diagnostics recorded", m.Name)
		}
	}
}

// A few minibatches of every rule lower the autoencoder's error.
func TestMNISTAutoencoderSmoke(t *testing.T) {
	mnisttest.Require(t)
	exp, _ := models.LookupExperiment("mnist_autoencoder")
	for _, m := range []models.Model{
		{Name: "BP", Kind: models.BP}, {Name: "FA", Kind: models.FA, Feedback: models.Random}, {Name: "PBP", Kind: models.PBP},
		{Name: "NDI", Kind: models.NDI, Feedback: models.NegTranspose, Leak: 0.01},
		// A larger leak keeps the loops stable, so that no 1284-square
		// re-stabilisation (tens of seconds) runs here.
		{Name: "DI", Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.1},
	} {
		p := exp.Defaults()
		// Larger steps than the paper's 1e-6 so that 8 minibatches show.
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.Eta = 1, 800, 500, 4, 2e-5
		inits, steps := []string{"normal", "orthogonal"}, 8
		if m.Kind == models.DI {
			// Each DI update also checks the stability of five loops, up to
			// 500 x 500 eigenproblems: keep this one short.
			p.TSteps, p.TrainSize, p.EvalEvery, inits, steps = 30, 400, 2, inits[:1], 4
		}
		for _, init := range inits {
			p.Init = init
			s := curvetest.Curves{}
			res, err := exp.Run(context.Background(), models.Env{}, p, m, 1, s)
			if err != nil || res.Status != models.OK || res.Steps != steps || m.Kind == models.DI && res.SSARuns != 0 {
				t.Fatalf("%s %s: %v after %d steps: %v", m.Name, init, res.Status, res.Steps, err)
			}
			if first := s[models.MetricTrainError][0][0]; !(res.FinalTrainError.Value < first) || !(res.FinalTestError.Value < s[models.MetricTestError][0][0]) {
				t.Errorf("%s %s: train error %.5f -> %.5f", m.Name, init, first, res.FinalTrainError.Value)
			}
		}
	}
}

// A run stops within a second of cancellation inside computations that take
// far longer: one DI minibatch step of the full autoencoder (about 27 s
// here) and the stability optimisation of the classifier's optim feedback
// (about 20 s, seconds per iteration), and its goroutine does not linger.
func TestCancelInsideLongComputations(t *testing.T) {
	mnisttest.Require(t)
	for _, tc := range []struct {
		exp string
		m   models.Model
	}{
		{"mnist_autoencoder", models.Model{Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01}},
		{"mnist_classification", models.Model{Kind: models.DI, Feedback: models.Optim, Leak: 0.01}},
	} {
		exp, _ := models.LookupExperiment(tc.exp)
		p := exp.Defaults()
		p.Epochs, p.TrainSize, p.TestSize = 1, 1000, 100
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled atomic.Int64
		time.AfterFunc(time.Second, func() { cancelled.Store(time.Now().UnixNano()); cancel() })
		s := curvetest.Curves{}
		_, err := exp.Run(ctx, models.Env{}, p, tc.m, 1, s)
		late := time.Duration(time.Now().UnixNano() - cancelled.Load())
		if !errors.Is(err, context.Canceled) || cancelled.Load() == 0 {
			t.Fatalf("%s %v: err %v before the cancellation, want context.Canceled after it", tc.exp, tc.m.Kind, err)
		}
		if late > time.Second {
			t.Errorf("%s %v: returned %v after the cancellation", tc.exp, tc.m.Kind, late)
		}
		// The run's goroutine ends at its next look at ctx: after the
		// eigenproblem or Schur decomposition it is in, about a second alone
		// at the classifier's size, and several when go test ./... runs
		// another package's heavy tests on the machine's other core.
		const linger = 10 * time.Second
		deadline := time.Now().Add(linger)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		ended := time.Duration(time.Now().UnixNano() - cancelled.Load())
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%s %v: %d goroutines %v after the cancellation, %d before the run", tc.exp, tc.m.Kind, n, linger, before)
		}
		t.Logf("%s %v: returned %v and its goroutine ended %v after the cancellation", tc.exp, tc.m.Kind,
			late.Round(time.Millisecond), ended.Round(time.Millisecond))
	}
}

// TestEvaluationSpareSlots: with spare job slots the evaluation shares its
// chunks among goroutines, and the curves are bit for bit those of one
// goroutine, for the classifier and the autoencoder, with short last
// chunks; the slots are all given back.
func TestEvaluationSpareSlots(t *testing.T) {
	mnisttest.Require(t)
	for _, name := range []string{"mnist_classification", "mnist_autoencoder"} {
		exp, _ := models.LookupExperiment(name)
		p := exp.Defaults()
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.DiagEvery = 1, 2500, 1300, 1000, 1000
		if name == "mnist_autoencoder" { // 25 minibatches, 3 evaluations
			p.EvalEvery, p.Eta = 10, 2e-5
		}
		m := models.Model{Name: "BP", Kind: models.BP}
		run := func(env models.Env) curvetest.Curves {
			s := curvetest.Curves{}
			if _, err := exp.Run(context.Background(), env, p, m, 1, s); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return s
		}
		one := run(models.Env{})
		spare := &models.Spare{}
		spare.Give(3)
		three := run(models.Env{Spare: spare})
		if spare.Free() != 3 {
			t.Errorf("%s: %d spare slots after the run, want the 3 given", name, spare.Free())
		}
		for _, metric := range []string{models.MetricTrainError, models.MetricTestError} {
			a, b := one[metric][0], three[metric][0]
			if len(a) < 2 || len(a) != len(b) {
				t.Fatalf("%s %s: %d and %d points", name, metric, len(a), len(b))
			}
			for step, v := range a {
				if w, ok := b[step]; !ok || math.Float64bits(v) != math.Float64bits(w) {
					t.Fatalf("%s %s at step %d: %v with one goroutine, %v with four", name, metric, step, v, w)
				}
			}
		}
	}
}
