package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// Propagator carries errors back across one layer with one rule. It owns
// the workspace of one layer shape (forward matrix W nOut x nIn, feedback B
// nIn x nOut) and up to maxBatch error columns: after the first call,
// PropagateTo allocates nothing. It must not be shared between goroutines.
type Propagator struct {
	rule                Rule
	nIn, nOut, maxBatch int

	ls   *linalg.LeastSquares // PBP: nOut x nIn; NDI: the k x k loop system
	prod []float64            // NDI: W B or B W (k x k)
	rhs  []float64            // NDI, nOut > nIn: B delta
	z    []float64            // NDI, nOut <= nIn: the solution before B
	di   DILoop               // DI: the loop, from the kernels

	stop *atomic.Bool // see SetStop
}

// SetStop makes DI's loop end early once *stop is true (see DILoop),
// leaving a meaningless result: a cancelled run then stops within a
// fraction of a second even when one step takes many.
func (p *Propagator) SetStop(stop *atomic.Bool) { p.stop = stop }

// NewPropagator returns a propagator for rule r across a layer with nIn
// inputs and nOut outputs, for up to maxBatch examples per call, whose DI
// loop runs on k (nil: Reference). SDI spans two layers: use
// NewSDIPropagator.
func NewPropagator(k Kernels, r Rule, nIn, nOut, maxBatch int) *Propagator {
	if nIn <= 0 || nOut <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	p := &Propagator{rule: r, nIn: nIn, nOut: nOut, maxBatch: maxBatch}
	n := min(nIn, nOut)
	switch r.Kind {
	case BP, FA:
	case PBP:
		p.ls = linalg.NewLeastSquares(nOut, nIn, maxBatch)
	case NDI:
		p.ls = linalg.NewLeastSquares(n, n, maxBatch)
		p.prod = make([]float64, n*n)
		if nOut <= nIn {
			p.z = make([]float64, n*maxBatch)
		} else {
			p.rhs = make([]float64, nIn*maxBatch)
		}
	case DI:
		p.di = kernelsOr(k).NewDILoop(r, nIn, nOut, maxBatch)
	case SDI:
		panic("models: SDI spans two layers: use NewSDIPropagator")
	default:
		panic("models: unknown rule")
	}
	return p
}

// Rule returns the propagator's rule.
func (p *Propagator) Rule() Rule { return p.rule }

// PropagateTo sets dst (nIn x batch) to the error that rule carries from
// delta (nOut x batch, one column per example) back across the layer with
// forward matrix w and feedback b (b is not read by BP and PBP and may be
// nil there). When dh (nIn x batch, the transfer derivative of the layer
// below) is not nil the result is multiplied by it elementwise where the
// rule applies f' (Kind.AppliesDeriv: not DI with tanh g, whose result
// already lives in pre-activation space).
func (p *Propagator) PropagateTo(dst, w, b, delta, dh *mat.Dense) {
	bs := p.checkDims(dst, w, b, delta, dh)
	d, W, D := dst.RawMatrix(), w.RawMatrix(), delta.RawMatrix()
	var B blas64.General
	if b != nil {
		B = b.RawMatrix()
	}
	switch p.rule.Kind {
	case BP:
		linalg.Gemm(blas.Trans, blas.NoTrans, 1, W, D, 0, d)
	case FA:
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, D, 0, d)
	case PBP:
		p.ls.SolveTo(dst, w, delta)
	case NDI:
		p.ndi(d, W, B, D, bs)
	case DI:
		p.di.Run(d, W, B, D, p.stop)
	}
	if dh != nil && p.rule.Kind.AppliesDeriv(p.rule.G) {
		h := dh.RawMatrix()
		for i := range p.nIn {
			row := d.Data[i*d.Stride : i*d.Stride+bs]
			for j, v := range h.Data[i*h.Stride : i*h.Stride+bs] {
				row[j] *= v
			}
		}
	}
}

func (p *Propagator) checkDims(dst, w, b, delta, dh *mat.Dense) int {
	wr, wc := w.Dims()
	dr, bs := delta.Dims()
	xr, xc := dst.Dims()
	ok := wr == p.nOut && wc == p.nIn && dr == p.nOut && xr == p.nIn && xc == bs && bs <= p.maxBatch
	if p.rule.Kind.UsesFeedback() {
		if b == nil {
			panic("models: " + p.rule.Kind.String() + " needs a feedback matrix")
		}
		br, bc := b.Dims()
		ok = ok && br == p.nIn && bc == p.nOut
	}
	if dh != nil {
		hr, hc := dh.Dims()
		ok = ok && hr == p.nIn && hc == bs
	}
	if !ok {
		panic("models: dimension mismatch")
	}
	return bs
}

// ndi solves the fixed point of linear DI directly:
// nOut <= nIn: dst = B lstsq(W B - alpha I, delta);
// nOut >  nIn: dst = lstsq(B W - alpha I, B delta).
func (p *Propagator) ndi(d, W, B, D blas64.General, bs int) {
	k := min(p.nIn, p.nOut)
	K := blas64.General{Rows: k, Cols: k, Stride: k, Data: p.prod}
	if p.nOut <= p.nIn {
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, W, B, 0, K)
	} else {
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, W, 0, K)
	}
	for i := range k {
		K.Data[i*k+i] -= p.rule.Leak
	}
	if p.nOut <= p.nIn {
		z := blas64.General{Rows: k, Cols: bs, Stride: bs, Data: p.z[:k*bs]}
		p.ls.SolveRawTo(z, K, D)
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, z, 0, d)
		return
	}
	rhs := blas64.General{Rows: p.nIn, Cols: bs, Stride: bs, Data: p.rhs[:p.nIn*bs]}
	linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, D, 0, rhs)
	p.ls.SolveRawTo(d, K, rhs)
}
