package figures

import (
	"math"
	"slices"
	"strings"

	"dinv/models"
	"dinv/results"
)

// panel is one set of axes of a figure.
type panel struct {
	title          string
	xLabel, yLabel string
	logY, logX     bool
	markers        bool // a glyph at each point (lines of few points)
	series         []series
}

// add appends the lines of the groups that keep accepts (nil: all) in view v.
func (p *panel) add(groups []*group, keep func(*group) bool, v view) {
	for _, g := range groups {
		if keep == nil || keep(g) {
			for _, s := range v.series(g) {
				if len(s.x) > 0 {
					p.series = append(p.series, s)
				}
			}
		}
	}
}

// hasData reports whether the panel has a point to draw (a positive one on
// a log axis).
func (p *panel) hasData() bool {
	for _, s := range p.series {
		for _, y := range s.med {
			if !p.logY || y > 0 {
				return true
			}
		}
	}
	return false
}

// examples is the x of the paper's figures: examples seen, step × batch size.
func examples(c *cell, step int64) (float64, bool) { return float64(step * c.batch), true }

// angleSteps is how much of training the angle panels of Fig. 3 show, as in
// the paper: the angles settle within the first few hundred examples.
const angleSteps = 500

func firstSteps(c *cell, step int64) (float64, bool) {
	return float64(step * c.batch), step < angleSteps
}

func ofTypes(types ...string) func(*group) bool {
	return func(g *group) bool { return slices.Contains(types, g.modelType) }
}

// typesIn lists the model types among groups that have data in p, in
// ModelTypes order: "DI, SDI".
func typesIn(p *panel) string {
	var ts []string
	for _, s := range p.series {
		if !slices.Contains(ts, s.g.modelType) {
			ts = append(ts, s.g.modelType)
		}
	}
	slices.SortFunc(ts, func(a, b string) int { return typeRank(a) - typeRank(b) })
	return strings.Join(ts, ", ")
}

// fig3 is the paper's Fig. 3 (regressions): the error normalised per seed,
// then the DI and SDI diagnostics.
func fig3(cells []*cell, groups []*group) []*panel {
	// The paper divides each seed's errors by the largest error of any model
	// of that seed. Diverged runs are left out of the maximum: a run that
	// blew up would flatten every other curve of its seed.
	seedMax := map[int64]float64{}
	for _, c := range cells {
		if c.Status != results.StatusOK {
			continue
		}
		for _, p := range c.points {
			if p.Metric == models.MetricTrainError && finite(p.Value) && p.Value > seedMax[c.Seed] {
				seedMax[c.Seed] = p.Value
			}
		}
	}
	errPanel := &panel{title: "error", xLabel: "examples", yLabel: "error / largest error of the seed", logY: true}
	errPanel.add(groups, nil, view{metric: models.MetricTrainError, x: examples, y: func(c *cell, v float64) float64 {
		if m := seedMax[c.Seed]; m > 0 {
			return v / m
		}
		return math.NaN()
	}})

	// The rules that record the DI diagnostics: DI and SDI.
	diag := ruleNames(func(r models.RuleInfo) bool { return r.Diagnostics })
	lambda := &panel{xLabel: "examples", yLabel: "λ_max"}
	lambda.add(groups, ofTypes(diag...), view{metric: models.MetricLambdaMax, x: examples})
	lambda.title = "λ_max of the DI loop (" + typesIn(lambda) + ")"

	angle := func(metric string, types ...string) *panel {
		p := &panel{xLabel: "examples (first 500)", yLabel: "angle (degrees)"}
		p.add(groups, ofTypes(types...), view{metric: metric, x: firstSteps})
		return p
	}
	bw := angle(models.MetricAngleBNegWT, diag...)
	bw.title = "angle between B and −Wᵀ (" + typesIn(bw) + ")"
	panels := []*panel{errPanel, lambda, bw}
	for _, rule := range diag { // δ_DI vs δ_NDI, δ_SDI vs δ_NDI
		p := angle(models.MetricAngleDeltaNDI, rule)
		p.title = "δ_" + rule + " vs δ_" + models.NDI.String()
		panels = append(panels, p)
	}
	pbp := angle(models.MetricAngleDeltaPBP, diag...)
	pbp.title = "δ_" + strings.ReplaceAll(typesIn(pbp), ", ", ", δ_") + " vs δ_" + models.PBP.String()
	return append(panels, pbp)
}

// fig4 is the paper's Fig. 4 (MNIST): test and train error against examples.
func fig4(cells []*cell, groups []*group, autoencoder bool) []*panel {
	var out []*panel
	for _, m := range []struct{ set, metric string }{{"test", models.MetricTestError}, {"train", models.MetricTrainError}} {
		set := m.set
		p := &panel{xLabel: "examples"}
		v := view{metric: m.metric, x: examples}
		if autoencoder {
			p.title, p.yLabel, p.logY = set+" reconstruction error", "mean squared error", true
		} else {
			// A log axis: the error falls from 90% to 1-2%, and the rules
			// differ in the last decade, which a linear axis flattens.
			p.title, p.yLabel, p.logY = set+" error", set+" error (%)", true
			v.y = func(_ *cell, v float64) float64 { return 100 * v }
		}
		p.add(groups, nil, v)
		out = append(out, p)
	}
	return out
}

// metricFigure is one metric against step, a line per group.
func metricFigure(groups []*group, metric, by string) []*panel {
	p := &panel{title: metric + " by " + by, xLabel: "step", yLabel: metric, logY: strings.HasSuffix(metric, "_error")}
	p.add(groups, nil, view{metric: metric})
	if p.logY && !p.hasData() {
		p.logY = false // no positive value: draw what there is on a linear axis
	}
	return []*panel{p}
}
