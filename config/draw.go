package config

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"dinv/cell"
)

// DefaultSampleSeed is the seed of drawn axes when a file sets none.
const DefaultSampleSeed = 0

// Distributions an axis may draw its values from instead of listing them:
// {log_uniform: [a, b], samples: n}, {uniform: [a, b], samples: n},
// {choice: [v, ...], samples: n}.
var distributions = []string{"log_uniform", "uniform", "choice"}

// sigDigits is how many significant digits a drawn number keeps, so that
// plans, tables and sweep.yaml stay readable: far below the resolution at
// which a learning rate or a leak matters.
const sigDigits = 4

// draw reads an axis given as a distribution and returns the value nodes
// it draws (a number's node, or the chosen entry of a choice), which the
// caller reads as if the file had listed them. Each axis has a stream of
// its own, from the sample seed and the axis's name, so that adding an
// axis or a model changes no other axis's draws.
func (r *reader) draw(c *Config, f *cell.Field, path string, n *yaml.Node) ([]*yaml.Node, string) {
	var dist, spec *yaml.Node
	var name string
	samples := -1
	before := len(r.errs)
	r.mapping(n, path, append(slices.Clone(distributions), "samples"), func(key string, k, v *yaml.Node) {
		switch key {
		case "samples":
			s, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || s < 1 || s > 10000 {
				r.errorf(v.Line, join(path, key), "want a number of samples from 1 to 10000, got %s", describe(v))
				samples = 0
				return
			}
			samples = s
		default:
			if dist != nil {
				r.errorf(k.Line, join(path, key), "one distribution per axis (%s is given on %s)", name, at(dist.Line))
				return
			}
			dist, spec, name = k, v, key
		}
	})
	if dist == nil && len(r.errs) > before {
		return nil, ""
	}
	if dist == nil {
		r.errorf(n.Line, path, "want a list of values or a distribution: {log_uniform: [a, b], samples: n}, {uniform: [a, b], samples: n} or {choice: [v, ...], samples: n}")
		return nil, ""
	}
	if samples < 0 {
		r.errorf(n.Line, join(path, "samples"), "missing: say how many values to draw, such as samples: 8")
	}
	if samples <= 0 {
		return nil, ""
	}
	h := fnv.New64a()
	h.Write([]byte(f.Axis))
	rng := rand.New(rand.NewPCG(c.SampleSeed, h.Sum64()))
	p := join(path, name)
	var out []*yaml.Node
	switch name {
	case "choice":
		if spec.Kind != yaml.SequenceNode || len(spec.Content) == 0 {
			r.errorf(spec.Line, p, "want a list of values to choose from, got %s", describe(spec))
			return nil, ""
		}
		ok := true
		for i, e := range spec.Content { // each choice once, at its own place
			_, good := r.value(f, fmt.Sprintf("%s[%d]", p, i), e)
			ok = ok && good
		}
		if !ok {
			return nil, ""
		}
		for range samples {
			out = append(out, spec.Content[rng.IntN(len(spec.Content))])
		}
		return out, fmt.Sprintf("choice of %d, %d samples", len(spec.Content), samples)
	}
	if f.Type != "float64" && f.Type != "int64" {
		r.errorf(dist.Line, p, "%s draws numbers, and %s does not take one: use choice", name, f.Axis)
		return nil, ""
	}
	if spec.Kind != yaml.SequenceNode || len(spec.Content) != 2 {
		r.errorf(spec.Line, p, "want the range's ends [a, b], got %s", describe(spec))
		return nil, ""
	}
	a, okA := r.num(spec.Content[0], p+"[0]")
	b, okB := r.num(spec.Content[1], p+"[1]")
	if !okA || !okB {
		return nil, ""
	}
	if !(a < b) {
		r.errorf(spec.Line, p, "want a < b, got [%g, %g]", a, b)
		return nil, ""
	}
	if name == "log_uniform" && a <= 0 {
		r.errorf(spec.Line, p, "log_uniform needs 0 < a < b, got [%g, %g]", a, b)
		return nil, ""
	}
	for range samples {
		u := rng.Float64()
		var x float64
		if name == "log_uniform" {
			la, lb := math.Log(a), math.Log(b)
			x = math.Exp(la + u*(lb-la))
		} else {
			x = a + u*(b-a)
		}
		x = math.Min(math.Max(x, a), b) // rounding at the ends
		s := strconv.FormatFloat(x, 'g', sigDigits, 64)
		tag := "!!float"
		if f.Type == "int64" {
			s, tag = strconv.FormatFloat(math.Round(x), 'f', 0, 64), "!!int"
		}
		out = append(out, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s, Line: spec.Line})
	}
	return out, fmt.Sprintf("%s [%g, %g], %d samples", name, a, b, samples)
}

