package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"dinv/cell"
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
	SaveWeights bool   // keep each finished cell's weights as DIR/weights/<id>.npz; not part of any cell's identity

	Seeds      []uint64
	SampleSeed uint64        // the seed of the grid's drawn axes
	Base       models.Params // the experiment's defaults with the sweep's params applied
	Defaults   []cell.Value  // fallbacks for the model fields, in cell.Fields order
	Models     []Model       // named variants; empty when the grid names model_type
	Grid       []Axis        // in cell.Fields order, only the axes present

	// Warnings are things a reader should know that do not stop the sweep:
	// a model field that a grid axis overrides.
	Warnings []*Error

	// Sets are the command-line overrides applied to the file, in order.
	Sets []*Set

	line         map[string]int // top-level key -> line
	paramLines   map[string]int // params key -> line
	defaultLines map[string]int // defaults key -> line
}

// Model is one entry of models, or one value of a model_type axis.
type Model struct {
	Name   string
	Rule   models.Kind
	Fields []cell.Value  // the entry's own model fields, model_type aside, in cell.Fields order
	Params models.Params // Base with the entry's own params applied
	Line   int

	path  string         // models[i], or "" for a model_type axis
	lines map[string]int // the entry's keys (its fields and its params' keys) -> line
}

// Axis is one grid axis: a cell field, and the values it takes.
type Axis struct {
	Field  *cell.Field
	Values []cell.Value
	Line   int    // of the key
	Lines  []int  // of each value
	Drawn  string // how the values were drawn ("log_uniform [0.0001, 0.1], 8 samples"); empty when listed
	Zip    int    // 1 + the index of its group in zip; 0 when crossed

	partial bool // some values did not read: an error is reported
}

// Name is the axis's key in grid.
func (a Axis) Name() string { return a.Field.Axis }

// Len is the number of values on the axis.
func (a Axis) Len() int { return len(a.Values) }

// Variants are the models the sweep crosses with its grid: the model
// entries, or one model per value of a model_type axis.
func (c *Config) Variants() []Model {
	out := append([]Model(nil), c.Models...)
	for _, a := range c.Grid {
		if a.Field.Name != "model_type" {
			continue
		}
		for i, v := range a.Values {
			k := v.Rule()
			out = append(out, Model{Name: k.String(), Rule: k, Params: c.Base, Line: a.Lines[i]})
		}
	}
	return out
}

// Axes are the grid's axes other than model_type, in crossing order.
func (c *Config) Axes() []Axis {
	var out []Axis
	for _, a := range c.Grid {
		if a.Field.Name != "model_type" {
			out = append(out, a)
		}
	}
	return out
}

// Line returns the line of a top-level key, or 0 when the file has none;
// a negative line -N is one that override N made (see Where and Errorf).
func (c *Config) Line(key string) int { return c.line[key] }

// Errorf is an error at line of c's file (a line of Line, an Axis or a
// Model), naming the override that made the line when one did.
func (c *Config) Errorf(line int, key, format string, args ...any) *Error {
	return newError(c.File, c.Sets, line, key, fmt.Sprintf(format, args...))
}

func newError(file string, sets []*Set, line int, key, msg string) *Error {
	e := &Error{File: file, Line: line, Key: key, Msg: msg}
	if line < 0 {
		e.Line = 0
		if n := -line; n <= len(sets) {
			e.Set = sets[n-1]
		}
	}
	return e
}

// ErrInvalid matches every configuration error (errors.Is).
var ErrInvalid = errors.New("invalid configuration")

// Error is a problem at one place of a configuration file.
type Error struct {
	File string
	Line int    // 0 when the problem is the file as a whole
	Key  string // dotted path, such as models[2].fback_type
	Msg  string
	Set  *Set // the command-line override the problem is in, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Set != nil {
		b.WriteString(e.Set.String() + ": ")
	}
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

// Load reads and checks the configuration file at path, with the
// command-line overrides sets (KEY=VALUE, see Set) applied.
func Load(path string, sets ...string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, src, sets...)
}

