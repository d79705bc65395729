package kerneltest

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
	"dinv/models"
	"dinv/models/internal/mattest"
)

// propagate carries delta across the layer (w, b) with rule r on k.
func propagate(k models.Kernels, r models.Rule, w, b, delta, dh *mat.Dense) *mat.Dense {
	nOut, nIn := w.Dims()
	_, bs := delta.Dims()
	dst := mat.NewDense(nIn, bs, nil)
	models.NewPropagator(k, r, nIn, nOut, bs).PropagateTo(dst, w, b, delta, dh)
	return dst
}

// Shapes with more inputs than outputs, fewer, and equal.
var testShapes = [][2]int{{20, 10}, {10, 20}, {10, 10}, {30, 10}}

// BP and FA are their formulas.
func bpAndFA(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range testShapes {
		nIn, nOut := sh[0], sh[1]
		w, b := mattest.Rand(rng, nOut, nIn, 0.5), mattest.Rand(rng, nIn, nOut, 0.5)
		delta, dh := mattest.Rand(rng, nOut, 3, 1), mattest.Rand(rng, nIn, 3, 1)
		var want mat.Dense
		want.Mul(w.T(), delta)
		want.MulElem(&want, dh)
		if d := mattest.RelDiff(propagate(k, models.Rule{Kind: models.BP}, w, nil, delta, dh), &want); d > 1e-14 {
			t.Errorf("BP %v: off by %.3g", sh, d)
		}
		want.Mul(b, delta)
		want.MulElem(&want, dh)
		if d := mattest.RelDiff(propagate(k, models.Rule{Kind: models.FA}, w, b, delta, dh), &want); d > 1e-14 {
			t.Errorf("FA %v: off by %.3g", sh, d)
		}
	}
}

// With B = -Wᵀ and alpha = 0, NDI is PBP (W⁺ = -Wᵀ(-W Wᵀ)⁻¹ for full row
// rank W, and (-WᵀW)⁻¹(-Wᵀ) for full column rank).
func ndiNegTransposeIsPBP(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, sh := range testShapes {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 0.5)
		delta := mattest.Rand(rng, nOut, 4, 1)
		ndi := propagate(k, models.Rule{Kind: models.NDI}, w, mattest.NegT(w), delta, nil)
		pbp := propagate(k, models.Rule{Kind: models.PBP}, w, nil, delta, nil)
		if d := mattest.RelDiff(ndi, pbp); d > 1e-11 {
			t.Errorf("%v: NDI(B=-Wᵀ, alpha=0) differs from PBP by %.3g", sh, d)
		}
	}
}

// The fixed point of linear DI is NDI: integrate long enough and they agree.
func linearDIFixedPointIsNDI(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(3, 2))
	for _, sh := range testShapes {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 0.5)
		delta := mattest.Rand(rng, nOut, 2, 1)
		for _, alpha := range []float64{0.05, 0.5} {
			b := mattest.NegT(w)
			r := models.Rule{Kind: models.DI, Leak: alpha, TSteps: 20000}
			if lm := linalg.LambdaMax(w, b, alpha); !(lm < -1e-3) {
				t.Fatalf("%v: test wants a stable loop, lambda_max %v", sh, lm)
			}
			di := propagate(k, r, w, b, delta, nil)
			ndi := propagate(k, models.Rule{Kind: models.NDI, Leak: alpha}, w, b, delta, nil)
			if d := mattest.RelDiff(di, ndi); d > 1e-9 {
				t.Errorf("%v alpha %v: DI fixed point differs from NDI by %.3g", sh, alpha, d)
			}
		}
	}
}

// A minibatch is the rule applied column by column.
func batchEqualsColumns(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(5, 2))
	const bs = 5
	for _, sh := range testShapes {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 0.3)
		b := mattest.NegT(w)
		delta, dh := mattest.Rand(rng, nOut, bs, 1), mattest.Rand(rng, nIn, bs, 1)
		for _, r := range allRules() {
			batch := propagate(k, r, w, b, delta, dh)
			p := models.NewPropagator(k, r, nIn, nOut, bs)
			col := mat.NewDense(nIn, 1, nil)
			for j := range bs {
				d := mat.DenseCopyOf(delta.Slice(0, nOut, j, j+1))
				h := mat.DenseCopyOf(dh.Slice(0, nIn, j, j+1))
				p.PropagateTo(col, w, b, d, h)
				if diff := mattest.RelDiff(col, batch.Slice(0, nIn, j, j+1)); diff > 1e-12 {
					t.Errorf("%v %v: column %d differs from the batch by %.3g", sh, r, j, diff)
				}
			}
		}
	}
}

