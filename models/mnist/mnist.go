package mnist

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	mnistio "dinv/io/mnist"
	"dinv/models"
)

func init() {
	models.Register(models.Definition{
		Name:   "mnist_classification",
		Doc:    "Fig. 4a: a 784-1000-10 tanh/softmax classifier trained online on MNIST",
		Figure: "fig4",
		Defaults: func() models.Params {
			p := models.BaseParams()
			p.Sizes = []int{784, 1000, 10}
			p.Epochs = 15
			p.Eta = 1e-3
			p.WDecay = 1e-6
			p.Bias = true
			p.DIG = "layer" // the paper's extension: DI inverts the tanh itself
			p.EvalEvery = 1000
			p.EvalSets = []string{"train", "test"}
			p.DiagEvery = 1000
			p.Dataset = mnistio.MNIST
			return p
		},
		Run: func(ctx context.Context, env models.Env, p models.Params, m models.Model, seed uint64, rec models.Recorder) (models.Result, error) {
			return run(ctx, env, p, m, seed, rec, false)
		},
		Check:     check(false),
		Footprint: footprint,
		Steps:     steps,
		Numerics:  numerics,
	})
	models.Register(models.Definition{
		Name:   "mnist_autoencoder",
		Doc:    "Fig. 4b: a 784-500-250-30-250-500-784 autoencoder trained on minibatches of MNIST",
		Figure: "fig4",
		Defaults: func() models.Params {
			p := models.BaseParams()
			p.Sizes = []int{784, 500, 250, 30, 250, 500, 784}
			p.Epochs = 20
			p.BatchSize = 100
			p.Eta = 1e-6
			p.WDecay = 1e-10
			p.Bias = true
			p.FbackScale = 0.01
			p.DIG = "layer"
			p.EvalEvery = 10
			p.EvalSets = []string{"train", "test"}
			p.DiagEvery = 10
			p.Dataset = mnistio.MNIST
			return p
		},
		Run: func(ctx context.Context, env models.Env, p models.Params, m models.Model, seed uint64, rec models.Recorder) (models.Result, error) {
			return run(ctx, env, p, m, seed, rec, true)
		},
		Check:     check(true),
		Footprint: footprint,
		Steps:     steps,
		Numerics:  numerics,
	})
}

// numerics is the version of both experiments' numerics (see
// models.Definition.Numerics). 1: the evaluation's first layer visits only
// the nonzero pixels, with fused multiply-adds, the autoencoder's error is
// summed by pixel and chunk, and the DI loop's online step (tanh g) runs
// on fused loops (models.Fast): the classifier's error counts did not
// change on the golden curves; the autoencoder's errors and DI's weights
// moved in their last digits.
const numerics = 1

// steps is the number of steps of a run: epochs of whole batches.
func steps(p models.Params) int {
	n := mnistio.NumTrain
	if p.TrainSize > 0 {
		n = min(n, p.TrainSize)
	}
	if p.BatchSize < 1 {
		return 0
	}
	return p.Epochs * (n / p.BatchSize)
}

