package models

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"dinv/io/mnist/mnisttest"
)

// A short run of every rule, DI included, lowers the classifier's error.
func TestMNISTClassificationSmoke(t *testing.T) {
	mnisttest.Require(t)
	exp, _ := LookupExperiment("mnist_classification")
	for _, m := range []Model{
		{Name: "BP", Kind: BP}, {Name: "FA", Kind: FA, Feedback: Random}, {Name: "PBP", Kind: PBP},
		{Name: "NDI", Kind: NDI, Feedback: NegTranspose}, {Name: "NDI-2", Kind: NDI, Feedback: NegTranspose, Leak: 0.01},
		{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.01},
	} {
		p := exp.Defaults()
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.DiagEvery = 1, 1500, 500, 500, 500
		if m.Kind == DI {
			p.TrainSize, p.EvalEvery, p.DiagEvery = 600, 200, 200 // 5 ms a step
		}
		s := series{}
		res, err := exp.Run(context.Background(), Env{}, p, m, 1, s)
		if err != nil || res.Status != OK {
			t.Fatalf("%s: %v %v", m.Name, res.Status, err)
		}
		first, last := s[MetricTestError][0][0], res.FinalTestError
		if !(last < first-0.2) || !(res.FinalTrainError < s[MetricTrainError][0][0]-0.2) {
			t.Errorf("%s: test error %.3f -> %.3f, train %.3f -> %.3f", m.Name, first, last,
				s[MetricTrainError][0][0], res.FinalTrainError)
		}
		if m.Kind == DI && len(s[MetricLambdaMax][1]) == 0 {
			t.Errorf("%s: no diagnostics recorded", m.Name)
		}
	}
}

// A few minibatches of every rule lower the autoencoder's error.
func TestMNISTAutoencoderSmoke(t *testing.T) {
	mnisttest.Require(t)
	exp, _ := LookupExperiment("mnist_autoencoder")
	for _, m := range []Model{
		{Name: "BP", Kind: BP}, {Name: "FA", Kind: FA, Feedback: Random}, {Name: "PBP", Kind: PBP},
		{Name: "NDI", Kind: NDI, Feedback: NegTranspose, Leak: 0.01},
		// A larger leak keeps the loops stable, so that no 1284-square
		// re-stabilisation (tens of seconds) runs here.
		{Name: "DI", Kind: DI, Feedback: NegTranspose, Leak: 0.1},
	} {
		p := exp.Defaults()
		// Larger steps than the paper's 1e-6 so that 8 minibatches show.
		p.Epochs, p.TrainSize, p.TestSize, p.EvalEvery, p.Eta = 1, 800, 500, 4, 2e-5
		inits, steps := []string{"normal", "orthogonal"}, 8
		if m.Kind == DI {
			// Each DI update also checks the stability of five loops, up to
			// 500 x 500 eigenproblems: keep this one short.
			p.TSteps, p.TrainSize, p.EvalEvery, inits, steps = 30, 400, 2, inits[:1], 4
		}
		for _, init := range inits {
			p.Init = init
			s := series{}
			res, err := exp.Run(context.Background(), Env{}, p, m, 1, s)
			if err != nil || res.Status != OK || res.Steps != steps || m.Kind == DI && res.SSARuns != 0 {
				t.Fatalf("%s %s: %v after %d steps: %v", m.Name, init, res.Status, res.Steps, err)
			}
			if first := s[MetricTrainError][0][0]; !(res.FinalTrainError < first) || !(res.FinalTestError < s[MetricTestError][0][0]) {
				t.Errorf("%s %s: train error %.5f -> %.5f", m.Name, init, first, res.FinalTrainError)
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
		m   Model
	}{
		{"mnist_autoencoder", Model{Kind: DI, Feedback: NegTranspose, Leak: 0.01}},
		{"mnist_classification", Model{Kind: DI, Feedback: Optim, Leak: 0.01}},
	} {
		exp, _ := LookupExperiment(tc.exp)
		p := exp.Defaults()
		p.Epochs, p.TrainSize, p.TestSize = 1, 1000, 100
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled atomic.Int64
		time.AfterFunc(time.Second, func() { cancelled.Store(time.Now().UnixNano()); cancel() })
		s := series{}
		_, err := exp.Run(ctx, Env{}, p, tc.m, 1, s)
		late := time.Duration(time.Now().UnixNano() - cancelled.Load())
		if !errors.Is(err, context.Canceled) || cancelled.Load() == 0 {
			t.Fatalf("%s %v: err %v before the cancellation, want context.Canceled after it", tc.exp, tc.m.Kind, err)
		}
		if late > time.Second {
			t.Errorf("%s %v: returned %v after the cancellation", tc.exp, tc.m.Kind, late)
		}
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%s %v: %d goroutines 3 s after the cancellation, %d before the run", tc.exp, tc.m.Kind, n, before)
		}
		t.Logf("%s %v: returned %v after the cancellation", tc.exp, tc.m.Kind, late.Round(time.Millisecond))
	}
}
