package cell

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"dinv/models"
)

// A Field is one thing a cell's definition holds that a configuration may
// set: a model field (model_type, fback_type, leak, eta, w_decay,
// fback_gain, fback_scale), set in a model entry, in defaults or as a grid
// axis, or an experiment parameter, set under params or as a grid axis.
type Field struct {
	Name string // the key in model entries, defaults and params, and the column's name
	Axis string // the key in grid
	Doc  string
	// Param says the field is an experiment parameter (a models.Params
	// field of JSON name Name): set under params, not as a model field.
	Param bool
	// Defaults says the field may be set in defaults (model_type may not).
	Defaults bool
	// Type is the column's type: "string", "float64", "int64" or "bool".
	// Lists are written as their JSON text.
	Type string

	list bool // a parameter that takes a list

	reads func(k models.Kind) bool
	parse func(x any) (any, error)
	set   func(d *Def, v any)
	valid []string // an enumeration's names, for suggestions
}

// Reads reports whether the numbers of rule k's cells depend on the field.
// Where they do not, the field is cleared from the definition (or, for an
// experiment parameter, kept at the model's value), so that the cells a grid
// axis over it would make collapse into one.
func (f *Field) Reads(k models.Kind) bool { return f.reads == nil || f.reads(k) }

// Valid lists the names an enumerated field accepts; nil for the others.
func (f *Field) Valid() []string { return f.valid }

// Parse checks x, a value as YAML decodes it (string, int, float64, bool,
// []any, map[string]any), and returns it as the field holds it. Only the
// type is checked here; ranges are the experiment's to check
// (models.Experiment.Check), on the definition the value makes.
func (f *Field) Parse(x any) (Value, error) {
	v, err := f.parse(x)
	if err != nil {
		return Value{}, err
	}
	return Value{Field: f, v: v}, nil
}

// A Value is a parsed value of a field.
type Value struct {
	Field *Field
	v     any // models.Kind, models.FeedbackType, float64, or a parameter's canonical JSON
}

// String is the value as plan and error messages show it.
func (v Value) String() string {
	switch x := v.v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.RawMessage:
		return string(x)
	}
	return fmt.Sprint(v.v)
}

// YAML is the value as the resolved sweep.yaml writes it.
func (v Value) YAML() any {
	switch x := v.v.(type) {
	case models.Kind, models.FeedbackType:
		return fmt.Sprint(x)
	case json.RawMessage:
		var out any
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			panic("cell: " + err.Error())
		}
		return yamlNumbers(out)
	}
	return v.v
}

// yamlNumbers turns json.Numbers into int64 or float64, which the YAML
// encoder writes as numbers.
func yamlNumbers(x any) any {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = yamlNumbers(x[i])
		}
	}
	return x
}

// Fields is the table, in the order a plan crosses grid axes and columns
// appear: the model fields, then the experiment parameters in the order of
// models.Params.
var Fields = func() []*Field {
	feedback := models.Kind.UsesFeedback
	fs := []*Field{
		{Name: "model_type", Axis: "model_type", Type: "string", Doc: "the learning rule",
			parse: enum(models.ParseKind), valid: names(models.Kinds()),
			set: func(d *Def, v any) { d.Rule = v.(models.Kind) }},
		{Name: "fback_type", Axis: "fback_type", Type: "string", Defaults: true, reads: feedback,
			Doc:   "how the feedback matrices start",
			parse: enum(models.ParseFeedback), valid: names(models.FeedbackTypes()),
			set: func(d *Def, v any) { d.Feedback = v.(models.FeedbackType) }},
		{Name: "leak", Axis: "leak_vals", Type: "float64", Defaults: true, reads: models.Kind.UsesLeak,
			Doc: "alpha, the leak of DI's loop", parse: number,
			set: func(d *Def, v any) { d.Leak = v.(float64) }},
		{Name: "eta", Axis: "eta", Type: "float64", Defaults: true, Doc: "the learning rate", parse: number,
			set: func(d *Def, v any) { d.Params.Eta = v.(float64) }},
		{Name: "w_decay", Axis: "w_decay", Type: "float64", Defaults: true, Doc: "weight decay per update", parse: number,
			set: func(d *Def, v any) { d.Params.WDecay = v.(float64) }},
		{Name: "fback_gain", Axis: "fback_gain", Type: "float64", Defaults: true, reads: feedback,
			Doc: "a factor on the feedback matrices", parse: nonZero,
			set: func(d *Def, v any) { d.Gain = v.(float64) }},
		{Name: "fback_scale", Axis: "fback_scale", Type: "float64", Defaults: true, reads: feedback,
			Doc: "the half-width of random feedback", parse: number,
			set: func(d *Def, v any) { d.Params.FbackScale = v.(float64) }},
	}
	taken := map[string]bool{}
	for _, f := range fs {
		taken[f.Name] = true
	}
	t := reflect.TypeFor[models.Params]()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || taken[name] {
			continue
		}
		f := &Field{Name: name, Axis: name, Param: true, Type: columnType(sf.Type), reads: paramReads[name],
			list: sf.Type.Kind() == reflect.Slice,
			Doc:  "experiment parameter " + name}
		f.parse = paramParser(f)
		f.set = func(d *Def, v any) {
			q, err := d.Params.Override(paramJSON(name, v.(json.RawMessage)))
			if err != nil {
				panic("cell: a parsed value does not apply: " + err.Error())
			}
			d.Params = q
		}
		fs = append(fs, f)
	}
	return fs
}()