// check: the network must fit MNIST's images and labels (or images, for
// the autoencoder), and the sets are MNIST's.
func check(autoencoder bool) func(p models.Params) error {
	return func(p models.Params) error {
		out := 10
		if autoencoder {
			out = mnistio.ImageSize
		}
		train := mnistio.NumTrain
		if p.TrainSize > 0 {
			train = p.TrainSize
		}
		bad := func(key, format string, args ...any) error {
			return &models.ParamError{Key: key, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case p.Sizes[0] != mnistio.ImageSize || p.Sizes[len(p.Sizes)-1] != out:
			return bad("sizes", "sizes %v do not fit MNIST: want %d inputs and %d outputs", p.Sizes, mnistio.ImageSize, out)
		case p.Epochs < 1:
			return bad("epochs", "epochs must be at least 1, got %d", p.Epochs)
		case p.TrainSize > mnistio.NumTrain:
			return bad("train_size", "train_size %d exceeds MNIST's %d training images", p.TrainSize, mnistio.NumTrain)
		case p.TestSize > mnistio.NumTest:
			return bad("test_size", "test_size %d exceeds MNIST's %d test images", p.TestSize, mnistio.NumTest)
		case p.BatchSize > train:
			return bad("batch_size", "batch_size %d exceeds the %d training images", p.BatchSize, train)
		case !slices.Contains(mnistio.Datasets, p.Dataset):
			return bad("dataset", "unknown dataset %q (valid: %s)", p.Dataset, strings.Join(mnistio.Datasets, ", "))
		}
		return nil
	}
}

// footprint: the evaluation's chunk of activations and the curve (the data
// set itself is shared by every cell of a process).
func footprint(p models.Params) []models.MemTerm {
	var units float64
	for _, s := range p.Sizes {
		units += float64(s)
	}
	train := mnistio.NumTrain
	if p.TrainSize > 0 {
		train = p.TrainSize
	}
	steps := float64(p.Epochs) * float64(train/max(p.BatchSize, 1))
	return []models.MemTerm{
		{Key: "sizes", Bytes: 8 * 3 * units * evalChunk},
		models.CurveTerm(p, "epochs", steps),
	}
}

// evalChunk is how many examples an evaluation pushes through the network
// at once.
const evalChunk = 1000

// part is the part of an MNIST set a run uses, with its pixel scaling.
type part struct {
	set          *mnistio.Set
	n            int
	scale, shift float64
}

// fillColumns writes images idx of s as the columns of x (784 x len(idx)),
// each pixel v as v*scale + shift.
func (s part) fillColumns(x *mat.Dense, idx []int) {
	r := x.RawMatrix()
	for j, i := range idx {
		for p, v := range s.set.Row(i) {
			r.Data[p*r.Stride+j] = float64(v)*s.scale + s.shift
		}
	}
}

// fillSparse writes images idx of s into x as sparse columns around the
// background's value (shift, a zero pixel's): each nonzero pixel v as
// v*scale.
func (s part) fillSparse(x *models.SparseCols, idx []int) {
	x.Reset(mnistio.ImageSize, s.shift)
	for _, i := range idx {
		for p, v := range s.set.Row(i) {
			if v != 0 {
				x.Add(p, float64(v)*s.scale)
			}
		}
		x.EndCol()
	}
}

// run runs the classifier (autoencoder false) or the autoencoder.
//
// Classifier: inputs standardised with the training images' global mean
// and standard deviation; e = one_hot - softmax; error = fraction of
// examples whose largest output is not the label. Autoencoder: inputs
// scaled to [0, 1]; e = x - y; error = mean squared reconstruction error
// over pixels and images.
func run(ctx context.Context, env models.Env, p models.Params, m models.Model, seed uint64, rec models.Recorder, autoencoder bool) (models.Result, error) {
	ds, err := mnistio.Load(ctx, mnistio.Options{Dir: env.DataDir, Dataset: p.Dataset})
	if err != nil {
		return models.Result{}, err
	}
	data := dataJSON(ds)
	train := part{set: &ds.Train, n: ds.Train.N}
	test := part{set: &ds.Test, n: ds.Test.N}
	if p.TrainSize > 0 {
		train.n = min(p.TrainSize, train.n)
	}
	if p.TestSize > 0 {
		test.n = min(p.TestSize, test.n)
	}
	if autoencoder {
		train.scale = 1.0 / 255
	} else {
		mean, std := pixelStats(train)
		train.scale, train.shift = 1/std, -mean/std
	}
	test.scale, test.shift = train.scale, train.shift
	if inputHook != nil {
		inputHook(&train, &test)
	}

	L := len(p.Sizes) - 1
	tr := make([]models.Transfer, L)
	for l := range tr {
		tr[l] = models.Tanh
	}
	tr[L-1] = models.Linear
	if autoencoder { // 784-500-250-30-250-500-784: the code layer is linear
		tr[(L-1)/2] = models.Linear
	}
	spec := models.NetSpec{Sizes: p.Sizes, Transfers: tr, Bias: p.Bias, Softmax: !autoencoder}
	net, t, err := models.NewRun(ctx, p, m, seed, spec, env.TrainOptions())
	if err != nil {
		return t.Failed(), err
	}

	bs := p.BatchSize
	perEpoch := train.n / bs
	if perEpoch < 1 {
		return t.Failed(), fmt.Errorf("batch_size %d exceeds the %d training images", bs, train.n)
	}
	steps := p.Epochs * perEpoch
	order := models.NewOrder(models.StreamOrder, seed, train.n)
	if err := t.Keep("order", order); err != nil {
		return t.Failed(), err
	}
	x := mat.NewDense(mnistio.ImageSize, bs, nil)
	y := mat.NewDense(p.Sizes[L], bs, nil)
	next := func(k int) (*mat.Dense, *mat.Dense) {
		if k%perEpoch == 0 {
			order.Next() // a fresh order each epoch
		}
		idx := order.Current()[(k%perEpoch)*bs : (k%perEpoch+1)*bs]
		train.fillColumns(x, idx)
		if autoencoder {
			y.Copy(x)
		} else {
			y.Zero()
			for j, i := range idx {
				y.Set(int(train.set.Labels[i]), j, 1)
			}
		}
		return x, y
	}
	ev := newEvaluator(env, net, p, autoencoder)
	eval := func(k int) (models.Measure, models.Measure, bool, error) {
		var trainErr, testErr models.Measure // not measured unless eval_sets names them
		finite := true
		for l, ly := range net.Layers {
			rec.Record(k, models.MetricWeightNorm, l, mat.Norm(ly.W, 2))
		}
		for _, name := range p.EvalSets {
			s, metric := train, models.MetricTrainError
			if name == "test" {
				s, metric = test, models.MetricTestError
			}
			e, err := ev.error(ctx, s)
			if err != nil {
				return trainErr, testErr, finite, err
			}
			rec.Record(k, metric, 0, e)
			finite = finite && !math.IsNaN(e) && !math.IsInf(e, 0)
			if name == "test" {
				testErr = models.Measured(e)
			} else {
				trainErr = models.Measured(e)
			}
		}
		return trainErr, testErr, finite, nil
	}
	res, err := t.Train(ctx, steps, rec, next, eval)
	res.Data = data
	if finalNetHook != nil {
		finalNetHook(net)
	}
	return res, err
}

// dataJSON names the files a run read and their MD5s, for the runs table's
// data_md5: {"train-images-idx3-ubyte.gz": "f68b...", ...}, in the order of
// mnistio.Files.
func dataJSON(ds *mnistio.Dataset) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range ds.Files {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %q", f.Name, f.MD5)
	}
	b.WriteByte('}')
	return b.String()
}

