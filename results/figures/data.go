package figures

import (
	"cmp"
	"encoding/json"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"dinv/results"
)

// Axes are the columns that the metric figure can draw one line per value
// of; any experiment parameter is an axis too (see axisValue).
var Axes = []string{"model", "model_type", "fback_type", "leak", "eta", "w_decay", "seed"}

// maxPoints bounds the points of one drawn line: longer series are thinned,
// keeping the extremes of the band, so that a vector figure of a 20000-step
// sweep stays small.
const maxPoints = 1000

// cell is a finished run that a figure draws: ok or diverged (a diverged
// run's curve stops where it diverged), never failed.
type cell struct {
	*results.Run
	batch  int64 // examples per step, from the run's parameters
	points []results.Point
}

// cellsOf pairs the runs with their curves, leaving out failed runs and
// curves without a run.
func cellsOf(runs []results.Run, curves []results.Curve) []*cell {
	byID := make(map[string][]results.Point, len(curves))
	for _, c := range curves {
		byID[c.CellID] = c.Points
	}
	var cells []*cell
	for i := range runs {
		r := &runs[i]
		if !r.Status.Finished() {
			continue
		}
		cells = append(cells, &cell{Run: r, batch: batchSize(r.Params), points: byID[r.CellID]})
	}
	return cells
}

// batchSize reads batch_size from a run's parameters; 1 (online) when absent.
func batchSize(params string) int64 {
	var p struct {
		BatchSize int64 `json:"batch_size"`
	}
	if json.Unmarshal([]byte(params), &p) != nil || p.BatchSize < 1 {
		return 1
	}
	return p.BatchSize
}

// group is the cells drawn as one line, with its spread as a band, in every
// panel of a figure.
type group struct {
	label     string
	modelType string // "" when the line is not one model
	color     color.NRGBA
	rank      int // position among the figure's groups
	cells     []*cell
}

// groupsBy groups cells by one of Axes. Lines of models are ordered by rule
// (ModelTypes), then name, and coloured by rule, several models of one rule
// in shades of its colour; other axes are ordered by value and coloured
// along a sequential palette.
func groupsBy(cells []*cell, axis string) []*group {
	gs := groupsByAxis(cells, axis)
	for i, g := range gs {
		g.rank = i
	}
	return gs
}

func groupsByAxis(cells []*cell, axis string) []*group {
	switch axis {
	case "model":
		return modelGroups(cells)
	case "model_type":
		gs := collect(cells, func(c *cell) string { return c.ModelType })
		slices.SortFunc(gs, func(a, b *group) int {
			return cmp.Or(cmp.Compare(typeRank(a.label), typeRank(b.label)), strings.Compare(a.label, b.label))
		})
		for _, g := range gs {
			g.modelType, g.color = g.label, TypeColor(g.label)
		}
		return gs
	}
	gs := collect(cells, func(c *cell) string { return axisValue(c.Run, axis) })
	slices.SortFunc(gs, func(a, b *group) int { return compareValues(a.label, b.label) })
	for i, g := range gs {
		g.color = sequential(i, len(gs))
		g.label = greekLabel(axis) + "=" + g.label
	}
	return gs
}

// collect groups cells by key, in order of first appearance.
func collect(cells []*cell, key func(*cell) string) []*group {
	var gs []*group
	byKey := map[string]*group{}
	for _, c := range cells {
		k := key(c)
		g := byKey[k]
		if g == nil {
			g = &group{label: k}
			byKey[k] = g
			gs = append(gs, g)
		}
		g.cells = append(g.cells, c)
	}
	return gs
}

// modelGroups makes one line per model and, when a model's cells differ in a
// grid value (a grid over eta, say), per value: "DI-1 η=0.01".
func modelGroups(cells []*cell) []*group {
	return modelGroupsSplit(cells, func(string) bool { return true })
}

// modelGroupsSplit is modelGroups that splits a model's line by the axes
// that split accepts only.
func modelGroupsSplit(cells []*cell, split func(axis string) bool) []*group {
	varying := map[string][]string{}
	for _, m := range collect(cells, func(c *cell) string { return c.Model }) {
		for _, axis := range []string{"fback_type", "leak", "eta", "w_decay"} {
			if !split(axis) {
				continue
			}
			first := axisValue(m.cells[0].Run, axis)
			for _, c := range m.cells[1:] {
				if axisValue(c.Run, axis) != first {
					varying[m.label] = append(varying[m.label], axis)
					break
				}
			}
		}
	}
	gs := collect(cells, func(c *cell) string {
		k := c.Model
		for _, axis := range varying[c.Model] {
			k += " " + greekLabel(axis) + "=" + axisValue(c.Run, axis)
		}
		return k
	})
	for _, g := range gs {
		g.modelType = g.cells[0].ModelType
	}
	slices.SortFunc(gs, func(a, b *group) int {
		ra, rb := a.cells[0].Run, b.cells[0].Run
		if c := cmp.Compare(typeRank(a.modelType), typeRank(b.modelType)); c != 0 {
			return c
		}
		if c := compareValues(ra.Model, rb.Model); c != 0 {
			return c
		}
		for _, axis := range varying[ra.Model] {
			if c := compareValues(axisValue(ra, axis), axisValue(rb, axis)); c != 0 {
				return c
			}
		}
		return 0
	})
	seen := map[string]int{}
	for _, g := range gs {
		g.color = shade(TypeColor(g.modelType), variantShade(seen[g.modelType]))
		seen[g.modelType]++
	}
	return gs
}

