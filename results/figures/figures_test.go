package figures

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"dinv/results"
)

// cellOf makes a finished run and its curve of one metric (layer 0), one
// value per step from 0.
func cellOf(id, model, typ string, seed int64, status results.Status, metric string, values ...float64) (results.Run, results.Curve) {
	key := results.CellKey{CellID: id, Sweep: "t", Experiment: "linear_regression", Model: model,
		ModelType: typ, Eta: 0.01, Seed: seed}
	c := results.Curve{CellKey: key}
	for i, v := range values {
		c.Points = append(c.Points, results.Point{Step: int64(i), Metric: metric, Value: v})
	}
	return results.Run{CellKey: key, Status: status, Params: `{"batch_size":1}`}, c
}

type fixture struct {
	runs   []results.Run
	curves []results.Curve
}

func (f *fixture) add(r results.Run, c results.Curve) {
	f.runs = append(f.runs, r)
	f.curves = append(f.curves, c)
}

// TestSeriesMedianBand checks the line and band of a group against values
// worked out by hand, with non-finite values skipped.
func TestSeriesMedianBand(t *testing.T) {
	var f fixture
	f.add(cellOf("a", "BP", "BP", 0, "ok", "train_error", 1, 4, math.NaN()))
	f.add(cellOf("b", "BP", "BP", 1, "ok", "train_error", 3, math.Inf(1), 5))
	f.add(cellOf("c", "BP", "BP", 2, "ok", "train_error", 2, 8, 7))
	f.add(cellOf("d", "BP", "BP", 3, "failed", "train_error", 100, 100, 100)) // not drawn
	g := groupsBy(cellsOf(f.runs, f.curves), "model")
	if len(g) != 1 {
		t.Fatalf("%d groups, want 1", len(g))
	}
	s := view{metric: "train_error"}.series(g[0])
	if len(s) != 1 {
		t.Fatalf("%d series, want 1", len(s))
	}
	want := series{x: []float64{0, 1, 2}, med: []float64{2, 6, 6}, lo: []float64{1, 4, 5}, hi: []float64{3, 8, 7}}
	got := s[0]
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"x", got.x, want.x}, {"median", got.med, want.med}, {"min", got.lo, want.lo}, {"max", got.hi, want.hi}} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestThinKeepsExtremes checks that thinning a long line keeps the last
// point and the extremes of the band.
func TestThinKeepsExtremes(t *testing.T) {
	s := series{}
	for i := range 2500 {
		s.x = append(s.x, float64(i))
		s.med = append(s.med, 1)
		s.lo = append(s.lo, 0)
		s.hi = append(s.hi, 2)
	}
	s.hi[1001], s.lo[1777] = 50, -50
	th := s.thin(maxPoints)
	if len(th.x) > maxPoints+1 || th.x[len(th.x)-1] != 2499 {
		t.Errorf("thinned to %d points ending at %v, want at most %d ending at 2499", len(th.x), th.x[len(th.x)-1], maxPoints+1)
	}
	if slices.Max(th.hi) != 50 || slices.Min(th.lo) != -50 {
		t.Errorf("band lost its extremes: max %v, min %v", slices.Max(th.hi), slices.Min(th.lo))
	}
}

// TestFig3NormalisesPerSeed checks the paper's normalisation: each seed's
// errors divided by the largest error of any ok model of that seed.
func TestFig3NormalisesPerSeed(t *testing.T) {
	var f fixture
	f.add(cellOf("a", "BP", "BP", 0, "ok", "train_error", 10, 1))
	f.add(cellOf("b", "FA", "FA", 0, "ok", "train_error", 8, 4))
	f.add(cellOf("c", "BP", "BP", 1, "ok", "train_error", 100, 50))
	f.add(cellOf("d", "FA", "FA", 1, "ok", "train_error", 100, 10))
	f.add(cellOf("e", "FA", "FA", 2, "diverged", "train_error", 1e300, math.NaN())) // no max of its own
	cells := cellsOf(f.runs, f.curves)
	panels := fig3(cells, groupsBy(cells, "model"))
	got := map[string][]float64{}
	for _, s := range panels[0].series {
		got[s.g.label] = s.med
	}
	// BP: seed 0 → 1, 0.1; seed 1 → 1, 0.5. FA: seed 0 → 0.8, 0.4; seed 1 → 1, 0.1.
	// The diverged FA of seed 2 has no ok model to scale by and is left out.
	if want := []float64{1, 0.3}; !slices.Equal(got["BP"], want) {
		t.Errorf("BP medians %v, want %v", got["BP"], want)
	}
	if want := []float64{0.9, 0.25}; !slices.Equal(got["FA"], want) {
		t.Errorf("FA medians %v, want %v", got["FA"], want)
	}
	if len(panels[1].series)+len(panels[2].series) != 0 {
		t.Error("diagnostic panels have lines without DI or SDI models")
	}
}