// finalNetHook, when a test sets it, sees the network as a run ends.
var finalNetHook func(net *models.Network)

// inputHook, when a test sets it, may change the sets' pixel scaling
// before a run starts (a planted bug of the distribution test).
var inputHook func(train, test *part)

// pixelStats returns the mean and standard deviation of every pixel of the
// set's images.
func pixelStats(s part) (mean, std float64) {
	var sum, ss float64
	pix := s.set.Images[:s.n*mnistio.ImageSize]
	for _, v := range pix {
		sum += float64(v)
	}
	mean = sum / float64(len(pix))
	for _, v := range pix {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(pix)))
}

// evaluator evaluates a network on a whole set in chunks of columns, with
// buffers reused between evaluations. The first layer's product visits
// only the nonzero pixels (about a fifth of them). With spare job slots
// (models.Env.Spare) the chunks are shared among goroutines, each with
// buffers of its own; every chunk's result is kept apart and the results
// are added in the order of the chunks, so the error does not depend on
// how many goroutines there were.
type evaluator struct {
	net         *models.Network
	autoencoder bool
	k           models.Kernels
	sizes       []int
	spare       *models.Spare
	work        []*evalWork // [0] the cell's own; the helpers' made when first used
	wrong       []int       // per chunk
	sse         []float64   // per chunk
	errs        []error     // per helper
	panics      []any       // per helper
}

// maxHelpers bounds the goroutines an evaluation adds from spare slots;
// each holds about 30 MB of buffers.
const maxHelpers = 7

// evalWork is one goroutine's buffers: the activations of a chunk, the
// chunk as dense (the autoencoder's error) and as sparse columns.
type evalWork struct {
	fw  *models.Forward
	x   *mat.Dense
	sx  models.SparseCols
	idx []int
}

func newEvaluator(env models.Env, net *models.Network, p models.Params, autoencoder bool) *evaluator {
	return &evaluator{net: net, autoencoder: autoencoder, k: env.Kernels, sizes: p.Sizes, spare: env.Spare,
		work: []*evalWork{newEvalWork(env.Kernels, p.Sizes)}}
}

