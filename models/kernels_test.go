package models

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/models/internal/mattest"
)

// The reduction of the linear loop to the output dimension must agree with
// the direct loop.
func TestReducedLinearDIMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, sh := range [][2]int{{20, 10}, {1000, 10}, {30, 1}} {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 0.05)
		delta := mattest.Rand(rng, nOut, 3, 1)
		for _, b := range []*mat.Dense{mattest.NegT(w), mattest.Rand(rng, nIn, nOut, 0.5)} {
			r := Rule{Kind: DI, Leak: 0.01}
			p := NewPropagator(Reference{}, r, nIn, nOut, 3)
			if !p.di.(*refDI).reduced() {
				t.Fatalf("%v: expected the reduced loop", sh)
			}
			got := mat.NewDense(nIn, 3, nil)
			p.PropagateTo(got, w, b, delta, nil)
			q := NewPropagator(Reference{}, r, nIn, nOut, 3)
			q.di.(*refDI).noReduce = true
			want := mat.NewDense(nIn, 3, nil)
			q.PropagateTo(want, w, b, delta, nil)
			if d := mattest.RelDiff(got, want); !(d <= 1e-9) {
				t.Errorf("%v: reduced loop differs from direct by %.3g", sh, d)
			}
		}
	}
}
