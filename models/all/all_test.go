package all

import (
	"context"
	"errors"
	"strings"
	"testing"

	"dinv/models"
)

// Every value an experiment cannot run is refused by Check, with the key
// that set it, and Run refuses it the same way instead of panicking.
func TestCheckRejectsWhatCannotRun(t *testing.T) {
	di := models.Model{Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01}
	for _, c := range []struct {
		exp  string
		set  func(p *models.Params)
		key  string
		want string
	}{
		{"linear_regression", func(p *models.Params) { p.NumIters = 0 }, "num_iters", "at least 1"},
		{"linear_regression", func(p *models.Params) { p.NumIters = -5 }, "num_iters", "negative"},
		{"linear_regression", func(p *models.Params) { p.BatchSize = 5000 }, "batch_size", "online"},
		{"linear_regression", func(p *models.Params) { p.NumIters = 1_000_000_000_000 }, "num_iters", "memory"},
		{"nonlinear_regression", func(p *models.Params) { p.NumIters = 1 << 40 }, "num_iters", "memory"},
		{"linear_regression", func(p *models.Params) { p.SSAMax = -1 }, "ssa_maxiters", "negative"},
		{"linear_regression", func(p *models.Params) { p.SSAMin = -1 }, "ssa_miniters", "negative"},
		{"linear_regression", func(p *models.Params) { p.SSALR = 0 }, "ssa_lr", "positive"},
		{"linear_regression", func(p *models.Params) { p.InitScale = -0.1 }, "init_scale", "negative"},
		{"linear_regression", func(p *models.Params) { p.BiasInit = -0.1 }, "bias_init_scale", "negative"},
		{"linear_regression", func(p *models.Params) { p.Clip = []float64{-1} }, "clip", "negative"},
		{"linear_regression", func(p *models.Params) { p.ClipFrom = -1 }, "clip_from", "negative"},
		{"linear_regression", func(p *models.Params) { p.OptimLeak = -0.5 }, "optim_leak", "negative"},
		{"linear_regression", func(p *models.Params) { p.DT = 0 }, "dt", "positive"},
		{"linear_regression", func(p *models.Params) { p.TSteps = 0 }, "tsteps", "at least 1"},
		{"linear_regression", func(p *models.Params) { p.Sizes = []int{30, 1 << 20, 1 << 20, 10} }, "sizes", "memory"},
		{"mnist_classification", func(p *models.Params) { p.Sizes = []int{100, 10} }, "sizes", "do not fit MNIST"},
		{"mnist_classification", func(p *models.Params) { p.Sizes = []int{784, 100, 784} }, "sizes", "do not fit MNIST"},
		{"mnist_autoencoder", func(p *models.Params) { p.Sizes = []int{784, 30, 10} }, "sizes", "do not fit MNIST"},
		{"mnist_classification", func(p *models.Params) { p.Epochs = 0 }, "epochs", "at least 1"},
		{"mnist_classification", func(p *models.Params) { p.TrainSize = 100; p.BatchSize = 200 }, "batch_size", "exceeds the 100"},
		{"mnist_autoencoder", func(p *models.Params) { p.BatchSize = 60001 }, "batch_size", "exceeds the 60000"},
		{"mnist_classification", func(p *models.Params) { p.TrainSize = 70000 }, "train_size", "60000"},
		{"mnist_classification", func(p *models.Params) { p.TestSize = -1 }, "test_size", "negative"},
		{"mnist_classification", func(p *models.Params) { p.Epochs = 1 << 40 }, "epochs", "memory"},
	} {
		exp, _ := models.LookupExperiment(c.exp)
		p := exp.Defaults()
		c.set(&p)
		err := exp.Check(p, di)
		var pe *models.ParamError
		if !errors.As(err, &pe) || pe.Key != c.key || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: got %v (key %q), want a ParamError of %s saying %q", c.exp, c.key, err, keyOf(pe), c.key, c.want)
			continue
		}
		if c.want == "memory" && !errors.Is(err, models.ErrTooLarge) {
			t.Errorf("%s %s: %v does not match ErrTooLarge", c.exp, c.key, err)
		}
		// Run refuses it before starting: no panic, no allocation.
		if _, rerr := exp.Run(context.Background(), models.Env{}, p, di, 0, discard{}); rerr == nil || rerr.Error() != err.Error() {
			t.Errorf("%s %s: Run gave %v, want %v", c.exp, c.key, rerr, err)
		}
	}
}

type discard struct{}

func (discard) Record(int, string, int, float64) {}

func keyOf(pe *models.ParamError) string {
	if pe == nil {
		return ""
	}
	return pe.Key
}

// The paper's cells of every experiment, DI included, are far within
// MaxCellBytes.
func TestPaperCellsFit(t *testing.T) {
	for _, name := range models.Experiments() {
		exp, _ := models.LookupExperiment(name)
		for _, m := range []models.Model{{Kind: models.BP}, {Kind: models.DI, Feedback: models.NegTranspose, Leak: 0.01}} {
			if err := exp.Check(exp.Defaults(), m); err != nil {
				t.Errorf("%s %v: %v", name, m.Kind, err)
			}
			n, key := exp.Footprint(exp.Defaults(), m)
			t.Logf("%s %v: about %.3g MiB, mostly %s", name, m.Kind, n/(1<<20), key)
			if n > models.MaxCellBytes/4 {
				t.Errorf("%s %v: estimate %.3g MiB is within 4x of the bound", name, m.Kind, n/(1<<20))
			}
		}
	}
}
