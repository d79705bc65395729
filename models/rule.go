package models

import (
	"fmt"
	"strings"
)

// Kind is a learning rule: the paper's model_type.
type Kind int

// The rules of the paper.
const (
	BP  Kind = iota // backpropagation: Wᵀ delta
	FA              // feedback alignment: B delta
	PBP             // pseudo-backprop: W⁺ delta
	NDI             // non-dynamic inversion: the fixed point of DI, solved directly
	DI              // dynamic inversion: the feedback loop integrated in time
	SDI             // single-loop DI across two layers
)

var kindNames = [...]string{BP: "BP", FA: "FA", PBP: "PBP", NDI: "NDI", DI: "DI", SDI: "SDI"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Kinds returns every rule, in the paper's order.
func Kinds() []Kind { return []Kind{BP, FA, PBP, NDI, DI, SDI} }

// ParseKind returns the rule named s (case-insensitive).
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if strings.EqualFold(s, name) {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown model_type %q (valid: %s)", s, strings.Join(kindNames[:], ", "))
}

// UsesFeedback reports whether the rule reads a feedback matrix B.
func (k Kind) UsesFeedback() bool { return k == FA || k == NDI || k == DI || k == SDI }

// UsesLeak reports whether the rule reads the leak alpha.
func (k Kind) UsesLeak() bool { return k == NDI || k == DI || k == SDI }

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
