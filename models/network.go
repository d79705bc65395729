package models

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Layer is one dense layer: a = W h + b, h' = F(a).
type Layer struct {
	W    *mat.Dense // nOut x nIn
	Bias []float64  // nOut, or nil for a layer without biases
	F    Transfer
}

// Network is a feedforward network of dense layers. With Softmax the output
// is softmax(a_L) (the last layer's F is then ignored).
type Network struct {
	Layers  []Layer
	Softmax bool
}

// NetSpec describes a network's shape: Sizes[0] inputs, then one layer per
// further size, with transfer Transfers[l] for layer l (len(Sizes)-1 of them).
type NetSpec struct {
	Sizes     []int
	Transfers []Transfer
	Bias      bool
	Softmax   bool
}

// NewNetwork returns a network of spec's shape with zero weights.
func NewNetwork(spec NetSpec) *Network {
	if len(spec.Sizes) < 2 || len(spec.Transfers) != len(spec.Sizes)-1 {
		panic("models: network needs at least one layer and one transfer per layer")
	}
	n := &Network{Softmax: spec.Softmax}
	for l := 1; l < len(spec.Sizes); l++ {
		ly := Layer{W: mat.NewDense(spec.Sizes[l], spec.Sizes[l-1], nil), F: spec.Transfers[l-1]}
		if spec.Bias {
			ly.Bias = make([]float64, spec.Sizes[l])
		}
		n.Layers = append(n.Layers, ly)
	}
	return n
}

// Sizes returns the layer sizes, input first.
func (n *Network) Sizes() []int {
	s := []int{n.Layers[0].W.RawMatrix().Cols}
	for _, l := range n.Layers {
		s = append(s, l.W.RawMatrix().Rows)
	}
	return s
}

// Clone returns a deep copy.
func (n *Network) Clone() *Network {
	c := &Network{Softmax: n.Softmax, Layers: make([]Layer, len(n.Layers))}
	for i, l := range n.Layers {
		c.Layers[i] = Layer{W: mat.DenseCopyOf(l.W), F: l.F}
		if l.Bias != nil {
			c.Layers[i].Bias = append([]float64(nil), l.Bias...)
		}
	}
	return c
}

// InitUniform draws every weight from uniform(-scale, scale), layer by
// layer in row-major order; biases too when biasScale > 0, else they are 0.
func (n *Network) InitUniform(rng *rand.Rand, scale, biasScale float64) {
	for _, l := range n.Layers {
		FillUniform(l.W.RawMatrix().Data, rng, scale)
		if biasScale > 0 {
			FillUniform(l.Bias, rng, biasScale)
		} else {
			clear(l.Bias)
		}
	}
}

// InitOrthogonal sets each W to the first rows or columns of a
// Haar-distributed random orthogonal matrix (the autoencoder's
// 'orthogonal' initialisation); biases are 0.
func (n *Network) InitOrthogonal(rng *rand.Rand) { n.InitOrthogonalFrom(rng.NormFloat64) }

