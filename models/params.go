package models

import (
	"errors"
	"fmt"
	"math"

	"dinv/linalg"
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

// MemTerm is one part of a cell's memory: bytes, and the parameter that
// drives it (the one a refusal names).
type MemTerm struct {
	Key   string
	Bytes float64
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
	if e.def.Check != nil {
		if err := e.def.Check(p); err != nil {
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
	if e.def.Footprint != nil {
		terms = append(terms, e.def.Footprint(p)...)
	}
	best := 0.0
	for _, t := range terms {
		bytes += t.Bytes
		if t.Bytes > best {
			best, key = t.Bytes, t.Key
		}
	}
	return bytes, key
}

// commonFootprint is the network's part: weights with their feedback,
// updates and optimiser matrices, and activations of a minibatch.
func commonFootprint(p Params, m Model) []MemTerm {
	var weights, loops, units float64
	for l := 0; l+1 < len(p.Sizes); l++ {
		a, b := float64(p.Sizes[l]), float64(p.Sizes[l+1])
		weights += a * b
		if m.Kind.Info().Restabilised || m.Feedback == Optim {
			loops += (a + b) * (a + b) // the stability optimiser's Lyapunov matrices
		}
	}
	for _, s := range p.Sizes {
		units += float64(s)
	}
	return []MemTerm{
		{"sizes", 8 * (8*weights + 12*loops)},
		{"batch_size", 8 * 6 * units * float64(max(p.BatchSize, 1))},
	}
}

// CurveTerm is the memory of the curve of a run of steps training steps
// with the recording cadence of p (eval_every, eval_sets, diag_every):
// about 100 bytes a point while it is collected and written. key is the
// parameter that sets steps.
func CurveTerm(p Params, key string, steps float64) MemTerm {
	points := steps / float64(max(p.EvalEvery, 1)) * float64(max(len(p.EvalSets), 1))
	if p.DiagEvery > 0 {
		points += steps / float64(p.DiagEvery) * 4 * float64(len(p.Sizes))
	}
	return MemTerm{key, 100 * points}
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
	case m.Kind.Info().TwoLayers && len(p.Sizes) < 4:
		return bad("sizes", "%v needs at least three layers (four sizes), got %v", m.Kind, p.Sizes)
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

// spec turns the parameters into the trainer's settings.
func (p Params) spec(m Model, opt TrainOptions) trainSpec {
	var g Transfer // a rule without a loop has none
	gLayer := false
	if gOf := m.Kind.Info().g; gOf != nil {
		name := gOf(p)
		g, _ = ParseTransfer(name)
		gLayer = name == "layer"
	}
	clip := make([]float64, len(p.Sizes)-1)
	for i, c := range p.Clip { // clip[i] bounds the delta of hidden layer i+1
		if i < len(clip) {
			clip[i] = c
		}
	}
	return trainSpec{
		batch: p.BatchSize, eta: p.Eta, wDecay: p.WDecay, normDelW: p.NormDelW,
		clip: clip, clipFrom: p.ClipFrom, g: g, gLayer: gLayer, dt: p.DT, tsteps: p.TSteps,
		ssa:      linalg.SSAParams{LR: p.SSALR, MaxIters: p.SSAMax, MinIters: p.SSAMin},
		ssaTries: p.SSATries, fbScale: p.FbackScale, optimLeak: p.OptimLeak,
		diagEvery: p.DiagEvery, diagPBP: opt.DiagPBP, evalEvery: p.EvalEvery, skipFirst: p.SkipFirst,
	}
}

// BaseParams are the defaults that the experiments share, where their
// Defaults start.
func BaseParams() Params {
	return Params{
		BatchSize: 1, Init: "normal", InitScale: 0.01, FbackScale: 0.5,
		DIG: "linear", SDIG: "tanh", DT: DefaultDT, TSteps: DefaultTSteps,
		SSALR: 0.05, SSAMax: 200, SSAMin: 10, SSATries: 3,
		EvalEvery: 1, DiagEvery: 1,
	}
}
