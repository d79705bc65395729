package kerneltest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"dinv/models"
	"dinv/models/internal/mattest"
)

// tanh: TanhTo is within 4 ulp of math.Tanh over the range that matters
// and beyond, with tanh's signs, limits and NaN.
func tanh(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(1, 7))
	xs := []float64{0, math.Copysign(0, -1), 5e-324, 1e-300, 1e-9, 1e-5, 0.1, 0.5, 1, 2, 5, 10, 18, 19, 20, 22, 40, 1e300,
		-1e-9, -0.5, -19, -1e300, math.Inf(1), math.Inf(-1), math.NaN()}
	for range 100000 {
		xs = append(xs, 50*(rng.Float64()-0.5), rng.NormFloat64(), math.Pow(10, -20*rng.Float64()))
	}
	got := make([]float64, len(xs))
	k.TanhTo(got, xs)
	for i, x := range xs {
		want := math.Tanh(x)
		ulp := math.Abs(math.Nextafter(want, math.Inf(1)) - want)
		switch {
		case math.IsNaN(want) != math.IsNaN(got[i]):
			t.Fatalf("tanh(%v) = %v, want %v", x, got[i], want)
		case math.IsNaN(want):
		case math.Signbit(got[i]) != math.Signbit(want) || !(math.Abs(got[i]-want) <= 4*ulp):
			t.Fatalf("tanh(%v) = %v, want %v within 4 ulp", x, got[i], want)
		}
	}
}

// layerCase is a layer and its input: W nOut x nIn, in nIn x cols (a view
// into a wider matrix when view), inputs with a share of zeros (MNIST's raw
// pixels) or of one repeated value (standardised pixels).
type layerCase struct {
	nIn, nOut, cols int
	view            bool
	repeated        float64 // the value of most inputs; NaN: none
}

func (c layerCase) String() string {
	return fmt.Sprintf("%d->%d x %d (view %v, repeated %v)", c.nIn, c.nOut, c.cols, c.view, c.repeated)
}

var layerCases = []layerCase{
	{784, 1000, 1, false, 0}, {784, 1000, 7, false, 0}, {784, 1000, 3, true, -0.42}, {784, 1000, 1, true, math.NaN()},
	{1000, 10, 1, false, math.NaN()}, {1000, 10, 100, false, math.NaN()}, {30, 20, 5, true, math.NaN()}, {20, 30, 1, false, math.NaN()},
}

// input returns c's input columns.
func (c layerCase) input(rng *rand.Rand) *mat.Dense {
	width := c.cols
	if c.view {
		width += 3
	}
	x := mattest.Rand(rng, c.nIn, width, 1)
	if !math.IsNaN(c.repeated) {
		for i, v := range x.RawMatrix().Data {
			if v < 0.6 { // four in five
				x.RawMatrix().Data[i] = c.repeated
			}
		}
	}
	if c.view {
		return x.Slice(0, c.nIn, 1, 1+c.cols).(*mat.Dense)
	}
	return x
}

// affine: AffineTo is w in + bias, with and without biases, on inputs that
// are views and mostly one value.
func affine(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(2, 7))
	for _, c := range layerCases {
		w := mattest.Rand(rng, c.nOut, c.nIn, 0.05)
		in := c.input(rng)
		for _, bias := range [][]float64{nil, mattest.Rand(rng, 1, c.nOut, 0.5).RawMatrix().Data} {
			var want mat.Dense
			want.Mul(w, in)
			for i, b := range bias {
				for j := range c.cols {
					want.Set(i, j, want.At(i, j)+b)
				}
			}
			a := mat.NewDense(c.nOut, c.cols, nil)
			k.AffineTo(a.RawMatrix(), w.RawMatrix(), in.RawMatrix(), bias)
			if err := within("a", a.RawMatrix().Data, want.RawMatrix().Data, 1e-12); err != nil {
				t.Errorf("%v bias %v: %v", c, bias != nil, err)
			}
		}
	}
}

// sparseOf returns the columns of x (a view too) as SparseCols around
// base: every entry that is not base, in ascending rows.
func sparseOf(x *mat.Dense, base float64) *models.SparseCols {
	r, c := x.Dims()
	var s models.SparseCols
	s.Reset(r, base)
	for j := range c {
		for i := range r {
			if v := x.At(i, j); v != base {
				s.Add(i, v-base)
			}
		}
		s.EndCol()
	}
	return &s
}

