// Package numpytest reproduces the draws of numpy's legacy global generator
// (np.random.seed, uniform, normal, permutation: RandomState on MT19937)
// that the original scripts make, so that a test can replay the original's
// runs draw for draw.
package numpytest

import (
	"math"

	"gonum.org/v1/gonum/mathext/prng"
)

// State is numpy's legacy global generator after np.random.seed.
type State struct {
	mt       *prng.MT19937
	hasGauss bool
	gauss    float64
}

// New is np.random.seed(seed) for a seed below 2³².
func New(seed uint32) *State {
	mt := prng.NewMT19937()
	mt.Seed(uint64(seed)) // init_genrand, as numpy's mt19937_seed
	return &State{mt: mt}
}

// double is numpy's random_sample: 53 bits from two 32-bit outputs.
func (r *State) double() float64 {
	a, b := r.mt.Uint32()>>5, r.mt.Uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// Uniform is np.random.uniform(lo, hi, n), in row-major order for a shape.
func (r *State) Uniform(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*r.double()
	}
	return out
}

// Normal is np.random.normal(loc, scale, n): the legacy polar method,
// keeping the second value of each pair for the next call.
func (r *State) Normal(loc, scale float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = loc + scale*r.gaussian()
	}
	return out
}

// StdNormal is one draw of np.random.normal(0, 1), as Normal makes them.
func (r *State) StdNormal() float64 { return r.gaussian() }

func (r *State) gaussian() float64 {
	if r.hasGauss {
		r.hasGauss = false
		return r.gauss
	}
	var x1, x2, r2 float64
	for {
		x1 = 2*r.double() - 1
		x2 = 2*r.double() - 1
		r2 = x1*x1 + x2*x2
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(-2 * math.Log(r2) / r2)
	r.gauss, r.hasGauss = f*x1, true
	return f * x2
}

// Permutation is np.random.permutation(n): a Fisher-Yates shuffle of
// 0..n-1 from the top, each index drawn by masked rejection.
func (r *State) Permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.interval(uint32(i))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func (r *State) interval(max uint32) uint32 {
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		if v := r.mt.Uint32() & mask; v <= max {
			return v
		}
	}
}