func allRules() []models.Rule {
	return []models.Rule{
		{Kind: models.BP}, {Kind: models.FA}, {Kind: models.PBP},
		{Kind: models.NDI, Leak: 0.01}, {Kind: models.NDI},
		{Kind: models.DI, Leak: 0.01}, {Kind: models.DI, Leak: 0.01, G: models.Tanh},
	}
}

// After the first call no rule allocates, for one example and for a minibatch.
func propagateNoAllocs(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(6, 2))
	for _, sh := range [][3]int{{1000, 10, 1}, {20, 10, 1}, {10, 20, 1}, {500, 250, 100}, {30, 250, 100}} {
		nIn, nOut, bs := sh[0], sh[1], sh[2]
		w := mattest.Rand(rng, nOut, nIn, 0.01)
		b := mattest.Rand(rng, nIn, nOut, 0.01)
		delta, dh := mattest.Rand(rng, nOut, bs, 1), mattest.Rand(rng, nIn, bs, 1)
		dst := mat.NewDense(nIn, bs, nil)
		for _, r := range allRules() {
			if bs > 1 && r.Kind == models.DI {
				r.TSteps = 5 // the loop is the same every step
			}
			p := models.NewPropagator(k, r, nIn, nOut, bs)
			if a := testing.AllocsPerRun(3, func() { p.PropagateTo(dst, w, b, delta, dh) }); a != 0 {
				t.Errorf("%v %+v: %v allocations per call", sh, r, a)
			}
		}
	}
	w1, w2 := mattest.Rand(rng, 20, 30, 0.3), mattest.Rand(rng, 10, 20, 0.3)
	b := mattest.Rand(rng, 30, 10, 0.3)
	delta := mattest.Rand(rng, 10, 4, 1)
	d1, d2 := mat.NewDense(30, 4, nil), mat.NewDense(20, 4, nil)
	for _, g := range []models.Transfer{models.Linear, models.Tanh} {
		p := models.NewSDIPropagator(k, models.Rule{Kind: models.SDI, G: g, Leak: 0.01}, 30, 20, 10, 4)
		if a := testing.AllocsPerRun(3, func() { p.PropagateTo(d1, d2, w1, w2, b, delta) }); a != 0 {
			t.Errorf("SDI %v: %v allocations per call", g, a)
		}
	}
}

// DI with tanh g ignores dh (its answer is in pre-activation space); every
// other rule multiplies by it.
func transferDerivative(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(7, 2))
	w := mattest.Rand(rng, 10, 20, 0.3)
	b := mattest.NegT(w)
	delta := mattest.Rand(rng, 10, 1, 1)
	dh := mattest.Rand(rng, 20, 1, 1)
	for _, r := range allRules() {
		with, without := propagate(k, r, w, b, delta, dh), propagate(k, r, w, b, delta, nil)
		want := mat.DenseCopyOf(without)
		if !(r.Kind == models.DI && r.G == models.Tanh) {
			want.MulElem(want, dh)
		}
		if !mat.Equal(with, want) {
			t.Errorf("%+v: dh applied wrongly", r)
		}
	}
}

// SDI's fixed point with linear g: the loop settles where r1 = B rz,
// r2 = W1 r1 and W2 r2 - alpha rz = delta.
func sdiFixedPoint(t *testing.T, k models.Kernels) {
	rng := rand.New(rand.NewPCG(8, 2))
	w1, w2 := mattest.Rand(rng, 20, 30, 0.3), mattest.Rand(rng, 10, 20, 0.3)
	var w21 mat.Dense
	w21.Mul(w2, w1)
	b := mattest.NegT(&w21) // B = -(W2 W1)ᵀ
	delta := mattest.Rand(rng, 10, 1, 1)
	d1, d2 := mat.NewDense(30, 1, nil), mat.NewDense(20, 1, nil)
	const alpha = 0.1
	models.NewSDIPropagator(k, models.Rule{Kind: models.SDI, Leak: alpha, TSteps: 40000}, 30, 20, 10, 1).PropagateTo(d1, d2, w1, w2, b, delta)
	// r1 = B rz with (W2 W1 B - alpha I) rz = delta.
	var m mat.Dense
	m.Mul(&w21, b)
	for i := range 10 {
		m.Set(i, i, m.At(i, i)-alpha)
	}
	var rz, want1, want2 mat.Dense
	if err := rz.Solve(&m, delta); err != nil {
		t.Fatal(err)
	}
	want1.Mul(b, &rz)
	want2.Mul(w1, &want1)
	if d := mattest.RelDiff(d1, &want1); d > 1e-8 {
		t.Errorf("r1 off by %.3g", d)
	}
	if d := mattest.RelDiff(d2, &want2); d > 1e-8 {
		t.Errorf("r2 off by %.3g", d)
	}
}
