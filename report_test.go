package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"dinv/config"
	"dinv/io/mnist/mnisttest"
	"dinv/results"
	"dinv/results/figures"
	"dinv/sweep"
)

// reportSweeps are tiny sweeps of each experiment that the tool runs for the
// plot tests, a second or less each. MNIST networks are shrunk (784-100-10,
// DI with 100 Euler steps; a 784-50-10-50-784 autoencoder in minibatches of
// 20) so that every figure has several points without slowing the tests.
var reportSweeps = map[string]string{
	"linear": `
sweep: t-linear
experiment: linear_regression
seeds: [0, 1]
params: {num_iters: 200}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: PBP, model_type: PBP}
  - {name: NDI, model_type: NDI, fback_type: neg-transpose, leak: 0.01}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
grid:
  eta: [0.01, 0.003]
`,
	"nonlinear": `
sweep: t-nonlinear
experiment: nonlinear_regression
seeds: [0, 1]
params: {num_iters: 200}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
  - {name: SDI, model_type: SDI, fback_type: neg-transpose, leak: 0.01}
`,
	"classification": `
sweep: t-classification
experiment: mnist_classification
seeds: [0, 1]
params: {train_size: 300, test_size: 200, epochs: 1, eval_every: 100, sizes: [784, 100, 10], tsteps: 100}
models:
  - {name: BP, model_type: BP}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
`,
	"sensitivity": `
sweep: t-sensitivity
experiment: nonlinear_regression
seeds: [0, 1, 2]
params: {num_iters: 200}
models:
  - {name: BP, model_type: BP}
  - {name: NDI, model_type: NDI, fback_type: neg-transpose, leak: 0.01}
grid:
  eta: {log_uniform: [1.0e-3, 1.0e-1], samples: 4}
`,
	"autoencoder": `
sweep: t-autoencoder
experiment: mnist_autoencoder
seeds: [0, 1]
params: {train_size: 200, test_size: 50, epochs: 1, eval_every: 1, batch_size: 20, sizes: [784, 50, 10, 50, 784]}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
`,
}

// sweepDirs runs each of reportSweeps once, when a test first asks for it.
type sweepDirs struct {
	root string
	dirs map[string]string
}

func (s *sweepDirs) dir(t *testing.T, name string) string {
	t.Helper()
	if d, ok := s.dirs[name]; ok {
		return d
	}
	cfg := filepath.Join(s.root, name+".yaml")
	if err := os.WriteFile(cfg, []byte(reportSweeps[name]), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.root, name)
	start := time.Now()
	if code, _, errs := cli(t, "run", "-out", dir, cfg); code != 0 {
		t.Fatalf("run %s: exit %d\n%s", name, code, errs)
	}
	t.Logf("ran the %s sweep in %v", name, time.Since(start).Round(time.Millisecond))
	s.dirs[name] = dir
	return dir
}

