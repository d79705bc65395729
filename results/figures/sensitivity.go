package figures

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"dinv/models"
	"dinv/results"
)

// LogAxes are the axes that the sensitivity figure draws on a log scale
// (when every value drawn is positive).
var LogAxes = []string{"eta", "w_decay", "leak"}

// SensitivityRow is one point of the sensitivity figure: the final values
// of a metric of one line's cells at one value of the axis, across seeds.
type SensitivityRow struct {
	Line      string  // the line: a model (with the values of other axes its cells differ in), or a model type
	ModelType string  // "" for a line of several model types
	Layer     int32   // the metric's layer
	X         float64 // the axis's value
	N         int     // cells with a final value
	Median    float64
	Min, Max  float64
}

// SensitivityTable returns the points of the sensitivity figure of opt.X (an
// axis with numeric values, Options.X) for opt.Metric, one line per
// opt.By (model or model_type): at each value of the axis, the median,
// minimum and maximum across seeds of each cell's last finite value of
// the metric. Lines are in the figure's order, then by layer and value.
// Cells whose rule does not read the axis, or that did not record the
// metric, are left out.
func SensitivityTable(runs []results.Run, curves []results.Curve, opt Options) ([]SensitivityRow, error) {
	groups, err := sensitivityGroups(runs, curves, &opt)
	if err != nil {
		return nil, err
	}
	var rows []SensitivityRow
	for _, g := range groups {
		for _, s := range sensitivitySeries(g, opt.X, opt.Metric) {
			for i, x := range s.x {
				rows = append(rows, SensitivityRow{Line: g.label, ModelType: g.modelType, Layer: s.layer, X: x,
					N: s.n[i], Median: s.med[i], Min: s.lo[i], Max: s.hi[i]})
			}
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no cell has a final %s and a value of %s", ErrNoPoints, opt.Metric, opt.X)
	}
	return rows, nil
}

// sensitivityGroups checks opt (filling in its defaults) and groups the
// finished cells into the figure's lines.
func sensitivityGroups(runs []results.Run, curves []results.Curve, opt *Options) ([]*group, error) {
	if opt.Metric == "" {
		opt.Metric = models.MetricTrainError
	}
	if opt.By == "" {
		opt.By = "model"
	}
	if opt.By != "model" && opt.By != "model_type" {
		panic(fmt.Sprintf("figures: sensitivity lines by %q", opt.By))
	}
	if !SensitivityAxis(opt.X) {
		panic(fmt.Sprintf("figures: sensitivity axis %q", opt.X))
	}
	cells := cellsOf(runs, curves)
	if len(cells) == 0 {
		return nil, fmt.Errorf("%w (%d runs, none ok or diverged)", ErrNoCells, len(runs))
	}
	if err := checkMetric(cells, opt.Metric); err != nil {
		return nil, err
	}
	numeric := cells[:0:0]
	for _, c := range cells {
		if _, ok := xOf(c, opt.X); ok {
			numeric = append(numeric, c)
		}
	}
	if len(numeric) == 0 {
		return nil, fmt.Errorf("%w: no cell has a numeric value of %s", ErrMismatch, opt.X)
	}
	if opt.By == "model_type" {
		return groupsBy(numeric, "model_type"), nil
	}
	// A model's cells along x make its line: split by the other axes only.
	gs := modelGroupsSplit(numeric, func(axis string) bool { return axis != opt.X })
	for i, g := range gs {
		g.rank = i
	}
	return gs, nil
}

// SensitivityAxis reports whether the sensitivity figure can take axis as
// its x: one of Axes with numeric values, or an experiment parameter.
func SensitivityAxis(axis string) bool {
	switch axis {
	case "model", "model_type", "fback_type", "seed":
		return false
	}
	return slices.Contains(Axes, axis) || paramAxis.MatchString(axis)
}

// xOf is a cell's value of axis as a number, if it has one.
func xOf(c *cell, axis string) (float64, bool) {
	x, err := strconv.ParseFloat(axisValue(c.Run, axis), 64)
	return x, err == nil && finite(x)
}

// sensSeries is a series with the number of cells at each x.
type sensSeries struct {
	series
	n []int
}

// sensitivitySeries gives g's points, one series per layer: at each value
// of the axis, the cells' final values of metric.
func sensitivitySeries(g *group, axis, metric string) []sensSeries {
	byLayer := map[int32]map[float64][]float64{}
	for _, c := range g.cells {
		x, ok := xOf(c, axis)
		if !ok {
			continue
		}
		for l, y := range finalValues(c, metric) {
			if byLayer[l] == nil {
				byLayer[l] = map[float64][]float64{}
			}
			byLayer[l][x] = append(byLayer[l][x], y)
		}
	}
	var out []sensSeries
	for _, l := range slices.Sorted(maps.Keys(byLayer)) {
		s := sensSeries{series: series{g: g, layer: l}}
		for _, x := range slices.Sorted(maps.Keys(byLayer[l])) {
			ys := byLayer[l][x]
			slices.Sort(ys)
			s.x, s.n = append(s.x, x), append(s.n, len(ys))
			s.med, s.lo, s.hi = append(s.med, median(ys)), append(s.lo, ys[0]), append(s.hi, ys[len(ys)-1])
		}
		out = append(out, s)
	}
	return out
}

// finalValues is a cell's last finite value of metric at each layer it
// recorded it at (a diverged cell's last value before it diverged).
func finalValues(c *cell, metric string) map[int32]float64 {
	out := map[int32]float64{}
	last := map[int32]int64{}
	for _, p := range c.points {
		if p.Metric != metric || !finite(p.Value) {
			continue
		}
		if s, ok := last[p.Layer]; !ok || p.Step >= s {
			out[p.Layer], last[p.Layer] = p.Value, p.Step
		}
	}
	return out
}

// sensitivityFigure is the final value of a metric against an axis, a line
// per group; x is on a log scale for LogAxes when every value is positive,
// y for an error.
func sensitivityFigure(groups []*group, axis, metric string) []*panel {
	p := &panel{title: "final " + metric + " by " + axis, xLabel: greekLabel(axis), yLabel: "final " + metric,
		logY: strings.HasSuffix(metric, "_error"), logX: slices.Contains(LogAxes, axis), markers: true}
	for _, g := range groups {
		for _, s := range sensitivitySeries(g, axis, metric) {
			if len(s.x) > 0 {
				p.series = append(p.series, s.series)
				p.logX = p.logX && s.x[0] > 0 // sorted: the first is the smallest
			}
		}
	}
	if p.logY && !p.hasData() {
		p.logY = false // no positive value: draw what there is on a linear axis
	}
	return []*panel{p}
}
