package models

import (
	"errors"
	"fmt"
	"math"

	"dinv/io/mnist"
)

// ParamError is a parameter value that an experiment rejects. Key is the
// parameter's JSON name, so that a configuration reader can point at the
// line that set it.
type ParamError struct {
	Experiment string
	Key        string
	Msg        string
	Err        error // ErrTooLarge, or nil
}

func (e *ParamError) Error() string { return e.Experiment + ": " + e.Msg }

func (e *ParamError) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by the error of a cell that would allocate more
// than MaxCellBytes.
var ErrTooLarge = errors.New("models: cell too large")

// MaxCellBytes bounds what one cell may allocate, by the estimate of
// Experiment.Footprint: a cell beyond it is refused when it is planned, not
// killed by the operating system (or the Go runtime's fatal out-of-memory,
// which no recover catches) after it has started. The paper's largest cell,
// the DI autoencoder, needs about 0.6 GiB by this estimate.
const MaxCellBytes = 4 << 30

// memTerm is one part of a cell's memory: bytes, and the parameter that
// drives it.
type memTerm struct {
	key   string
	bytes float64
}

// Check reports whether p and m make a valid run of e: what Run would
// reject before starting. Sweeps call it when they plan, so that a bad value
// is a configuration error rather than a sweep of failed cells. Its errors
// are *ParamError.
func (e *Experiment) Check(p Params, m Model) error {
	if err := p.validate(e.Name, m); err != nil {
		return err
	}
	if err := m.validate(e.Name, p); err != nil {
		return err
	}
	if e.check != nil {
		if err := e.check(p); err != nil {
			var pe *ParamError
			if errors.As(err, &pe) {
				pe.Experiment = e.Name
			}
			return err
		}
	}
	if n, key := e.Footprint(p, m); n > MaxCellBytes {
		return &ParamError{Experiment: e.Name, Key: key, Err: ErrTooLarge,
			Msg: fmt.Sprintf("a cell would need about %s of memory (mostly through %s), more than the %s a cell may use",
				bytesText(n), key, bytesText(MaxCellBytes))}
	}
	return nil
}

// Footprint estimates the bytes a cell of p allocates, and the parameter
// that contributes most. It is an estimate of the large buffers (data,
// activations, weights and the optimiser's matrices, the recorded curve),
// not a measurement.
func (e *Experiment) Footprint(p Params, m Model) (bytes float64, key string) {
	terms := commonFootprint(p, m)
	if e.footprint != nil {
		terms = append(terms, e.footprint(p)...)
	}
	best := 0.0
	for _, t := range terms {
		bytes += t.bytes
		if t.bytes > best {
			best, key = t.bytes, t.key
		}
	}
	return bytes, key
}

// commonFootprint is the network's part: weights with their feedback,
// updates and optimiser matrices, and activations of a minibatch.
func commonFootprint(p Params, m Model) []memTerm {
	var weights, loops, units float64
	for l := 0; l+1 < len(p.Sizes); l++ {
		a, b := float64(p.Sizes[l]), float64(p.Sizes[l+1])
		weights += a * b
		if m.Kind == DI || m.Kind == SDI || m.Feedback == Optim {
			loops += (a + b) * (a + b) // the stability optimiser's Lyapunov matrices
		}
	}
	for _, s := range p.Sizes {
		units += float64(s)
	}
	return []memTerm{
		{"sizes", 8 * (8*weights + 12*loops)},
		{"batch_size", 8 * 6 * units * float64(max(p.BatchSize, 1))},
	}
}

// curveTerm is the recorded curve: about 100 bytes a point while it is
// collected and written.
func curveTerm(p Params, key string, steps float64) memTerm {
	points := steps / float64(max(p.EvalEvery, 1)) * float64(max(len(p.EvalSets), 1))
	if p.DiagEvery > 0 {
		points += steps / float64(p.DiagEvery) * 4 * float64(len(p.Sizes))
	}
	return memTerm{key, 100 * points}
}

func bytesText(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i+1 < len(units) {
		n /= 1024
		i++
	}
	if i+1 == len(units) && n >= 1024 {
		return "more than 1024 EiB"
	}
	return fmt.Sprintf("%.3g %s", n, units[i])
}

