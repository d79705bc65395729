package figures

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"dinv/models"
	"dinv/results"
)

// The figures New draws.
const (
	Auto   = "auto"   // Fig3 or Fig4, from the experiment
	Fig3   = "fig3"   // the regressions (paper Fig. 3)
	Fig4   = "fig4"   // MNIST (paper Fig. 4)
	Metric = "metric" // one metric against step, a line per model or per value of a grid axis

	// Sensitivity is the final value of a metric against an axis (Options.X),
	// a line per model or model type (Options.By).
	Sensitivity = "sensitivity"
)

// Figures are the values of Options.Figure.
var Figures = []string{Auto, Fig3, Fig4, Metric, Sensitivity}

// Formats are the output formats, named by their file extensions.
var Formats = []string{"png", "svg", "pdf"}

// DPI is the resolution of PNG output.
const DPI = 150

// Errors that depend on the results, wrapped with the details.
var (
	ErrNoCells  = errors.New("figures: no ok or diverged cells to draw")
	ErrNoPoints = errors.New("figures: nothing to draw")
	ErrNoMetric = errors.New("figures: metric not recorded")
	ErrMismatch = errors.New("figures: figure does not fit the results")
)

// figureOf is the paper figure that an experiment says it draws
// (models.Definition.Figure), "" for an experiment that is not registered.
func figureOf(experiment string) string {
	e, err := models.LookupExperiment(experiment)
	if err != nil {
		return ""
	}
	return e.Figure()
}

// Options choose a figure.
type Options struct {
	Figure string // one of Figures; "" means Auto
	Metric string // the metric of Metric; "" means train_error
	By     string // the lines of Metric: one of Axes; of Sensitivity: model or model_type; "" means model
	X      string // the x axis of Sensitivity (SensitivityAxis)
}

// Figure is a drawn figure, ready to be written in any of Formats.
type Figure struct {
	Kind          string // Fig3, Fig4 or Metric: what Auto became
	Title         string
	Width, Height vg.Length

	plots  []*plot.Plot
	legend []legendEntry
}

// paramAxis is the name of an experiment parameter, which By may name too.
var paramAxis = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Panel is one set of axes of a figure.
type Panel struct {
	Title string
	Area  vg.Rectangle // where the data are drawn, in points from the figure's bottom-left corner
	LogY  bool         // the y axis is logarithmic
}

// New draws the figure of a results folder's runs and curves. Options that
// are not among Figures, Axes or parameter names are a programmer's mistake and panic;
// results that do not fit the figure (fig4 of a regression, a metric that
// was not recorded) are errors wrapping ErrMismatch, ErrNoMetric,
// ErrNoCells or ErrNoPoints.
func New(runs []results.Run, curves []results.Curve, opt Options) (*Figure, error) {
	if opt.Figure == "" {
		opt.Figure = Auto
	}
	if opt.Metric == "" {
		opt.Metric = models.MetricTrainError
	}
	if opt.By == "" {
		opt.By = "model"
	}
	if !slices.Contains(Figures, opt.Figure) {
		panic(fmt.Sprintf("figures: unknown figure %q", opt.Figure))
	}
	if opt.Figure == Sensitivity {
		return newSensitivity(runs, curves, opt)
	}
	if !slices.Contains(Axes, opt.By) && !paramAxis.MatchString(opt.By) {
		panic(fmt.Sprintf("figures: unknown axis %q", opt.By))
	}
	cells := cellsOf(runs, curves)
	if len(cells) == 0 {
		return nil, fmt.Errorf("%w (%d runs, none ok or diverged)", ErrNoCells, len(runs))
	}
	var exps []string
	for _, c := range cells {
		if !slices.Contains(exps, c.Experiment) {
			exps = append(exps, c.Experiment)
		}
	}
	kind := opt.Figure
	if kind == Auto {
		if len(exps) > 1 {
			return nil, fmt.Errorf("%w: the results mix experiments (%s); choose -figure metric", ErrMismatch, strings.Join(exps, ", "))
		}
		if kind = figureOf(exps[0]); kind == "" {
			return nil, fmt.Errorf("%w: no paper figure for experiment %q; choose -figure metric", ErrMismatch, exps[0])
		}
	}
	if kind != Metric {
		for _, e := range exps {
			if figureOf(e) != kind {
				return nil, fmt.Errorf("%w: %s draws %s, the results are %s", ErrMismatch, kind, kindExperiments(kind), e)
			}
		}
	}

	var panels []*panel
	by := "model"
	switch kind {
	case Fig3:
		panels = fig3(cells, groupsBy(cells, by))
	case Fig4:
		panels = fig4(cells, groupsBy(cells, by), exps[0] == "mnist_autoencoder")
	case Metric:
		if err := checkMetric(cells, opt.Metric); err != nil {
			return nil, err
		}
		by = opt.By
		panels = metricFigure(groupsBy(cells, by), opt.Metric, by)
	}
	panels = slices.DeleteFunc(panels, func(p *panel) bool { return !p.hasData() })
	if len(panels) == 0 {
		return nil, fmt.Errorf("%w: no finite points for %s in the curves of the %d cells", ErrNoPoints, kind, len(cells))
	}

	return finish(kind, panels, title(cells, exps, kind, by))
}

