package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// Params are an experiment's parameters. Each experiment starts from its
// paper defaults (Experiment.Defaults); any field may be overridden. The
// JSON names are the ones configurations use.
type Params struct {
	Sizes     []int     `json:"sizes"`                       // layer sizes, input first
	NumIters  int       `json:"num_iters,omitempty"`         // regression: iterations = data set size
	Epochs    int       `json:"epochs,omitempty"`            // MNIST: passes over the training set
	BatchSize int       `json:"batch_size"`                  // examples per update (1: online)
	Eta       float64   `json:"eta"`                         // learning rate
	WDecay    float64   `json:"w_decay"`                     // weight decay per update
	Init      string    `json:"init"`                        // "normal" (uniform(-init_scale, init_scale), the paper's name) or "orthogonal"
	InitScale float64   `json:"init_scale"`                  // half-width of the uniform initial weights
	BiasInit  float64   `json:"bias_init_scale"`             // half-width of the uniform initial biases (0: biases start at 0)
	Bias      bool      `json:"bias"`                        // layers have biases
	Clip      []float64 `json:"clip,omitempty"`              // clip[l]: largest norm of the delta of hidden layer l+1 (0: none)
	ClipFrom  int       `json:"clip_from,omitempty"`         // first iteration at which clipping applies
	SkipFirst bool      `json:"skip_first_update,omitempty"` // no update at iteration 0
	NormDelW  bool      `json:"norm_delw,omitempty"`         // divide each dW by its Frobenius norm

	FbackScale float64 `json:"fback_scale"` // half-width of random feedback
	OptimLeak  float64 `json:"optim_leak"`  // the alpha optim feedback is first optimised for
	DIG        string  `json:"di_g"`        // g inside DI's loop: "linear" (then f' applies), "tanh", or "layer" (the layer's own transfer)
	SDIG       string  `json:"sdi_g"`       // g inside SDI's loop
	DT         float64 `json:"dt"`          // Euler step of DI and SDI
	TSteps     int     `json:"tsteps"`      // DI and SDI run tsteps-1 updates
	SSALR      float64 `json:"ssa_lr"`
	SSAMax     int     `json:"ssa_maxiters"`
	SSAMin     int     `json:"ssa_miniters"`
	SSATries   int     `json:"ssa_retries"` // fresh random starts after a failed optimisation

	EvalEvery int      `json:"eval_every"`           // record errors every this many steps
	EvalSets  []string `json:"eval_sets,omitempty"`  // MNIST: "train" and/or "test"
	DiagEvery int      `json:"diag_every"`           // record DI/SDI diagnostics every this many steps (0: never)
	TrainSize int      `json:"train_size,omitempty"` // MNIST: use the first N training images (0: all)
	TestSize  int      `json:"test_size,omitempty"`  // MNIST: use the first N test images (0: all)
}

// Env is what a run needs from its surroundings but does not change its
// numbers.
type Env struct {
	DataDir string // MNIST: the configured data folder ("" to search)
}

// Experiment is one of the paper's four experiments.
type Experiment struct {
	Name     string
	Doc      string
	defaults func() Params
	run      func(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder) (Result, error)
	// check rejects the values the experiment's own code cannot run, on
	// top of Params.validate; footprint estimates what a cell allocates
	// (see MaxCellBytes), term by term.
	check     func(p Params) error
	footprint func(p Params) []memTerm
}

// Defaults returns the paper's parameters for the experiment.
func (e *Experiment) Defaults() Params { return e.defaults() }

var experiments = map[string]*Experiment{}

func register(e *Experiment) { experiments[e.Name] = e }

// Experiments returns the experiment names, sorted.
func Experiments() []string {
	names := make([]string, 0, len(experiments))
	for n := range experiments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupExperiment returns the experiment called name.
func LookupExperiment(name string) (*Experiment, error) {
	if e, ok := experiments[name]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("unknown experiment %q (valid: %s)", name, strings.Join(Experiments(), ", "))
}

// Override returns p with the fields named in js (a JSON object) replaced.
// Unknown names are an error.
func (p Params) Override(js []byte) (Params, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	q := p
	q.Sizes = slices.Clone(p.Sizes)
	if err := dec.Decode(&q); err != nil {
		return p, err
	}
	return q, nil
}

// Streams of random numbers derived from a run's seed: all models of one
// seed share data, initial weights and example order; feedback draws are
// the model's own.
const (
	streamData = iota + 1
	streamInit
	streamFeedback
	streamOrder
)

func stream(seed uint64, s uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, s)) }

