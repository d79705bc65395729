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
	bt   []float64            // DI: Bᵀ, so that B y is a sum of long rows
	prod []float64            // NDI and reduced DI: W B or B W (k x k)
	rhs  []float64            // NDI, nOut > nIn: B delta
	z    []float64            // NDI, nOut <= nIn: the solution before B

	// DI states, one column per example.
	rx, ry, gx, wgx, bry, del []float64
	c, kc                     []float64 // the reduced linear loop

	noReduce bool         // for tests: integrate the linear loop directly
	stop     *atomic.Bool // see SetStop
}

// SetStop makes DI's loop end early once *stop is true (checked every
// stopEvery Euler steps), leaving a meaningless result: a cancelled run
// then stops within a fraction of a second even when one step takes many.
func (p *Propagator) SetStop(stop *atomic.Bool) { p.stop = stop }

// stopEvery is how many Euler steps DI and SDI take between looks at the
// stop flag: at most a few milliseconds on the largest layers.
const stopEvery = 16

// stopped reports whether the loop at Euler step t should end.
func stopped(stop *atomic.Bool, t int) bool { return stop != nil && t%stopEvery == 0 && stop.Load() }

// NewPropagator returns a propagator for rule r across a layer with nIn
// inputs and nOut outputs, for up to maxBatch examples per call. SDI spans
// two layers: use NewSDIPropagator.
func NewPropagator(r Rule, nIn, nOut, maxBatch int) *Propagator {
	if nIn <= 0 || nOut <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	p := &Propagator{rule: r, nIn: nIn, nOut: nOut, maxBatch: maxBatch}
	k := min(nIn, nOut)
	switch r.Kind {
	case BP, FA:
	case PBP:
		p.ls = linalg.NewLeastSquares(nOut, nIn, maxBatch)
	case NDI:
		p.ls = linalg.NewLeastSquares(k, k, maxBatch)
		p.prod = make([]float64, k*k)
		if nOut <= nIn {
			p.z = make([]float64, k*maxBatch)
		} else {
			p.rhs = make([]float64, nIn*maxBatch)
		}
	case DI:
		p.bt = make([]float64, nIn*nOut)
		p.rx = make([]float64, nIn*maxBatch)
		p.ry = make([]float64, nOut*maxBatch)
		p.del = make([]float64, nOut*maxBatch)
		p.wgx = make([]float64, nOut*maxBatch)
		p.bry = make([]float64, nIn*maxBatch)
		if r.G == Tanh {
			p.gx = make([]float64, nIn*maxBatch)
		}
		if p.reduced() {
			p.prod = make([]float64, nOut*nOut)
			p.c = make([]float64, nOut*maxBatch)
			p.kc = make([]float64, nOut*maxBatch)
		}
	case SDI:
		panic("models: SDI spans two layers: use NewSDIPropagator")
	default:
		panic("models: unknown rule")
	}
	return p
}

// Rule returns the propagator's rule.
func (p *Propagator) Rule() Rule { return p.rule }

// reduced reports whether DI takes the exact reduction of the linear loop to
// the output dimension. Starting from rx = 0, rx stays in the range of B:
// rx = B c with c in R^nOut, W rx = (W B) c, and the loop becomes
//
//	ry <- ry + dt(-alpha ry + (W B) c - delta)
//	c  <- c  + dt(-c + ry)
//
// whose cost per step is nOut² instead of 2 nIn nOut; rx = B c at the end.
func (p *Propagator) reduced() bool {
	return p.rule.Kind == DI && p.rule.G == Linear && p.nOut < p.nIn && !p.noReduce
}

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
		if p.reduced() {
			p.diReduced(d, W, B, D, bs)
		} else {
			p.diDirect(d, W, B, D, bs)
		}
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