// validate checks the parameters that every experiment's code relies on.
func (p Params) validate(exp string, m Model) error {
	bad := func(key, format string, args ...any) error {
		return &ParamError{Experiment: exp, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if len(p.Sizes) < 2 {
		return bad("sizes", "sizes needs at least two entries, has %d", len(p.Sizes))
	}
	for _, s := range p.Sizes {
		if s <= 0 {
			return bad("sizes", "sizes must be positive, got %v", p.Sizes)
		}
	}
	nonNegative := func(key string, v float64) error {
		if !(v >= 0) || math.IsInf(v, 0) {
			return bad(key, "%s must not be negative, got %v", key, v)
		}
		return nil
	}
	switch {
	case !(p.Eta > 0):
		return bad("eta", "eta must be positive, got %v", p.Eta)
	case p.WDecay < 0 || p.WDecay >= 1:
		return bad("w_decay", "w_decay must be in [0, 1), got %v", p.WDecay)
	case p.BatchSize < 1:
		return bad("batch_size", "batch_size must be at least 1, got %d", p.BatchSize)
	case !(p.DT > 0) || math.IsInf(p.DT, 0):
		return bad("dt", "dt must be positive, got %v", p.DT)
	case p.TSteps < 1:
		return bad("tsteps", "tsteps must be at least 1, got %d", p.TSteps)
	case p.EvalEvery < 1:
		return bad("eval_every", "eval_every must be at least 1, got %d", p.EvalEvery)
	case p.DiagEvery < 0:
		return bad("diag_every", "diag_every must not be negative, got %d", p.DiagEvery)
	case p.SSATries < 0:
		return bad("ssa_retries", "ssa_retries must not be negative, got %d", p.SSATries)
	case p.SSAMax < 0:
		return bad("ssa_maxiters", "ssa_maxiters must not be negative, got %d", p.SSAMax)
	case p.SSAMin < 0:
		return bad("ssa_miniters", "ssa_miniters must not be negative, got %d", p.SSAMin)
	case !(p.SSALR > 0) || math.IsInf(p.SSALR, 0):
		return bad("ssa_lr", "ssa_lr must be positive, got %v", p.SSALR)
	case p.ClipFrom < 0:
		return bad("clip_from", "clip_from must not be negative, got %d", p.ClipFrom)
	case p.NumIters < 0:
		return bad("num_iters", "num_iters must not be negative, got %d", p.NumIters)
	case p.Epochs < 0:
		return bad("epochs", "epochs must not be negative, got %d", p.Epochs)
	case p.TrainSize < 0:
		return bad("train_size", "train_size must not be negative (0: all), got %d", p.TrainSize)
	case p.TestSize < 0:
		return bad("test_size", "test_size must not be negative (0: all), got %d", p.TestSize)
	case m.Kind == SDI && len(p.Sizes) < 4:
		return bad("sizes", "SDI needs at least three layers (four sizes), got %v", p.Sizes)
	}
	for _, c := range []struct {
		key string
		v   float64
	}{{"init_scale", p.InitScale}, {"bias_init_scale", p.BiasInit}, {"optim_leak", p.OptimLeak}} {
		if err := nonNegative(c.key, c.v); err != nil {
			return err
		}
	}
	for _, c := range p.Clip {
		if !(c >= 0) || math.IsInf(c, 0) {
			return bad("clip", "clip entries must not be negative (0: no clipping), got %v", p.Clip)
		}
	}
	if p.Init != "normal" && p.Init != "orthogonal" {
		return bad("init", "init must be normal or orthogonal, got %q", p.Init)
	}
	if _, err := ParseTransfer(p.DIG); err != nil && p.DIG != "layer" {
		return bad("di_g", "di_g: unknown g %q (valid: linear, tanh, layer)", p.DIG)
	}
	if _, err := ParseTransfer(p.SDIG); err != nil {
		return bad("sdi_g", "sdi_g: %v", err)
	}
	for _, s := range p.EvalSets {
		if s != "train" && s != "test" {
			return bad("eval_sets", "eval_sets: unknown set %q (valid: train, test)", s)
		}
	}
	return nil
}

// checkRegression: the regressions run online over num_iters examples.
func checkRegression(p Params) error {
	switch {
	case p.NumIters < 1:
		return &ParamError{Key: "num_iters", Msg: fmt.Sprintf("num_iters must be at least 1, got %d", p.NumIters)}
	case p.BatchSize != 1:
		return &ParamError{Key: "batch_size", Msg: fmt.Sprintf("the regressions learn online: batch_size must be 1, got %d", p.BatchSize)}
	}
	return nil
}

// regressionFootprint: inputs, targets and (nonlinear) the teacher's
// activations over the whole data set, the order, and the curve.
func regressionFootprint(p Params) []memTerm {
	var units float64
	for _, s := range p.Sizes {
		units += float64(s)
	}
	n := float64(p.NumIters)
	return []memTerm{
		{"num_iters", 8 * n * (2*units + float64(p.Sizes[0]+p.Sizes[len(p.Sizes)-1]) + 1)},
		curveTerm(p, "num_iters", n),
	}
}

// checkMNIST: the network must fit MNIST's images and labels (or images,
// for the autoencoder), and the sets are MNIST's.
func checkMNIST(autoencoder bool) func(p Params) error {
	return func(p Params) error {
		out := 10
		if autoencoder {
			out = mnist.ImageSize
		}
		train := mnist.NumTrain
		if p.TrainSize > 0 {
			train = p.TrainSize
		}
		switch {
		case p.Sizes[0] != mnist.ImageSize || p.Sizes[len(p.Sizes)-1] != out:
			return &ParamError{Key: "sizes", Msg: fmt.Sprintf("sizes %v do not fit MNIST: want %d inputs and %d outputs", p.Sizes, mnist.ImageSize, out)}
		case p.Epochs < 1:
			return &ParamError{Key: "epochs", Msg: fmt.Sprintf("epochs must be at least 1, got %d", p.Epochs)}
		case p.TrainSize > mnist.NumTrain:
			return &ParamError{Key: "train_size", Msg: fmt.Sprintf("train_size %d exceeds MNIST's %d training images", p.TrainSize, mnist.NumTrain)}
		case p.TestSize > mnist.NumTest:
			return &ParamError{Key: "test_size", Msg: fmt.Sprintf("test_size %d exceeds MNIST's %d test images", p.TestSize, mnist.NumTest)}
		case p.BatchSize > train:
			return &ParamError{Key: "batch_size", Msg: fmt.Sprintf("batch_size %d exceeds the %d training images", p.BatchSize, train)}
		}
		return nil
	}
}

// mnistFootprint: the evaluation's chunk of activations and the curve (the
// data set itself is shared by every cell of a process).
func mnistFootprint(p Params) []memTerm {
	var units float64
	for _, s := range p.Sizes {
		units += float64(s)
	}
	train := mnist.NumTrain
	if p.TrainSize > 0 {
		train = p.TrainSize
	}
	steps := float64(p.Epochs) * float64(train/max(p.BatchSize, 1))
	return []memTerm{
		{"sizes", 8 * 3 * units * evalChunk},
		curveTerm(p, "epochs", steps),
	}
}