// Run trains model m on the experiment with parameters p and the given seed,
// reporting recorded points to rec. It stops within a second of ctx's
// cancellation, returning ctx's error. A run that diverges returns a Result
// with Status Diverged and no error; an error means the run failed.
//
// The run works on a goroutine of its own so that Run can return on
// cancellation even in the middle of a computation that cannot look at ctx
// (a Schur decomposition of the stability optimiser takes seconds at MNIST
// size). That goroutine ends at its next look at ctx; rec receives nothing
// after Run returns. A panic of the run is raised again in Run's goroutine.
func (e *Experiment) Run(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder) (Result, error) {
	if err := e.Check(p, m); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	type outcome struct {
		res   Result
		err   error
		panic any
		stack []byte
	}
	gate := &gatedRecorder{rec: rec}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if r := recover(); r != nil {
				o.panic, o.stack = r, debug.Stack()
			}
			done <- o
		}()
		o.res, o.err = e.run(ctx, env, p, m, seed, gate)
	}()
	select {
	case o := <-done:
		if o.panic != nil {
			panic(fmt.Sprintf("%v\n\nin the run's goroutine:\n%s", o.panic, o.stack))
		}
		return o.res, o.err
	case <-ctx.Done():
		gate.close()
		// The run may have finished at the same moment: prefer its outcome.
		select {
		case o := <-done:
			if o.panic == nil {
				return o.res, o.err
			}
		default:
		}
		return Result{FinalTrainError: math.NaN(), FinalTestError: math.NaN()}, ctx.Err()
	}
}

// gatedRecorder passes points on until it is closed, after which a run
// that is still winding down records nothing.
type gatedRecorder struct {
	mu     sync.Mutex
	rec    Recorder
	closed bool
}

func (g *gatedRecorder) Record(step int, metric string, layer int, value float64) {
	g.mu.Lock()
	if !g.closed {
		g.rec.Record(step, metric, layer, value)
	}
	g.mu.Unlock()
}

func (g *gatedRecorder) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// spec turns the parameters into the trainer's settings.
func (p Params) spec(m Model, diagPBP bool) trainSpec {
	g, _ := ParseTransfer(p.DIG)
	gLayer := p.DIG == "layer" && m.Kind == DI
	if m.Kind == SDI {
		g, _ = ParseTransfer(p.SDIG)
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
		diagEvery: p.DiagEvery, diagPBP: diagPBP,
	}
}

// baseParams are the defaults shared by the experiments.
func baseParams() Params {
	return Params{
		BatchSize: 1, Init: "normal", InitScale: 0.01, FbackScale: 0.5,
		DIG: "linear", SDIG: "tanh", DT: DefaultDT, TSteps: DefaultTSteps,
		SSALR: 0.05, SSAMax: 200, SSAMin: 10, SSATries: 3,
		EvalEvery: 1, DiagEvery: 1,
	}
}

// trainLoop runs the part common to every experiment: steps training
// steps on the example columns that next fills, with DI's stability
// re-optimisation, the diagnostics, divergence and cancellation checks, and
// eval every p.EvalEvery steps and after the last one. eval records its own
// metrics and returns the train and test errors (NaN where not measured)
// and whether every measured error was finite.
func trainLoop(ctx context.Context, t *trainer, p Params, steps int, rec Recorder,
	next func(k int) (x, y *mat.Dense),
	eval func(k int) (train, test float64, finite bool, err error)) (res Result, err error) {
	res = Result{FinalTrainError: math.NaN(), FinalTestError: math.NaN()}
	defer func() { res.SSARuns, res.SSARetries = t.ssaRuns, t.ssaRetries }()
	if finalNetHook != nil {
		defer finalNetHook(t.net)
	}
	// A DI step on the autoencoder takes many seconds: its loops look at
	// this flag, so that the work stops soon after ctx ends.
	defer context.AfterFunc(ctx, func() { t.stop.Store(true) })()
	diag := p.DiagEvery > 0 && (t.m.Kind == DI || t.m.Kind == SDI)
	for k := range steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		x, y := next(k)
		update := !(p.SkipFirst && k == 0)
		if !t.step(k, x, y, update) {
			res.Status, res.DivergedAt = Diverged, k
			return res, nil
		}
		res.Steps = k + 1
		if update {
			if err := t.restabilise(ctx); errors.Is(err, errDiverged) {
				res.Status, res.DivergedAt = Diverged, k
				return res, nil
			} else if err != nil {
				return res, err
			}
		}
		if diag && k%p.DiagEvery == 0 {
			t.diagnostics(k, rec)
		}
		if k%p.EvalEvery == 0 || k == steps-1 {
			tr, te, finite, err := eval(k)
			if err != nil {
				return res, err
			}
			res.FinalTrainError, res.FinalTestError = tr, te
			if !finite || !t.weightsFinite() {
				res.Status, res.DivergedAt = Diverged, k
				return res, nil
			}
		}
	}
	return res, nil
}

// finalNetHook, when a test sets it, sees the network as a run ends.
var finalNetHook func(net *Network)

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