// paramReads says which rules read an experiment parameter, where not all
// do, from the rule table: the loop's Euler step and length belong to the
// rules with a loop in time (DI, SDI), each with the parameter of its own g;
// the diagnostics' cadence to the rules that record them; the stability
// optimiser's settings to the rules with feedback (optim feedback, and DI's
// re-stabilisation).
var paramReads = map[string]func(models.Kind) bool{
	"dt":           func(k models.Kind) bool { return k.Info().Loop() },
	"tsteps":       func(k models.Kind) bool { return k.Info().Loop() },
	"di_g":         func(k models.Kind) bool { return k.Info().GParam == "di_g" },
	"sdi_g":        func(k models.Kind) bool { return k.Info().GParam == "sdi_g" },
	"diag_every":   func(k models.Kind) bool { return k.Info().Diagnostics },
	"optim_leak":   models.Kind.UsesFeedback,
	"ssa_lr":       models.Kind.UsesFeedback,
	"ssa_maxiters": models.Kind.UsesFeedback,
	"ssa_miniters": models.Kind.UsesFeedback,
	"ssa_retries":  models.Kind.UsesFeedback,
}

// Lookup returns the field whose key (in a model entry, defaults or params)
// is name, or nil.
func Lookup(name string) *Field {
	for _, f := range Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// LookupAxis returns the field whose grid key is name, or nil.
func LookupAxis(name string) *Field {
	for _, f := range Fields {
		if f.Axis == name {
			return f
		}
	}
	return nil
}

// ModelFields are the fields a model entry sets directly (the others go
// under its params).
func ModelFields() []*Field {
	return slices.DeleteFunc(slices.Clone(Fields), func(f *Field) bool { return f.Param })
}

// AxisNames are the grid keys, in table order.
func AxisNames() []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		out[i] = f.Axis
	}
	return out
}

func enum[T fmt.Stringer](parse func(string) (T, error)) func(any) (any, error) {
	return func(x any) (any, error) {
		s, ok := x.(string)
		if !ok {
			return nil, errWant("a string")
		}
		v, err := parse(s)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

func number(x any) (any, error) {
	switch x := x.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return nil, errWant("a number")
}

// nonZero is a number other than 0, which models.Model reads as its
// default.
func nonZero(x any) (any, error) {
	v, err := number(x)
	if err == nil && v == 0.0 {
		return nil, errors.New("must not be 0")
	}
	return v, err
}

// paramParser checks a value by decoding it into the parameter's field, and
// keeps the field's own JSON of it, so that 250 and 250.0 are one value.
func paramParser(f *Field) func(any) (any, error) {
	return func(x any) (any, error) {
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, errWant(f.kind())
		}
		var p models.Params
		q, err := p.Override(paramJSON(f.Name, raw))
		if err != nil {
			return nil, errWant(f.kind())
		}
		v := reflect.ValueOf(q)
		for i := range v.NumField() {
			if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); name == f.Name {
				canon, err := json.Marshal(v.Field(i).Interface())
				if err != nil {
					return nil, errWant(f.kind())
				}
				return json.RawMessage(canon), nil
			}
		}
		panic("cell: no field " + f.Name)
	}
}

func paramJSON(name string, v json.RawMessage) []byte {
	key, _ := json.Marshal(name)
	return []byte(fmt.Sprintf("{%s:%s}", key, v))
}

// kind describes what a parameter takes, for an error message.
func (f *Field) kind() string {
	t := reflect.TypeFor[models.Params]()
	for i := range t.NumField() {
		sf := t.Field(i)
		if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name == f.Name {
			switch sf.Type.Kind() {
			case reflect.Int:
				return "an integer"
			case reflect.Float64:
				return "a number"
			case reflect.Bool:
				return "true or false"
			case reflect.String:
				return "a string"
			case reflect.Slice:
				return "a list of " + map[reflect.Kind]string{reflect.Int: "integers", reflect.Float64: "numbers", reflect.String: "strings"}[sf.Type.Elem().Kind()]
			}
		}
	}
	return "a value"
}

func columnType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "int64"
	case reflect.Float64:
		return "float64"
	case reflect.Bool:
		return "bool"
	}
	return "string"
}

// WantError is a value of the wrong type; Want says what the field takes.
type WantError struct{ Want string }

func (e *WantError) Error() string { return "want " + e.Want }

func errWant(s string) error { return &WantError{s} }

func names[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// Index is the field's place in Fields.
func (f *Field) Index() int { return slices.Index(Fields, f) }

// Rule is the value of a model_type field.
func (v Value) Rule() models.Kind { return v.v.(models.Kind) }

// SetParam returns p with the experiment parameter of v set.
func SetParam(p models.Params, v Value) models.Params {
	if !v.Field.Param {
		panic("cell: SetParam of " + v.Field.Name)
	}
	d := Def{Params: p}
	v.Field.set(&d, v.v)
	return d.Params
}

// Fixed reports whether the results tables have a column for the field in
// every sweep; the others have one in the runs table of a sweep whose grid
// varies them.
func (f *Field) Fixed() bool {
	switch f.Name {
	case "model_type", "fback_type", "leak", "eta", "w_decay", "fback_gain":
		return true
	}
	return false
}
