package regression

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
	"dinv/models"
)

func init() {
	models.Register(models.Definition{
		Name:   "linear_regression",
		Doc:    "Fig. 3a-f: a 30-20-10 linear network learns a random linear teacher online",
		Figure: "fig3",
		Defaults: func() models.Params {
			p := models.BaseParams()
			p.Sizes = []int{30, 20, 10}
			p.NumIters = 2000
			p.Eta = 0.01
			p.Clip = []float64{10}
			p.SkipFirst = true
			return p
		},
		Run:       runLinear,
		Check:     check,
		Footprint: footprint,
		Steps:     func(p models.Params) int { return p.NumIters },
	})
	models.Register(models.Definition{
		Name:   "nonlinear_regression",
		Doc:    "Fig. 3g-k: a 30-20-10-10 tanh network with biases learns a teacher of its own shape",
		Figure: "fig3",
		Defaults: func() models.Params {
			p := models.BaseParams()
			p.Sizes = []int{30, 20, 10, 10}
			p.NumIters = 10000
			p.Eta = 0.01
			p.Bias = true
			p.BiasInit = 0.01
			p.Clip = []float64{1, 1}
			p.SkipFirst = true
			p.SSALR, p.SSAMax, p.SSAMin = 0.5, 2000, 100
			return p
		},
		Run:       runNonlinear,
		Check:     check,
		Footprint: footprint,
		Steps:     func(p models.Params) int { return p.NumIters },
	})
}

// check: the regressions run online over num_iters examples.
func check(p models.Params) error {
	switch {
	case p.NumIters < 1:
		return &models.ParamError{Key: "num_iters", Msg: fmt.Sprintf("num_iters must be at least 1, got %d", p.NumIters)}
	case p.BatchSize != 1:
		return &models.ParamError{Key: "batch_size", Msg: fmt.Sprintf("the regressions learn online: batch_size must be 1, got %d", p.BatchSize)}
	case p.Dataset != "":
		return &models.ParamError{Key: "dataset", Msg: fmt.Sprintf("the regressions draw their own data: dataset is for the MNIST experiments, got %q", p.Dataset)}
	}
	return nil
}

// footprint: inputs, targets and (nonlinear) the teacher's activations over
// the whole data set, the order, and the curve.
func footprint(p models.Params) []models.MemTerm {
	var units float64
	for _, s := range p.Sizes {
		units += float64(s)
	}
	n := float64(p.NumIters)
	return []models.MemTerm{
		{Key: "num_iters", Bytes: 8 * n * (2*units + float64(p.Sizes[0]+p.Sizes[len(p.Sizes)-1]) + 1)},
		models.CurveTerm(p, "num_iters", n),
	}
}

// runLinear is the linear regression of Fig. 3a-f. The teacher T is
// uniform(-1, 1); the error recorded every iteration is the sum of squared
// errors over the whole data set, computed exactly as
// ||(T - W_L...W_1) X||_F² = trace(D S Dᵀ) with D = T - W_L...W_1 and
// S = X Xᵀ, which costs no pass over the data.
func runLinear(ctx context.Context, env models.Env, p models.Params, m models.Model, seed uint64, rec models.Recorder) (models.Result, error) {
	nIn, nOut, n := p.Sizes[0], p.Sizes[len(p.Sizes)-1], p.NumIters
	rng := models.StreamData.Rand(seed)
	teacher := mat.NewDense(nOut, nIn, nil)
	models.FillUniform(teacher.RawMatrix().Data, rng, 1)
	x := mat.NewDense(nIn, n, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rng.NormFloat64()
	}
	var y, s mat.Dense
	y.Mul(teacher, x)
	s.Mul(x, x.T())

	spec := models.NetSpec{Sizes: p.Sizes, Transfers: make([]models.Transfer, len(p.Sizes)-1), Bias: p.Bias}
	opt := env.TrainOptions()
	opt.DiagPBP = true
	net, t, err := models.NewRun(ctx, p, m, seed, spec, opt)
	if err != nil {
		return t.Failed(), err
	}
	next := onlinePass(x, &y, models.StreamOrder.Rand(seed).Perm(n))
	if p.Bias {
		// The trace identity needs a bias-free network: evaluate directly.
		eval := regressionEval(env.Kernels, net, x, &y, rec)
		return t.Train(ctx, n, rec, next, eval)
	}
	le := newLinearError(net, teacher, &s)
	eval := func(k int) (models.Measure, models.Measure, bool, error) {
		e := le.sse()
		rec.Record(k, models.MetricTrainError, 0, e)
		return models.Measured(e), models.Measure{}, finite(e), nil // no test set
	}
	return t.Train(ctx, n, rec, next, eval)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// onlinePass returns the example source of one pass over the columns of
// (x, y) in the given order, one example per step.
func onlinePass(x, y *mat.Dense, order []int) func(k int) (*mat.Dense, *mat.Dense) {
	nIn, _ := x.Dims()
	nOut, _ := y.Dims()
	xk, yk := mat.NewDense(nIn, 1, nil), mat.NewDense(nOut, 1, nil)
	return func(k int) (*mat.Dense, *mat.Dense) {
		j := order[k]
		for i := range nIn {
			xk.RawMatrix().Data[i] = x.At(i, j)
		}
		for i := range nOut {
			yk.RawMatrix().Data[i] = y.At(i, j)
		}
		return xk, yk
	}
}

// linearError computes the data-set error of a linear network in closed
// form, without allocating.
type linearError struct {
	net     *models.Network
	teacher *mat.Dense
	s       *mat.Dense
	prod    []*mat.Dense // prod[l] = W_l ... W_0
	ds      *mat.Dense
}

func newLinearError(net *models.Network, teacher, s *mat.Dense) *linearError {
	le := &linearError{net: net, teacher: teacher, s: s}
	nIn := net.Layers[0].W.RawMatrix().Cols
	for _, l := range net.Layers {
		le.prod = append(le.prod, mat.NewDense(l.W.RawMatrix().Rows, nIn, nil))
	}
	le.ds = mat.NewDense(teacher.RawMatrix().Rows, nIn, nil)
	return le
}

func (le *linearError) sse() float64 {
	p := le.net.Layers[0].W.RawMatrix()
	for l := 1; l < len(le.net.Layers); l++ {
		q := le.prod[l].RawMatrix()
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, le.net.Layers[l].W.RawMatrix(), p, 0, q)
		p = q
	}
	last := le.prod[len(le.prod)-1]
	if len(le.net.Layers) == 1 {
		last.Copy(le.net.Layers[0].W)
	}
	d := last.RawMatrix() // D = T - P, in place
	t := le.teacher.RawMatrix()
	for i := range d.Data {
		d.Data[i] = t.Data[i] - d.Data[i]
	}
	ds := le.ds.RawMatrix()
	linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, d, le.s.RawMatrix(), 0, ds)
	var e float64
	for i, v := range ds.Data {
		e += v * d.Data[i]
	}
	return e
}

