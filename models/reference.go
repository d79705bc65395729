package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"

	"dinv/linalg"
)

// Reference is the pure-Go implementation of Kernels, on gonum and
// linalg.Gemm (which the openblas build tag routes to OpenBLAS): the code
// that the reference vectors and the replays of the original were checked
// with, and the yardstick of every other implementation. It has no state:
// its zero value is ready, and it may be used by any number of runs at once.
type Reference struct{}

// AffineTo sets a = w in + bias: one product of the whole chunk of
// columns, then the bias.
func (Reference) AffineTo(a, w, in blas64.General, bias []float64) {
	linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, w, in, 0, a)
	if bias != nil {
		for i, b := range bias {
			row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
			for j := range row {
				row[j] += b
			}
		}
	}
}

// UpdateTo sets w = decay w + eta d inᵀ. For one example (and a contiguous
// column of inputs) decay and the rank-one update take one pass over W;
// otherwise W is scaled, then the product of the batch added.
func (Reference) UpdateTo(w blas64.General, decay, eta float64, d, in blas64.General) {
	switch {
	case d.Cols == 1 && in.Stride == 1:
		updateOne(w, decay, eta, d, in, decayRowTo)
	default:
		if decay != 1 {
			for i := range w.Rows {
				floats.Scale(decay, w.Data[i*w.Stride:i*w.Stride+w.Cols])
			}
		}
		linalg.Gemm(blas.NoTrans, blas.Trans, eta, d, in, 1, w)
	}
}

// updateOne is UpdateTo for one example (d one column, in contiguous):
// decay and the rank-one update in a single pass over W, each row by
// decayRow (row[j] = row[j]*decay + a*h[j]), or by gonum's axpy when
// decay is 1.
func updateOne(w blas64.General, decay, eta float64, d, in blas64.General, decayRow func(row []float64, decay, a float64, h []float64)) {
	h := in.Data[:in.Rows]
	for i := range w.Rows {
		a := eta * d.Data[i*d.Stride]
		row := w.Data[i*w.Stride : i*w.Stride+w.Cols]
		if decay == 1 {
			floats.AddScaled(row, a, h)
			continue
		}
		decayRow(row, decay, a, h[:len(row)])
	}
}

// decayRowTo sets row[j] = row[j]*decay + a*h[j], four elements a turn:
// a loop of one element a turn runs half as fast again when its few
// instructions straddle a 64-byte line, which depends on where the linker
// puts it; four a turn hold their speed wherever they land.
func decayRowTo(row []float64, decay, a float64, h []float64) {
	h = h[:len(row)]
	j := 0
	for ; j+4 <= len(row); j += 4 {
		r, x := row[j:j+4:j+4], h[j:j+4:j+4]
		r[0] = r[0]*decay + a*x[0]
		r[1] = r[1]*decay + a*x[1]
		r[2] = r[2]*decay + a*x[2]
		r[3] = r[3]*decay + a*x[3]
	}
	for ; j < len(row); j++ {
		row[j] = row[j]*decay + a*h[j]
	}
}

// TanhTo is linalg.Tanh, table-based and accurate to 1.01 ulp. Reference's
// DI and SDI loops call linalg.Tanh themselves.
func (Reference) TanhTo(dst, src []float64) { linalg.Tanh(dst, src) }

// NewDILoop returns a loop that integrates DI literally (B kept transposed,
// so that B r_y is a sum of long rows), or, for linear g with fewer outputs
// than inputs, the exact reduction of the loop to the output dimension.
func (Reference) NewDILoop(r Rule, nIn, nOut, maxBatch int) DILoop {
	if r.Kind != DI {
		panic("models: NewDILoop needs a DI rule")
	}
	if nIn <= 0 || nOut <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	p := &refDI{rule: r, nIn: nIn, nOut: nOut}
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
	return p
}

// NewSDILoop returns a loop that integrates SDI as written, one matrix
// product per state and Euler step.
func (Reference) NewSDILoop(r Rule, n1, n2, n3, maxBatch int) SDILoop {
	if r.Kind != SDI {
		panic("models: NewSDILoop needs an SDI rule")
	}
	if n1 <= 0 || n2 <= 0 || n3 <= 0 || maxBatch <= 0 {
		panic("models: non-positive dimension")
	}
	f := func(n int) []float64 { return make([]float64, n*maxBatch) }
	p := &refSDI{rule: r, n1: n1, n2: n2, n3: n3,
		r1: f(n1), r2: f(n2), rz: f(n3), w1g: f(n2), w2g: f(n3), brz: f(n1), del: f(n3)}
	if r.G == Tanh {
		p.g1, p.g2 = f(n1), f(n2)
	}
	return p
}

