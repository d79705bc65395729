package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"dinv/models"
	"dinv/results"
	"dinv/results/figures"
	"dinv/results/summary"
)

var summaryCommand = &command{
	name: "summary", arg: "DIR", want: "one results DIR",
	summary: "one row per model and grid value: final errors across seeds, cells, CPU time",
	about: "Summarises the results folder `DIR`: one row per model and grid point with its cells ok,\n" +
		"diverged and failed, the mean and standard deviation of the final train and test errors\n" +
		"across the ok seeds (- or blank where not measured), and the CPU time (sum of wall_seconds).\n" +
		"Rows follow the plan of DIR/sweep.yaml. With -by AXIS, the numbers of plot -figure sensitivity\n" +
		"-x AXIS instead: per model and value of AXIS, the median, minimum and maximum across seeds of\n" +
		"each cell's final value of -metric.",
	new: func() runner { return new(summaryCmd) },
}

type summaryCmd struct{ format, by, metric string }

func (c *summaryCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "text", "the table: `text|markdown|csv` for aligned columns, a pipe table or comma-separated values")
	fs.StringVar(&c.by, "by", "", "the final value of -metric against `AXIS` (eta, w_decay, leak, or a numeric experiment parameter), per model: the numbers of plot -figure sensitivity")
	fs.StringVar(&c.metric, "metric", models.MetricTrainError, "the metric `M` of -by")
}

func (c *summaryCmd) run(_ context.Context, _ *flag.FlagSet, dir string, stdout, stderr io.Writer) error {
	write := map[string]func(io.Writer, []summary.Row) error{
		"text": summary.Text, "markdown": summary.Markdown, "csv": summary.CSV,
	}[c.format]
	if write == nil {
		return &usageError{fmt.Sprintf("-format: unknown format %q (valid: text, markdown, csv)", c.format)}
	}
	runs, err := readRuns(dir, stderr)
	if err != nil {
		return err
	}
	if c.by != "" {
		return c.sensitivity(dir, runs, stdout, stderr)
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

// sensitivity writes the table of plot -figure sensitivity -x c.by.
func (c *summaryCmd) sensitivity(dir string, runs []results.Run, stdout, stderr io.Writer) error {
	if !figures.SensitivityAxis(c.by) {
		return &usageError{fmt.Sprintf("-by: %q is not an axis with numeric values (eta, w_decay, leak, fback_gain, fback_scale, or an experiment parameter such as tsteps)", c.by)}
	}
	runs = currentPlan(dir, runs, stderr)
	curves, errs := results.ReadCurves(dir)
	for _, err := range errs {
		fmt.Fprintln(stderr, "dinv: skipping:", err)
	}
	table, err := figures.SensitivityTable(runs, withCurves(runs, curves, dir, stderr), figures.Options{Metric: c.metric, X: c.by})
	switch {
	case errors.Is(err, figures.ErrMismatch) || errors.Is(err, figures.ErrNoMetric):
		return &usageError{fmt.Sprintf("%s: %v", dir, err)}
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	}
	num := summary.Short
	if c.format == "csv" {
		num = summary.Full
	}
	header := []string{"model", "model_type", "layer", c.by, "cells", c.metric + "_median", c.metric + "_min", c.metric + "_max"}
	var rows [][]string
	for _, r := range table {
		rows = append(rows, []string{r.Line, r.ModelType, strconv.Itoa(int(r.Layer)), summary.Full(r.X), strconv.Itoa(r.N),
			num(r.Median), num(r.Min), num(r.Max)})
	}
	right := make([]bool, len(header))
	for i := 2; i < len(right); i++ {
		right[i] = true
	}
	return summary.Table(stdout, c.format, header, rows, right)
}