// zip reads zip: [[eta, w_decay], ...]: the axes of a group take their
// values together, element by element, instead of crossing each other.
func (r *reader) zip(c *Config, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		r.errorf(n.Line, "zip", "want a list of groups of grid axes, such as [[eta, w_decay]], got %s", describe(n))
		return
	}
	in := map[string]string{} // axis -> the group's path
	for i, g := range n.Content {
		path := fmt.Sprintf("zip[%d]", i)
		if g.Kind != yaml.SequenceNode {
			r.errorf(g.Line, path, "want a list of two or more grid axes, such as [eta, w_decay], got %s", describe(g))
			continue
		}
		if len(g.Content) < 2 {
			r.errorf(g.Line, path, "a group zips two or more grid axes, such as [eta, w_decay]; this one has %d", len(g.Content))
			continue
		}
		var group []int
		for j, e := range g.Content {
			p := fmt.Sprintf("%s[%d]", path, j)
			name, ok := r.str(e, p)
			if !ok {
				continue
			}
			k := slices.IndexFunc(c.Grid, func(a Axis) bool { return a.Name() == name })
			switch {
			case name == "model_type":
				r.errorf(e.Line, p, "model_type cannot be zipped: it makes the models")
				continue
			case k < 0:
				r.errorf(e.Line, p, "%q is not an axis of the grid%s", name, suggest(name, gridNames(c)))
				continue
			case in[name] != "":
				r.errorf(e.Line, p, "%s is zipped in %s already: an axis is in one group at most", name, in[name])
				continue
			}
			in[name] = path
			group = append(group, k)
		}
		if len(group) != len(g.Content) {
			continue
		}
		for _, k := range group[1:] {
			if a, b := c.Grid[group[0]], c.Grid[k]; a.Len() != b.Len() && !a.partial && !b.partial {
				r.errorf(g.Line, path, "zipped axes need as many values each: %s has %d, %s has %d", a.Name(), a.Len(), b.Name(), b.Len())
				group = nil
				break
			}
		}
		if group != nil {
			for _, k := range group {
				c.Grid[k].Zip = i + 1
			}
		}
	}
}

func gridNames(c *Config) []string {
	var out []string
	for _, a := range c.Grid {
		out = append(out, a.Name())
	}
	return out
}

// repeats checks that no two grid points are the same: a listed crossed
// axis may not repeat a value, nor a zipped group a tuple; a drawn one
// drops its repeats, with a warning.
func (r *reader) repeats(c *Config) {
	for _, dim := range c.dims(c.Grid) {
		first := c.Grid[dim[0]]
		seen := map[string]int{}
		var keep []int
		drawn, partial := false, false
		for _, k := range dim {
			drawn = drawn || c.Grid[k].Drawn != ""
			partial = partial || c.Grid[k].partial
		}
		if partial {
			continue
		}
		for j := range first.Len() {
			var parts []string
			for _, k := range dim {
				parts = append(parts, c.Grid[k].Values[j].String())
			}
			id := strings.Join(parts, ", ")
			if prev, ok := seen[id]; ok {
				if !drawn {
					what := "value " + id + " is"
					if len(dim) > 1 {
						what = "the zipped values (" + id + ") are"
					}
					r.errorf(first.Lines[j], fmt.Sprintf("grid.%s[%d]", first.Name(), j), "%s listed twice (also at [%d])", what, prev)
				}
				continue
			}
			seen[id] = j
			keep = append(keep, j)
		}
		if len(keep) == first.Len() {
			continue
		}
		if drawn {
			c.Warnings = append(c.Warnings, c.Errorf(first.Line, "grid."+first.Name(),
				"%d of the %d values drawn repeat an earlier one; the axis keeps %d", first.Len()-len(keep), first.Len(), len(keep)))
		}
		for _, k := range dim {
			a := &c.Grid[k]
			var vals []cell.Value
			var lines []int
			for _, j := range keep {
				vals, lines = append(vals, a.Values[j]), append(lines, a.Lines[j])
			}
			a.Values, a.Lines = vals, lines
		}
	}
}

// dims groups axes (indices into axes) into the dimensions of the grid:
// one per crossed axis, one per zipped group, in the order of each's
// first axis.
func (c *Config) dims(axes []Axis) [][]int {
	var out [][]int
	group := map[int]int{} // zip group -> index in out
	for i, a := range axes {
		if a.Zip == 0 {
			out = append(out, []int{i})
			continue
		}
		if d, ok := group[a.Zip]; ok {
			out[d] = append(out[d], i)
			continue
		}
		group[a.Zip] = len(out)
		out = append(out, []int{i})
	}
	return out
}

// Dims are the dimensions of the grid's points: groups of indices into
// Axes, one per crossed axis and one per zipped group, in crossing order
// (the last varies fastest). The axes of a group share an index.
func (c *Config) Dims() [][]int { return c.dims(c.Axes()) }