// sparseAffine: the sparse first layer is AffineTo of the dense columns it
// stands for (the inputs of layerCases around their repeated value, or
// around 0 where none repeats), with and without biases, for an empty
// column and a full one, and twice in a row with different weights (the
// layer reads w anew).
func sparseAffine(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(8, 7))
	for _, c := range layerCases {
		base := c.repeated
		if math.IsNaN(base) {
			base = 0
		}
		in := c.input(rng)
		if c.cols > 2 {
			for i := range c.nIn {
				in.Set(i, 0, base)            // an empty column
				in.Set(i, 1, rng.Float64()+2) // a full one
			}
		}
		sx := sparseOf(in, base)
		dense := mat.NewDense(c.nIn, c.cols, nil)
		sx.DenseTo(dense.RawMatrix())
		if !mat.Equal(dense, in) {
			t.Fatalf("%v: DenseTo does not give back the columns", c)
		}
		layer := k.NewSparseAffine(c.nIn, c.nOut)
		for _, bias := range [][]float64{nil, mattest.Rand(rng, 1, c.nOut, 0.5).RawMatrix().Data} {
			w := mattest.Rand(rng, c.nOut, c.nIn, 0.05)
			want := mat.NewDense(c.nOut, c.cols, nil)
			models.Reference{}.AffineTo(want.RawMatrix(), w.RawMatrix(), in.RawMatrix(), bias)
			a := mat.NewDense(c.nOut, c.cols, nil)
			layer.Run(a.RawMatrix(), w.RawMatrix(), sx, bias)
			if err := within("a", a.RawMatrix().Data, want.RawMatrix().Data, 1e-12); err != nil {
				t.Errorf("%v bias %v: %v", c, bias != nil, err)
			}
			// Load, then RunLoaded: Run's bits, with w and bias as Load
			// took them (both changed after it).
			layer.Load(w.RawMatrix(), base, bias)
			w0 := w.At(0, 0)
			w.Set(0, 0, w0+1)
			var b0 float64
			if bias != nil {
				b0 = bias[0]
				bias[0] = b0 + 1
			}
			loaded := mat.NewDense(c.nOut, c.cols, nil)
			layer.RunLoaded(loaded.RawMatrix(), sx)
			w.Set(0, 0, w0)
			if bias != nil {
				bias[0] = b0
			}
			if !mat.Equal(loaded, a) {
				t.Errorf("%v bias %v: Load then RunLoaded differs from Run", c, bias != nil)
			}
		}
	}
}

// update: UpdateTo is decay w + eta d inᵀ, for one example (a contiguous
// column or a column of a wider matrix) and for minibatches, with and
// without weight decay.
func update(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(3, 7))
	for _, c := range layerCases {
		d := mattest.Rand(rng, c.nOut, c.cols, 0.1)
		in := c.input(rng)
		for _, decay := range []float64{1, 1 - 1e-6, 0.9} {
			w := mattest.Rand(rng, c.nOut, c.nIn, 0.05)
			var want mat.Dense
			want.Mul(d, in.T())
			want.Scale(1e-3, &want)
			var decayed mat.Dense
			decayed.Scale(decay, w)
			want.Add(&want, &decayed)
			k.UpdateTo(w.RawMatrix(), decay, 1e-3, d.RawMatrix(), in.RawMatrix())
			if err := within("w", w.RawMatrix().Data, want.RawMatrix().Data, 1e-12); err != nil {
				t.Errorf("%v decay %v: %v", c, decay, err)
			}
		}
	}
}

// literalDI integrates DI as SCIENCE.md writes it, with gonum's products
// and math.Tanh.
func literalDI(r models.Rule, w, b, delta *mat.Dense) *mat.Dense {
	nOut, nIn := w.Dims()
	_, cols := delta.Dims()
	rx, ry := mat.NewDense(nIn, cols, nil), mat.NewDense(nOut, cols, nil)
	var gx, wgx, bry mat.Dense
	for range r.TSteps - 1 {
		gx.Apply(func(_, _ int, v float64) float64 { return g(r.G, v) }, rx)
		wgx.Mul(w, &gx)
		ry.Apply(func(i, j int, v float64) float64 { return v + r.DT*((-r.Leak*v+wgx.At(i, j))-delta.At(i, j)) }, ry)
		bry.Mul(b, ry)
		rx.Apply(func(i, j int, v float64) float64 { return v + r.DT*(-v+bry.At(i, j)) }, rx)
	}
	return rx
}

func g(f models.Transfer, v float64) float64 {
	if f == models.Tanh {
		return math.Tanh(v)
	}
	return v
}

