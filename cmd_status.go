package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

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
	if len(s.InFlight) > 0 {
		inFlight(stdout, s, statusNow())
	}
	for _, d := range s.Damaged {
		fmt.Fprintln(stdout, "damaged:", d)
	}
	return nil
}

// statusNow is the clock that ages are told from; tests fix it.
var statusNow = time.Now

// inFlight lists the cells in flight: where they are, their last errors,
// the age of their last checkpoint and of the progress file; a file that a
// run no longer updates (none holds the folder) is marked as left.
func inFlight(w io.Writer, s *sweep.Status, now time.Time) {
	fmt.Fprintf(w, "\ncells in flight (as their runs last wrote, every progress interval):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cell\tmodel\tseed\tstep\ttrain_error\ttest_error\tcheckpoint\tupdated\thost")
	for _, p := range s.InFlight {
		step := fmt.Sprintf("%d", p.Step)
		if p.Steps > 0 {
			step = fmt.Sprintf("%d/%d (%.0f%%)", p.Step, p.Steps, 100*float64(p.Step)/float64(p.Steps))
		}
		ckpt := "none yet"
		if !p.Checkpoint.IsZero() {
			ckpt = age(now, p.Checkpoint) + " ago"
		}
		updated := age(now, p.Updated) + " ago"
		if len(s.Running) == 0 {
			updated += " (left: no run holds the folder)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.CellID, p.Model, p.Seed, step,
			maybe(p.TrainError), maybe(p.TestError), ckpt, updated, fmt.Sprintf("%s:%d", p.Host, p.PID))
	}
	tw.Flush()
}

// age is a duration rounded for reading: seconds under a minute, then minutes.
func age(now, t time.Time) string {
	d := max(0, now.Sub(t))
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

func maybe(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *v)
}
