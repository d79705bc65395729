package models

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mathext/prng"
)

// numpyState reproduces the draws of numpy's legacy global generator
// (np.random.seed, uniform, normal, permutation: RandomState on MT19937)
// that the original scripts make, so that a test can replay the original's
// runs draw for draw.
type numpyState struct {
	mt       *prng.MT19937
	hasGauss bool
	gauss    float64
}

// newNumpyState is np.random.seed(seed) for a seed below 2³².
func newNumpyState(seed uint32) *numpyState {
	mt := prng.NewMT19937()
	mt.Seed(uint64(seed)) // init_genrand, as numpy's mt19937_seed
	return &numpyState{mt: mt}
}

// double is numpy's random_sample: 53 bits from two 32-bit outputs.
func (r *numpyState) double() float64 {
	a, b := r.mt.Uint32()>>5, r.mt.Uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// uniform is np.random.uniform(lo, hi, n), in row-major order for a shape.
func (r *numpyState) uniform(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*r.double()
	}
	return out
}

// normal is np.random.normal(loc, scale, n): the legacy polar method,
// keeping the second value of each pair for the next call.
func (r *numpyState) normal(loc, scale float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = loc + scale*r.gaussian()
	}
	return out
}

func (r *numpyState) gaussian() float64 {
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

// permutation is np.random.permutation(n): a Fisher-Yates shuffle of
// 0..n-1 from the top, each index drawn by masked rejection.
func (r *numpyState) permutation(n int) []int {
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

func (r *numpyState) interval(max uint32) uint32 {
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

// The expected values were printed by numpy 1.24.2 (Debian 12):
//
//	np.random.seed(3); np.random.uniform(-1,1,2); np.random.normal(0,1,3)
//	np.random.permutation(7); np.random.uniform(-.5,.5,1)
func TestNumpyState(t *testing.T) {
	r := newNumpyState(3)
	check := func(what string, got, want []float64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("uniform", r.uniform(-1, 1, 2), []float64{0.10159580514915101, 0.41629564523620965})
	// Go's math.Log is within one ulp, glibc's log (which numpy calls) is
	// correctly rounded: log(0.9035723685650978) differs in the last bit,
	// and so does the third normal.
	normal := r.normal(0, 1, 3)
	for i, want := range []float64{0.09649746807200862, -1.8634927033644908, -0.27738820251439905} {
		if got := normal[i]; got != want && got != math.Nextafter(want, math.Inf(1)) && got != math.Nextafter(want, math.Inf(-1)) {
			t.Errorf("normal[%d] = %v, want %v within one ulp", i, got, want)
		}
	}
	if got, want := r.permutation(7), []int{3, 2, 1, 5, 4, 0, 6}; !slices.Equal(got, want) {
		t.Errorf("permutation = %v, want %v", got, want)
	}
	check("uniform after", r.uniform(-0.5, 0.5, 1), []float64{-0.04682769887787075})
}
