package models

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"dinv/io/mnist"
)

func init() {
	register(&Experiment{
		Name: "mnist_classification",
		Doc:  "Fig. 4a: a 784-1000-10 tanh/softmax classifier trained online on MNIST",
		defaults: func() Params {
			p := baseParams()
			p.Sizes = []int{784, 1000, 10}
			p.Epochs = 15
			p.Eta = 1e-3
			p.WDecay = 1e-6
			p.Bias = true
			p.DIG = "layer" // the paper's extension: DI inverts the tanh itself
			p.EvalEvery = 1000
			p.EvalSets = []string{"train", "test"}
			p.DiagEvery = 1000
			return p
		},
		run: func(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder) (Result, error) {
			return runMNIST(ctx, env, p, m, seed, rec, false)
		},
		check:     checkMNIST(false),
		footprint: mnistFootprint,
	})
	register(&Experiment{
		Name: "mnist_autoencoder",
		Doc:  "Fig. 4b: a 784-500-250-30-250-500-784 autoencoder trained on minibatches of MNIST",
		defaults: func() Params {
			p := baseParams()
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
			return p
		},
		run: func(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder) (Result, error) {
			return runMNIST(ctx, env, p, m, seed, rec, true)
		},
		check:     checkMNIST(true),
		footprint: mnistFootprint,
	})
}

// evalChunk is how many examples an evaluation pushes through the network
// at once.
const evalChunk = 1000

// mnistSet is the part of an MNIST set a run uses, with its pixel scaling.
type mnistSet struct {
	set          *mnist.Set
	n            int
	scale, shift float64
}

// fillColumns writes images idx of s as the columns of x (784 x len(idx)),
// each pixel v as v*scale + shift.
func (s mnistSet) fillColumns(x *mat.Dense, idx []int) {
	r := x.RawMatrix()
	for j, i := range idx {
		for p, v := range s.set.Row(i) {
			r.Data[p*r.Stride+j] = float64(v)*s.scale + s.shift
		}
	}
}

// runMNIST runs the classifier (autoencoder false) or the autoencoder.
//
// Classifier: inputs standardised with the training images' global mean
// and standard deviation; e = one_hot - softmax; error = fraction of
// examples whose largest output is not the label. Autoencoder: inputs
// scaled to [0, 1]; e = x - y; error = mean squared reconstruction error
// over pixels and images.
func runMNIST(ctx context.Context, env Env, p Params, m Model, seed uint64, rec Recorder, autoencoder bool) (Result, error) {
	ds, err := mnist.Load(ctx, mnist.Options{Dir: env.DataDir})
	if err != nil {
		return Result{}, err
	}
	train := mnistSet{set: &ds.Train, n: ds.Train.N}
	test := mnistSet{set: &ds.Test, n: ds.Test.N}
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

	L := len(p.Sizes) - 1
	tr := make([]Transfer, L)
	for l := range tr {
		tr[l] = Tanh
	}
	tr[L-1] = Linear
	if autoencoder { // 784-500-250-30-250-500-784: the code layer is linear
		tr[(L-1)/2] = Linear
	}
	spec := NetSpec{Sizes: p.Sizes, Transfers: tr, Bias: p.Bias, Softmax: !autoencoder}
	net, t, err := newRun(ctx, p, m, seed, spec, false)
	if err != nil {
		return t.failed(), err
	}

	bs := p.BatchSize
	perEpoch := train.n / bs
	if perEpoch < 1 {
		return t.failed(), fmt.Errorf("batch_size %d exceeds the %d training images", bs, train.n)
	}
	steps := p.Epochs * perEpoch
	order := stream(seed, streamOrder)
	var perm []int
	x := mat.NewDense(mnist.ImageSize, bs, nil)
	y := mat.NewDense(p.Sizes[L], bs, nil)
	next := func(k int) (*mat.Dense, *mat.Dense) {
		if k%perEpoch == 0 {
			perm = order.Perm(train.n) // a fresh order each epoch
		}
		idx := perm[(k%perEpoch)*bs : (k%perEpoch+1)*bs]
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
	ev := newMNISTEval(net, p, autoencoder)
	eval := func(k int) (float64, float64, bool, error) {
		trainErr, testErr, finite := math.NaN(), math.NaN(), true
		for _, name := range p.EvalSets {
			set, metric := train, MetricTrainError
			if name == "test" {
				set, metric = test, MetricTestError
			}
			e, err := ev.error(ctx, set)
			if err != nil {
				return trainErr, testErr, finite, err
			}
			rec.Record(k, metric, 0, e)
			finite = finite && isFinite(e)
			if name == "test" {
				testErr = e
			} else {
				trainErr = e
			}
		}
		return trainErr, testErr, finite, nil
	}
	return trainLoop(ctx, t, p, steps, rec, next, eval)
}

// pixelStats returns the mean and standard deviation of every pixel of the
// set's images.
func pixelStats(s mnistSet) (mean, std float64) {
	var sum, ss float64
	pix := s.set.Images[:s.n*mnist.ImageSize]
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

// mnistEval evaluates a network on a whole set in chunks of columns, with
// buffers reused between evaluations.
type mnistEval struct {
	net         *Network
	autoencoder bool
	fw          *forward
	x           *mat.Dense
	idx         []int
}

func newMNISTEval(net *Network, p Params, autoencoder bool) *mnistEval {
	return &mnistEval{net: net, autoencoder: autoencoder,
		fw: newForward(p.Sizes, evalChunk), x: mat.NewDense(mnist.ImageSize, evalChunk, nil),
		idx: make([]int, evalChunk)}
}

// error returns the classification error (fraction wrong) or the mean
// squared reconstruction error of the first s.n images of s.
func (e *mnistEval) error(ctx context.Context, s mnistSet) (float64, error) {
	var wrong int
	var sse float64
	for start := 0; start < s.n; start += evalChunk {
		if err := ctx.Err(); err != nil {
			return math.NaN(), err
		}
		c := min(evalChunk, s.n-start)
		for j := range evalChunk {
			e.idx[j] = start + min(j, c-1) // a short last chunk repeats its last image
		}
		s.fillColumns(e.x, e.idx)
		out := e.fw.run(e.net, e.x)
		if e.autoencoder {
			o, xr := out.RawMatrix(), e.x.RawMatrix()
			for i := range o.Rows {
				for j := range c {
					d := xr.Data[i*xr.Stride+j] - o.Data[i*o.Stride+j]
					sse += d * d
				}
			}
			continue
		}
		a := e.fw.a[len(e.fw.a)-1].RawMatrix() // argmax of the pre-activation
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
	}
	if e.autoencoder {
		return sse / float64(s.n*mnist.ImageSize), nil
	}
	return float64(wrong) / float64(s.n), nil
}
