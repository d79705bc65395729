package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
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
	Dataset   string   `json:"dataset,omitempty"`    // MNIST: "mnist", "fashion-mnist" or "idx" (see io/mnist)
}

// IDForm is p as a cell's id hashes it: a parameter added after ids were
// first pinned is left out at the value that means what its absence
// meant, so that no earlier id changes (dataset "mnist").
func (p Params) IDForm() Params {
	if p.Dataset == "mnist" {
		p.Dataset = ""
	}
	return p
}

// Env is what a run needs from its surroundings, none of which is part of
// a cell's definition.
type Env struct {
	DataDir string // MNIST: the configured data folder ("" to search)
	// Kernels compute the run's forward passes, updates and DI and SDI
	// loops (nil: Reference). Another implementation may change the last
	// digits of the numbers, as much as dinv/models/kerneltest allows.
	Kernels Kernels
	// Spare holds the run's idle job slots, which a cell may borrow for
	// goroutines of its own (nil: none; see Spare).
	Spare *Spare
	// Checkpoints save the run's state now and then and give the state an
	// earlier run of the cell saved (nil: none; see Checkpoints).
	Checkpoints Checkpoints
}

// TrainOptions returns the options of a trainer that runs in env: its
// kernels and checkpoints.
func (e Env) TrainOptions() TrainOptions {
	return TrainOptions{Kernels: e.Kernels, Checkpoints: e.Checkpoints}
}

// Definition is an experiment as its package registers it (see Register):
// its name, defaults and checks, its run, and the figure that draws it.
type Definition struct {
	Name string // what sweep files name: the experiment key
	Doc  string // one line: the paper's figure and what runs
	// Figure names the paper figure that draws the experiment's results,
	// as results/figures names it ("fig3", "fig4").
	Figure string
	// Defaults returns the paper's parameters, a fresh copy at each call;
	// BaseParams are the usual start.
	Defaults func() Params
	// Check rejects the values the experiment's own code cannot run, on top
	// of the checks every experiment shares (nil: none). Its errors are
	// *ParamError; Experiment.Check fills in their Experiment.
	Check func(p Params) error
	// Footprint lists the experiment's own large buffers (data, evaluation
	// chunks, the recorded curve: see CurveTerm), on top of the network's
	// that every cell has (nil: none). See MaxCellBytes.
	Footprint func(p Params) []MemTerm
	// Run trains m with the parameters p, which Experiment.Check has
	// accepted, on the data of seed, as Experiment.Run documents; it is run
	// on a goroutine of its own and must return soon after ctx ends.
	// NewRun and Trainer.Train do the part every experiment shares.
	Run func(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder) (Result, error)
	// Steps returns the number of steps a run with parameters p takes
	// (nil: unknown): the progress line and status count them.
	Steps func(p Params) int
	// Numerics is the version of the experiment's own numerics, part of
	// its cells' ids: bump it when a change of the experiment's code
	// alters the numbers its cells produce (a different summation order of
	// its evaluation, say), so that resuming never mixes cells computed
	// two ways, and the other experiments' finished cells stay valid.
	// Zero until first bumped; cell.Numerics covers changes shared by all.
	Numerics int
}

// Experiment is a registered experiment: what a sweep plans and runs.
type Experiment struct {
	Name string
	Doc  string
	def  Definition
}

// Numerics returns the version of the experiment's own numerics (see
// Definition.Numerics).
func (e *Experiment) Numerics() int { return e.def.Numerics }

// Defaults returns the paper's parameters for the experiment.
func (e *Experiment) Defaults() Params { return e.def.Defaults() }

// Steps returns the number of steps a run with parameters p takes, or 0
// when the experiment does not say.
func (e *Experiment) Steps(p Params) int {
	if e.def.Steps == nil {
		return 0
	}
	return e.def.Steps(p)
}

// Figure returns the name of the paper figure that draws the experiment's
// results (see Definition.Figure).
func (e *Experiment) Figure() string { return e.def.Figure }

var experiments = map[string]*Experiment{}

// Register makes the experiment d known to LookupExperiment and
// Experiments. An experiment's package calls it from an init function, and
// a program that runs experiments imports the package (dinv/models/all
// imports them all). A definition without a name, defaults or run, or a
// name registered twice, panics.
func Register(d Definition) {
	switch {
	case d.Name == "" || d.Defaults == nil || d.Run == nil:
		panic("models: an experiment needs a name, defaults and a run")
	case experiments[d.Name] != nil:
		panic("models: experiment " + d.Name + " registered twice")
	}
	experiments[d.Name] = &Experiment{Name: d.Name, Doc: d.Doc, def: d}
}

// Experiments returns the names of the registered experiments, sorted.
func Experiments() []string {
	names := make([]string, 0, len(experiments))
	for n := range experiments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupExperiment returns the registered experiment called name.
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
	// Decoding a list reuses the slice it decodes into when it fits: every
	// list must be q's own, or p's (a sweep's base, shared by its models)
	// would change under the caller.
	q := p
	v := reflect.ValueOf(&q).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Slice && !f.IsNil() {
			c := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(c, f)
			f.Set(c)
		}
	}
	if err := dec.Decode(&q); err != nil {
		return p, err
	}
	return q, nil
}

// Stream is one of the streams of random numbers derived from a run's
// seed: all models of one seed share data, initial weights and example
// order; feedback draws are the model's own.
type Stream uint64

// The streams of a run.
const (
	StreamData     Stream = iota + 1 // the data set: teacher, inputs
	StreamInit                       // initial weights (NewRun)
	StreamFeedback                   // feedback and the optimiser's fresh starts (NewRun)
	StreamOrder                      // the order of the examples
)

// Rand returns the generator of stream s of seed.
func (s Stream) Rand(seed uint64) *rand.Rand { return rand.New(s.PCG(seed)) }

// PCG returns the source of stream s of seed, whose state a checkpoint
// can hold.
func (s Stream) PCG(seed uint64) *rand.PCG { return rand.NewPCG(seed, uint64(s)) }

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
		o.res, o.err = e.def.Run(ctx, env, p, m, seed, gate)
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
		return Result{}, ctx.Err()
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
