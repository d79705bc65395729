package cell

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"

	"dinv/models"
)

// Numerics is the version of the numerics shared by every experiment:
// bump it when a change alters the numbers a definition produces (a
// different draw, a different summation order that changes results), and
// only then; a change confined to one experiment bumps that experiment's
// own version instead (models.Definition.Numerics). It is part of
// every cell id, so that resuming never mixes cells computed two ways. The
// results file format is not: a change of the Parquet layout leaves every
// finished cell valid.
//
// In the hashed text it is still called "format", as it was when the file
// format's version held this place, so that every id written before it
// moved stays the same.
const Numerics = 1

// Def is what defines a cell: everything its numbers depend on. Fields a
// rule does not read are cleared by New and Set (Feedback, Gain and
// Params.FbackScale for rules without feedback, Leak for rules without a
// leak), so that grid axes over them collapse into one cell.
type Def struct {
	Experiment string
	Rule       models.Kind
	Feedback   models.FeedbackType // rules with feedback only
	Gain       float64             // rules with feedback only; 1 unless set
	Leak       float64             // rules with a leak only
	Seed       uint64
	Params     models.Params // the experiment's parameters, eta and w_decay included
}

// New is the definition of a cell of rule k on experiment exp with
// parameters p before any field is set: random feedback of gain 1, no leak.
func New(exp string, k models.Kind, p models.Params, seed uint64) Def {
	p.Sizes = slices.Clone(p.Sizes)
	p.Clip = slices.Clone(p.Clip)
	p.EvalSets = slices.Clone(p.EvalSets)
	d := Def{Experiment: exp, Rule: k, Gain: 1, Seed: seed, Params: p}
	d.clear()
	return d
}

// Set sets the field of v, if the definition's rule reads it.
func (d *Def) Set(v Value) {
	if v.Field.Name != "model_type" && !v.Field.Reads(d.Rule) {
		return
	}
	v.Field.set(d, v.v)
	d.clear()
}

func (d *Def) clear() {
	if !d.Rule.UsesFeedback() {
		d.Feedback, d.Gain, d.Params.FbackScale = 0, 0, 0
	}
	if !d.Rule.UsesLeak() {
		d.Leak = 0
	}
}

// Model is the models.Model the cell trains, called name.
func (d Def) Model(name string) models.Model {
	return models.Model{Name: name, Kind: d.Rule, Feedback: d.Feedback, Gain: d.Gain, Leak: d.Leak}
}

// ParamsJSON is the JSON text of the experiment parameters.
func (d Def) ParamsJSON() string {
	js, err := json.Marshal(d.Params)
	if err != nil {
		panic("cell: " + err.Error())
	}
	return string(js)
}

// FbackType is the feedback type's name, "" for a rule without feedback.
func (d Def) FbackType() string {
	if !d.Rule.UsesFeedback() {
		return ""
	}
	return d.Feedback.String()
}

// FbackGain is the feedback's gain, nil for a rule without feedback.
func (d Def) FbackGain() *float64 {
	if !d.Rule.UsesFeedback() {
		return nil
	}
	g := d.Gain
	return &g
}

// LeakOf is the leak, nil for a rule without one.
func (d Def) LeakOf() *float64 {
	if !d.Rule.UsesLeak() {
		return nil
	}
	l := d.Leak
	return &l
}

// Column is the value of field f in the cell, as a column holds it: nil
// (null) where the rule does not read f, else a string, float64, int64 or
// bool (lists as their JSON text).
func (d Def) Column(f *Field) any {
	if !f.Reads(d.Rule) {
		return nil
	}
	return d.value(f)
}

// InParams reports whether the field's value is kept in the experiment
// parameters (eta, w_decay, fback_scale and the parameters themselves).
func (f *Field) InParams() bool {
	return f.Param || f.Name == "eta" || f.Name == "w_decay" || f.Name == "fback_scale"
}

// ParamsValue is the value of field f (InParams) in p, as Column gives it.
func ParamsValue(p models.Params, f *Field) any {
	if !f.InParams() {
		panic("cell: ParamsValue of " + f.Name)
	}
	return Def{Params: p}.value(f)
}

func (d Def) value(f *Field) any {
	switch f.Name {
	case "model_type":
		return d.Rule.String()
	case "fback_type":
		return d.Feedback.String()
	case "leak":
		return d.Leak
	case "eta":
		return d.Params.Eta
	case "w_decay":
		return d.Params.WDecay
	case "fback_gain":
		return d.Gain
	case "fback_scale":
		return d.Params.FbackScale
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(d.ParamsJSON()), &all); err != nil {
		panic("cell: " + err.Error())
	}
	raw, ok := all[f.Name]
	switch {
	case !ok: // an omitempty zero
		switch f.Type {
		case "int64":
			return int64(0)
		case "float64":
			return 0.0
		case "bool":
			return false
		}
		if f.list {
			return "[]"
		}
		return ""
	case f.Type == "int64":
		v, _ := strconv.ParseInt(string(raw), 10, 64)
		return v
	case f.Type == "float64":
		v, _ := strconv.ParseFloat(string(raw), 64)
		return v
	case f.Type == "bool":
		return string(raw) == "true"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// idText is the text a cell id hashes. Its fields, their order and their
// JSON are those of the first version's definition, so that every id stays
// the same; do not change it without bumping Numerics, knowing that every
// finished cell of every folder then runs again.
type idText struct {
	Format     int           `json:"format"` // Numerics
	Experiment string        `json:"experiment"`
	ModelType  string        `json:"model_type"`
	FbackType  string        `json:"fback_type,omitempty"`
	FbackGain  *float64      `json:"fback_gain,omitempty"`
	Leak       *float64      `json:"leak,omitempty"`
	Eta        float64       `json:"eta"`
	WDecay     float64       `json:"w_decay"`
	Seed       uint64        `json:"seed"`
	Params     models.Params `json:"params"`
	// ExpNumerics is the experiment's own numerics version
	// (models.Definition.Numerics), omitted while zero so that the ids of
	// an experiment never bumped stay those of the first version.
	ExpNumerics int `json:"experiment_numerics,omitempty"`
}

// ID is the cell's identity: a hash of the definition, Numerics and the
// experiment's own numerics version (that of the registered experiment of
// the name; zero for a name that is not registered). encoding/json writes
// struct fields in order and floats in their shortest exact form, so equal
// definitions hash equally.
func (d Def) ID() string {
	var expNumerics int
	if e, err := models.LookupExperiment(d.Experiment); err == nil {
		expNumerics = e.Numerics()
	}
	js, err := json.Marshal(idText{
		Format: Numerics, Experiment: d.Experiment, ModelType: d.Rule.String(),
		FbackType: d.FbackType(), FbackGain: d.FbackGain(), Leak: d.LeakOf(),
		Eta: d.Params.Eta, WDecay: d.Params.WDecay, Seed: d.Seed, Params: d.Params.IDForm(),
		ExpNumerics: expNumerics,
	})
	if err != nil {
		panic("cell: " + err.Error())
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:8])
}