// diLoop: the DI loop is its definition, for linear and tanh g, more and
// fewer inputs than outputs, one column and several, stable and random
// feedback, short and long.
func diLoop(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(4, 7))
	for _, sh := range [][3]int{{20, 10, 1}, {10, 20, 3}, {1000, 10, 1}, {30, 1, 4}, {250, 500, 2}} {
		nIn, nOut, cols := sh[0], sh[1], sh[2]
		w := mattest.Rand(rng, nOut, nIn, 1/math.Sqrt(float64(nIn)))
		delta := mattest.Rand(rng, nOut, cols, 1)
		for _, b := range []*mat.Dense{mattest.NegT(w), mattest.Rand(rng, nIn, nOut, 0.05)} {
			for _, tsteps := range []int{2, 60, 400} {
				for _, f := range []models.Transfer{models.Linear, models.Tanh} {
					r := models.Rule{Kind: models.DI, Leak: 0.01, G: f, DT: 0.5, TSteps: tsteps}
					got := mat.NewDense(nIn, cols, nil)
					k.NewDILoop(r, nIn, nOut, cols+1).Run(got.RawMatrix(), w.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), nil)
					if d := mattest.RelDiff(got, literalDI(r, w, b, delta)); !(d <= 1e-9) {
						t.Errorf("%v %v, %d steps: off the literal loop by %.3g", sh, f, tsteps, d)
					}
				}
			}
		}
	}
}

// literalSDI integrates SDI as SCIENCE.md writes it.
func literalSDI(r models.Rule, w1, w2, b, delta *mat.Dense) (r1, r2 *mat.Dense) {
	_, n1 := w1.Dims()
	n2, _ := w1.Dims()
	n3, _ := w2.Dims()
	_, cols := delta.Dims()
	r1, r2, rz := mat.NewDense(n1, cols, nil), mat.NewDense(n2, cols, nil), mat.NewDense(n3, cols, nil)
	var brz, g1, w1g, g2, w2g mat.Dense
	for range r.TSteps - 1 {
		brz.Mul(b, rz)
		r1.Apply(func(i, j int, v float64) float64 { return v + r.DT*(-v+brz.At(i, j)) }, r1)
		g1.Apply(func(_, _ int, v float64) float64 { return g(r.G, v) }, r1)
		w1g.Mul(w1, &g1)
		r2.Apply(func(i, j int, v float64) float64 { return v + r.DT*(-v+w1g.At(i, j)) }, r2)
		g2.Apply(func(_, _ int, v float64) float64 { return g(r.G, v) }, r2)
		w2g.Mul(w2, &g2)
		rz.Apply(func(i, j int, v float64) float64 { return v + r.DT*((-r.Leak*v+w2g.At(i, j))-delta.At(i, j)) }, rz)
	}
	return r1, r2
}

// sdiLoop: the SDI loop is its definition.
func sdiLoop(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(5, 7))
	for _, sh := range [][4]int{{30, 20, 10, 1}, {20, 10, 10, 3}, {784, 100, 10, 2}} {
		n1, n2, n3, cols := sh[0], sh[1], sh[2], sh[3]
		w1, w2 := mattest.Rand(rng, n2, n1, 1/math.Sqrt(float64(n1))), mattest.Rand(rng, n3, n2, 1/math.Sqrt(float64(n2)))
		var w21 mat.Dense
		w21.Mul(w2, w1)
		delta := mattest.Rand(rng, n3, cols, 1)
		for _, b := range []*mat.Dense{mattest.NegT(&w21), mattest.Rand(rng, n1, n3, 0.05)} {
			for _, tsteps := range []int{3, 60, 400} { // after fewer, r1 and r2 are still 0
				for _, f := range []models.Transfer{models.Linear, models.Tanh} {
					r := models.Rule{Kind: models.SDI, Leak: 0.01, G: f, DT: 0.5, TSteps: tsteps}
					d1, d2 := mat.NewDense(n1, cols, nil), mat.NewDense(n2, cols, nil)
					k.NewSDILoop(r, n1, n2, n3, cols).Run(d1.RawMatrix(), d2.RawMatrix(), w1.RawMatrix(), w2.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), nil)
					want1, want2 := literalSDI(r, w1, w2, b, delta)
					if d := max(mattest.RelDiff(d1, want1), mattest.RelDiff(d2, want2)); !(d <= 1e-9) {
						t.Errorf("%v %v, %d steps: off the literal loop by %.3g", sh, f, tsteps, d)
					}
				}
			}
		}
	}
}

