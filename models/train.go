package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// Model is the learning rule of one run and how its feedback starts: what a
// sweep's model entry names.
type Model struct {
	Name     string
	Kind     Kind
	Feedback FeedbackType
	Leak     float64 // alpha
	Gain     float64 // fback_gain; 0 means 1
	Scale    float64 // fback_scale; 0 means the experiment's default
}

// Recorder receives the points a run records. Layers are numbered as the
// forward matrices, from 0 at the input; a metric that belongs to no layer
// has layer 0.
type Recorder interface {
	Record(step int, metric string, layer int, value float64)
}

// The metric names a run records.
const (
	MetricTrainError    = "train_error"
	MetricTestError     = "test_error"
	MetricLambdaMax     = "lambda_max"
	MetricAngleBNegWT   = "angle_B_negWT"
	MetricAngleDeltaNDI = "angle_delta_NDI"
	MetricAngleDeltaPBP = "angle_delta_PBP"
	// MetricWeightNorm is the Frobenius norm of a layer's weights (layer
	// l: W_l, from 0 at the input), recorded with the errors by the MNIST
	// experiments.
	MetricWeightNorm = "weight_norm"
)

// Status says how a run ended.
type Status int

// The statuses of a finished run. A failed run returns an error instead.
const (
	OK       Status = iota
	Diverged        // NaN or Inf in the weights or the error: a result, not a failure
)

func (s Status) String() string {
	if s == Diverged {
		return "diverged"
	}
	return "ok"
}

// Result summarises a finished run.
type Result struct {
	Status          Status
	Steps           int     // training steps taken (examples, or minibatches)
	DivergedAt      int     // the step at which divergence was seen, if Diverged
	FinalTrainError Measure // the last one recorded
	FinalTestError  Measure
	Data            string // what the run read, for the runs table: JSON of each data file's name and MD5 (MNIST); "" when none
	SSARuns         int    // stability optimisations run (initial and re-stabilising)
	SSARetries      int    // of which restarted from a fresh random B
}

// A Measure is an error that a run measured, or nothing (OK false): the
// regressions have no test set, and MNIST measures only its eval_sets. A
// measured error may be NaN or Inf (a diverged run); an unmeasured one has
// no value at all, which the runs table writes as null.
type Measure struct {
	Value float64
	OK    bool
}

// Measured is v, measured.
func Measured(v float64) Measure { return Measure{Value: v, OK: true} }

// ErrSSA is wrapped by the error of a run whose feedback could not be made
// stable, even from fresh random starting points.
var ErrSSA = errors.New("models: stability optimisation failed")

// trainSpec is what a trainer needs beyond the network and the model.
type trainSpec struct {
	batch     int
	eta       float64
	wDecay    float64
	normDelW  bool
	clip      []float64 // clip[l]: largest norm of delta[l] (per example), 0 = none
	clipFrom  int       // first step at which clipping applies
	g         Transfer  // g inside the rule's loop (DI, SDI)
	gLayer    bool      // g is the transfer of the layer below (DI's "layer": its own nonlinearity)
	dt        float64
	tsteps    int
	ssa       linalg.SSAParams
	ssaTries  int // fresh random starts after a failed optimisation
	fbScale   float64
	optimLeak float64 // the alpha optim feedback is first optimised for
	diagEvery int     // record DI/SDI diagnostics every this many steps (0: never)
	diagPBP   bool    // also record the angle to PBP's delta
	evalEvery int     // Train evaluates every this many steps
	skipFirst bool    // Train makes no update at step 0
}

// TrainOptions are what a trainer takes beyond the network, the parameters
// and the model.
type TrainOptions struct {
	// DiagPBP also records, among the DI diagnostics, the angle between the
	// rule's delta and PBP's (the linear experiment's Fig. 3f).
	DiagPBP bool
	// Kernels compute the forward pass, the weight update and the DI and
	// SDI loops; nil means Reference.
	Kernels Kernels
	// Checkpoints save the trainer's state between steps and give the
	// state it continues from (nil: none; see Checkpoints).
	Checkpoints Checkpoints
}

