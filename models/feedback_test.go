package models

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
	"dinv/models/internal/mattest"
)

func TestInitFeedback(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	w := mattest.Rand(rng, 10, 20, 0.5)
	b := mat.NewDense(20, 10, nil)
	p := mat.NewDense(20, 10, nil)
	linalg.PinvTo(p, w)
	var wp mat.Dense
	wp.Mul(w, p)
	if !mat.EqualApprox(&wp, eye(10), 1e-12) {
		t.Fatal("pinv: W W⁺ != I")
	}
	cases := []struct {
		f    Feedback
		want func(i, j int) float64
	}{
		{Feedback{Type: NegTranspose}, func(i, j int) float64 { return -w.At(j, i) }},
		{Feedback{Type: NegTranspose, Gain: 50}, func(i, j int) float64 { return -50 * w.At(j, i) }},
		{Feedback{Type: Transpose}, func(i, j int) float64 { return w.At(j, i) }},
		{Feedback{Type: Pseudoinv}, func(i, j int) float64 { return p.At(i, j) }},
		{Feedback{Type: NegPseudoinv, Gain: 2}, func(i, j int) float64 { return -2 * p.At(i, j) }},
		{Feedback{Type: Sign}, func(i, j int) float64 { return math.Copysign(1, w.At(j, i)) }},
		{Feedback{Type: NegSign}, func(i, j int) float64 { return -math.Copysign(1, w.At(j, i)) }},
	}
	for _, c := range cases {
		if _, err := InitFeedbackTo(b, w, c.f, rng, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			for j := range 10 {
				if got, want := b.At(i, j), c.want(i, j); math.Abs(got-want) > 1e-12 {
					t.Fatalf("%v gain %v: B[%d,%d] = %v, want %v", c.f.Type, c.f.Gain, i, j, got, want)
				}
			}
		}
	}
	// Random: within the scale, not constant, and reproducible from the seed.
	for _, s := range []float64{0, 0.01} {
		f := Feedback{Type: Random, Scale: s}
		InitFeedbackTo(b, w, f, rand.New(rand.NewPCG(9, 9)), nil)
		lim := f.scale()
		if mx := mat.Max(b); mx > lim || mx < lim/2 || mat.Min(b) < -lim {
			t.Errorf("random scale %v: range [%v, %v]", lim, mat.Min(b), mx)
		}
		again := mat.NewDense(20, 10, nil)
		InitFeedbackTo(again, w, f, rand.New(rand.NewPCG(9, 9)), nil)
		if !mat.Equal(b, again) {
			t.Errorf("random: not reproducible from the seed")
		}
	}
}

// optim starts small and random and ends stable for the leak it was asked.
func TestInitFeedbackOptim(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 5))
	w := mattest.Rand(rng, 10, 20, 0.5)
	b := mat.NewDense(20, 10, nil)
	res, err := InitFeedbackTo(b, w, Feedback{Type: Optim}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lm := linalg.LambdaMaxFull(w, b, 0); !(lm < 0) || math.Abs(lm-res.LambdaMax) > 1e-10 {
		t.Errorf("lambda_max %v (reported %v)", lm, res.LambdaMax)
	}
	// A failing optimisation is reported, not hidden.
	_, err = InitFeedbackTo(b, w, Feedback{Type: Optim, SSA: linalg.SSAParams{LR: 1e-9, MaxIters: 1, MinIters: 1}, Scale: 3}, rng, nil)
	if !errors.Is(err, linalg.ErrNotStable) {
		t.Errorf("got %v, want ErrNotStable", err)
	}
}

func TestParseNames(t *testing.T) {
	for _, k := range Kinds() {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	for _, f := range FeedbackTypes() {
		if got, err := ParseFeedback(f.String()); err != nil || got != f {
			t.Errorf("ParseFeedback(%q) = %v, %v", f, got, err)
		}
	}
	if _, err := ParseKind("BPP"); err == nil || err.Error() != `unknown model_type "BPP" (valid: BP, FA, PBP, NDI, DI, SDI)` {
		t.Errorf("ParseKind(BPP): %v", err)
	}
	if _, err := ParseFeedback("negtranspose"); err == nil {
		t.Error("ParseFeedback(negtranspose): no error")
	}
}

func TestAngles(t *testing.T) {
	if got := VecAngle([]float64{1, 0}, []float64{0, 2}); math.Abs(got-90) > 1e-12 {
		t.Errorf("orthogonal: %v", got)
	}
	// One ulp of the cosine near -1 moves the angle by ~1e-6 degrees.
	if got := VecAngle([]float64{1, 2}, []float64{-2, -4}); math.Abs(got-180) > 2e-5 {
		t.Errorf("antiparallel: %v", got)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	w := mattest.Rand(rng, 10, 20, 0.5)
	if got := AngleBNegWT(mattest.NegT(w), w); got > 1e-5 {
		t.Errorf("B = -Wᵀ: %v degrees", got)
	}
	b := mat.NewDense(20, 10, nil)
	b.Copy(w.T())
	if got := AngleBNegWT(b, w); math.Abs(got-180) > 1e-5 {
		t.Errorf("B = Wᵀ: %v degrees", got)
	}
	var negW mat.Dense
	negW.Scale(-1, w)
	b = mattest.Rand(rng, 20, 10, 0.5)
	if a, m := AngleBNegWT(b, w), MatAngle(b, &negW); math.Abs(a-m) > 1e-12 {
		t.Errorf("AngleBNegWT %v != MatAngle(B, -W) %v", a, m)
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

// The table of rules says what SCIENCE.md's table and the trainer say: which
// rules read B and the leak, which are re-stabilised and record the DI
// diagnostics, where f' applies, and that each rule has a colour of its own.
func TestRuleTable(t *testing.T) {
	for _, c := range []struct {
		k                                 Kind
		feedback, leak, restab, twoLayers bool
		derivLinear, derivTanh            bool
	}{
		{BP, false, false, false, false, true, true},
		{FA, true, false, false, false, true, true},
		{PBP, false, false, false, false, true, true},
		{NDI, true, true, false, false, true, true},
		{DI, true, true, true, false, true, false},
		{SDI, true, true, true, true, false, false},
	} {
		i := c.k.Info()
		if i.Feedback != c.feedback || i.Leak != c.leak || i.Restabilised != c.restab || i.Diagnostics != c.restab ||
			i.TwoLayers != c.twoLayers || c.k.AppliesDeriv(Linear) != c.derivLinear || c.k.AppliesDeriv(Tanh) != c.derivTanh {
			t.Errorf("%v: %+v", c.k, i)
		}
		if c.k.UsesFeedback() != c.feedback || c.k.UsesLeak() != c.leak {
			t.Errorf("%v: UsesFeedback %v, UsesLeak %v", c.k, c.k.UsesFeedback(), c.k.UsesLeak())
		}
	}
	colors := map[color.NRGBA]Kind{}
	for _, k := range Kinds() {
		c := k.Info().Color
		if other, ok := colors[c]; ok || c.A != 0xff {
			t.Errorf("%v: colour %v (also %v's, or not opaque)", k, c, other)
		}
		colors[c] = k
	}
	if got, want := Kind(len(Kinds())).String(), fmt.Sprintf("Kind(%d)", len(Kinds())); got != want {
		t.Errorf("an unknown rule is %q, want %q", got, want)
	}
}
