package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// SDIPropagator runs single-loop dynamic inversion across two stacked layers
// W1 (n2 x n1) and W2 (n3 x n2) with one feedback matrix B (n1 x n3). It owns
// the workspace of one shape and up to maxBatch examples: after the first
// call, PropagateTo allocates nothing.
type SDIPropagator struct {
	rule           Rule
	n1, n2, n3, mb int

	r1, r2, rz, g1, g2, w1g, w2g, brz, del []float64

	stop *atomic.Bool // see SetStop
}

// NewSDIPropagator returns a propagator for the SDI rule r (r.Kind must be
// SDI) across layers of sizes n1 -> n2 -> n3.
func NewSDIPropagator(r Rule, n1, n2, n3, maxBatch int) *SDIPropagator {
	if r.Kind != SDI {
		panic("models: NewSDIPropagator needs an SDI rule")
	}
	if n1 <= 0 || n2 <= 0 || n3 <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	f := func(n int) []float64 { return make([]float64, n*maxBatch) }
	p := &SDIPropagator{rule: r, n1: n1, n2: n2, n3: n3, mb: maxBatch,
		r1: f(n1), r2: f(n2), rz: f(n3), w1g: f(n2), w2g: f(n3), brz: f(n1), del: f(n3)}
	if r.G == Tanh {
		p.g1, p.g2 = f(n1), f(n2)
	}
	return p
}

// Rule returns the propagator's rule.
func (p *SDIPropagator) Rule() Rule { return p.rule }

// SetStop makes the loop end early once *stop is true, as Propagator.SetStop.
func (p *SDIPropagator) SetStop(stop *atomic.Bool) { p.stop = stop }

// PropagateTo sets d1 (n1 x batch) and d2 (n2 x batch) to the states r1 and
// r2 of the loop driven by delta (n3 x batch), integrated from zero with
// tsteps-1 forward-Euler updates, each in this order:
//
//	r1 <- r1 + dt(-r1 + B rz)
//	r2 <- r2 + dt(-r2 + W1 g(r1))
//	rz <- rz + dt(-alpha rz + W2 g(r2) - delta)
//
// No transfer derivative is applied.
func (p *SDIPropagator) PropagateTo(d1, d2, w1, w2, b, delta *mat.Dense) {
	_, bs := delta.Dims()
	dims := func(m *mat.Dense, r, c int) bool { mr, mc := m.Dims(); return mr == r && mc == c }
	if bs > p.mb || !dims(delta, p.n3, bs) || !dims(d1, p.n1, bs) || !dims(d2, p.n2, bs) ||
		!dims(w1, p.n2, p.n1) || !dims(w2, p.n3, p.n2) || !dims(b, p.n1, p.n3) {
		panic("models: dimension mismatch")
	}
	dt, alpha := p.rule.dt(), p.rule.Leak
	r1, r2, rz := p.r1[:p.n1*bs], p.r2[:p.n2*bs], p.rz[:p.n3*bs]
	w1g, w2g, brz, del := p.w1g[:p.n2*bs], p.w2g[:p.n3*bs], p.brz[:p.n1*bs], p.del[:p.n3*bs]
	clear(r1)
	clear(r2)
	clear(rz)
	copyRows(del, bs, delta.RawMatrix())
	g1, g2 := r1, r2
	if p.rule.G == Tanh {
		g1, g2 = p.g1[:p.n1*bs], p.g2[:p.n2*bs]
	}
	gen := func(r int, d []float64) blas64.General { return blas64.General{Rows: r, Cols: bs, Stride: bs, Data: d} }
	g1M, g2M, rzM := gen(p.n1, g1), gen(p.n2, g2), gen(p.n3, rz)
	w1gM, w2gM, brzM := gen(p.n2, w1g), gen(p.n3, w2g), gen(p.n1, brz)
	W1, W2, B := w1.RawMatrix(), w2.RawMatrix(), b.RawMatrix()
	for t := 1; t < p.rule.tsteps() && !stopped(p.stop, t); t++ {
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, B, rzM, 0, brzM)
		for i, v := range r1 {
			r1[i] = v + dt*(-v+brz[i])
		}
		if p.rule.G == Tanh {
			linalg.Tanh(g1, r1)
		}
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, W1, g1M, 0, w1gM)
		for i, v := range r2 {
			r2[i] = v + dt*(-v+w1g[i])
		}
		if p.rule.G == Tanh {
			linalg.Tanh(g2, r2)
		}
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, W2, g2M, 0, w2gM)
		for i, v := range rz {
			rz[i] = v + dt*((-alpha*v+w2g[i])-del[i])
		}
	}
	storeRows(d1.RawMatrix(), bs, r1)
	storeRows(d2.RawMatrix(), bs, r2)
}