// axisValue is a run's value of one of Axes as text; "none" where the rule
// reads no feedback or leak.
func axisValue(r *results.Run, axis string) string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch axis {
	case "model":
		return r.Model
	case "model_type":
		return r.ModelType
	case "fback_type":
		if r.FbackType == "" {
			return "none"
		}
		return r.FbackType
	case "leak":
		if r.Leak == nil {
			return "none"
		}
		return num(*r.Leak)
	case "eta":
		return num(r.Eta)
	case "w_decay":
		return num(r.WDecay)
	case "seed":
		return strconv.FormatInt(r.Seed, 10)
	}
	// An experiment parameter: its column where the grid varies it, else
	// its value in the run's parameters.
	for _, a := range r.Axes {
		if a.Name == axis {
			if a.Value == nil {
				return "none"
			}
			if v, ok := a.Value.(float64); ok {
				return num(v)
			}
			return a.String()
		}
	}
	var params map[string]json.RawMessage
	if json.Unmarshal([]byte(r.Params), &params) == nil {
		if v, ok := params[axis]; ok {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s
			}
			return string(v)
		}
	}
	return "none"
}

// compareValues orders texts as numbers where they are, and numbers inside
// names by value, so that NDI-2 comes before NDI-10 and 0.003 before 0.01.
func compareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return 1 // "none" before numbers
	case errB == nil:
		return -1
	}
	for a != "" && b != "" {
		na, ra := leadingNumber(a)
		nb, rb := leadingNumber(b)
		if na != "" && nb != "" {
			x, _ := strconv.ParseFloat(na, 64)
			y, _ := strconv.ParseFloat(nb, 64)
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingNumber(s string) (num, rest string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && i > 0) {
		i++
	}
	return s[:i], s[i:]
}

// series is one drawn line: the median across a group's cells at each x,
// and the minimum and maximum around it.
type series struct {
	g      *group
	layer  int32
	x      []float64
	med    []float64
	lo, hi []float64
}

// view says what a panel takes from each cell: one metric, the x of a step
// (false leaves the point out) and the value to draw.
type view struct {
	metric string
	x      func(c *cell, step int64) (float64, bool)
	y      func(c *cell, v float64) float64
}

// series returns the lines of g in the view, one per layer that g recorded
// the metric at. Non-finite values are skipped.
func (v view) series(g *group) []series {
	byLayer := map[int32]map[float64][]float64{}
	for _, c := range g.cells {
		mine := map[int32]map[float64]float64{} // last value per x, for this cell
		for _, p := range c.points {
			if p.Metric != v.metric {
				continue
			}
			x, ok := float64(p.Step), true
			if v.x != nil {
				x, ok = v.x(c, p.Step)
			}
			y := p.Value
			if v.y != nil && ok {
				y = v.y(c, y)
			}
			if !ok || !finite(x) || !finite(y) {
				continue
			}
			if mine[p.Layer] == nil {
				mine[p.Layer] = map[float64]float64{}
			}
			mine[p.Layer][x] = y
		}
		for l, xy := range mine {
			if byLayer[l] == nil {
				byLayer[l] = map[float64][]float64{}
			}
			for x, y := range xy {
				byLayer[l][x] = append(byLayer[l][x], y)
			}
		}
	}
	var out []series
	for _, l := range slices.Sorted(maps.Keys(byLayer)) {
		out = append(out, summarise(g, l, byLayer[l]))
	}
	return out
}

// summarise turns the values at each x into the median, minimum and maximum,
// thinned to maxPoints.
func summarise(g *group, layer int32, values map[float64][]float64) series {
	s := series{g: g, layer: layer}
	for _, x := range slices.Sorted(maps.Keys(values)) {
		ys := values[x]
		slices.Sort(ys)
		s.x = append(s.x, x)
		s.med = append(s.med, median(ys))
		s.lo = append(s.lo, ys[0])
		s.hi = append(s.hi, ys[len(ys)-1])
	}
	return s.thin(maxPoints)
}

// median of sorted values.
func median(ys []float64) float64 {
	n := len(ys)
	if n%2 == 1 {
		return ys[n/2]
	}
	return (ys[n/2-1] + ys[n/2]) / 2
}

// thin keeps every k-th point of the line so that at most about n remain,
// the last point always; the band keeps the extremes of the points it drops.
func (s series) thin(n int) series {
	if len(s.x) <= n {
		return s
	}
	k := (len(s.x) + n - 1) / n
	t := series{g: s.g, layer: s.layer}
	for i := 0; i < len(s.x); i += k {
		j := min(i+k, len(s.x))
		t.x = append(t.x, s.x[i])
		t.med = append(t.med, s.med[i])
		t.lo = append(t.lo, slices.Min(s.lo[i:j]))
		t.hi = append(t.hi, slices.Max(s.hi[i:j]))
	}
	if last := len(s.x) - 1; t.x[len(t.x)-1] != s.x[last] {
		t.x = append(t.x, s.x[last])
		t.med = append(t.med, s.med[last])
		t.lo = append(t.lo, s.lo[last])
		t.hi = append(t.hi, s.hi[last])
	}
	return t
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
