package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"dinv/results/summary"
)

var summaryCommand = &command{
	name: "summary", arg: "DIR", want: "one results DIR",
	summary: "one row per model and grid value: final errors across seeds, cells, CPU time",
	about: "Summarises the results folder `DIR`: one row per model and grid point with its cells ok,\n" +
		"diverged and failed, the mean and standard deviation of the final train and test errors\n" +
		"across the ok seeds (- or blank where not measured), and the CPU time (sum of wall_seconds).\n" +
		"Rows follow the plan of DIR/sweep.yaml.",
	new: func() runner { return new(summaryCmd) },
}

type summaryCmd struct{ format string }

func (c *summaryCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "text", "the table: `text|markdown|csv` for aligned columns, a pipe table or comma-separated values")
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
