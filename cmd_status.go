package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"dinv/sweep"
)

var statusCommand = &command{
	name: "status", arg: "DIR", want: "one results DIR",
	summary: "count the ok, diverged, failed and pending cells of a results folder",
	about: "Counts the ok, diverged, failed and pending cells of the results folder `DIR`\n" +
		"against the plan of its sweep.yaml, per model, and lists failed cells.",
	new: func() runner { return new(statusCmd) },
}

type statusCmd struct{ asJSON bool }

func (c *statusCmd) flags(fs *flag.FlagSet) {
	jsonFlag(fs, &c.asJSON, "one JSON object")
}

func (c *statusCmd) run(_ context.Context, _ *flag.FlagSet, dir string, stdout, stderr io.Writer) error {
	if err := isFolder(dir); err != nil {
		return err
	}
	s, err := sweep.ReadStatus(dir, math.MaxInt)
	if err != nil {
		return err
	}
	if c.asJSON {
		return json.NewEncoder(stdout).Encode(s)
	}
	fmt.Fprintf(stdout, "sweep %s (%s) in %s\n", s.Sweep, s.Experiment, s.Dir)
	fmt.Fprintf(stdout, "%d cells: %d ok, %d diverged, %d failed, %d pending\n", s.Cells, s.OK, s.Diverged, s.Failed, s.Pending)
	if s.Extra > 0 {
		fmt.Fprintf(stdout, "%d finished cells are not in the current plan (from an earlier sweep.yaml)\n", s.Extra)
	}
	for _, r := range s.Running {
		fmt.Fprintf(stdout, "running now: %s\n", r)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tcells\tok\tdiverged\tfailed\tpending")
	for _, m := range s.Models {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", m.Model, m.Cells, m.OK, m.Diverged, m.Failed, m.Pending)
	}
	tw.Flush()
	if len(s.FailedRuns) > 0 {
		fmt.Fprintln(stdout, "\nfailed cells (run the sweep again to retry them):")
		for _, f := range s.FailedRuns {
			fmt.Fprintf(stdout, "  %s  %s  seed %d: %s\n", f.CellID, f.Model, f.Seed, f.Message)
		}
	}
	for _, d := range s.Damaged {
		fmt.Fprintln(stdout, "damaged:", d)
	}
	return nil
}