// diDirect integrates the DI loop as written (forward Euler, tsteps-1
// updates from zero, ry first, then rx with the new ry):
//
//	ry <- ry + dt(-alpha ry + W g(rx) - delta)
//	rx <- rx + dt(-rx + B ry)
func (p *Propagator) diDirect(d, W, B, D blas64.General, bs int) {
	nIn, nOut := p.nIn, p.nOut
	dt, alpha := p.rule.dt(), p.rule.Leak
	rx := p.rx[:nIn*bs]
	ry := p.ry[:nOut*bs]
	del := p.del[:nOut*bs]
	wgx := p.wgx[:nOut*bs]
	bry := p.bry[:nIn*bs]
	clear(rx)
	clear(ry)
	copyRows(del, bs, D)
	src := rx
	var gx []float64
	if p.rule.G == Tanh {
		gx = p.gx[:nIn*bs]
		src = gx
	}
	gxM := blas64.General{Rows: nIn, Cols: bs, Stride: bs, Data: src}
	ryM := blas64.General{Rows: nOut, Cols: bs, Stride: bs, Data: ry}
	wgxM := blas64.General{Rows: nOut, Cols: bs, Stride: bs, Data: wgx}
	bryM := blas64.General{Rows: nIn, Cols: bs, Stride: bs, Data: bry}
	Bt := p.transposed(B)
	for t := 1; t < p.rule.tsteps() && !stopped(p.stop, t); t++ {
		if p.rule.G == Tanh {
			linalg.Tanh(gx, rx)
		}
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, W, gxM, 0, wgxM)
		for i, v := range ry {
			ry[i] = v + dt*((-alpha*v+wgx[i])-del[i])
		}
		linalg.Gemm(blas.Trans, blas.NoTrans, 1, Bt, ryM, 0, bryM)
		for i, v := range rx {
			rx[i] = v + dt*(-v+bry[i])
		}
	}
	storeRows(d, bs, rx)
}

// diReduced integrates the linear DI loop in the output dimension (see
// reduced) and sets dst = B c.
func (p *Propagator) diReduced(d, W, B, D blas64.General, bs int) {
	nOut := p.nOut
	dt, alpha := p.rule.dt(), p.rule.Leak
	K := blas64.General{Rows: nOut, Cols: nOut, Stride: nOut, Data: p.prod}
	linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, W, B, 0, K)
	c := p.c[:nOut*bs]
	kc := p.kc[:nOut*bs]
	ry := p.ry[:nOut*bs]
	del := p.del[:nOut*bs]
	clear(c)
	clear(ry)
	copyRows(del, bs, D)
	cM := blas64.General{Rows: nOut, Cols: bs, Stride: bs, Data: c}
	kcM := blas64.General{Rows: nOut, Cols: bs, Stride: bs, Data: kc}
	for t := 1; t < p.rule.tsteps() && !stopped(p.stop, t); t++ {
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, K, cM, 0, kcM)
		for i, v := range ry {
			ry[i] = v + dt*((-alpha*v+kc[i])-del[i])
		}
		for i, v := range c {
			c[i] = v + dt*(-v+ry[i])
		}
	}
	linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, cM, 0, d)
}

// transposed copies B into p.bt and returns it as an nOut x nIn matrix: the
// product B y is then a sum of long rows, which gonum does faster than many
// short dot products.
func (p *Propagator) transposed(B blas64.General) blas64.General {
	bt := p.bt[:p.nIn*p.nOut]
	for i := range p.nIn {
		for j, v := range B.Data[i*B.Stride : i*B.Stride+p.nOut] {
			bt[j*p.nIn+i] = v
		}
	}
	return blas64.General{Rows: p.nOut, Cols: p.nIn, Stride: p.nIn, Data: bt}
}

// copyRows copies the rows x cols matrix m into the contiguous buffer dst
// with row length cols.
func copyRows(dst []float64, cols int, m blas64.General) {
	for i := range m.Rows {
		copy(dst[i*cols:(i+1)*cols], m.Data[i*m.Stride:i*m.Stride+cols])
	}
}

// storeRows copies the contiguous buffer src, row length cols, into m.
func storeRows(m blas64.General, cols int, src []float64) {
	for i := range m.Rows {
		copy(m.Data[i*m.Stride:i*m.Stride+cols], src[i*cols:(i+1)*cols])
	}
}
