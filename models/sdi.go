package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// SDIPropagator runs single-loop dynamic inversion across two stacked layers
// W1 (n2 x n1) and W2 (n3 x n2) with one feedback matrix B (n1 x n3). It owns
// the workspace of one shape and up to maxBatch examples: after the first
// call, PropagateTo allocates nothing.
type SDIPropagator struct {
	rule           Rule
	n1, n2, n3, mb int
	loop           SDILoop // from the kernels

	stop *atomic.Bool // see SetStop
}

// NewSDIPropagator returns a propagator for the SDI rule r (r.Kind must be
// SDI) across layers of sizes n1 -> n2 -> n3, whose loop runs on k (nil:
// Reference).
func NewSDIPropagator(k Kernels, r Rule, n1, n2, n3, maxBatch int) *SDIPropagator {
	if r.Kind != SDI {
		panic("models: NewSDIPropagator needs an SDI rule")
	}
	if n1 <= 0 || n2 <= 0 || n3 <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	return &SDIPropagator{rule: r, n1: n1, n2: n2, n3: n3, mb: maxBatch,
		loop: kernelsOr(k).NewSDILoop(r, n1, n2, n3, maxBatch)}
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
	p.loop.Run(d1.RawMatrix(), d2.RawMatrix(), w1.RawMatrix(), w2.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), p.stop)
}
