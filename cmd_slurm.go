package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"dinv/sweep"
)

var slurmCommand = &command{
	name: "slurm", arg: "CONFIG", want: "one CONFIG",
	summary: "run the sweep as a Slurm job array (writes the sbatch script; -submit submits it)",
	about: "Writes an sbatch script into DIR/slurm/ whose array tasks each run one shard of the sweep in\n" +
		"`CONFIG` (run -shard K/N) into DIR, and prints the sbatch commands; with -submit it submits\n" +
		"them and prints the job ids. Only shards with unfinished cells are submitted, so after a\n" +
		"failure, a time-out or scancel, the same command submits what is still pending.\n" +
		"It does not wait: follow the sweep with 'dinv status DIR'.",
	new: func() runner { return new(slurmCmd) },
}

type slurmCmd struct {
	out, partition, timeLimit, mem              string
	perTask, maxArray, throttle, cpus, maxCells int
	submit, requeue                             bool
	maxRequeues                                 int
	signalLead                                  time.Duration
	sets                                        []string
}

func (c *slurmCmd) flags(fs *flag.FlagSet) {
	outFlag(fs, &c.out, "; must be on a file system the nodes share")
	fs.IntVar(&c.perTask, "cells-per-task", 1, "cells in each array task (`N`)")
	fs.IntVar(&c.maxArray, "max-array-size", 1001, "keep array indices below `N`, the cluster's MaxArraySize, when 'scontrol show config' cannot tell; the smaller wins")
	fs.IntVar(&c.throttle, "throttle", 0, "run at most `N` tasks at once (sbatch --array=...%N; 0: no limit)")
	fs.StringVar(&c.partition, "partition", "", "Slurm partition `P`")
	fs.StringVar(&c.timeLimit, "time", "", "time limit `T` of each task (sbatch --time, e.g. 2:00:00)")
	fs.IntVar(&c.cpus, "cpus-per-task", 1, "`C` CPUs for each task, which runs that many cells at once")
	fs.StringVar(&c.mem, "mem", "", "memory `M` of each task (sbatch --mem, e.g. 4G)")
	fs.BoolVar(&c.submit, "submit", false, "submit with sbatch")
	fs.DurationVar(&c.signalLead, "signal-lead", 2*time.Minute, "ask Slurm to signal each task `DURATION` before its time limit "+
		"(sbatch --signal, in whole seconds; Slurm may signal up to a minute earlier), so that it checkpoints its cells in flight and exits; 0: no early signal")
	fs.BoolVar(&c.requeue, "requeue", false, "a task that the signal stopped with cells unfinished requeues itself and continues from its checkpoints "+
		"(sbatch --requeue; needs a cluster that allows requeueing)")
	fs.IntVar(&c.maxRequeues, "max-requeues", 20, "with -requeue: requeue each task at most `N` times")
	maxCellsFlag(fs, &c.maxCells)
	setsFlag(fs, &c.sets)
}