// Trainer trains one model on one network: it owns every buffer of the
// run (activations, deltas, feedback, the stability optimiser's
// workspaces), and after construction a step allocates nothing. It must
// not be shared between goroutines.
type Trainer struct {
	stop atomic.Bool // set when the run's context ends: DI and SDI loops end early

	net  *Network
	m    Model
	spec trainSpec
	k    Kernels
	src  *rand.PCG  // rng's source, for checkpoints
	rng  *rand.Rand // feedback and SSA restarts

	ckpt    Checkpoints
	resumed *State          // the checkpoint the run continues from, or nil
	kept    map[string]Kept // the experiment's own state (Keep)

	fb    []*mat.Dense   // fb[l]: feedback of layer l (nIn x nOut), nil if unused
	props []*Propagator  // props[l] carries delta[l] to delta[l-1]
	sdi   *SDIPropagator // SDI: across the last two layers
	fw    *Forward
	delta []*mat.Dense // delta[l]: error at the output of layer l, n_l x batch
	dh    []*mat.Dense
	dw    []*mat.Dense // norm_delw with minibatches only: scratch for dW
	stab  []*linalg.Stability
	opt   []*linalg.Optimizer

	// Diagnostics.
	ndi, pbp   []*Propagator
	sdiB       *mat.Dense   // SDI: the loop's own feedback (n1 x n3)
	diagBuf    []*mat.Dense // diagBuf[l] shaped like delta[l]: the chained NDI deltas
	pbpBuf     []*mat.Dense // likewise for PBP
	ssaRuns    int
	ssaRetries int
}

// NewTrainer returns the trainer of model m on net with the parameters p
// (as Experiment.Check accepts them). It draws the feedback matrices from
// net's weights with rng, which also draws the stability optimiser's fresh
// starts. When that fails (optim feedback that cannot be made stable, or
// ctx's end) the trainer is returned with the error, for Failed. When
// opt.Checkpoints give a state to resume from, the weights, feedback and
// stream are that state's instead (and no feedback is drawn).
func NewTrainer(ctx context.Context, net *Network, p Params, m Model, opt TrainOptions, src *rand.PCG) (*Trainer, error) {
	spec := p.spec(m, opt)
	L := len(net.Layers)
	sizes := net.Sizes()
	k := kernelsOr(opt.Kernels)
	t := &Trainer{net: net, m: m, spec: spec, k: k, src: src, rng: rand.New(src), ckpt: opt.Checkpoints,
		fb: make([]*mat.Dense, L), props: make([]*Propagator, L),
		stab: make([]*linalg.Stability, L), opt: make([]*linalg.Optimizer, L),
		ndi: make([]*Propagator, L), pbp: make([]*Propagator, L),
		fw: NewForward(k, sizes, spec.batch),
	}
	for l := range L {
		t.delta = append(t.delta, mat.NewDense(sizes[l+1], spec.batch, nil))
		t.dh = append(t.dh, mat.NewDense(sizes[l+1], spec.batch, nil))
		if spec.normDelW && spec.batch > 1 { // one example needs no dW: ||d hᵀ|| = ||d|| ||h||
			t.dw = append(t.dw, mat.NewDense(sizes[l+1], sizes[l], nil))
		}
	}
	rule := Rule{Kind: m.Kind, Leak: m.Leak, G: spec.g, DT: spec.dt, TSteps: spec.tsteps}
	info := m.Kind.Info()
	// Layers with a feedback matrix of their own. SDI's loop has one matrix
	// across its two layers; like the original it also keeps one per layer
	// (initialised, and re-stabilised, alike) for its diagnostics.
	lowFB := 1
	if info.TwoLayers {
		if L < 3 {
			panic("models: " + m.Kind.String() + " needs at least three layers") // Params.validate rejects it first
		}
		n1, n2, n3 := sizes[L-2], sizes[L-1], sizes[L]
		t.sdi = NewSDIPropagator(k, rule, n1, n2, n3, spec.batch)
		t.sdiB = mat.NewDense(n1, n3, nil)
		for l := 1; l < L-2; l++ { // layers below the SDI pair propagate with BP
			t.props[l] = NewPropagator(k, Rule{Kind: BP}, sizes[l], sizes[l+1], spec.batch)
		}
		lowFB = L - 2
	} else {
		for l := 1; l < L; l++ {
			r := rule
			if spec.gLayer {
				r.G = net.Layers[l-1].F
			}
			t.props[l] = NewPropagator(k, r, sizes[l], sizes[l+1], spec.batch)
		}
	}
	diag := spec.diagEvery > 0 && info.Diagnostics
	for l := lowFB; l < L && info.Feedback; l++ {
		t.fb[l] = mat.NewDense(sizes[l], sizes[l+1], nil)
		if info.Restabilised || diag { // diag records each loop's lambda_max
			t.stab[l] = linalg.NewStability(sizes[l], sizes[l+1])
		}
		if diag {
			t.ndi[l] = NewPropagator(k, Rule{Kind: NDI, Leak: m.Leak}, sizes[l], sizes[l+1], spec.batch)
			if spec.diagPBP {
				t.pbp[l] = NewPropagator(k, Rule{Kind: PBP}, sizes[l], sizes[l+1], spec.batch)
			}
		}
	}
	if diag {
		for l := range L {
			t.diagBuf = append(t.diagBuf, mat.NewDense(sizes[l+1], spec.batch, nil))
			t.pbpBuf = append(t.pbpBuf, mat.NewDense(sizes[l+1], spec.batch, nil))
		}
	}
	for _, p := range t.props {
		if p != nil {
			p.SetStop(&t.stop)
		}
	}
	if t.sdi != nil {
		t.sdi.SetStop(&t.stop)
	}
	if t.ckpt != nil {
		if st := t.ckpt.Resume(); st != nil {
			return t, t.restore(st)
		}
	}
	// On failure the trainer is still returned, for its SSA counts.
	return t, t.initFeedback(ctx)
}