// Parse checks src, the contents of the file called name, with the
// overrides sets applied to its YAML tree before anything is checked.
// SHA256 is the file's hash when there are none, else the hash of the file
// followed by a line "-set KEY=VALUE" per override: the runs table's
// config_sha256 tells an overridden sweep from the file's own.
func Parse(name string, src []byte, sets ...string) (*Config, error) {
	h := sha256.New()
	h.Write(src)
	for _, s := range sets {
		fmt.Fprintf(h, "\n-set %s", s)
	}
	r := &reader{file: name}
	c := &Config{File: name, SHA256: hex.EncodeToString(h.Sum(nil)), line: map[string]int{}}
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
	if len(sets) > 0 {
		var errs Errors
		c.Sets, errs = applySets(name, root, sets)
		if len(errs) > 0 {
			return nil, errs
		}
		r.sets = c.Sets
	}
	r.read(c, root)
	if len(r.errs) > 0 {
		sort.SliceStable(r.errs, func(i, j int) bool { return r.errs[i].Line < r.errs[j].Line })
		return nil, r.errs
	}
	return c, nil
}

var topKeys = []string{"sweep", "experiment", "description", "data_dir", "save_weights", "seeds", "sample_seed", "params", "defaults", "models", "grid", "zip"}

// The keys of model entries and of defaults come from the cell vocabulary;
// the grid takes any field's axis name.
var (
	modelKeys   = append(append([]string{"name"}, fieldNames(cell.ModelFields(), false)...), "params")
	defaultKeys = fieldNames(cell.ModelFields(), true)
)

func fieldNames(fs []*cell.Field, defaultsOnly bool) []string {
	var out []string
	for _, f := range fs {
		if !defaultsOnly || f.Defaults {
			out = append(out, f.Name)
		}
	}
	return out
}

var sweepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

type reader struct {
	file string
	sets []*Set
	errs Errors
}