// refDI is Reference's DI loop of one layer shape.
type refDI struct {
	rule      Rule
	nIn, nOut int

	bt   []float64 // Bᵀ, so that B y is a sum of long rows
	prod []float64 // the reduced loop: W B (nOut x nOut)

	// States, one column per example.
	rx, ry, gx, wgx, bry, del []float64
	c, kc                     []float64 // the reduced linear loop

	noReduce bool // for tests: integrate the linear loop directly
}

func (p *refDI) Run(dst, w, b, delta blas64.General, stop *atomic.Bool) {
	bs := delta.Cols
	if p.reduced() {
		p.diReduced(dst, w, b, delta, bs, stop)
	} else {
		p.diDirect(dst, w, b, delta, bs, stop)
	}
}

// reduced reports whether DI takes the exact reduction of the linear loop to
// the output dimension. Starting from rx = 0, rx stays in the range of B:
// rx = B c with c in R^nOut, W rx = (W B) c, and the loop becomes
//
//	ry <- ry + dt(-alpha ry + (W B) c - delta)
//	c  <- c  + dt(-c + ry)
//
// whose cost per step is nOut² instead of 2 nIn nOut; rx = B c at the end.
func (p *refDI) reduced() bool {
	return p.rule.G == Linear && p.nOut < p.nIn && !p.noReduce
}

// diDirect integrates the DI loop as written (forward Euler, tsteps-1
// updates from zero, ry first, then rx with the new ry):
//
//	ry <- ry + dt(-alpha ry + W g(rx) - delta)
//	rx <- rx + dt(-rx + B ry)
func (p *refDI) diDirect(d, W, B, D blas64.General, bs int, stop *atomic.Bool) {
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
	for t := 1; t < p.rule.tsteps() && !stopped(stop, t); t++ {
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
func (p *refDI) diReduced(d, W, B, D blas64.General, bs int, stop *atomic.Bool) {
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
	for t := 1; t < p.rule.tsteps() && !stopped(stop, t); t++ {
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
func (p *refDI) transposed(B blas64.General) blas64.General {
	bt := p.bt[:p.nIn*p.nOut]
	for i := range p.nIn {
		for j, v := range B.Data[i*B.Stride : i*B.Stride+p.nOut] {
			bt[j*p.nIn+i] = v
		}
	}
	return blas64.General{Rows: p.nOut, Cols: p.nIn, Stride: p.nIn, Data: bt}
}

// refSDI is Reference's SDI loop of one shape.
type refSDI struct {
	rule       Rule
	n1, n2, n3 int

	r1, r2, rz, g1, g2, w1g, w2g, brz, del []float64
}

func (p *refSDI) Run(d1, d2, w1, w2, b, delta blas64.General, stop *atomic.Bool) {
	bs := delta.Cols
	dt, alpha := p.rule.dt(), p.rule.Leak
	r1, r2, rz := p.r1[:p.n1*bs], p.r2[:p.n2*bs], p.rz[:p.n3*bs]
	w1g, w2g, brz, del := p.w1g[:p.n2*bs], p.w2g[:p.n3*bs], p.brz[:p.n1*bs], p.del[:p.n3*bs]
	clear(r1)
	clear(r2)
	clear(rz)
	copyRows(del, bs, delta)
	g1, g2 := r1, r2
	if p.rule.G == Tanh {
		g1, g2 = p.g1[:p.n1*bs], p.g2[:p.n2*bs]
	}
	gen := func(r int, d []float64) blas64.General { return blas64.General{Rows: r, Cols: bs, Stride: bs, Data: d} }
	g1M, g2M, rzM := gen(p.n1, g1), gen(p.n2, g2), gen(p.n3, rz)
	w1gM, w2gM, brzM := gen(p.n2, w1g), gen(p.n3, w2g), gen(p.n1, brz)
	for t := 1; t < p.rule.tsteps() && !stopped(stop, t); t++ {
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, b, rzM, 0, brzM)
		for i, v := range r1 {
			r1[i] = v + dt*(-v+brz[i])
		}
		if p.rule.G == Tanh {
			linalg.Tanh(g1, r1)
		}
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, w1, g1M, 0, w1gM)
		for i, v := range r2 {
			r2[i] = v + dt*(-v+w1g[i])
		}
		if p.rule.G == Tanh {
			linalg.Tanh(g2, r2)
		}
		linalg.Gemm(blas.NoTrans, blas.NoTrans, 1, w2, g2M, 0, w2gM)
		for i, v := range rz {
			rz[i] = v + dt*((-alpha*v+w2g[i])-del[i])
		}
	}
	storeRows(d1, bs, r1)
	storeRows(d2, bs, r2)
}

// stopEvery is how many Euler steps DI and SDI take between looks at the
// stop flag: at most a few milliseconds on the largest layers.
const stopEvery = 16

// stopped reports whether the loop at Euler step t should end.
func stopped(stop *atomic.Bool, t int) bool { return stop != nil && t%stopEvery == 0 && stop.Load() }

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