func (c *slurmCmd) run(ctx context.Context, fs *flag.FlagSet, cfg string, stdout, stderr io.Writer) error {
	switch {
	case c.perTask < 1:
		return &usageError{fmt.Sprintf("-cells-per-task must be at least 1, got %d", c.perTask)}
	case c.cpus < 1:
		return &usageError{fmt.Sprintf("-cpus-per-task must be at least 1, got %d", c.cpus)}
	case c.maxArray < 1:
		return &usageError{fmt.Sprintf("-max-array-size must be at least 1, got %d", c.maxArray)}
	case c.throttle < 0:
		return &usageError{fmt.Sprintf("-throttle must not be negative, got %d", c.throttle)}
	case c.signalLead < 0:
		return &usageError{fmt.Sprintf("-signal-lead must not be negative, got %v", c.signalLead)}
	case c.maxRequeues < 1:
		return &usageError{fmt.Sprintf("-max-requeues must be at least 1, got %d", c.maxRequeues)}
	}
	// What reaches an #SBATCH line must be Slurm syntax: a newline there
	// would end the comment, and bash would run the rest of the value.
	for _, f := range []struct {
		name, value string
		check       func(string) error
	}{
		{"partition", c.partition, sweep.CheckPartition},
		{"time", c.timeLimit, sweep.CheckTime},
		{"mem", c.mem, sweep.CheckMem},
	} {
		if f.value == "" {
			continue // not set: no line
		}
		if err := f.check(f.value); err != nil {
			return &usageError{"-" + f.name + ": " + err.Error()}
		}
	}
	requeues := 0
	if c.requeue {
		requeues = c.maxRequeues
	}
	p, err := loadPlan(cfg, c.sets, c.maxCells, false, stderr)
	if err != nil {
		return err
	}
	name := "dinv-" + p.Config.Sweep
	if err := sweep.CheckJobName(name); err != nil {
		return fmt.Errorf("%s: the sweep name makes the Slurm job name: %w", cfg, err)
	}
	dir, err := filepath.Abs(resultsDir(c.out, p))
	if err != nil {
		return err
	}
	if err := sweep.CheckPath(dir); err != nil {
		return &usageError{"-out: " + err.Error()}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := sweep.CheckPath(wd); err != nil {
		return fmt.Errorf("the working folder, where the tasks start: %w", err)
	}
	a, err := sweep.NewSlurmArray(p, sweep.SlurmJob{
		Name: name, Dir: dir, WorkDir: wd, CPUsPerTask: c.cpus, Partition: c.partition, Time: c.timeLimit, Mem: c.mem,
		SignalLead: c.signalLead, Requeues: requeues,
	}, c.perTask, stderr)
	if err != nil {
		return err
	}
	n := a.Job.Shards
	fmt.Fprintf(stdout, "sweep %s: %d cells, %d finished; %d tasks of up to %d cells, %d with unfinished cells\n",
		p.Config.Sweep, len(p.Cells), a.Finished, n, c.perTask, len(a.Pending))
	if len(a.Pending) == 0 {
		fmt.Fprintf(stdout, "nothing to submit: every cell is finished (dinv status %s)\n", dir)
		return nil
	}

	capSize, capFrom := c.maxArray, "-max-array-size"
	if v, ok := sweep.MaxArraySize(ctx); ok && (v < capSize || !flagsSet(fs)["max-array-size"]) {
		capSize, capFrom = v, "scontrol show config"
	}
	chunks := sweep.Chunk(a.Pending, capSize)
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("copying the tool for the tasks: %w", err)
	}
	script, err := a.Stage(exe)
	if err != nil {
		return err
	}
	if last, tasks := a.LastSubmission(); last != "" && tasks != n {
		fmt.Fprintf(stderr, "warning: the last submission split the sweep differently (%s); while its tasks run, "+
			"tasks of this one fail with \"results folder in use\" (shards of different counts overlap): submit again when they have ended\n", last)
	}
	fmt.Fprintf(stdout, "script: %s\n", script)
	if len(chunks) > 1 {
		fmt.Fprintf(stdout, "array indices must stay below MaxArraySize %d (from %s): %d submissions\n", capSize, capFrom, len(chunks))
	}
	var sbatch string
	if c.submit {
		if sbatch, err = exec.LookPath("sbatch"); err != nil {
			return fmt.Errorf("-submit: sbatch not found on PATH (%v); the script is written, submit it by hand with the lines below without -submit", err)
		}
	}
	for _, ch := range chunks {
		args := sweep.SbatchArgs(script, ch, c.throttle)
		shards := fmt.Sprintf("shards %d-%d", ch.Offset+ch.Indices[0]+1, ch.Offset+ch.Indices[len(ch.Indices)-1]+1)
		if !c.submit {
			fmt.Fprintf(stdout, "sbatch %s    # %d tasks, %s\n", strings.Join(args[1:], " "), len(ch.Indices), shards)
			continue
		}
		id, err := a.Submit(ctx, sbatch, ch, args)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "submitted job %s: %s (%d tasks, %s)\n", id, args[1], len(ch.Indices), shards)
	}
	fmt.Fprintf(stdout, "task logs: %s/%%A_%%a.out; follow with: dinv status %s\n", filepath.Join(dir, "slurm"), dir)
	return nil
}