func (r *reader) errorf(line int, key, format string, args ...any) {
	r.errs = append(r.errs, newError(r.file, r.sets, line, key, fmt.Sprintf(format, args...)))
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
			r.errorf(k.Line, key, "repeated key (first on %s)", at(first))
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
	var params, defaults, modelsNode, grid, seeds, zip *yaml.Node
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
		case "save_weights":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				r.errorf(v.Line, key, "want true or false, got %s", describe(v))
			} else {
				c.SaveWeights = v.Value == "true"
			}
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
		case "zip":
			zip = v
		case "sample_seed":
			s, err := strconv.ParseUint(v.Value, 0, 64)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil {
				r.errorf(v.Line, key, "want a non-negative integer, got %s", describe(v))
			}
			c.SampleSeed = s
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
		c.defaultLines = map[string]int{}
		r.mapping(defaults, "defaults", defaultKeys, func(key string, k, v *yaml.Node) {
			if val, ok := r.value(cell.Lookup(key), join("defaults", key), v); ok {
				r.checkValue(c, val, v.Line, join("defaults", key))
				c.Defaults = append(c.Defaults, val)
				c.defaultLines[key] = k.Line
			}
		})
		slices.SortStableFunc(c.Defaults, func(a, b cell.Value) int { return a.Field.Index() - b.Field.Index() })
	}
	if grid != nil {
		r.grid(c, grid)
	}
	if zip != nil {
		if grid == nil {
			r.errorf(zip.Line, "zip", "zips axes of the grid, and there is no grid")
		} else {
			r.zip(c, zip)
		}
	}
	r.repeats(c)
	if modelsNode != nil {
		r.models(c, modelsNode)
	}
	hasKindAxis := false
	for _, a := range c.Grid {
		if a.Field.Name == "model_type" {
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

// paramNames are the keys params accepts: the experiment parameters of the
// cell vocabulary.
var paramNames = func() []string {
	var out []string
	for _, f := range cell.Fields {
		if f.Param {
			out = append(out, f.Name)
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
		f := cell.Lookup(key)
		switch {
		case f != nil && !f.Param && f.Defaults: // a model field
			r.errorf(k.Line, full, "set %s in defaults, in a model entry or as a grid axis, not in params", key)
			return
		case f != nil && !f.Param:
			r.errorf(k.Line, full, "set %s in a model entry or as a grid axis, not in params", key)
			return
		case f == nil || !f.Param:
			r.errorf(k.Line, full, "unknown parameter%s", suggest(key, paramNames))
			return
		}
		if val, ok := r.value(f, full, v); ok {
			p = cell.SetParam(p, val)
		}
	})
	return p, lines
}

// value reads v as a value of field f.
func (r *reader) value(f *cell.Field, path string, v *yaml.Node) (cell.Value, bool) {
	if f.Type == "float64" && !f.Param {
		x, ok := r.num(v, path)
		if !ok {
			return cell.Value{}, false
		}
		val, err := f.Parse(x)
		if err != nil {
			r.errorf(v.Line, path, "%v", err)
			return cell.Value{}, false
		}
		return val, true
	}
	if f.Valid() != nil { // an enumeration: model_type, fback_type
		s, ok := r.str(v, path)
		if !ok {
			return cell.Value{}, false
		}
		val, err := f.Parse(s)
		if err != nil {
			r.errorf(v.Line, path, "unknown %s %q%s", f.Name, s, suggest(s, f.Valid()))
			return cell.Value{}, false
		}
		return val, true
	}
	if _, err := strconv.ParseFloat(v.Value, 64); v.Kind == yaml.ScalarNode && errors.Is(err, strconv.ErrRange) {
		r.errorf(v.Line, path, "%s is beyond the range of a float64 (at most about 1.8e308, at least about 4.9e-324 in size)", v.Value)
		return cell.Value{}, false
	}
	var x any
	if v.Kind == yaml.AliasNode {
		r.errorf(v.Line, path, "want a value, got %s", describe(v))
		return cell.Value{}, false
	}
	if err := v.Decode(&x); err != nil {
		r.errorf(v.Line, path, "%v", err)
		return cell.Value{}, false
	}
	val, err := f.Parse(x)
	var we *cell.WantError
	if errors.As(err, &we) {
		r.errorf(v.Line, path, "want %s, got %s", we.Want, describe(v))
		return cell.Value{}, false
	} else if err != nil {
		r.errorf(v.Line, path, "%v", err)
		return cell.Value{}, false
	}
	return val, true
}

// checkValue reports the experiment's objection to a model field's value
// at once, so that it is listed with the file's other errors: the value is
// set on the experiment's parameters for a rule that reads it. (check,
// after the whole file has been read, checks each model.)
func (r *reader) checkValue(c *Config, v cell.Value, line int, path string) {
	f := v.Field
	if c.Experiment == nil || f.Param || f.Name == "model_type" {
		return
	}
	for _, k := range models.Kinds() {
		if !f.Reads(k) {
			continue
		}
		d := cell.New(c.Experiment.Name, k, c.Base, 0)
		d.Set(v)
		var pe *models.ParamError
		if err := c.Experiment.Check(d.Params, d.Model("")); errors.As(err, &pe) && pe.Key == f.Name {
			r.errorf(line, path, "%v", err)
		}
		return
	}
}

// axisKeys are the grid keys that error messages list; any experiment
// parameter is an axis too.
var axisKeys = func() []string {
	var out []string
	for _, f := range cell.ModelFields() {
		out = append(out, f.Axis)
	}
	return out
}()

func (r *reader) grid(c *Config, n *yaml.Node) {
	r.mapping(n, "grid", nil, func(key string, k, v *yaml.Node) {
		path := join("grid", key)
		f := cell.LookupAxis(key)
		if f == nil {
			r.errorf(k.Line, path, "unknown axis%s", suggestAxis(key))
			return
		}
		a := Axis{Field: f, Line: k.Line}
		list := v.Content
		switch {
		case v.Kind == yaml.MappingNode:
			before := len(r.errs)
			list, a.Drawn = r.draw(c, f, path, v)
			if len(r.errs) > before {
				return
			}
		case v.Kind != yaml.SequenceNode:
			r.errorf(v.Line, path, "want a list of values or a distribution such as {log_uniform: [1.0e-4, 1.0e-1], samples: 8}, got %s", describe(v))
			return
		case len(v.Content) == 0:
			r.errorf(v.Line, path, "empty axis: give at least one value, or remove the axis")
			return
		}
		for i, e := range list {
			p := fmt.Sprintf("%s[%d]", path, i)
			if a.Drawn != "" {
				p += " (drawn)"
			}
			val, ok := r.value(f, p, e)
			if !ok {
				continue
			}
			r.checkValue(c, val, e.Line, p)
			a.Values = append(a.Values, val)
			a.Lines = append(a.Lines, e.Line)
		}
		a.partial = len(a.Values) < len(list)
		c.Grid = append(c.Grid, a)
	})
	slices.SortStableFunc(c.Grid, func(a, b Axis) int { return a.Field.Index() - b.Field.Index() })
}

// suggestAxis is suggest for a grid key: the model fields' axes by name,
// and any parameter.
func suggestAxis(key string) string {
	s := suggest(key, cell.AxisNames())
	_, list, _ := strings.Cut(s, "valid: ")
	return strings.Replace(s, list, strings.Join(axisKeys, ", ")+", or any params key)", 1)
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
	axes := map[string]int{} // field -> line of the grid axis that sets it
	for _, a := range c.Grid {
		axes[a.Field.Name] = a.Line
	}
	crossed := func(key, path string, line int) {
		if l, ok := axes[key]; ok && key != "model_type" { // that clash has its own message
			c.Warnings = append(c.Warnings, newError(r.file, r.sets, line, path,
				fmt.Sprintf("the grid axis on %s crosses this model with its values; this one is not used", at(l))))
		}
	}
	seen := map[string]int{}
	for i, e := range n.Content {
		path := fmt.Sprintf("models[%d]", i)
		m := Model{Line: e.Line, Params: c.Base, path: path, lines: map[string]int{}}
		if e.Kind != yaml.MappingNode {
			r.errorf(e.Line, path, "want a model entry such as {name: BP, model_type: BP}, got %s", describe(e))
			continue
		}
		var params *yaml.Node
		hasRule := false
		before := len(r.errs)
		r.mapping(e, path, modelKeys, func(key string, k, v *yaml.Node) {
			p := join(path, key)
			switch key {
			case "name":
				m.Name, _ = r.str(v, p)
			case "params":
				params = v
			default:
				crossed(key, p, k.Line)
				val, ok := r.value(cell.Lookup(key), p, v)
				if !ok {
					return
				}
				r.checkValue(c, val, v.Line, p)
				m.lines[key] = k.Line
				if key == "model_type" {
					m.Rule, hasRule = val.Rule(), true
				} else {
					m.Fields = append(m.Fields, val)
				}
			}
		})
		if len(r.errs) > before || e.Kind != yaml.MappingNode {
			continue
		}
		if !hasRule {
			r.errorf(e.Line, path, "missing model_type (valid: %s)", strings.Join(cell.Lookup("model_type").Valid(), ", "))
			continue
		}
		slices.SortStableFunc(m.Fields, func(a, b cell.Value) int { return a.Field.Index() - b.Field.Index() })
		if m.Name == "" {
			m.Name = m.Rule.String()
		}
		if strings.ContainsFunc(m.Name, unicode.IsControl) {
			r.errorf(e.Line, path+".name", "model name %q holds a control character (a tab or a line break would break the text tables)", m.Name)
			continue
		}
		if prev, ok := seen[m.Name]; ok {
			r.errorf(e.Line, path+".name", "duplicate model name %q (also on %s)", m.Name, at(prev))
			continue
		}
		seen[m.Name] = e.Line
		if params != nil {
			var lines map[string]int
			m.Params, lines = r.params(params, path+".params", c.Base)
			for key, l := range lines {
				crossed(key, path+".params."+key, l)
				m.lines[key] = l
			}
		}
		c.Models = append(c.Models, m)
	}
}

// Def is the definition of model m's cell at grid point pt (an index into
// each of Axes' values, -1 or a short pt for none) for seed: a grid value
// over the model's own, over defaults, over the model's parameters.
func (c *Config) Def(m Model, pt []int, seed uint64) cell.Def {
	d := cell.New(c.Experiment.Name, m.Rule, m.Params, seed)
	for _, v := range c.Defaults {
		d.Set(v)
	}
	for _, v := range m.Fields {
		d.Set(v)
	}
	for i, a := range c.Axes() {
		if i < len(pt) && pt[i] >= 0 {
			d.Set(a.Values[pt[i]])
		}
	}
	return d
}

// CheckCell runs the experiment's validation on model m's cell at grid
// point pt (see Def). Its error is an *Error at the line that set the value
// the experiment rejects: the grid value, else the model entry's own, else
// defaults, else the sweep's params, else the model entry.
func (c *Config) CheckCell(m Model, pt []int) *Error {
	d := c.Def(m, pt, 0)
	err := c.Experiment.Check(d.Params, d.Model(m.Name))
	if err == nil {
		return nil
	}
	var pe *models.ParamError
	if errors.As(err, &pe) {
		if line, key, ok := c.where(m, pt, pe.Key); ok {
			return c.Errorf(line, key, "%v", err)
		}
	}
	return c.Errorf(m.Line, "", "%s: %v", m.label(), err)
}

// Point names grid point pt (see Def): "eta=0.01, tsteps=250".
func (c *Config) Point(pt []int) string {
	var parts []string
	for i, a := range c.Axes() {
		if i < len(pt) && pt[i] >= 0 {
			parts = append(parts, a.Name()+"="+a.Values[pt[i]].String())
		}
	}
	return strings.Join(parts, ", ")
}

// label names a model in a message.
func (m Model) label() string {
	if m.path == "" {
		return "grid.model_type " + m.Rule.String()
	}
	return "models entry " + strconv.Quote(m.Name)
}

// where is the line and path that set key for model m at grid point pt.
func (c *Config) where(m Model, pt []int, key string) (int, string, bool) {
	for i, a := range c.Axes() {
		if i < len(pt) && pt[i] >= 0 && a.Field.Name == key && a.Field.Reads(m.Rule) {
			return a.Lines[pt[i]], fmt.Sprintf("grid.%s[%d]", a.Name(), pt[i]), true
		}
	}
	if l, ok := m.lines[key]; ok {
		if f := cell.Lookup(key); f != nil && f.Param {
			return l, m.path + ".params." + key, true
		}
		return l, m.path + "." + key, true
	}
	if l, ok := c.defaultLines[key]; ok {
		return l, "defaults." + key, true
	}
	if l, ok := c.paramLines[key]; ok {
		return l, "params." + key, true
	}
	return 0, "", false
}

// check runs the experiment's own validation on every model the sweep
// makes at the grid's first point (an axis the model's rule ignores
// unset); sweep's plan checks every other point, once it knows the plan is
// within its cap, so that a plan never holds a cell that cannot start. An
// error about a parameter points at the line that set it.
func (r *reader) check(c *Config) {
	seen := map[string]bool{}
	report := func(e *Error) {
		if id := fmt.Sprint(e.Line, e.Key, e.Msg); !seen[id] { // a sweep's params.dt fails every entry alike
			seen[id] = true
			r.errs = append(r.errs, e)
		}
	}
	axes := c.Axes()
	read := make([]bool, len(axes))
	for _, m := range c.Variants() {
		// The first grid point, then each other value of one axis at a
		// time (an axis the rule ignores stays unset).
		first := make([]int, len(axes))
		for i, a := range axes {
			first[i] = -1
			if a.Field.Reads(m.Rule) {
				first[i], read[i] = 0, true
			}
		}
		if e := c.CheckCell(m, first); e != nil {
			report(e)
		}
	}
	for i, a := range axes {
		if !read[i] {
			c.Warnings = append(c.Warnings, c.Errorf(a.Line, "grid."+a.Name(),
				"no model of the sweep reads this axis: its values make no cells of their own"))
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

func contains(list []string, s string) bool { return slices.Contains(list, s) }

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