// TestPlot draws every kind of figure from results that the tool made, as
// PNG and SVG (and one PDF), and checks the files: sizes, that every panel
// has coloured data in it, and that SVG paths carry the rules' colours.
func TestPlot(t *testing.T) {
	sweeps := &sweepDirs{root: t.TempDir(), dirs: map[string]string{}}
	for _, tc := range []struct {
		name, sweep string
		flags       []string
		opt         figures.Options
		w, h        vg.Length
		panels      []string
		types       []string // rules whose colour the lines must have
	}{
		{"fig3-linear", "linear", nil, figures.Options{}, 30 * vg.Centimeter, 18 * vg.Centimeter,
			[]string{"a   error", "b   λ_max of the DI loop (DI)", "c   angle between B and −Wᵀ (DI)",
				"d   δ_DI vs δ_NDI", "e   δ_DI vs δ_PBP"},
			[]string{"BP", "FA", "PBP", "NDI", "DI"}},
		{"fig3-nonlinear", "nonlinear", nil, figures.Options{}, 30 * vg.Centimeter, 18 * vg.Centimeter,
			[]string{"a   error", "b   λ_max of the DI loop (DI, SDI)", "c   angle between B and −Wᵀ (DI, SDI)",
				"d   δ_DI vs δ_NDI", "e   δ_SDI vs δ_NDI"},
			[]string{"BP", "FA", "DI", "SDI"}},
		{"fig4-classification", "classification", nil, figures.Options{}, 24 * vg.Centimeter, 10 * vg.Centimeter,
			[]string{"a   test error", "b   train error"}, []string{"BP", "DI"}},
		{"fig4-autoencoder", "autoencoder", []string{"-figure", "fig4"}, figures.Options{Figure: figures.Fig4},
			24 * vg.Centimeter, 10 * vg.Centimeter,
			[]string{"a   test reconstruction error", "b   train reconstruction error"}, []string{"BP", "FA"}},
		{"metric-by-eta", "linear", []string{"-by", "eta"}, figures.Options{Figure: figures.Metric, By: "eta"},
			20 * vg.Centimeter, 12 * vg.Centimeter, []string{"train_error by eta"}, nil},
		{"sensitivity-eta", "sensitivity", []string{"-figure", "sensitivity", "-x", "eta"}, figures.Options{Figure: figures.Sensitivity, X: "eta"},
			20 * vg.Centimeter, 12 * vg.Centimeter, []string{"final train_error by eta"}, []string{"BP", "NDI"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sweep == "classification" || tc.sweep == "autoencoder" {
				mnisttest.Require(t)
			}
			dir := sweeps.dir(t, tc.sweep)
			runs, errs := results.ReadRuns(dir)
			curves, errs2 := results.ReadCurves(dir)
			if len(errs)+len(errs2) > 0 {
				t.Fatal(errs, errs2)
			}
			fig, err := figures.New(runs, curves, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, p := range fig.Panels() {
				titles = append(titles, p.Title)
			}
			if !slices.Equal(titles, tc.panels) || fig.Width != tc.w || fig.Height != tc.h {
				t.Errorf("panels %q in %v × %v, want %q in %v × %v", titles, fig.Width, fig.Height, tc.panels, tc.w, tc.h)
			}
			formats := []string{"png", "svg"}
			if tc.name == "fig3-nonlinear" {
				formats = append(formats, "pdf")
			}
			for _, format := range formats {
				out := filepath.Join(t.TempDir(), "figure."+format)
				start := time.Now()
				code, _, errs := cli(t, append(append([]string{"plot"}, tc.flags...), "-o", out, dir)...)
				if code != 0 {
					t.Fatalf("plot %s: exit %d\n%s", format, code, errs)
				}
				t.Logf("%s in %v", format, time.Since(start).Round(time.Millisecond))
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				switch format {
				case "png":
					checkPNG(t, data, fig)
				case "svg":
					checkSVG(t, data, fig, tc.types)
				case "pdf":
					if !bytes.HasPrefix(data, []byte("%PDF")) {
						t.Errorf("PDF starts with %q", data[:min(8, len(data))])
					}
				}
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		dir := sweeps.dir(t, "linear")
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"plot", "-figure", "fig4", dir}, 2,
				"figure does not fit the results: fig4 draws mnist_autoencoder and mnist_classification, the results are linear_regression"},
			{[]string{"plot", "-metric", "accuracy", dir}, 2,
				`metric not recorded: "accuracy" (recorded: angle_B_negWT, angle_delta_NDI, angle_delta_PBP, lambda_max, train_error)`},
			{[]string{"plot", "-figure", "fig3", "-by", "eta", dir}, 2, "-metric and -by are for -figure metric and sensitivity, not fig3"},
			{[]string{"plot", "-figure", "sensitivity", dir}, 2, "-figure sensitivity needs -x AXIS"},
			{[]string{"plot", "-x", "fback_type", dir}, 2, `-x: "fback_type" is not an axis with numeric values`},
			{[]string{"plot", "-x", "eta", "-by", "leak", dir}, 2, "-figure sensitivity draws a line per model or per model_type, not per leak"},
			{[]string{"plot", "-figure", "fig3", "-x", "eta", dir}, 2, "-x is for -figure sensitivity, not fig3"},
			{[]string{"summary", "-by", "seed", dir}, 2, `-by: "seed" is not an axis with numeric values`},
			{[]string{"plot", "-x", "bias", dir}, 2, "no cell has a numeric value of bias"},
		} {
			code, _, errs := cli(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errs, tc.code, tc.want)
			}
		}
	})
}