// NewRun builds the network of spec with the initial weights of seed
// (p.Init, drawn from StreamInit) and the trainer of m on it, its feedback
// drawn from StreamFeedback: how every experiment starts a run, so that all
// models of one seed start from the same weights. As NewTrainer, it returns
// the trainer also on failure.
func NewRun(ctx context.Context, p Params, m Model, seed uint64, spec NetSpec, opt TrainOptions) (*Network, *Trainer, error) {
	net := NewNetwork(spec)
	if p.Init == "orthogonal" {
		net.InitOrthogonal(StreamInit.Rand(seed))
	} else {
		net.InitUniform(StreamInit.Rand(seed), p.InitScale, p.BiasInit)
	}
	t, err := NewTrainer(ctx, net, p, m, opt, StreamFeedback.PCG(seed))
	return net, t, err
}

// Failed is the Result of a run that failed before or while training:
// no errors measured, and the stability optimiser's counts.
func (t *Trainer) Failed() Result {
	return Result{SSARuns: t.ssaRuns, SSARetries: t.ssaRetries}
}

// Train runs the part of a run common to every experiment: steps training
// steps on the example columns that next returns (inputs x, targets y, one
// column per example; see Step), with the stability re-optimisation of DI
// and SDI, their diagnostics every diag_every steps, and eval every
// eval_every steps and after the last one. eval records its own metrics
// and returns the train and test errors it measured (a zero Measure where
// it measured none) and whether every measured error was finite. A run whose errors or weights
// stop being finite ends with status Diverged and no error; Train returns
// ctx's error soon after ctx ends, even in the middle of a DI step.
func (t *Trainer) Train(ctx context.Context, steps int, rec Recorder,
	next func(k int) (x, y *mat.Dense),
	eval func(k int) (train, test Measure, finite bool, err error)) (res Result, err error) {
	defer func() { res.SSARuns, res.SSARetries = t.ssaRuns, t.ssaRetries }()
	defer func() {
		if err == nil && t.ckpt != nil {
			if st, serr := t.State(res.Steps, res); serr == nil {
				t.ckpt.Final(st)
			}
		}
	}()
	// A DI step on the autoencoder takes many seconds: its loops look at
	// this flag, so that the work stops soon after ctx ends.
	defer context.AfterFunc(ctx, func() { t.stop.Store(true) })()
	diag := t.spec.diagEvery > 0 && t.m.Kind.Info().Diagnostics
	k0 := 0
	if t.resumed != nil {
		k0, res = t.resumed.Step, t.resumed.Result
	}
	for k := k0; k < steps; k++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if t.ckpt != nil && t.ckpt.Due(k) {
			st, err := t.State(k, res)
			if err == nil {
				err = t.ckpt.Save(st)
			}
			if err != nil {
				return res, fmt.Errorf("checkpoint at step %d: %w", k, err)
			}
		}
		x, y := next(k)
		update := !(t.spec.skipFirst && k == 0)
		if !t.Step(k, x, y, update) {
			res.Status, res.DivergedAt = Diverged, k
			return res, nil
		}
		res.Steps = k + 1
		if update {
			if err := t.Restabilise(ctx); errors.Is(err, ErrDiverged) {
				res.Status, res.DivergedAt = Diverged, k
				return res, nil
			} else if err != nil {
				return res, err
			}
		}
		if diag && k%t.spec.diagEvery == 0 {
			t.Diagnostics(k, rec)
		}
		if k%t.spec.evalEvery == 0 || k == steps-1 {
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

// initFeedback draws every layer's feedback from the initial weights.
func (t *Trainer) initFeedback(ctx context.Context) error {
	L := len(t.net.Layers)
	f := Feedback{Type: t.m.Feedback, Scale: t.m.Scale, Gain: t.m.Gain, Leak: t.spec.optimLeak, SSA: t.spec.ssa}
	if f.Scale == 0 && f.Type == Random {
		f.Scale = t.spec.fbScale
	}
	for l := 1; l < L; l++ {
		if t.fb[l] == nil {
			continue
		}
		if _, err := t.initLayer(ctx, t.fb[l], t.net.Layers[l].W, f); err != nil {
			return fmt.Errorf("layer %d: %w", l, err)
		}
	}
	if t.sdi == nil {
		return nil
	}
	// SDI's loop matrix: -B1 B2 of the two layers' matrices for optim (and,
	// the same thing, -W1ᵀ W2ᵀ for neg-transpose, times the gain); a draw of
	// its own for random; otherwise the type applied to the product W2 W1.
	b1, b2 := t.fb[L-2], t.fb[L-1]
	switch t.m.Feedback {
	case Optim, NegTranspose:
		// b1 b2 carries the gain twice; keep it once.
		t.sdiB.Mul(b1, b2)
		t.sdiB.Scale(-1/gainOf(f), t.sdiB)
	default:
		var w21 mat.Dense
		w21.Mul(t.net.Layers[L-1].W, t.net.Layers[L-2].W)
		_, err := t.initLayer(ctx, t.sdiB, &w21, f)
		return err
	}
	return nil
}

func gainOf(f Feedback) float64 {
	if f.Gain == 0 {
		return 1
	}
	return f.Gain
}

// initLayer draws one feedback matrix; for optim it retries from fresh
// random draws when the optimiser fails.
func (t *Trainer) initLayer(ctx context.Context, b, w *mat.Dense, f Feedback) (linalg.SSAResult, error) {
	var opt *linalg.Optimizer
	for try := 0; ; try++ {
		if f.Type == Optim {
			t.ssaRuns++
			nOut, nIn := w.Dims()
			if opt == nil {
				opt = linalg.NewOptimizer(nIn, nOut)
			}
		}
		res, err := InitFeedbackContext(ctx, b, w, f, t.rng, opt)
		if err == nil || !errors.Is(err, linalg.ErrNotStable) || ctx.Err() != nil {
			return res, err
		}
		if try >= t.spec.ssaTries {
			return res, fmt.Errorf("%w: initial feedback after %d fresh starts: %v", ErrSSA, try, err)
		}
		t.ssaRetries++
	}
}

// Step trains on the input columns x with targets y (one column per
// example) as step k (clipping applies from clip_from on). With update
// false it computes the deltas but leaves the weights alone (the paper's
// skipped first update). It returns false if the output error is not
// finite. Train calls it, then Restabilise and Diagnostics.
func (t *Trainer) Step(k int, x, y *mat.Dense, update bool) bool {
	net := t.net
	L := len(net.Layers)
	out := t.fw.Run(net, x)
	// Output error e = target - output, a descent direction.
	e := t.delta[L-1].RawMatrix()
	o, yr := out.RawMatrix(), y.RawMatrix()
	var sum float64
	for i := range o.Rows {
		for j := range o.Cols {
			v := yr.Data[i*yr.Stride+j] - o.Data[i*o.Stride+j]
			e.Data[i*e.Stride+j] = v
			sum += v
		}
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	if !net.Softmax && t.fw.derivTo(t.dh[L-1], net, L-1) {
		t.delta[L-1].MulElem(t.delta[L-1], t.dh[L-1])
	}
	t.backward(k)
	if !update {
		return true
	}
	for l := range L {
		t.updateLayer(l, x)
	}
	return true
}

// backward fills delta[l] for every l < L-1.
func (t *Trainer) backward(k int) {
	net := t.net
	L := len(net.Layers)
	low := 1
	if t.sdi != nil {
		w1, w2 := net.Layers[L-2].W, net.Layers[L-1].W
		t.sdi.PropagateTo(t.delta[L-3], t.delta[L-2], w1, w2, t.sdiB, t.delta[L-1])
		t.clip(k, L-2)
		t.clip(k, L-3)
		low = L - 2
	}
	for l := L - 1; l >= 1; l-- {
		if l >= low && t.sdi != nil {
			continue
		}
		var dh *mat.Dense
		if t.fw.derivTo(t.dh[l-1], net, l-1) {
			dh = t.dh[l-1]
		}
		t.props[l].PropagateTo(t.delta[l-1], net.Layers[l].W, t.fb[l], t.delta[l], dh)
		t.clip(k, l-1)
	}
}

// clip scales every column of delta[l] whose norm exceeds the layer's bound.
func (t *Trainer) clip(k, l int) {
	if l >= len(t.spec.clip) || t.spec.clip[l] <= 0 || k < t.spec.clipFrom {
		return
	}
	d := t.delta[l].RawMatrix()
	bound := t.spec.clip[l]
	for j := range d.Cols {
		var ss float64
		for i := range d.Rows {
			v := d.Data[i*d.Stride+j]
			ss += v * v
		}
		if n := math.Sqrt(ss); n > bound {
			s := bound / n
			for i := range d.Rows {
				d.Data[i*d.Stride+j] *= s
			}
		}
	}
}

// updateLayer applies W += eta dW - w_decay W (and likewise the bias), with
// dW = delta h_prevᵀ summed over the batch, normalised by its Frobenius norm
// under norm_delw.
func (t *Trainer) updateLayer(l int, x *mat.Dense) {
	ly := t.net.Layers[l]
	in := x.RawMatrix()
	if l > 0 {
		in = t.fw.h[l-1].RawMatrix()
	}
	d := t.delta[l].RawMatrix()
	w := ly.W.RawMatrix()
	eta := t.spec.eta
	if t.spec.normDelW {
		var dw *mat.Dense
		if t.dw != nil {
			dw = t.dw[l]
		}
		eta /= frobeniusOuter(dw, d, in)
	}
	t.k.UpdateTo(w, 1-t.spec.wDecay, eta, d, in)
	if ly.Bias != nil {
		for i := range ly.Bias {
			var s float64
			for _, v := range d.Data[i*d.Stride : i*d.Stride+d.Cols] {
				s += v
			}
			ly.Bias[i] = ly.Bias[i]*(1-t.spec.wDecay) + eta*s
		}
	}
}

// frobeniusOuter returns the Frobenius norm of dW = d inᵀ (1 when it is 0,
// so that a zero update stays zero), using dw as scratch for minibatches.
func frobeniusOuter(dw *mat.Dense, d, in blas64.General) float64 {
	var ss float64
	if d.Cols == 1 { // ||d hᵀ||_F = ||d|| ||h||
		var dd, hh float64
		for i := range d.Rows {
			dd += d.Data[i*d.Stride] * d.Data[i*d.Stride]
		}
		for i := range in.Rows {
			hh += in.Data[i*in.Stride] * in.Data[i*in.Stride]
		}
		ss = dd * hh
	} else {
		r := dw.RawMatrix()
		linalg.Gemm(blas.NoTrans, blas.Trans, 1, d, in, 0, r)
		for _, v := range r.Data {
			ss += v * v
		}
	}
	if ss == 0 {
		return 1
	}
	return math.Sqrt(ss)
}

// ErrDiverged is Restabilise's error for weights that are not finite.
var ErrDiverged = errors.New("models: weights not finite")

// allFinite reports whether every value is finite.
func allFinite(xs []float64) bool {
	var s float64
	for _, v := range xs {
		s += v
	}
	return !math.IsNaN(s) && !math.IsInf(s, 0)
}

// Restabilise runs the stability optimiser on every loop of a re-stabilised
// rule (RuleInfo.Restabilised: DI, SDI) that has become unstable, as the
// original does after each update. Weights that
// are not finite are ErrDiverged; an optimisation that fails after
// ssa_retries fresh starts wraps ErrSSA.
func (t *Trainer) Restabilise(ctx context.Context) error {
	if !t.m.Kind.Info().Restabilised {
		return nil
	}
	for l, s := range t.stab {
		if s == nil {
			continue
		}
		w := t.net.Layers[l].W
		lm := s.LambdaMax(w, t.fb[l], t.m.Leak)
		if lm <= 0 {
			continue
		}
		// Weights that are not finite have diverged: no optimiser can
		// stabilise them.
		if math.IsNaN(lm) || !allFinite(w.RawMatrix().Data) {
			return ErrDiverged
		}
		if t.opt[l] == nil {
			nOut, nIn := w.Dims()
			t.opt[l] = linalg.NewOptimizer(nIn, nOut)
		}
		for try := 0; ; try++ {
			t.ssaRuns++
			_, err := t.opt[l].OptimizeContext(ctx, t.fb[l], w, t.m.Leak, t.spec.ssa)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The optimiser's own arithmetic overflowed: the weights
			// are too large for any loop on them to be computed.
			if se := (*linalg.SSAError)(nil); errors.As(err, &se) && math.IsNaN(se.LambdaMax) {
				return ErrDiverged
			}
			if try >= t.spec.ssaTries {
				return fmt.Errorf("%w: re-stabilising layer %d after %d fresh starts: %v", ErrSSA, l, try, err)
			}
			t.ssaRetries++
			FillUniform(t.fb[l].RawMatrix().Data, t.rng, 0.01)
		}
	}
	return nil
}

// Diagnostics records, as step k, the DI diagnostics (of a rule with
// RuleInfo.Diagnostics: DI, SDI) of the last step, as the original: for every layer with feedback, the angle of B to -Wᵀ, the
// loop's lambda_max, and the angle between the rule's delta and NDI's (and,
// in the linear experiment, PBP's), where NDI and PBP are chained from the
// output error down through the layers as if they were the rule.
func (t *Trainer) Diagnostics(k int, rec Recorder) {
	net := t.net
	L := len(net.Layers)
	ndiIn, pbpIn := t.delta[L-1], t.delta[L-1]
	for l := L - 1; l >= 1 && t.fb[l] != nil; l-- {
		w := net.Layers[l].W
		rec.Record(k, MetricAngleBNegWT, l, AngleBNegWT(t.fb[l], w))
		rec.Record(k, MetricLambdaMax, l, t.stab[l].LambdaMax(w, t.fb[l], t.m.Leak))
		var dh *mat.Dense
		if t.fw.derivTo(t.dh[l-1], net, l-1) {
			dh = t.dh[l-1]
		}
		got := t.delta[l-1].RawMatrix().Data
		t.ndi[l].PropagateTo(t.diagBuf[l-1], w, t.fb[l], ndiIn, dh)
		ndiIn = t.diagBuf[l-1]
		rec.Record(k, MetricAngleDeltaNDI, l, VecAngle(got, ndiIn.RawMatrix().Data))
		if t.pbp[l] != nil {
			t.pbp[l].PropagateTo(t.pbpBuf[l-1], w, nil, pbpIn, dh)
			pbpIn = t.pbpBuf[l-1]
			rec.Record(k, MetricAngleDeltaPBP, l, VecAngle(got, pbpIn.RawMatrix().Data))
		}
	}
}

// weightsFinite reports whether every weight and bias is finite.
func (t *Trainer) weightsFinite() bool {
	for _, ly := range t.net.Layers {
		if !allFinite(ly.W.RawMatrix().Data) || !allFinite(ly.Bias) {
			return false
		}
	}
	return true
}

// Feedback returns the feedback matrix of layer l (nIn x nOut), or nil for
// a layer without one. The trainer owns it; a caller may overwrite it
// before training (the replays of the original put its draws there).
func (t *Trainer) Feedback(l int) *mat.Dense { return t.fb[l] }

// SDIFeedback returns the feedback matrix of SDI's loop (n1 x n3, across
// the last two layers), or nil for the other rules; as Feedback.
func (t *Trainer) SDIFeedback() *mat.Dense { return t.sdiB }

// SSARuns returns how many stability optimisations the trainer has run so
// far (initial and re-stabilising), and how many of them were fresh starts
// after a failure.
func (t *Trainer) SSARuns() (runs, retries int) { return t.ssaRuns, t.ssaRetries }
