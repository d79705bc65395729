package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"dinv/cell"
	"dinv/models"
	"dinv/results"
	"dinv/results/figures"
	"dinv/sweep"
)

var plotCommand = &command{
	name: "plot", arg: "DIR", want: "one results DIR",
	summary: "draw the paper's figure (or any metric) from a results folder: PNG, SVG or PDF",
	about: "Draws the results folder `DIR` as the paper's figure: Fig. 3 for the regressions (error\n" +
		"normalised per seed, then DI's and SDI's lambda_max and angles), Fig. 4 for MNIST (test and\n" +
		"train error), or one metric against step (-figure metric, one line per model or per value of\n" +
		"-by), or the final value of a metric against an axis (-figure sensitivity -x AXIS, one line per\n" +
		"model or, with -by model_type, per rule; log x for eta, w_decay and leak). Lines are medians\n" +
		"across seeds, bands their min-max. The format follows FILE's extension: .png (150 dpi), .svg\n" +
		"or .pdf. -metric or -by alone choose -figure metric, -x alone -figure sensitivity.",
	new: func() runner { return new(plotCmd) },
}

type plotCmd struct {
	out, figure, metric, by, x string
	partial                    bool
}

func (c *plotCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.out, "o", "", "output `FILE`: .png, .svg or .pdf (default DIR/figure.png)")
	fs.StringVar(&c.figure, "figure", figures.Auto, "`NAME`: auto (fig3 or fig4, from the experiment), fig3, fig4, metric or sensitivity")
	fs.StringVar(&c.metric, "metric", models.MetricTrainError, "the metric `M` that -figure metric draws")
	fs.BoolVar(&c.partial, "partial", false, "also draw the cells in flight, up to their last checkpoints")
	fs.StringVar(&c.by, "by", "model", "one line per value of `AXIS` in -figure metric: "+strings.Join(figures.Axes, ", ")+", or an experiment parameter; "+
		"in -figure sensitivity, model or model_type")
	fs.StringVar(&c.x, "x", "", "the x `AXIS` of -figure sensitivity: eta, w_decay, leak, fback_gain, fback_scale or a numeric experiment parameter")
}

func (c *plotCmd) run(_ context.Context, fs *flag.FlagSet, dir string, stdout, stderr io.Writer) error {
	if !slices.Contains(figures.Figures, c.figure) {
		return &usageError{fmt.Sprintf("-figure: unknown figure %q (valid: %s)", c.figure, strings.Join(figures.Figures, ", "))}
	}
	if f := cell.Lookup(c.by); !slices.Contains(figures.Axes, c.by) && (f == nil || f.Fixed()) {
		return &usageError{fmt.Sprintf("-by: unknown axis %q (valid: %s, or an experiment parameter such as tsteps)", c.by, strings.Join(figures.Axes, ", "))}
	}
	figure := c.figure
	set := flagsSet(fs)
	if set["x"] && figure == figures.Auto {
		figure = figures.Sensitivity
	}
	if set["metric"] || set["by"] {
		switch figure {
		case figures.Auto:
			figure = figures.Metric
		case figures.Metric, figures.Sensitivity:
		default:
			return &usageError{fmt.Sprintf("-metric and -by are for -figure metric and sensitivity, not %s", figure)}
		}
	}
	switch {
	case figure == figures.Sensitivity && c.x == "":
		return &usageError{"-figure sensitivity needs -x AXIS, such as -x eta"}
	case figure == figures.Sensitivity && !figures.SensitivityAxis(c.x):
		return &usageError{fmt.Sprintf("-x: %q is not an axis with numeric values (eta, w_decay, leak, fback_gain, fback_scale, or an experiment parameter such as tsteps)", c.x)}
	case figure == figures.Sensitivity && c.by != "model" && c.by != "model_type":
		return &usageError{fmt.Sprintf("-by: -figure sensitivity draws a line per model or per model_type, not per %s", c.by)}
	case figure != figures.Sensitivity && set["x"]:
		return &usageError{fmt.Sprintf("-x is for -figure sensitivity, not %s", figure)}
	}
	path := c.out
	if path == "" {
		path = filepath.Join(dir, "figure.png")
	}
	if _, err := figures.FormatOf(path); err != nil {
		return &usageError{"-o: " + err.Error()}
	}
	runs, err := readRuns(dir, stderr)
	if err != nil {
		return err
	}
	runs = currentPlan(dir, runs, stderr)
	curves, errs := results.ReadCurves(dir)
	for _, err := range errs {
		fmt.Fprintln(stderr, "dinv: skipping:", err)
	}
	curves = withCurves(runs, curves, dir, stderr)
	if c.partial {
		pr, pc, perrs := sweep.InFlightCurves(dir)
		for _, err := range perrs {
			fmt.Fprintln(stderr, "dinv: -partial: skipping:", err)
		}
		steps := make([]string, len(pr))
		for i, r := range pr {
			steps[i] = fmt.Sprintf("%s %s step %d", r.CellID, r.Model, r.Steps)
		}
		fmt.Fprintf(stderr, "dinv: -partial: %d cells in flight, up to their last checkpoints: %s\n", len(pr), strings.Join(steps, ", "))
		runs, curves = append(runs, pr...), append(curves, pc...)
	}
	f, err := figures.New(runs, curves, figures.Options{Figure: figure, Metric: c.metric, By: c.by, X: c.x})
	switch {
	case errors.Is(err, figures.ErrMismatch) || errors.Is(err, figures.ErrNoMetric):
		return &usageError{fmt.Sprintf("%s: %v", dir, err)}
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := f.Save(path); err != nil {
		return err
	}
	var titles []string
	for _, p := range f.Panels() {
		titles = append(titles, p.Title)
	}
	fmt.Fprintf(stderr, "%s: %s of %s, %d panels: %s\n", path, f.Kind, dir, len(titles), strings.Join(titles, "; "))
	return nil
}

// currentPlan keeps the runs of the cells of DIR/sweep.yaml's plan, saying
// on stderr how many of other plans it leaves out: cells run with other
// parameters must not be drawn as the same model. Without a readable
// sweep.yaml it keeps every run.
func currentPlan(dir string, runs []results.Run, stderr io.Writer) []results.Run {
	order := planOrder(dir, stderr)
	if order == nil {
		return runs
	}
	var keep []results.Run
	for _, r := range runs {
		if _, ok := order[r.CellID]; ok {
			keep = append(keep, r)
		}
	}
	if n := len(runs) - len(keep); n > 0 {
		fmt.Fprintf(stderr, "dinv: leaving out %d cells of %s that are not in its sweep.yaml (an earlier plan)\n", n, dir)
	}
	return keep
}

// withCurves keeps the curves of runs' cells, and says on stderr how many
// finished cells have no readable curves file.
func withCurves(runs []results.Run, curves []results.Curve, dir string, stderr io.Writer) []results.Curve {
	have := map[string]bool{}
	var keep []results.Curve
	for _, r := range runs {
		have[r.CellID] = true
	}
	got := map[string]bool{}
	for _, c := range curves {
		if have[c.CellID] {
			keep = append(keep, c)
			got[c.CellID] = true
		}
	}
	missing := 0
	for _, r := range runs {
		if r.Status.Finished() && !got[r.CellID] {
			missing++
		}
	}
	if missing > 0 {
		fmt.Fprintf(stderr, "dinv: %d finished cells of %s have no readable curves file and are not drawn: 'dinv run -resolved -out %[2]s %s' runs them again\n",
			missing, dir, filepath.Join(dir, "sweep.yaml"))
	}
	return keep
}