// checkPNG checks the image's size and that each panel's data area holds
// coloured pixels: neither the white background nor the black or grey of
// axes and text.
func checkPNG(t *testing.T, data []byte, fig *figures.Figure) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	px := func(l vg.Length) int { return int(float64(l/vg.Inch)*figures.DPI + 0.5) } // vgimg rounds
	b := img.Bounds()
	if b.Dx() != px(fig.Width) || b.Dy() != px(fig.Height) {
		t.Errorf("PNG is %d × %d pixels, want %d × %d", b.Dx(), b.Dy(), px(fig.Width), px(fig.Height))
	}
	for _, p := range fig.Panels() {
		r := image.Rect(px(p.Area.Min.X)+2, b.Dy()-px(p.Area.Max.Y)+2, px(p.Area.Max.X)-2, b.Dy()-px(p.Area.Min.Y)-2)
		var n int
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if chroma(img.At(x, y)) >= 24 {
					n++
				}
			}
		}
		// A line across the panel alone is a few thousand pixels.
		if n < 1000 {
			t.Errorf("panel %q: %d coloured pixels in its %v data area, want at least 1000", p.Title, n, r.Size())
		}
	}
}

// chroma is the spread of a pixel's 8-bit channels: 0 for white, black and
// greys.
func chroma(c interface{ RGBA() (r, g, b, a uint32) }) int {
	r, g, b, _ := c.RGBA()
	return int(max(r, g, b)>>8) - int(min(r, g, b)>>8)
}

// checkSVG checks that the SVG parses, has the figure's size in points, and
// draws paths in each rule's colour (or, without rules, in several colours).
func checkSVG(t *testing.T, data []byte, fig *figures.Figure, types []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	strokes := map[string]bool{}
	var w, h string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range el.Attr {
			switch {
			case el.Name.Local == "svg" && a.Name.Local == "width":
				w = a.Value
			case el.Name.Local == "svg" && a.Name.Local == "height":
				h = a.Value
			case el.Name.Local == "path" && a.Name.Local == "style":
				for _, decl := range strings.Split(a.Value, ";") {
					if c, ok := strings.CutPrefix(decl, "stroke:#"); ok {
						strokes[strings.ToUpper(c)] = true
					}
				}
			}
		}
	}
	points := func(s string) float64 {
		v, _ := strconv.ParseFloat(strings.TrimSuffix(s, "pt"), 64)
		return v
	}
	if math.Abs(points(w)-fig.Width.Points()) > 0.01 || math.Abs(points(h)-fig.Height.Points()) > 0.01 {
		t.Errorf("SVG is %s × %s, want %.2fpt × %.2fpt", w, h, fig.Width.Points(), fig.Height.Points())
	}
	for _, typ := range types {
		c := figures.TypeColor(typ)
		if hex := fmt.Sprintf("%02X%02X%02X", c.R, c.G, c.B); !strokes[hex] {
			t.Errorf("no SVG path is drawn in %s's colour #%s", typ, hex)
		}
	}
	var coloured int
	for s := range strokes {
		v, _ := strconv.ParseUint(s, 16, 32)
		r, g, b := uint8(v>>16), uint8(v>>8), uint8(v)
		if max(r, g, b)-min(r, g, b) >= 24 {
			coloured++
		}
	}
	if coloured < 2 {
		t.Errorf("SVG strokes in %d colours, want at least 2", coloured)
	}
}