// InitOrthogonalFrom is InitOrthogonal with standard normal draws from
// normal: for each layer in turn, a k x k matrix (k the larger of its
// sizes) filled row by row, its QR factorisation, the columns of Q signed
// by R's diagonal, as scipy's ortho_group does it.
func (n *Network) InitOrthogonalFrom(normal func() float64) {
	for _, l := range n.Layers {
		r, c := l.W.Dims()
		k := max(r, c)
		g := mat.NewDense(k, k, nil)
		for i := range k {
			for j := range k {
				g.Set(i, j, normal())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q, rr mat.Dense
		qr.QTo(&q)
		qr.RTo(&rr)
		// Haar measure: fix the signs by the diagonal of R.
		for j := range k {
			if rr.At(j, j) < 0 {
				for i := range k {
					q.Set(i, j, -q.At(i, j))
				}
			}
		}
		l.W.Copy(q.Slice(0, r, 0, c))
		clear(l.Bias)
	}
}

// FillUniform sets x[0], x[1], ... in turn to draws from uniform(-s, s).
func FillUniform(x []float64, rng *rand.Rand, s float64) {
	for i := range x {
		x[i] = s * (2*rng.Float64() - 1)
	}
}

// Forward computes a network's activations for cols input columns at a
// time and holds them until the next Run. It owns its buffers: Run
// allocates nothing. It must not be shared between goroutines.
type Forward struct {
	k      Kernels
	sparse SparseAffine // the first layer's, for RunSparse
	loaded bool         // sparse holds the weights of a LoadSparse
	a, h   []*mat.Dense // per layer: pre-activation and output, n_l x cols
}

// NewForward returns the activations of a network of the given sizes
// (input first) for cols columns, computed by k (nil: Reference).
func NewForward(k Kernels, sizes []int, cols int) *Forward {
	f := &Forward{k: kernelsOr(k)}
	for _, s := range sizes[1:] {
		f.a = append(f.a, mat.NewDense(s, cols, nil))
		f.h = append(f.h, mat.NewDense(s, cols, nil))
	}
	return f
}

// NewSparseForward is NewForward for inputs given as SparseCols (RunSparse).
func NewSparseForward(k Kernels, sizes []int, cols int) *Forward {
	f := NewForward(k, sizes, cols)
	f.sparse = f.k.NewSparseAffine(sizes[0], sizes[1])
	return f
}

// Run computes every layer's activations for the input columns x (n0 x
// cols, a view of a wider matrix too) and returns the output (h of the
// last layer, softmax applied if any), which f owns.
func (f *Forward) Run(n *Network, x *mat.Dense) *mat.Dense {
	return f.run(n, x.RawMatrix(), nil, false)
}

// RunSparse is Run for the input columns x (cols of them), with the
// first layer's product visiting only the entries that differ from
// x.Base. f must come from NewSparseForward.
func (f *Forward) RunSparse(n *Network, x *SparseCols) *mat.Dense {
	if f.sparse == nil {
		panic("models: RunSparse of a Forward not made by NewSparseForward")
	}
	return f.run(n, blas64.General{}, x, false)
}

// LoadSparse readies f for RunSparseLoaded on columns around base: it
// takes the first layer's weights and bias of n as they are now, once for
// the chunks of an evaluation. f must come from NewSparseForward.
func (f *Forward) LoadSparse(n *Network, base float64) {
	if f.sparse == nil {
		panic("models: LoadSparse of a Forward not made by NewSparseForward")
	}
	ly := n.Layers[0]
	f.sparse.Load(ly.W.RawMatrix(), base, ly.Bias)
	f.loaded = true
}

// RunSparseLoaded is RunSparse with the first layer as the last
// LoadSparse took it (the other layers as n has them now), for columns
// around the loaded base. Any RunSparse in between ends the loading.
func (f *Forward) RunSparseLoaded(n *Network, x *SparseCols) *mat.Dense {
	if !f.loaded {
		panic("models: RunSparseLoaded without LoadSparse")
	}
	return f.run(n, blas64.General{}, x, true)
}

// run is Run, the first layer's input sparse if sx is not nil, and its
// weights the loaded ones if loaded.
func (f *Forward) run(n *Network, in blas64.General, sx *SparseCols, loaded bool) *mat.Dense {
	for l, ly := range n.Layers {
		a, h := f.a[l].RawMatrix(), f.h[l].RawMatrix()
		switch {
		case l == 0 && loaded:
			f.sparse.RunLoaded(a, sx)
		case l == 0 && sx != nil:
			f.sparse.Run(a, ly.W.RawMatrix(), sx, ly.Bias)
			f.loaded = false
		default:
			f.k.AffineTo(a, ly.W.RawMatrix(), in, ly.Bias)
		}
		last := l == len(n.Layers)-1
		switch {
		case last && n.Softmax:
			softmaxColumns(h, a)
		case ly.F == Tanh:
			f.k.TanhTo(h.Data[:len(a.Data)], a.Data)
		default:
			copy(h.Data, a.Data)
		}
		in = h
	}
	return f.h[len(n.Layers)-1]
}

// softmaxColumns sets each column of h to the softmax of a's column.
func softmaxColumns(h, a blas64.General) {
	for j := range a.Cols {
		mx := math.Inf(-1)
		for i := range a.Rows {
			mx = max(mx, a.Data[i*a.Stride+j])
		}
		var sum float64
		for i := range a.Rows {
			e := math.Exp(a.Data[i*a.Stride+j] - mx)
			h.Data[i*h.Stride+j] = e
			sum += e
		}
		for i := range a.Rows {
			h.Data[i*h.Stride+j] /= sum
		}
	}
}

// PreActivation returns the pre-activation a = W h + b of layer l (from 0)
// of the last Run, which f owns.
func (f *Forward) PreActivation(l int) *mat.Dense { return f.a[l] }

// derivTo sets dst to the transfer derivative of layer l at its
// pre-activation (1 - h² for tanh), and reports false for a linear layer
// (whose derivative is 1 and need not be applied).
func (f *Forward) derivTo(dst *mat.Dense, n *Network, l int) bool {
	if n.Layers[l].F != Tanh {
		return false
	}
	h, d := f.h[l].RawMatrix(), dst.RawMatrix()
	for i, v := range h.Data[:h.Rows*h.Cols] {
		d.Data[i] = 1 - v*v
	}
	return true
}