// TestPanelsLeftOut checks that a figure without DI models has only the
// error panel, unlettered, and that log axes survive zero, negative and
// non-finite values.
func TestPanelsLeftOut(t *testing.T) {
	var f fixture
	f.add(cellOf("a", "BP", "BP", 0, "ok", "train_error", 1, 0, -1, math.NaN(), 0.5, 0.25))
	f.add(cellOf("b", "FA", "FA", 0, "ok", "train_error", 1, 0.5, math.Inf(1), 0.1, 0, 1e-3))
	fig, err := New(f.runs, f.curves, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := fig.Panels()
	if fig.Kind != Fig3 || len(p) != 1 || p[0].Title != "error" {
		t.Fatalf("figure %s with panels %+v, want fig3 with the error panel alone", fig.Kind, p)
	}
	var buf bytes.Buffer
	if err := fig.Write(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w := int(float64(fig.Width/vg.Inch)*DPI + 0.5) // vgimg rounds to the nearest pixel
	if img.Bounds().Dx() != w {
		t.Errorf("PNG is %d pixels wide, want %d", img.Bounds().Dx(), w)
	}
}

// TestNewErrors checks the errors of results that do not fit a figure.
func TestNewErrors(t *testing.T) {
	var f fixture
	f.add(cellOf("a", "BP", "BP", 0, "ok", "train_error", 1, 0.5))
	var failed fixture
	failed.add(cellOf("a", "BP", "BP", 0, "failed", "train_error"))
	for _, tc := range []struct {
		f    fixture
		opt  Options
		want error
		msg  string
	}{
		{f, Options{Figure: Fig4}, ErrMismatch, "fig4 draws mnist_autoencoder and mnist_classification, the results are linear_regression"},
		{f, Options{Figure: Metric, Metric: "lambda_max"}, ErrNoMetric, `"lambda_max" (recorded: train_error)`},
		{failed, Options{}, ErrNoCells, "1 runs, none ok or diverged"},
	} {
		_, err := New(tc.f.runs, tc.f.curves, tc.opt)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: error %v, want %v with %q", tc.opt, err, tc.want, tc.msg)
		}
	}
}

// TestColours checks that every rule has its own colour and that models of
// one rule share its hue, the first in the rule's own colour.
func TestColours(t *testing.T) {
	seen := map[string]string{}
	for _, typ := range ModelTypes {
		c := TypeColor(typ)
		k := string([]byte{c.R, c.G, c.B})
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s share a colour", typ, other)
		}
		seen[k] = typ
	}
	var f fixture
	for i, m := range []string{"NDI-10", "NDI-2", "NDI-1"} {
		f.add(cellOf(m, m, "NDI", int64(i), "ok", "train_error", 1))
	}
	gs := groupsBy(cellsOf(f.runs, f.curves), "model")
	var labels []string
	for _, g := range gs {
		labels = append(labels, g.label)
		if hue(g.color.R, g.color.G, g.color.B)-hue(TypeColor("NDI").R, TypeColor("NDI").G, TypeColor("NDI").B) > 2 {
			t.Errorf("%s has colour %v, not a shade of NDI's", g.label, g.color)
		}
	}
	if want := []string{"NDI-1", "NDI-2", "NDI-10"}; !slices.Equal(labels, want) {
		t.Errorf("models in order %v, want %v", labels, want)
	}
	if gs[0].color != TypeColor("NDI") {
		t.Errorf("first NDI model has %v, want NDI's own %v", gs[0].color, TypeColor("NDI"))
	}
}

// hue in degrees.
func hue(r, g, b uint8) float64 {
	R, G, B := float64(r), float64(g), float64(b)
	mx, mn := max(R, G, B), min(R, G, B)
	if mx == mn {
		return 0
	}
	var h float64
	switch mx {
	case R:
		h = math.Mod((G-B)/(mx-mn), 6)
	case G:
		h = (B-R)/(mx-mn) + 2
	default:
		h = (R-G)/(mx-mn) + 4
	}
	return math.Abs(h * 60)
}

// TestTicks checks the labels of the axes: round counts, at most about six
// decades labelled, and labels on a log axis narrower than a decade.
func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi float64
		log    bool
		count  bool
		want   []string
	}{
		{"examples", 0, 1999, false, true, []string{"0", "500", "1000", "1500"}},
		{"many examples", 0, 1.2e6, false, true, []string{"0", "250k", "500k", "750k", "1M"}},
		{"lambda_max", -0.17, 0, false, false, []string{"-0.15", "-0.10", "-0.05", "0"}},
		{"eighteen decades", -18.3, 0, true, false, []string{"1e-16", "1e-12", "1e-8", "1e-4", "1"}},
		{"three decades", -2, 0, true, false, []string{"0.01", "0.1", "1"}},
		{"two decades", math.Log10(0.03), 0, true, false, []string{"0.05", "0.1", "0.2", "0.5", "1"}},
		{"narrow", math.Log10(0.10189), math.Log10(0.10192), true, false, []string{"0.10189", "0.10190", "0.10191", "0.10192"}},
	} {
		var got []string
		var ticks []plot.Tick
		if tc.log {
			ticks = logTicks{}.Ticks(tc.lo, tc.hi)
		} else {
			ticks = niceTicks{count: tc.count}.Ticks(tc.lo, tc.hi)
		}
		for _, tk := range ticks {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: labels %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFig4LogAxes: Fig. 4's panels have log y axes, the classifier's error
// (in percent) as the autoencoder's reconstruction error.
func TestFig4LogAxes(t *testing.T) {
	for _, exp := range []string{"mnist_classification", "mnist_autoencoder"} {
		var f fixture
		for _, m := range []string{"train_error", "test_error"} {
			r, c := cellOf("a", "BP", "BP", 0, "ok", m, 0.9, 0.1, 0.02)
			r.Experiment, c.Experiment = exp, exp
			f.add(r, c)
		}
		run, curve := f.runs[0], f.curves[0]
		curve.Points = append(curve.Points, f.curves[1].Points...)
		fig, err := New([]results.Run{run}, []results.Curve{curve}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p := fig.Panels()
		if fig.Kind != Fig4 || len(p) != 2 {
			t.Fatalf("%s: figure %s with %d panels, want fig4 with 2", exp, fig.Kind, len(p))
		}
		for _, q := range p {
			if !q.LogY {
				t.Errorf("%s: panel %q has a linear y axis, want a log one", exp, q.Title)
			}
		}
	}
}