func newEvalWork(k models.Kernels, sizes []int) *evalWork {
	w := &evalWork{fw: models.NewSparseForward(k, sizes, evalChunk), x: mat.NewDense(mnistio.ImageSize, evalChunk, nil),
		idx: make([]int, evalChunk)}
	w.sx.Ptr = make([]int, 0, evalChunk+1)
	w.sx.Idx = make([]int32, 0, evalChunk*mnistio.ImageSize)
	w.sx.Val = make([]float64, 0, evalChunk*mnistio.ImageSize)
	return w
}

// error returns the classification error (fraction wrong) or the mean
// squared reconstruction error of the first s.n images of s.
func (e *evaluator) error(ctx context.Context, s part) (float64, error) {
	chunks := (s.n + evalChunk - 1) / evalChunk
	if cap(e.wrong) < chunks {
		e.wrong, e.sse = make([]int, chunks), make([]float64, chunks)
	}
	wrong, sse := e.wrong[:chunks], e.sse[:chunks]
	helpers := e.spare.Take(min(maxHelpers, chunks-1))
	defer e.spare.Give(helpers)
	for len(e.work) < 1+helpers {
		e.work = append(e.work, newEvalWork(e.k, e.sizes))
	}
	var next atomic.Int64
	run := func(w *evalWork) error {
		w.fw.LoadSparse(e.net, s.shift) // the first layer once for all chunks (fillSparse's base)
		for {
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			wrong[c], sse[c] = e.chunk(w, s, c*evalChunk)
		}
	}
	var err error
	if helpers == 0 {
		err = run(e.work[0])
	} else {
		if len(e.errs) < 1+helpers {
			e.errs, e.panics = make([]error, 1+maxHelpers), make([]any, 1+maxHelpers)
		}
		var wg sync.WaitGroup
		for i := 1; i <= helpers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { e.panics[i] = recover() }()
				e.errs[i] = run(e.work[i])
			}()
		}
		func() {
			defer wg.Wait() // also when run panics: no helper outlives the evaluation
			err = run(e.work[0])
		}()
		for i := 1; i <= helpers; i++ {
			if p := e.panics[i]; p != nil {
				e.panics[i] = nil
				panic(p) // on the cell's goroutine, where a panic fails the cell
			}
			if err == nil {
				err = e.errs[i]
			}
		}
	}
	if err != nil {
		return math.NaN(), err
	}
	var nWrong int
	var total float64
	for c := range chunks { // in the order of the chunks, as one goroutine adds them
		nWrong += wrong[c]
		total += sse[c]
	}
	if e.autoencoder {
		return total / float64(s.n*mnistio.ImageSize), nil
	}
	return float64(nWrong) / float64(s.n), nil
}

// chunk evaluates the chunk of images from start on w: the number wrong,
// or the sum of squared reconstruction errors.
func (e *evaluator) chunk(w *evalWork, s part, start int) (wrong int, sse float64) {
	c := min(evalChunk, s.n-start)
	for j := range evalChunk {
		w.idx[j] = start + min(j, c-1) // a short last chunk repeats its last image
	}
	s.fillSparse(&w.sx, w.idx)
	out := w.fw.RunSparseLoaded(e.net, &w.sx)
	if e.autoencoder {
		s.fillColumns(w.x, w.idx)
		// Summed by pixel, then by chunk, then over chunks: a plain
		// running sum of millions of squares rounds a thousand times
		// more (1e-11 relative on the test set).
		o, xr := out.RawMatrix(), w.x.RawMatrix()
		for i := range o.Rows {
			var row float64
			for j := range c {
				d := xr.Data[i*xr.Stride+j] - o.Data[i*o.Stride+j]
				row += d * d
			}
			sse += row
		}
		return 0, sse
	}
	a := w.fw.PreActivation(len(e.net.Layers) - 1).RawMatrix() // argmax of the pre-activation
	for j := range c {
		best, arg := math.Inf(-1), -1
		for i := range a.Rows {
			if v := a.Data[i*a.Stride+j]; v > best {
				best, arg = v, i
			}
		}
		if arg != int(s.set.Labels[start+j]) {
			wrong++
		}
	}
	return wrong, 0
}
