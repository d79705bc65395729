package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"dinv/models"
	"dinv/sweep"
)

var runCommand = &command{
	name: "run", arg: "CONFIG", want: "one CONFIG",
	summary: "run the cells of CONFIG that are not finished yet (resumes)",
	about: "Runs the cells of the sweep in `CONFIG` that are not finished yet into DIR: runs/ and curves/\n" +
		"(Parquet, one file per cell) and sweep.yaml. Rerunning resumes: finished cells are skipped,\n" +
		"failed ones are tried again, and cells stopped in flight continue from DIR/checkpoints/.\n" +
		"A signal (Ctrl-C, SIGTERM) makes the cells in flight checkpoint and stop; a second one\n" +
		"stops at once. Exit codes: 0 all cells ok or diverged, 1 some failed,\n" +
		"2 usage or configuration error, 130 interrupted.",
	new: func() runner { return new(runCmd) },
}

type runCmd struct {
	out, shard, data string
	jobs, maxCells   int
	resolved         bool
	checkpointEvery  time.Duration
	requeue          int
	saveWeights      bool
	sets             []string
}

func (c *runCmd) flags(fs *flag.FlagSet) {
	outFlag(fs, &c.out, "")
	fs.IntVar(&c.jobs, "jobs", runtime.NumCPU(), "run `N` cells at once")
	fs.StringVar(&c.shard, "shard", "", "run only shard `K/N` of the plan (1 <= K <= N)")
	maxCellsFlag(fs, &c.maxCells)
	fs.BoolVar(&c.resolved, "resolved", false, "CONFIG is a results folder's sweep.yaml, unchanged since dinv wrote it: "+
		"run it as the configuration it was resolved from, whose sha256 its header records (as dinv slurm's tasks do)")
	fs.DurationVar(&c.checkpointEvery, "checkpoint-every", sweep.DefaultCheckpointEvery,
		"write each running cell's state to DIR/checkpoints every `DURATION` (and when stopped by a signal), "+
			"so that an interrupted cell continues where it was; 0 writes none")
	fs.BoolVar(&c.saveWeights, "save-weights", false, "keep each finished cell's final weights, biases and feedback as DIR/weights/<cell_id>.npz "+
		"(as save_weights: true in CONFIG does)")
	fs.IntVar(&c.requeue, "requeue", 0, "in a Slurm task (as dinv slurm -requeue writes them): when a signal stopped the run with cells unfinished, "+
		"requeue the task (scontrol requeue) unless Slurm restarted it `N` times already; 0: never")
	fs.StringVar(&c.data, "data", "", "MNIST data `DIR` (default: the config's data_dir, ./data, then the Go module cache)")
	setsFlag(fs, &c.sets)
}

func (c *runCmd) run(ctx context.Context, _ *flag.FlagSet, cfg string, stdout, stderr io.Writer) error {
	k, n, err := parseShard(c.shard)
	if err != nil {
		return err
	}
	if c.jobs < 1 {
		return &usageError{fmt.Sprintf("-jobs must be at least 1, got %d", c.jobs)}
	}
	if c.checkpointEvery < 0 {
		return &usageError{fmt.Sprintf("-checkpoint-every must not be negative, got %v", c.checkpointEvery)}
	}
	p, err := loadPlan(cfg, c.sets, c.maxCells, c.resolved, stderr)
	if err != nil {
		return err
	}
	dir := resultsDir(c.out, p)
	env := models.Env{DataDir: p.Config.DataDir}
	if c.data != "" {
		env.DataDir = c.data
	}
	opt := sweep.Options{
		Dir: dir, Jobs: c.jobs, Shard: k, Shards: n, Env: env, Stderr: stderr,
		TTY: isTerminal(stderr), Version: toolVersion(), Commit: gitCommit(ctx),
		CheckpointEvery: c.checkpointEvery, Drain: drainOf(ctx), SaveWeights: c.saveWeights || p.Config.SaveWeights,
	}
	s, err := sweep.Run(ctx, p, opt)
	if errors.Is(err, sweep.ErrInterrupted) && c.requeue > 0 {
		requeue(ctx, c.requeue, stderr)
	}
	if err == nil || errors.Is(err, sweep.ErrCellsFailed) || errors.Is(err, sweep.ErrInterrupted) && s.OK+s.Diverged+s.Skipped > 0 {
		fmt.Fprintf(stderr, "next: 'dinv status %[1]s', 'dinv summary %[1]s', 'dinv plot %[1]s'\n", dir)
	}
	return err
}

// requeue puts the Slurm task this run is back in the queue, unless Slurm
// restarted it max times already; it says what it did on stderr. The
// checkpoints are written: the task continues from them when it runs again.
func requeue(ctx context.Context, max int, stderr io.Writer) {
	job := os.Getenv("SLURM_JOB_ID")
	if a, t := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		job = a + "_" + t
	}
	if job == "" {
		fmt.Fprintln(stderr, "-requeue: not in a Slurm job (no SLURM_JOB_ID): not requeued")
		return
	}
	restarts, _ := strconv.Atoi(os.Getenv("SLURM_RESTART_COUNT"))
	if restarts >= max {
		fmt.Fprintf(stderr, "-requeue: task %s was restarted %d times, the most -requeue allows: not requeued; "+
			"'dinv slurm -submit' with the same flags submits what is pending\n", job, restarts)
		return
	}
	// The context may be cancelled by then (a second signal): requeue anyway.
	out, err := exec.CommandContext(context.WithoutCancel(ctx), "scontrol", "requeue", job).CombinedOutput()
	if err != nil {
		fmt.Fprintf(stderr, "-requeue: scontrol requeue %s: %v %s\n", job, err, strings.TrimSpace(string(out)))
		return
	}
	fmt.Fprintf(stderr, "requeued task %s (restart %d of at most %d); it continues from its checkpoints\n", job, restarts+1, max)
}

func parseShard(s string) (k, n int, err error) {
	if s == "" {
		return 1, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, &usageError{fmt.Sprintf("-shard: want K/N with 1 <= K <= N, got %q", s)}
	}
	return k, n, nil
}

// isTerminal reports whether w is a terminal that can show a bar: one with
// a width (a pseudo-terminal without one would show nothing).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0
}

// version is the tool's version when the build does not carry a module version.
const version = "0.4.0-dev"

// toolVersion is the module version when the binary carries one.
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// gitCommit is the commit the binary was built from: stamped by the go
// command when it can, else asked of git when the working folder is a
// checkout, else empty. "-dirty" marks uncommitted changes to tracked files.
func gitCommit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if modified == "true" {
				rev += "-dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(rev))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += "-dirty"
	}
	return commit
}