// summarySweep is the plan of the hand-made results folder of the summary
// tests: three models in the order BP, FA, DI (not alphabetical), two etas.
const summarySweep = `
sweep: golden
experiment: mnist_classification
seeds: [0, 1, 2]
defaults: {eta: 0.001}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
grid:
  eta: [0.001, 0.01]
`

// summaryFolder writes a results folder by hand with results.WriteRun: the
// sweep.yaml of summarySweep and a runs file per cell with fixed numbers,
// wall seconds included, so that the summary is the same on every machine.
// BP at eta 0.01 failed on every seed, DI at eta 0.01 diverged on seed 1 and
// failed on seed 2, FA at eta 0.001 has no test error on seed 0, and one
// finished cell of an earlier plan (NDI-old) is not in the plan.
func summaryFolder(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "golden.yaml")
	if err := os.WriteFile(cfg, []byte(summarySweep), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sweep.NewPlan(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "golden")
	if err := sweep.Prepare(p, dir, nil); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write := func(r results.Run) {
		if err := results.WriteRun(filepath.Join(dir, "runs", r.CellID+".parquet"), r); err != nil {
			t.Fatal(err)
		}
	}
	for i, cell := range p.Cells {
		d := cell.Def
		r := results.Run{
			CellKey: cell.Key(p.Config.Sweep), FbackGain: d.FbackGain(), Params: d.ParamsJSON(),
			Status: results.StatusOK, Steps: 300, FinalTrainError: fp(0.05 + float64(0.01*float64(i))), FinalTestError: fp(0.08 + float64(0.005*float64(i))), // no FMA
			WallSeconds: 1.25 * float64(i+1), StartedAt: started, FinishedAt: started.Add(time.Minute),
			ToolVersion: "test", ConfigSHA256: p.Config.SHA256,
		}
		switch {
		case cell.Model == "BP" && d.Params.Eta == 0.01, cell.Model == "DI" && d.Params.Eta == 0.01 && d.Seed == 2:
			r.Status, r.Message = results.StatusFailed, "linalg: feedback loop not stable"
			r.FinalTrainError, r.FinalTestError = nil, nil
		case cell.Model == "DI" && d.Params.Eta == 0.01 && d.Seed == 1:
			r.Status, r.FinalTrainError, r.FinalTestError = results.StatusDiverged, fp(math.NaN()), fp(math.NaN())
		case cell.Model == "FA" && d.Params.Eta == 0.001 && d.Seed == 0:
			r.FinalTestError = nil // not measured
		}
		write(r)
	}
	leak := 0.001
	write(results.Run{
		CellKey: results.CellKey{CellID: "00000000deadbeef", Sweep: "golden", Experiment: "mnist_classification",
			Model: "NDI-old", ModelType: "NDI", FbackType: "neg-transpose", Leak: &leak, Eta: 0.001, Seed: 0},
		Params: "{}", Status: results.StatusOK, Steps: 300, FinalTrainError: fp(0.5), FinalTestError: fp(0.25), WallSeconds: 100,
		StartedAt: started, FinishedAt: started,
	})
	return dir
}

// TestSummaryGolden compares the three formats of summary with golden files.
// The folder is made by hand (summaryFolder), so the timing column is fixed.
func TestSummaryGolden(t *testing.T) {
	dir := summaryFolder(t)
	for _, format := range []string{"text", "markdown", "csv"} {
		code, out, errs := cli(t, "summary", "-format", format, dir)
		if code != 0 || !strings.HasSuffix(errs, "golden are not in its sweep.yaml (an earlier plan): their rows say plan \"other\"\n") {
			t.Fatalf("%s: exit %d\n%s", format, code, errs)
		}
		golden(t, "summary/"+format, out)
	}
}

