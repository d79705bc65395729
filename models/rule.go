package models

import (
	"fmt"
	"image/color"
	"strings"
)

// Kind is a learning rule: the paper's model_type.
type Kind int

// The rules of the paper, in its order. A rule is its constant here, its
// entry in rules below and its propagation code (a case of NewPropagator
// and Propagator.PropagateTo, or a propagator of its own as SDI's).
const (
	BP  Kind = iota // backpropagation: Wᵀ delta
	FA              // feedback alignment: B delta
	PBP             // pseudo-backprop: W⁺ delta
	NDI             // non-dynamic inversion: the fixed point of DI, solved directly
	DI              // dynamic inversion: the feedback loop integrated in time
	SDI             // single-loop DI across two layers
)

// RuleInfo is what the trainer, the sweeps and the figures know of a rule
// besides its propagation code.
type RuleInfo struct {
	Name string // the paper's model_type

	// Feedback: the rule reads a feedback matrix B, and so fback_type,
	// fback_gain and fback_scale.
	Feedback bool
	// Leak: the rule reads the leak alpha.
	Leak bool
	// Restabilised: after every update the trainer checks the stability of
	// each of the rule's loops and runs the stability optimiser again on
	// the B of a loop that has become unstable.
	Restabilised bool
	// Diagnostics: the rule records the DI diagnostics every diag_every
	// steps, for every layer with feedback: lambda_max, the angle between B
	// and -Wᵀ, and the angles between its delta and NDI's (and PBP's).
	Diagnostics bool
	// Deriv says, by the g of the rule's loop (Linear for a rule without
	// one), whether the rule multiplies the error it carries down by f',
	// the derivative of the transfer of the layer below. DI with tanh g
	// does not (its loop inverts the nonlinearity itself, so its answer is
	// already a pre-activation error); SDI never does (its loop's states
	// are the errors).
	Deriv [2]bool
	// TwoLayers: the rule spans the last two layers with one loop and one
	// B (layers below them propagate with BP); it needs three layers.
	TwoLayers bool
	// Color is the rule's colour in every figure (matplotlib's tab10,
	// which keeps these six apart in print and on screen).
	Color color.NRGBA

	// GParam is the JSON name of the parameter that names g inside the
	// rule's loop ("" for a rule without a loop).
	GParam string

	// g returns the parameter that names g inside the rule's loop (nil
	// for a rule without a loop): linear, tanh, or layer (the transfer of
	// the layer below).
	g func(p Params) string
}

// Loop reports whether the rule integrates a feedback loop in time, and so
// reads dt, tsteps and its GParam.
func (r RuleInfo) Loop() bool { return r.g != nil }

// always is Deriv of a rule that always applies f'.
var always = [2]bool{Linear: true, Tanh: true}

// rules holds, for each Kind, its properties.
var rules = [...]RuleInfo{
	BP: {
		Name:  "BP",
		Deriv: always,
		Color: color.NRGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	},
	FA: {
		Name:     "FA",
		Feedback: true,
		Deriv:    always,
		Color:    color.NRGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	},
	PBP: {
		Name:  "PBP",
		Deriv: always,
		Color: color.NRGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	},
	NDI: {
		Name:     "NDI",
		Feedback: true, Leak: true,
		Deriv: always,
		Color: color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	},
	DI: {
		Name:     "DI",
		Feedback: true, Leak: true, Restabilised: true, Diagnostics: true,
		Deriv:  [2]bool{Linear: true},
		Color:  color.NRGBA{0xd6, 0x27, 0x28, 0xff}, // red
		GParam: "di_g",
		g:      func(p Params) string { return p.DIG },
	},
	SDI: {
		Name:     "SDI",
		Feedback: true, Leak: true, Restabilised: true, Diagnostics: true,
		TwoLayers: true,
		Color:     color.NRGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
		GParam:    "sdi_g",
		g:         func(p Params) string { return p.SDIG },
	},
}

// Info returns the properties of rule k (the zero RuleInfo, but for its
// name, for a Kind that is none of the rules).
func (k Kind) Info() RuleInfo {
	if k < 0 || int(k) >= len(rules) {
		return RuleInfo{Name: fmt.Sprintf("Kind(%d)", int(k))}
	}
	return rules[k]
}

func (k Kind) String() string { return k.Info().Name }

// Kinds returns every rule, in the paper's order.
func Kinds() []Kind {
	ks := make([]Kind, len(rules))
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// ParseKind returns the rule named s (case-insensitive).
func ParseKind(s string) (Kind, error) {
	names := make([]string, len(rules))
	for k, r := range rules {
		if strings.EqualFold(s, r.Name) {
			return Kind(k), nil
		}
		names[k] = r.Name
	}
	return 0, fmt.Errorf("unknown model_type %q (valid: %s)", s, strings.Join(names, ", "))
}

// UsesFeedback reports whether the rule reads a feedback matrix B.
func (k Kind) UsesFeedback() bool { return k.Info().Feedback }

// UsesLeak reports whether the rule reads the leak alpha.
func (k Kind) UsesLeak() bool { return k.Info().Leak }

// AppliesDeriv reports whether the rule, with g inside its loop, multiplies
// the error it carries down by f' (see RuleInfo.Deriv).
func (k Kind) AppliesDeriv(g Transfer) bool { return k.Info().Deriv[g] }

// Transfer is a layer's nonlinearity, and for DI and SDI the function g
// inside the loop.
type Transfer int

// The transfer functions.
const (
	Linear Transfer = iota
	Tanh
)

func (t Transfer) String() string {
	switch t {
	case Linear:
		return "linear"
	case Tanh:
		return "tanh"
	}
	return fmt.Sprintf("Transfer(%d)", int(t))
}

// ParseTransfer returns the transfer function named s.
func ParseTransfer(s string) (Transfer, error) {
	switch strings.ToLower(s) {
	case "linear":
		return Linear, nil
	case "tanh":
		return Tanh, nil
	}
	return 0, fmt.Errorf("unknown transfer %q (valid: linear, tanh)", s)
}

// Rule configures how errors cross one layer (or, for SDI, two).
type Rule struct {
	Kind   Kind
	Leak   float64  // alpha, for NDI, DI and SDI
	G      Transfer // g inside the DI and SDI loops
	DT     float64  // Euler step of DI and SDI; 0 means DefaultDT
	TSteps int      // DI and SDI run TSteps-1 updates; 0 means DefaultTSteps
}

// The 2021 version of the paper's code; the 2020 version used dt 0.1 and
// 10000 steps.
const (
	DefaultDT     = 0.5
	DefaultTSteps = 1000
)

func (r Rule) dt() float64 {
	if r.DT == 0 {
		return DefaultDT
	}
	return r.DT
}

func (r Rule) tsteps() int {
	if r.TSteps == 0 {
		return DefaultTSteps
	}
	return r.TSteps
}
