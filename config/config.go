package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"dinv/models"
	_ "dinv/models/all" // the experiments a sweep file may name
)

// Config is one sweep file, checked and with every model's parameters
// resolved against the experiment's defaults.
type Config struct {
	File        string // as given to Load
	SHA256      string // of the file's bytes
	Sweep       string // names the results folder
	Experiment  *models.Experiment
	Description string
	DataDir     string // MNIST data folder; not part of any cell's identity

	Seeds    []uint64
	Base     models.Params // the experiment's defaults with the sweep's params applied
	Defaults Fields        // fallbacks for the model fields
	Models   []Model       // named variants; empty when the grid names model_type
	Grid     []Axis        // in AxisNames order, only the axes present

	// Warnings are things a reader should know that do not stop the sweep:
	// a model field that a grid axis overrides.
	Warnings []*Error

	line       map[string]int // top-level key -> line
	paramLines map[string]int // params key -> line
}

// Fields are the singular model fields; nil means not set.
type Fields struct {
	ModelType  *models.Kind
	FbackType  *models.FeedbackType
	Leak       *float64
	Eta        *float64
	WDecay     *float64
	FbackGain  *float64
	FbackScale *float64
}

// Model is one entry of models.
type Model struct {
	Name   string
	Fields               // ModelType is always set
	Params models.Params // Base with the entry's own params applied
	Line   int

	paramLines map[string]int // the entry's params key -> line
}

// Axis is one grid axis. Kinds holds model_type values, Feedback fback_type
// values and Values the numbers of the numeric axes.
type Axis struct {
	Name     string
	Kinds    []models.Kind
	Feedback []models.FeedbackType
	Values   []float64
	Line     int
}

// Len is the number of values on the axis.
func (a Axis) Len() int { return len(a.Kinds) + len(a.Feedback) + len(a.Values) }

// AxisNames are the grid's axes, in the order a plan crosses them.
var AxisNames = []string{"model_type", "fback_type", "leak_vals", "eta", "w_decay"}

// Line returns the line of a top-level key, or 0 when the file has none.
func (c *Config) Line(key string) int { return c.line[key] }

// ErrInvalid matches every configuration error (errors.Is).
var ErrInvalid = errors.New("invalid configuration")

// Error is a problem at one place of a configuration file.
type Error struct {
	File string
	Line int    // 0 when the problem is the file as a whole
	Key  string // dotted path, such as models[2].fback_type
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes every Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Errors are all the problems found in one file, in line order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As the single errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Load reads and checks the configuration file at path.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, src)
}