// stop: a loop asked to stop ends at once, however many steps it has
// left, so that a cancelled run returns within a second.
func stop(t *testing.T, k models.Kernels) {
	var stop atomic.Bool
	stop.Store(true)
	const tsteps = 1 << 40
	rng := rand.New(rand.NewPCG(6, 7))
	w, delta := mattest.Rand(rng, 10, 1000, 0.01), mattest.Rand(rng, 10, 1, 1)
	b := mattest.NegT(w)
	for _, f := range []models.Transfer{models.Linear, models.Tanh} {
		start := time.Now()
		dst := mat.NewDense(1000, 1, nil)
		k.NewDILoop(models.Rule{Kind: models.DI, Leak: 0.01, G: f, TSteps: tsteps}, 1000, 10, 1).
			Run(dst.RawMatrix(), w.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), &stop)
		if d := time.Since(start); d > time.Second {
			t.Errorf("DI %v: took %v to stop", f, d)
		}
	}
	w1, w2 := mattest.Rand(rng, 1000, 784, 0.01), mattest.Rand(rng, 10, 1000, 0.01)
	start := time.Now()
	d1, d2 := mat.NewDense(784, 1, nil), mat.NewDense(1000, 1, nil)
	k.NewSDILoop(models.Rule{Kind: models.SDI, Leak: 0.01, G: models.Tanh, TSteps: tsteps}, 784, 1000, 10, 1).
		Run(d1.RawMatrix(), d2.RawMatrix(), w1.RawMatrix(), w2.RawMatrix(), mattest.Rand(rng, 784, 10, 0.01).RawMatrix(), delta.RawMatrix(), &stop)
	if d := time.Since(start); d > time.Second {
		t.Errorf("SDI: took %v to stop", d)
	}
}

// kernelsNoAllocs: the kernels allocate nothing per call, and a loop
// nothing after its construction.
func kernelsNoAllocs(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range layerCases {
		w, in := mattest.Rand(rng, c.nOut, c.nIn, 0.05), c.input(rng)
		a, h := mat.NewDense(c.nOut, c.cols, nil), mat.NewDense(c.nOut, c.cols, nil)
		bias := make([]float64, c.nOut)
		d := mattest.Rand(rng, c.nOut, c.cols, 0.1)
		for name, f := range map[string]func(){
			"AffineTo": func() { k.AffineTo(a.RawMatrix(), w.RawMatrix(), in.RawMatrix(), bias) },
			"UpdateTo": func() { k.UpdateTo(w.RawMatrix(), 1-1e-6, 1e-3, d.RawMatrix(), in.RawMatrix()) },
			"TanhTo":   func() { k.TanhTo(a.RawMatrix().Data, h.RawMatrix().Data) },
		} {
			if n := testing.AllocsPerRun(3, f); n != 0 {
				t.Errorf("%s %v: %v allocations per call", name, c, n)
			}
		}
	}
	for _, c := range layerCases {
		w, in := mattest.Rand(rng, c.nOut, c.nIn, 0.05), c.input(rng)
		a, bias := mat.NewDense(c.nOut, c.cols, nil), make([]float64, c.nOut)
		sx, layer := sparseOf(in, 0), k.NewSparseAffine(c.nIn, c.nOut)
		if n := testing.AllocsPerRun(3, func() { layer.Run(a.RawMatrix(), w.RawMatrix(), sx, bias) }); n != 0 {
			t.Errorf("sparse layer %v: %v allocations per call", c, n)
		}
	}
	w, b, delta := mattest.Rand(rng, 10, 30, 0.1), mattest.Rand(rng, 30, 10, 0.1), mattest.Rand(rng, 10, 4, 1)
	dst := mat.NewDense(30, 4, nil)
	for _, f := range []models.Transfer{models.Linear, models.Tanh} {
		loop := k.NewDILoop(models.Rule{Kind: models.DI, Leak: 0.01, G: f, TSteps: 20}, 30, 10, 4)
		if n := testing.AllocsPerRun(3, func() {
			loop.Run(dst.RawMatrix(), w.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), nil)
		}); n != 0 {
			t.Errorf("DI loop %v: %v allocations per call", f, n)
		}
	}
}

// net is a network and the parameters it trains with.
type net struct {
	name string
	p    models.Params
	spec models.NetSpec
	x, y *mat.Dense // a step's inputs and targets
}