// regressionEval returns an evaluator of the sum of squared errors of net on
// the data set (x, y), one column per example, in chunks of columns that k
// pushes through the network.
func regressionEval(k models.Kernels, net *models.Network, x, y *mat.Dense, rec models.Recorder) func(int) (models.Measure, models.Measure, bool, error) {
	const chunk = 1000
	_, n := x.Dims()
	bs := min(chunk, n)
	full, rest := models.NewForward(k, net.Sizes(), bs), models.NewForward(k, net.Sizes(), max(1, n%bs))
	var xs mat.Dense
	return func(k int) (models.Measure, models.Measure, bool, error) {
		var e float64
		for j := 0; j < n; j += bs {
			c := min(bs, n-j)
			viewColsTo(&xs, x, j, c)
			fw := full
			if c != bs {
				fw = rest
			}
			out := fw.Run(net, &xs).RawMatrix()
			yr := y.RawMatrix()
			for i := range out.Rows {
				for jj := range c {
					d := yr.Data[i*yr.Stride+j+jj] - out.Data[i*out.Stride+jj]
					e += d * d
				}
			}
		}
		rec.Record(k, models.MetricTrainError, 0, e)
		return models.Measured(e), models.Measure{}, finite(e), nil // no test set
	}
}

// viewColsTo makes v a view of columns j..j+c of m.
func viewColsTo(v, m *mat.Dense, j, c int) {
	r := m.RawMatrix()
	v.SetRawMatrix(blas64.General{Rows: r.Rows, Cols: c, Stride: r.Stride, Data: r.Data[j:]})
}

// runNonlinear is the nonlinear regression of Fig. 3g-k: a teacher network
// of the student's shape (weights and biases uniform(-init_scale,
// init_scale)) labels standard normal inputs; the error over the whole data
// set is recorded every eval_every iterations.
func runNonlinear(ctx context.Context, env models.Env, p models.Params, m models.Model, seed uint64, rec models.Recorder) (models.Result, error) {
	nIn, nOut, n := p.Sizes[0], p.Sizes[len(p.Sizes)-1], p.NumIters
	tr := make([]models.Transfer, len(p.Sizes)-1)
	for i := range len(tr) - 1 {
		tr[i] = models.Tanh
	}
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: tr, Bias: p.Bias}
	// Teacher and inputs from the data stream.
	rng := models.StreamData.Rand(seed)
	teacher := models.NewNetwork(spec)
	teacher.InitUniform(rng, p.InitScale, p.BiasInit)
	x := mat.NewDense(nIn, n, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rng.NormFloat64()
	}
	y := mat.NewDense(nOut, n, nil)
	// The data do not depend on the kernels.
	fw := models.NewForward(models.Reference{}, p.Sizes, n)
	y.Copy(fw.Run(teacher, x))

	net, t, err := models.NewRun(ctx, p, m, seed, spec, env.TrainOptions())
	if err != nil {
		return t.Failed(), err
	}
	next := onlinePass(x, y, models.StreamOrder.Rand(seed).Perm(n))
	return t.Train(ctx, n, rec, next, regressionEval(env.Kernels, net, x, y, rec))
}