// Parse checks src, the contents of the file called name.
func Parse(name string, src []byte) (*Config, error) {
	sum := sha256.Sum256(src)
	r := &reader{file: name}
	c := &Config{File: name, SHA256: hex.EncodeToString(sum[:]), line: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, yamlError(name, src, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Errors{{File: name, Msg: "empty file (a sweep needs at least sweep, experiment, seeds and models or grid)"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		// An empty document ("---") has its null on the line after the
		// file's last: name the last.
		line := min(root.Line, len(yamlLines(src)))
		return nil, Errors{{File: name, Line: line, Msg: "want a mapping of sweep, experiment, seeds, params, defaults, models and grid"}}
	}
	r.read(c, root)
	if len(r.errs) > 0 {
		sort.SliceStable(r.errs, func(i, j int) bool { return r.errs[i].Line < r.errs[j].Line })
		return nil, r.errs
	}
	return c, nil
}

var topKeys = []string{"sweep", "experiment", "description", "data_dir", "seeds", "params", "defaults", "models", "grid"}
var modelKeys = []string{"name", "model_type", "fback_type", "leak", "eta", "w_decay", "fback_gain", "fback_scale", "params"}
var defaultKeys = []string{"fback_type", "leak", "eta", "w_decay", "fback_gain", "fback_scale"}

var sweepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

type reader struct {
	file string
	errs Errors
}

func (r *reader) errorf(line int, key, format string, args ...any) {
	r.errs = append(r.errs, &Error{File: r.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// mapping calls fn for every key of n in order, reporting unknown and
// repeated keys against the valid ones.
func (r *reader) mapping(n *yaml.Node, path string, valid []string, fn func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return true
		}
		r.errorf(n.Line, path, "want a mapping, got %s", describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if first, ok := seen[k.Value]; ok {
			r.errorf(k.Line, key, "repeated key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if valid != nil && !contains(valid, k.Value) {
			r.errorf(k.Line, key, "unknown key%s", suggest(k.Value, valid))
			continue
		}
		fn(k.Value, k, v)
	}
	return true
}

func (r *reader) read(c *Config, root *yaml.Node) {
	var params, defaults, modelsNode, grid, seeds *yaml.Node
	r.mapping(root, "", topKeys, func(key string, k, v *yaml.Node) {
		c.line[key] = k.Line
		switch key {
		case "sweep":
			if s, ok := r.str(v, key); ok {
				if !sweepName.MatchString(s) {
					r.errorf(v.Line, key, "%q is not a safe folder name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100)", s)
				}
				c.Sweep = s
			}
		case "experiment":
			if s, ok := r.str(v, key); ok {
				e, err := models.LookupExperiment(s)
				if err != nil {
					r.errorf(v.Line, key, "unknown experiment %q%s", s, suggest(s, models.Experiments()))
				}
				c.Experiment = e
			}
		case "description":
			c.Description, _ = r.str(v, key)
		case "data_dir":
			c.DataDir, _ = r.str(v, key)
		case "seeds":
			seeds = v
		case "params":
			params = v
		case "defaults":
			defaults = v
		case "models":
			modelsNode = v
		case "grid":
			grid = v
		}
	})
	for _, req := range []string{"sweep", "experiment", "seeds"} {
		if _, ok := c.line[req]; !ok {
			r.errorf(0, req, "missing (required)")
		}
	}
	if seeds != nil {
		c.Seeds = r.seeds(seeds)
	}
	if c.Experiment == nil {
		return // parameters cannot be checked without the experiment
	}
	c.Base = c.Experiment.Defaults()
	if params != nil {
		c.Base, c.paramLines = r.params(params, "params", c.Base)
	}
	if defaults != nil {
		r.mapping(defaults, "defaults", defaultKeys, func(key string, k, v *yaml.Node) {
			r.field(&c.Defaults, key, join("defaults", key), v)
		})
	}
	if grid != nil {
		r.grid(c, grid)
	}
	if modelsNode != nil {
		r.models(c, modelsNode)
	}
	hasKindAxis := false
	for _, a := range c.Grid {
		if a.Name == "model_type" {
			hasKindAxis = true
			if modelsNode != nil {
				r.errorf(a.Line, "grid.model_type", "cannot be combined with models: each model entry names its own model_type")
			}
		}
	}
	if modelsNode == nil && !hasKindAxis {
		r.errorf(0, "models", "missing: give models, or a grid with a model_type axis")
	}
	if len(r.errs) == 0 {
		r.check(c)
	}
}

func (r *reader) seeds(n *yaml.Node) []uint64 {
	if n.Kind != yaml.SequenceNode {
		r.errorf(n.Line, "seeds", "want a list of non-negative integers such as [0, 1, 2], got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		r.errorf(n.Line, "seeds", "empty list: give at least one seed")
	}
	var out []uint64
	seen := map[uint64]bool{}
	for i, v := range n.Content {
		key := fmt.Sprintf("seeds[%d]", i)
		s, err := strconv.ParseUint(v.Value, 0, 63) // the results tables keep seeds as int64
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil {
			r.errorf(v.Line, key, "want an integer from 0 to 2^63-1, got %s", describe(v))
			continue
		}
		if seen[s] {
			r.errorf(v.Line, key, "seed %d is listed twice", s)
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// paramNames are the JSON names of models.Params, the keys params accepts.
var paramNames = func() []string {
	var out []string
	t := reflect.TypeFor[models.Params]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}()

// params applies the mapping n to p, one key at a time so that each error
// names its line, and returns the line of every key.
func (r *reader) params(n *yaml.Node, path string, p models.Params) (models.Params, map[string]int) {
	lines := map[string]int{}
	r.mapping(n, path, nil, func(key string, k, v *yaml.Node) {
		full := join(path, key)
		lines[key] = k.Line
		switch {
		case key == "eta" || key == "w_decay":
			r.errorf(k.Line, full, "set %s in defaults, in a model entry or as a grid axis, not in params", key)
			return
		case key == "fback_scale":
			r.errorf(k.Line, full, "set fback_scale in defaults or in a model entry, not in params")
			return
		case !contains(paramNames, key):
			r.errorf(k.Line, full, "unknown parameter%s", suggest(key, paramNames))
			return
		}
		if _, err := strconv.ParseFloat(v.Value, 64); v.Kind == yaml.ScalarNode && errors.Is(err, strconv.ErrRange) {
			r.errorf(v.Line, full, "%s is beyond the range of a float64 (at most about 1.8e308, at least about 4.9e-324 in size)", v.Value)
			return
		}
		var val any
		if err := v.Decode(&val); err != nil {
			r.errorf(v.Line, full, "%v", err)
			return
		}
		js, err := json.Marshal(map[string]any{key: val})
		if err != nil {
			r.errorf(v.Line, full, "unsupported value %s", describe(v))
			return
		}
		q, err := p.Override(js)
		if err != nil {
			r.errorf(v.Line, full, "want %s, got %s", jsonKind(key), describe(v))
			return
		}
		p = q
	})
	return p, lines
}

// jsonKind describes the type of the Params field with JSON name key.
func jsonKind(key string) string {
	t := reflect.TypeFor[models.Params]()
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key {
			switch f.Type.Kind() {
			case reflect.Int:
				return "an integer"
			case reflect.Float64:
				return "a number"
			case reflect.Bool:
				return "true or false"
			case reflect.String:
				return "a string"
			case reflect.Slice:
				return "a list of " + map[reflect.Kind]string{reflect.Int: "integers", reflect.Float64: "numbers", reflect.String: "strings"}[f.Type.Elem().Kind()]
			}
		}
	}
	return "a value"
}

// field sets one singular model field from v.
func (r *reader) field(f *Fields, key, path string, v *yaml.Node) {
	switch key {
	case "model_type":
		if s, ok := r.str(v, path); ok {
			if k, ok := r.kind(v, path, s); ok {
				f.ModelType = &k
			}
		}
	case "fback_type":
		if s, ok := r.str(v, path); ok {
			if t, ok := r.feedback(v, path, s); ok {
				f.FbackType = &t
			}
		}
	case "leak":
		if x, ok := r.num(v, path); ok && r.inRange(v, path, x, "leak", 0, math.Inf(1), true) {
			f.Leak = &x
		}
	case "eta":
		if x, ok := r.num(v, path); ok && r.inRange(v, path, x, "eta", 0, math.Inf(1), false) {
			f.Eta = &x
		}
	case "w_decay":
		if x, ok := r.num(v, path); ok && r.inRange(v, path, x, "w_decay", 0, 1, true) {
			f.WDecay = &x
		}
	case "fback_gain":
		if x, ok := r.num(v, path); ok {
			if x == 0 {
				r.errorf(v.Line, path, "must not be 0")
			} else {
				f.FbackGain = &x
			}
		}
	case "fback_scale":
		if x, ok := r.num(v, path); ok && r.inRange(v, path, x, "fback_scale", 0, math.Inf(1), false) {
			f.FbackScale = &x
		}
	}
}

// inRange checks lo < x (or lo <= x when closedLo) and x < hi.
func (r *reader) inRange(v *yaml.Node, path string, x float64, name string, lo, hi float64, closedLo bool) bool {
	ok := x < hi && (x > lo || closedLo && x == lo)
	if !ok {
		switch {
		case !closedLo && math.IsInf(hi, 1):
			r.errorf(v.Line, path, "%s must be positive, got %v", name, x)
		case math.IsInf(hi, 1):
			r.errorf(v.Line, path, "%s must not be negative, got %v", name, x)
		default:
			r.errorf(v.Line, path, "%s must be in [%v, %v), got %v", name, lo, hi, x)
		}
	}
	return ok
}

func (r *reader) kind(v *yaml.Node, path, s string) (models.Kind, bool) {
	k, err := models.ParseKind(s)
	if err != nil {
		r.errorf(v.Line, path, "unknown model_type %q%s", s, suggest(s, names(models.Kinds())))
		return 0, false
	}
	return k, true
}

func (r *reader) feedback(v *yaml.Node, path, s string) (models.FeedbackType, bool) {
	t, err := models.ParseFeedback(s)
	if err != nil {
		r.errorf(v.Line, path, "unknown fback_type %q%s", s, suggest(s, names(models.FeedbackTypes())))
		return 0, false
	}
	return t, true
}

func (r *reader) grid(c *Config, n *yaml.Node) {
	r.mapping(n, "grid", AxisNames, func(key string, k, v *yaml.Node) {
		path := join("grid", key)
		a := Axis{Name: key, Line: k.Line}
		if v.Kind != yaml.SequenceNode {
			r.errorf(v.Line, path, "want a list of values, got %s", describe(v))
			return
		}
		if len(v.Content) == 0 {
			r.errorf(v.Line, path, "empty axis: give at least one value, or remove the axis")
			return
		}
		seen := map[string]bool{}
		for i, e := range v.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			var f Fields
			field := map[string]string{"leak_vals": "leak"}[key]
			if field == "" {
				field = key
			}
			before := len(r.errs)
			r.field(&f, field, p, e)
			if len(r.errs) > before {
				continue
			}
			var id string
			switch key {
			case "model_type":
				a.Kinds = append(a.Kinds, *f.ModelType)
				id = f.ModelType.String()
			case "fback_type":
				a.Feedback = append(a.Feedback, *f.FbackType)
				id = f.FbackType.String()
			case "leak_vals":
				a.Values = append(a.Values, *f.Leak)
			case "eta":
				a.Values = append(a.Values, *f.Eta)
			case "w_decay":
				a.Values = append(a.Values, *f.WDecay)
			}
			if id == "" {
				id = strconv.FormatFloat(a.Values[len(a.Values)-1], 'g', -1, 64)
			}
			if seen[id] {
				r.errorf(e.Line, p, "value %s is listed twice", id)
			}
			seen[id] = true
		}
		c.Grid = append(c.Grid, a)
	})
	sort.SliceStable(c.Grid, func(i, j int) bool {
		return indexOf(AxisNames, c.Grid[i].Name) < indexOf(AxisNames, c.Grid[j].Name)
	})
}

func (r *reader) models(c *Config, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		r.errorf(n.Line, "models", "want a list of model entries such as {name: BP, model_type: BP}, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		r.errorf(n.Line, "models", "empty list: give at least one model")
		return
	}
	axes := map[string]int{} // model field -> line of the grid axis that sets it
	for _, a := range c.Grid {
		field := a.Name
		if field == "leak_vals" {
			field = "leak"
		}
		axes[field] = a.Line
	}
	seen := map[string]int{}
	for i, e := range n.Content {
		path := fmt.Sprintf("models[%d]", i)
		m := Model{Line: e.Line, Params: c.Base}
		if e.Kind != yaml.MappingNode {
			r.errorf(e.Line, path, "want a model entry such as {name: BP, model_type: BP}, got %s", describe(e))
			continue
		}
		var params *yaml.Node
		before := len(r.errs)
		r.mapping(e, path, modelKeys, func(key string, k, v *yaml.Node) {
			p := join(path, key)
			switch key {
			case "name":
				m.Name, _ = r.str(v, p)
			case "params":
				params = v
			default:
				if line, ok := axes[key]; ok && key != "model_type" { // that clash has its own message
					c.Warnings = append(c.Warnings, &Error{File: r.file, Line: k.Line, Key: p,
						Msg: fmt.Sprintf("the grid axis on line %d crosses this model with its values; this one is not used", line)})
				}
				r.field(&m.Fields, key, p, v)
			}
		})
		if len(r.errs) > before || e.Kind != yaml.MappingNode {
			continue
		}
		if m.ModelType == nil {
			r.errorf(e.Line, path, "missing model_type (valid: %s)", strings.Join(names(models.Kinds()), ", "))
			continue
		}
		if m.Name == "" {
			m.Name = m.ModelType.String()
		}
		if strings.ContainsFunc(m.Name, unicode.IsControl) {
			r.errorf(e.Line, path+".name", "model name %q holds a control character (a tab or a line break would break the text tables)", m.Name)
			continue
		}
		if prev, ok := seen[m.Name]; ok {
			r.errorf(e.Line, path+".name", "duplicate model name %q (also on line %d)", m.Name, prev)
			continue
		}
		seen[m.Name] = e.Line
		if params != nil {
			m.Params, m.paramLines = r.params(params, path+".params", c.Base)
		}
		c.Models = append(c.Models, m)
	}
}

// check runs the experiment's own validation on every model the sweep
// makes, with the first value of each numeric axis, so that a plan never
// holds a cell that cannot start. An error about a parameter points at the
// line that set it: the entry's params, else the sweep's params, else (a
// default that does not suit the model) the entry.
func (r *reader) check(c *Config) {
	type entry struct {
		name   string
		path   string
		line   int
		kind   models.Kind
		params models.Params
		lines  map[string]int
	}
	var entries []entry
	for i, m := range c.Models {
		entries = append(entries, entry{"models entry " + strconv.Quote(m.Name), fmt.Sprintf("models[%d]", i), m.Line, *m.ModelType, m.Params, m.paramLines})
	}
	for _, a := range c.Grid {
		for _, k := range a.Kinds {
			entries = append(entries, entry{"grid.model_type " + k.String(), "", a.Line, k, c.Base, nil})
		}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		p := e.params
		p.Eta = 1 // eta is checked where it is set
		err := c.Experiment.Check(p, models.Model{Kind: e.kind})
		if err == nil {
			continue
		}
		line, key, msg := e.line, "", fmt.Sprintf("%s: %v", e.name, err)
		var pe *models.ParamError
		if errors.As(err, &pe) {
			if l, ok := e.lines[pe.Key]; ok {
				line, key, msg = l, e.path+".params."+pe.Key, err.Error()
			} else if l, ok := c.paramLines[pe.Key]; ok {
				line, key, msg = l, "params."+pe.Key, err.Error()
			}
		}
		if id := fmt.Sprint(line, key, msg); !seen[id] { // a sweep's params.dt fails every entry alike
			seen[id] = true
			r.errorf(line, key, "%s", msg)
		}
	}
}

// str reads a scalar as text.
func (r *reader) str(v *yaml.Node, path string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		r.errorf(v.Line, path, "want a string, got %s", describe(v))
		return "", false
	}
	return v.Value, true
}

// num reads a finite number.
func (r *reader) num(v *yaml.Node, path string) (float64, bool) {
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		var x float64
		if err := v.Decode(&x); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return x, true
		}
	}
	if _, err := strconv.ParseFloat(v.Value, 64); v.Kind == yaml.ScalarNode && errors.Is(err, strconv.ErrRange) {
		r.errorf(v.Line, path, "%s is beyond the range of a float64 (at most about 1.8e308, at least about 4.9e-324 in size)", v.Value)
		return 0, false
	}
	r.errorf(v.Line, path, "want a number, got %s", describe(v))
	return 0, false
}

// describe names a node's value for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (anchors, aliases and << merge keys are not supported: write the value out)"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("string %q", n.Value)
	case "!!bool":
		return "boolean " + n.Value
	}
	return n.Value
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a syntax error of yaml.v3 into an Error with the line.
func yamlError(file string, src []byte, err error) error {
	var out Errors
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			line, _ := strconv.Atoi(g[1])
			// yaml.v3 gives these errors the 0-based line of their context
			// (go-yaml's fail() adds 1 only for scanner errors without one).
			if strings.HasPrefix(g[2], "did not find expected") || strings.HasPrefix(g[2], "found a tab character") {
				line++
			}
			lines := yamlLines(src)
			line = min(line, len(lines)) // an error at the end of the file, after its last line
			msg := g[2]
			if line >= 1 && bytes.ContainsRune(lines[line-1], '\t') &&
				!strings.Contains(msg, "tab") {
				msg += " (the line holds a tab: YAML indents with spaces only)"
			}
			out = append(out, &Error{File: file, Line: line, Msg: msg})
			continue
		}
		out = append(out, &Error{File: file, Msg: strings.TrimPrefix(m, "yaml: ")})
	}
	return out
}

// yamlLines splits src into lines as YAML counts them: \r\n, \r and \n
// all end a line.
func yamlLines(src []byte) [][]byte {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	return bytes.Split(bytes.ReplaceAll(src, []byte("\r"), []byte("\n")), []byte("\n"))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func names[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// suggest returns " (did you mean "x"? valid: a, b, c)" for an unknown word.
func suggest(word string, valid []string) string {
	best, bestD := "", math.MaxInt
	lw := strings.ToLower(word)
	for _, v := range valid {
		lv := strings.ToLower(v)
		d := distance(lw, lv)
		if len(lv) >= 3 && (strings.HasPrefix(lw, lv) || strings.HasPrefix(lv, lw)) {
			d = min(d, 2) // leak_val -> leak, leak_vals
		}
		if d < bestD {
			best, bestD = v, d
		}
	}
	var b bytes.Buffer
	b.WriteString(" (")
	if best != "" && (bestD <= 2 || bestD <= len(word)/3) {
		fmt.Fprintf(&b, "did you mean %q? ", best)
	}
	b.WriteString("valid: " + strings.Join(valid, ", ") + ")")
	return b.String()
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