// nets are small networks of the experiments' kinds: the nonlinear
// regression's, online; a classifier with a softmax output and weight
// decay, online; an autoencoder-like one with minibatches.
func nets() []net {
	rng := rand.New(rand.NewPCG(8, 7))
	regression := models.BaseParams()
	regression.Sizes, regression.Eta, regression.Bias, regression.BiasInit = []int{30, 20, 10, 10}, 0.01, true, 0.01
	regression.Clip, regression.SSALR = []float64{1, 1}, 0.5
	classifier := models.BaseParams()
	classifier.Sizes, classifier.Eta, classifier.WDecay, classifier.Bias, classifier.DIG = []int{784, 64, 10}, 1e-3, 1e-6, true, "layer"
	encoder := models.BaseParams()
	encoder.Sizes, encoder.Eta, encoder.WDecay, encoder.Bias, encoder.BatchSize = []int{50, 30, 8, 30, 50}, 1e-3, 1e-6, true, 8
	encoder.FbackScale, encoder.DIG = 0.1, "layer"
	x := mattest.Rand(rng, 784, 1, 1)
	for i, v := range x.RawMatrix().Data {
		if v < 0.6 {
			x.RawMatrix().Data[i] = -0.42 // most pixels are one value
		}
	}
	label := mat.NewDense(10, 1, nil)
	label.Set(3, 0, 1)
	ex := mattest.Rand(rng, 50, 8, 1)
	return []net{
		{"regression", regression, models.NetSpec{Sizes: regression.Sizes, Transfers: []models.Transfer{models.Tanh, models.Tanh, models.Linear}, Bias: true},
			mattest.Rand(rng, 30, 1, 1), mattest.Rand(rng, 10, 1, 0.1)},
		{"classifier", classifier, models.NetSpec{Sizes: classifier.Sizes, Transfers: []models.Transfer{models.Tanh, models.Linear}, Bias: true, Softmax: true},
			x, label},
		{"autoencoder", encoder, models.NetSpec{Sizes: encoder.Sizes, Transfers: []models.Transfer{models.Tanh, models.Linear, models.Tanh, models.Linear}, Bias: true},
			ex, ex},
	}
}

// rules is every rule that fits n, with neg-transpose feedback where it
// reads feedback, and random too on the online networks for the rules that
// are not re-stabilised (Step does not re-stabilise, and a random B seldom
// keeps a DI loop stable).
func (n net) rules() []models.Model {
	var ms []models.Model
	for _, r := range models.Kinds() {
		if r.Info().TwoLayers && len(n.p.Sizes) < 4 {
			continue
		}
		if !r.UsesFeedback() {
			ms = append(ms, models.Model{Name: r.String(), Kind: r})
			continue
		}
		ms = append(ms, models.Model{Name: r.String() + " neg-transpose", Kind: r, Feedback: models.NegTranspose, Leak: 0.01})
		if n.p.BatchSize == 1 && !r.Info().Restabilised {
			ms = append(ms, models.Model{Name: r.String() + " random", Kind: r, Feedback: models.Random, Leak: 0.1})
		}
	}
	return ms
}

// training: three training steps of every rule on k end where they end on
// Reference, the forward pass of the trained network too, and a step
// allocates nothing.
func training(t *testing.T, k models.Kernels) {
	ctx := context.Background()
	for _, n := range nets() {
		for _, m := range n.rules() {
			netK, trK, err := models.NewRun(ctx, n.p, m, 1, n.spec, models.TrainOptions{Kernels: k})
			if err != nil {
				t.Fatal(err)
			}
			netR, trR, err := models.NewRun(ctx, n.p, m, 1, n.spec, models.TrainOptions{Kernels: models.Reference{}})
			if err != nil {
				t.Fatal(err)
			}
			for step := range 3 {
				trK.Step(step, n.x, n.y, true)
				trR.Step(step, n.x, n.y, true)
			}
			for l := range netR.Layers {
				if d := mattest.RelDiff(netK.Layers[l].W, netR.Layers[l].W); !(d <= 1e-10) {
					t.Errorf("%s %s: layer %d's weights off Reference's by %.3g", n.name, m.Name, l, d)
				}
			}
			_, cols := n.x.Dims()
			outK := models.NewForward(k, n.p.Sizes, cols).Run(netK, n.x)
			outR := models.NewForward(models.Reference{}, n.p.Sizes, cols).Run(netR, n.x)
			if d := mattest.RelDiff(outK, outR); !(d <= 1e-10) {
				t.Errorf("%s %s: output off Reference's by %.3g", n.name, m.Name, d)
			}
			if a := testing.AllocsPerRun(2, func() { trK.Step(3, n.x, n.y, true) }); a != 0 {
				t.Errorf("%s %s: %v allocations per step", n.name, m.Name, a)
			}
		}
	}
}
