package models

import (
	"fmt"
	"math"
)

// validate checks the fields of a model that the experiment's code relies
// on: those its rule reads.
func (m Model) validate(exp string, p Params) error {
	bad := func(key, format string, args ...any) error {
		return &ParamError{Experiment: exp, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case m.Kind.UsesLeak() && !(m.Leak >= 0 && finite(m.Leak)):
		return bad("leak", "leak must not be negative, got %v", m.Leak)
	case m.Kind.UsesFeedback() && !finite(m.Gain):
		return bad("fback_gain", "fback_gain must be a finite number, got %v", m.Gain)
	case m.Kind.UsesFeedback() && !(p.FbackScale > 0 && finite(p.FbackScale)):
		return bad("fback_scale", "fback_scale must be positive, got %v", p.FbackScale)
	}
	return nil
}
