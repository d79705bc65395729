package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dinv/config"
	"dinv/results"
	"dinv/results/figures"
	"dinv/results/summary"
	"dinv/sweep"
)

func plotCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", "plot [-o FILE] [-figure NAME] [-metric M] [-by AXIS] DIR",
		"Draws the results folder `DIR` as the paper's figure: Fig. 3 for the regressions (error\n"+
			"normalised per seed, then DI's and SDI's lambda_max and angles), Fig. 4 for MNIST (test and\n"+
			"train error), or one metric against step (-figure metric, one line per model or per value of\n"+
			"-by). Lines are medians across seeds, bands their min-max. The format follows FILE's\n"+
			"extension: .png (150 dpi), .svg or .pdf. -metric or -by alone choose -figure metric.", stderr)
	out := fs.String("o", "", "output `FILE`: .png, .svg or .pdf (default DIR/figure.png)")
	figure := fs.String("figure", figures.Auto, "`NAME`: auto (fig3 or fig4, from the experiment), fig3, fig4 or metric")
	metric := fs.String("metric", "train_error", "the metric `M` that -figure metric draws")
	by := fs.String("by", "model", "one line per value of `AXIS` in -figure metric: "+strings.Join(figures.Axes, ", "))
	pos, err := parse(fs, args, 1, "one results DIR")
	if err != nil {
		return helpOK(err)
	}
	if !slices.Contains(figures.Figures, *figure) {
		return &usageError{fmt.Sprintf("-figure: unknown figure %q (valid: %s)", *figure, strings.Join(figures.Figures, ", "))}
	}
	if !slices.Contains(figures.Axes, *by) {
		return &usageError{fmt.Sprintf("-by: unknown axis %q (valid: %s)", *by, strings.Join(figures.Axes, ", "))}
	}
	if set := flagsSet(fs); set["metric"] || set["by"] {
		switch *figure {
		case figures.Auto:
			*figure = figures.Metric
		case figures.Metric:
		default:
			return &usageError{fmt.Sprintf("-metric and -by are for -figure metric, not %s", *figure)}
		}
	}
	dir := pos[0]
	path := *out
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
	f, err := figures.New(runs, curves, figures.Options{Figure: *figure, Metric: *metric, By: *by})
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

// flagsSet names the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// readRuns reads the runs of a results folder, reporting unreadable files
// on stderr; a folder without runs is an error.
func readRuns(dir string, stderr io.Writer) ([]results.Run, error) {
	if err := isFolder(dir); err != nil {
		return nil, err
	}
	runs, errs := results.ReadRuns(dir)
	if len(runs) == 0 && len(errs) == 1 && errors.Is(errs[0], fs.ErrNotExist) {
		return nil, &usageError{fmt.Sprintf("%s is not a results folder: it has no runs/", dir)}
	}
	for _, err := range errs {
		fmt.Fprintln(stderr, "dinv: skipping:", err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: no finished cells in runs/", dir)
	}
	return runs, nil
}

func summaryCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", "summary [-format text|markdown|csv] DIR",
		"Summarises the results folder `DIR`: one row per model and grid point with its cells ok,\n"+
			"diverged and failed, the mean and standard deviation of the final train and test errors\n"+
			"across the ok seeds (- or blank where not measured), and the CPU time (sum of wall_seconds).\n"+
			"Rows follow the plan of DIR/sweep.yaml.", stderr)
	format := fs.String("format", "text", "`text` (aligned columns), markdown (a pipe table) or csv")
	pos, err := parse(fs, args, 1, "one results DIR")
	if err != nil {
		return helpOK(err)
	}
	write := map[string]func(io.Writer, []summary.Row) error{
		"text": summary.Text, "markdown": summary.Markdown, "csv": summary.CSV,
	}[*format]
	if write == nil {
		return &usageError{fmt.Sprintf("-format: unknown format %q (valid: text, markdown, csv)", *format)}
	}
	dir := pos[0]
	runs, err := readRuns(dir, stderr)
	if err != nil {
		return err
	}
	rows := summary.Rows(runs, planOrder(dir, stderr))
	other := 0
	for _, r := range rows {
		if r.Plan == "other" {
			other += r.OK + r.Diverged + r.Failed
		}
	}
	if other > 0 {
		fmt.Fprintf(stderr, "dinv: %d cells of %s are not in its sweep.yaml (an earlier plan): their rows say plan \"other\"\n", other, dir)
	}
	return write(stdout, rows)
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
		fmt.Fprintf(stderr, "dinv: %d finished cells of %s have no readable curves file and are not drawn: 'dinv run %s' runs them again\n",
			missing, dir, filepath.Join(dir, "sweep.yaml"))
	}
	return keep
}

// planOrder maps each cell id of the plan of DIR/sweep.yaml to its index;
// nil, after a note on stderr, when there is no readable sweep.yaml.
func planOrder(dir string, stderr io.Writer) map[string]int {
	path := filepath.Join(dir, "sweep.yaml")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "dinv: %s has no sweep.yaml: rows in order of model name\n", dir)
		return nil
	}
	c, err := config.Load(path)
	var p *sweep.Plan
	if err == nil {
		p, err = sweep.NewPlan(c, math.MaxInt)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dinv: %v\ndinv: rows in order of model name\n", err)
		return nil
	}
	order := make(map[string]int, len(p.Cells))
	for _, cell := range p.Cells {
		order[cell.ID] = cell.Index
	}
	return order
}

// isFolder is a usage error (exit 2) unless dir is a folder: status, plot
// and summary say alike that a wrong argument is not a results folder.
func isFolder(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &usageError{fmt.Sprintf("%s is not a results folder: it does not exist", dir)}
	case err != nil:
		return &usageError{fmt.Sprintf("%s is not a results folder: %v", dir, err)}
	case !fi.IsDir():
		return &usageError{fmt.Sprintf("%s is not a results folder: it is a file", dir)}
	}
	return nil
}
