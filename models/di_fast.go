package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas64"
)

// fastDI is the DI loop of tanh g for one column, the online step of the
// MNIST classifier, with the two products of each Euler step in FMA loops:
// B r_y fused with the update of r_x (diRx32FMA, on B transposed), and
// W tanh(r_x) as one dot product per output (dot16FMA), or their
// pure-Go twins (fast_loops.go); tanh is Fast's (linalg.Tanh's bits).
// Any other call runs refDI's loop.
type fastDI struct {
	*refDI
}

func (p *fastDI) Run(dst, w, b, delta blas64.General, stop *atomic.Bool) {
	if delta.Cols != 1 || p.rule.G != Tanh {
		p.refDI.Run(dst, w, b, delta, stop)
		return
	}
	nIn, nOut := p.nIn, p.nOut
	dt, alpha := p.rule.dt(), p.rule.Leak
	rx, gx := p.rx[:nIn], p.gx[:nIn]
	ry, del, wgx := p.ry[:nOut], p.del[:nOut], p.wgx[:nOut]
	clear(rx)
	clear(ry)
	clear(wgx) // W tanh(0)
	copyRows(del, 1, delta)
	bt := p.transposed(b).Data // row j: column j of B
	blocks, groups := nIn/32, nIn/16
	tsteps := p.rule.tsteps()
	for t := 1; t < tsteps && !stopped(stop, t); t++ {
		for j, v := range ry {
			ry[j] = v + dt*((-alpha*v+wgx[j])-del[j])
		}
		diRx32(rx, bt, nIn, ry, blocks, dt)
		for i := 32 * blocks; i < nIn; i++ {
			var s float64
			for j, r := range ry {
				s += bt[j*nIn+i] * r
			}
			rx[i] += dt * (s - rx[i])
		}
		if t+1 == tsteps {
			break // the last step's W tanh(r_x) is not needed
		}
		Fast{}.TanhTo(gx, rx)
		for j := range wgx {
			row := w.Data[j*w.Stride : j*w.Stride+nIn]
			s := dot16(row, gx, groups)
			for i := 16 * groups; i < nIn; i++ {
				s += row[i] * gx[i]
			}
			wgx[j] = s
		}
	}
	storeRows(dst, 1, rx)
}
