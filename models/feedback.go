package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"dinv/linalg"
)

// FeedbackType is how a feedback matrix B starts: the paper's fback_type.
type FeedbackType int

// The feedback initialisations of the paper.
const (
	Random       FeedbackType = iota // uniform(-scale, scale)
	NegTranspose                     // -Wᵀ
	Transpose                        // Wᵀ
	Pseudoinv                        // pinv(W)
	NegPseudoinv                     // -pinv(W)
	Sign                             // sign(Wᵀ)
	NegSign                          // -sign(Wᵀ)
	Optim                            // uniform(-scale, scale), then made stable by SSA
)

var feedbackNames = [...]string{
	Random: "random", NegTranspose: "neg-transpose", Transpose: "transpose",
	Pseudoinv: "pseudoinv", NegPseudoinv: "neg-pseudoinv", Sign: "sign", NegSign: "neg-sign",
	Optim: "optim",
}

func (f FeedbackType) String() string {
	if f < 0 || int(f) >= len(feedbackNames) {
		return fmt.Sprintf("FeedbackType(%d)", int(f))
	}
	return feedbackNames[f]
}

// FeedbackTypes returns every feedback initialisation.
func FeedbackTypes() []FeedbackType {
	out := make([]FeedbackType, len(feedbackNames))
	for i := range out {
		out[i] = FeedbackType(i)
	}
	return out
}

// ParseFeedback returns the feedback type named s.
func ParseFeedback(s string) (FeedbackType, error) {
	for f, name := range feedbackNames {
		if strings.EqualFold(s, name) {
			return FeedbackType(f), nil
		}
	}
	return 0, fmt.Errorf("unknown fback_type %q (valid: %s)", s, strings.Join(feedbackNames[:], ", "))
}

// Feedback says how to build one layer's B.
type Feedback struct {
	Type FeedbackType
	// Scale is the half-width of the uniform draw of Random and of Optim's
	// starting point. Zero means 0.5 for Random and 0.01 for Optim.
	Scale float64
	// Gain multiplies the result (the linear experiment's FA-2 is
	// neg-transpose with gain 50). Zero means 1.
	Gain float64
	// Leak and SSA configure Optim: the alpha the loop is stabilised for and
	// the optimiser's settings (zero SSA means linalg.DefaultSSAParams).
	Leak float64
	SSA  linalg.SSAParams
}

func (f Feedback) scale() float64 {
	switch {
	case f.Scale != 0:
		return f.Scale
	case f.Type == Optim:
		return 0.01
	}
	return 0.5
}

// InitFeedbackTo sets b (nIn x nOut) to the feedback matrix f describes for
// the forward matrix w (nOut x nIn), drawing from rng where it is random.
// For Optim it runs the stability optimiser once (opt may be nil, then one is
// built) and returns its result; an unstable outcome is an error wrapping
// linalg.ErrNotStable, and the caller decides whether to draw again.
func InitFeedbackTo(b, w *mat.Dense, f Feedback, rng *rand.Rand, opt *linalg.Optimizer) (linalg.SSAResult, error) {
	return InitFeedbackContext(context.Background(), b, w, f, rng, opt)
}

// InitFeedbackContext is InitFeedbackTo with a context that stops the
// stability optimiser between its iterations.
func InitFeedbackContext(ctx context.Context, b, w *mat.Dense, f Feedback, rng *rand.Rand, opt *linalg.Optimizer) (linalg.SSAResult, error) {
	nOut, nIn := w.Dims()
	if r, c := b.Dims(); r != nIn || c != nOut {
		panic("models: dimension mismatch")
	}
	gain := f.Gain
	if gain == 0 {
		gain = 1
	}
	switch f.Type {
	case Random, Optim:
		s := f.scale()
		for i := range nIn {
			for j := range nOut {
				b.Set(i, j, s*(2*rng.Float64()-1))
			}
		}
	case NegTranspose, Transpose:
		b.Copy(w.T())
		if f.Type == NegTranspose {
			gain = -gain
		}
	case Pseudoinv, NegPseudoinv:
		linalg.PinvTo(b, w)
		if f.Type == NegPseudoinv {
			gain = -gain
		}
	case Sign, NegSign:
		for i := range nIn {
			for j := range nOut {
				b.Set(i, j, sign(w.At(j, i)))
			}
		}
		if f.Type == NegSign {
			gain = -gain
		}
	default:
		panic("models: unknown feedback type")
	}
	if f.Type == Optim {
		prm := f.SSA
		if prm == (linalg.SSAParams{}) {
			prm = linalg.DefaultSSAParams()
		}
		if opt == nil {
			opt = linalg.NewOptimizer(nIn, nOut)
		}
		res, err := opt.OptimizeContext(ctx, b, w, f.Leak, prm)
		if gain != 1 {
			b.Scale(gain, b)
		}
		return res, err
	}
	if gain != 1 {
		b.Scale(gain, b)
	}
	return linalg.SSAResult{}, nil
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return v // keeps 0 and NaN, as numpy.sign does
}