// TestReportUsage checks the exit codes and messages of plot and summary
// mistakes that need no learning curves.
func TestReportUsage(t *testing.T) {
	dir := summaryFolder(t) // runs but no curves
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plot", "-figure", "fig5", dir}, 2, `-figure: unknown figure "fig5" (valid: auto, fig3, fig4, metric, sensitivity)`},
		{[]string{"plot", "-by", "lr", dir}, 2, `-by: unknown axis "lr" (valid: model, model_type, fback_type, leak, eta, w_decay, seed, or an experiment parameter such as tsteps)`},
		{[]string{"plot", "-o", "figure.jpg", dir}, 2, `-o: figure.jpg: unknown extension ".jpg" (want .png, .svg or .pdf)`},
		{[]string{"plot", "-o", "figure", dir}, 2, `unknown extension ""`},
		{[]string{"plot"}, 2, "plot: want one results DIR, got 0 arguments"},
		{[]string{"plot", empty}, 2, "is not a results folder: it has no runs/"},
		{[]string{"plot", "-figure", "fig3", dir}, 2, "fig3 draws linear_regression and nonlinear_regression, the results are mnist_classification"},
		{[]string{"plot", "-o", filepath.Join(empty, "f.svg"), dir}, 1, "nothing to draw: no finite points for fig4 in the curves of the 14 cells"},
		{[]string{"plot", "-h"}, 0, "Usage: dinv plot"},
		{[]string{"summary", "-format", "html", dir}, 2, `-format: unknown format "html" (valid: text, markdown, csv)`},
		{[]string{"summary", empty}, 2, "is not a results folder: it has no runs/"},
		{[]string{"summary", filepath.Join(empty, "nope")}, 2, "is not a results folder: it does not exist"},
		{[]string{"status", empty}, 2, "is not a results folder: it has no sweep.yaml"},
		{[]string{"status", filepath.Join(empty, "nope")}, 2, "is not a results folder: it does not exist"},
		{[]string{"status", filepath.Join(dir, "sweep.yaml")}, 2, "is not a results folder: it is a file"},
		{[]string{"plot", filepath.Join(dir, "sweep.yaml")}, 2, "is not a results folder: it is a file"},
		{[]string{"summary", "-h"}, 0, "Usage: dinv summary"},
	} {
		code, _, errs := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(empty, "f.svg")); err == nil {
		t.Error("plot wrote a figure with nothing to draw")
	}
}

// TestSummarySensitivity checks summary -by eta against the runs table: per
// model and eta, the median, minimum and maximum of final_train_error
// across the three seeds (the last point of each cell's curve is its final
// error), as plot -figure sensitivity draws them.
func TestSummarySensitivity(t *testing.T) {
	sweeps := &sweepDirs{root: t.TempDir(), dirs: map[string]string{}}
	dir := sweeps.dir(t, "sensitivity")
	code, out, errs := cli(t, "summary", "-by", "eta", "-format", "csv", dir)
	if code != 0 {
		t.Fatalf("summary -by eta: exit %d\n%s", code, errs)
	}
	runs, _ := results.ReadRuns(dir)
	finals := map[string][]float64{}
	for _, r := range runs {
		k := r.Model + " " + strconv.FormatFloat(r.Eta, 'g', -1, 64)
		finals[k] = append(finals[k], *r.FinalTrainError)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"model", "model_type", "layer", "eta", "cells", "train_error_median", "train_error_min", "train_error_max"}; !slices.Equal(recs[0], want) {
		t.Fatalf("header %q, want %q", recs[0], want)
	}
	if len(recs)-1 != len(finals) || len(finals) != 8 {
		t.Fatalf("%d rows, want %d (2 models x 4 drawn etas)", len(recs)-1, len(finals))
	}
	for _, rec := range recs[1:] {
		vs := finals[rec[0]+" "+rec[3]]
		slices.Sort(vs)
		if len(vs) != 3 {
			t.Errorf("row %q: %d runs of that model and eta, want 3", rec, len(vs))
			continue
		}
		want := []string{"3", strconv.FormatFloat(vs[1], 'g', -1, 64), strconv.FormatFloat(vs[0], 'g', -1, 64), strconv.FormatFloat(vs[2], 'g', -1, 64)}
		if !slices.Equal(rec[4:], want) {
			t.Errorf("row %q: cells, median, min, max %q, want %q from the runs table", rec, rec[4:], want)
		}
	}
}