// newSensitivity is New of the sensitivity figure.
func newSensitivity(runs []results.Run, curves []results.Curve, opt Options) (*Figure, error) {
	groups, err := sensitivityGroups(runs, curves, &opt)
	if err != nil {
		return nil, err
	}
	panels := sensitivityFigure(groups, opt.X, opt.Metric)
	panels = slices.DeleteFunc(panels, func(p *panel) bool { return !p.hasData() })
	if len(panels) == 0 {
		return nil, fmt.Errorf("%w: no cell has a final %s and a value of %s", ErrNoPoints, opt.Metric, opt.X)
	}
	var cells []*cell
	var exps []string
	for _, g := range groups {
		cells = append(cells, g.cells...)
		for _, c := range g.cells {
			if !slices.Contains(exps, c.Experiment) {
				exps = append(exps, c.Experiment)
			}
		}
	}
	return finish(Sensitivity, panels, title(cells, exps, Sensitivity, opt.X))
}

// finish lays out the panels of a figure of kind.
func finish(kind string, panels []*panel, title string) (*Figure, error) {
	f := &Figure{Kind: kind}
	f.Width, f.Height = figureSize(len(panels))
	for i, p := range panels {
		if len(panels) > 1 {
			p.title = string(rune('a'+i)) + "   " + p.title
		}
		f.plots = append(f.plots, p.plot())
	}
	f.legend = legendOf(panels)
	f.Title = title
	return f, nil
}

func kindExperiments(kind string) string {
	var names []string
	for _, e := range models.Experiments() {
		if figureOf(e) == kind {
			names = append(names, e)
		}
	}
	return strings.Join(names, " and ")
}

// checkMetric fails when no cell recorded metric, naming those recorded.
func checkMetric(cells []*cell, metric string) error {
	var have []string
	for _, c := range cells {
		for _, p := range c.points {
			if p.Metric == metric {
				return nil
			}
			if !slices.Contains(have, p.Metric) {
				have = append(have, p.Metric)
			}
		}
	}
	slices.Sort(have)
	return fmt.Errorf("%w: %q (recorded: %s)", ErrNoMetric, metric, strings.Join(have, ", "))
}

// figureSize is about the paper's proportions: Fig. 3 is two rows of
// panels, Fig. 4 one.
func figureSize(panels int) (w, h vg.Length) {
	switch {
	case panels > 2:
		return 30 * vg.Centimeter, 18 * vg.Centimeter
	case panels == 2:
		return 24 * vg.Centimeter, 10 * vg.Centimeter
	}
	return 20 * vg.Centimeter, 12 * vg.Centimeter
}

// title says what the figure shows and what its lines and bands are.
func title(cells []*cell, exps []string, kind, by string) string {
	var seeds []int64
	sweeps := map[string]bool{}
	for _, c := range cells {
		if !slices.Contains(seeds, c.Seed) {
			seeds = append(seeds, c.Seed)
		}
		sweeps[c.Sweep] = true
	}
	name := strings.Join(slices.Sorted(maps.Keys(sweeps)), ", ")
	what := map[string]string{Fig3: "Fig. 3", Fig4: "Fig. 4", Metric: "by " + by, Sensitivity: "final values against " + by}[kind]
	across := fmt.Sprintf("medians across %d seeds", len(seeds))
	if by != "model" && kind != Sensitivity {
		across = "medians across the cells of each value"
	}
	return fmt.Sprintf("%s  ·  %s  ·  %s  ·  %d cells  ·  lines: %s, bands: min–max",
		name, strings.Join(exps, ", "), what, len(cells), across)
}

// FormatOf returns the format of an output file from its extension.
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if !slices.Contains(Formats, ext) {
		return "", fmt.Errorf("%s: unknown extension %q (want .png, .svg or .pdf)", path, filepath.Ext(path))
	}
	return ext, nil
}

// Write writes the figure in format, one of Formats.
func (f *Figure) Write(w io.Writer, format string) error {
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))}
	case "svg":
		c = vgsvg.New(f.Width, f.Height)
	case "pdf":
		pc := vgpdf.New(f.Width, f.Height)
		pc.EmbedFonts(true) // readers without Liberation fonts show the same figure
		c = pc
	default:
		panic(fmt.Sprintf("figures: unknown format %q", format))
	}
	f.draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

// Save writes the figure to path, in the format of its extension,
// atomically (see results.WriteFileAtomic).
func (f *Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error { return f.Write(w, format) })
}

// Panels returns the figure's panels and where their data are drawn.
func (f *Figure) Panels() []Panel {
	l := f.layout(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: f.Width, Y: f.Height}}})
	out := make([]Panel, len(f.plots))
	for i, p := range f.plots {
		_, logY := p.Y.Tick.Marker.(logTicks)
		out[i] = Panel{Title: p.Title.Text, Area: p.DataCanvas(l.panels[i]).Rectangle, LogY: logY}
	}
	return out
}
