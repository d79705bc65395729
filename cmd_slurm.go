package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"dinv/results"
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
	submit                                      bool
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
	maxCellsFlag(fs, &c.maxCells)
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
	p, err := loadPlan(cfg, c.maxCells, stderr)
	if err != nil {
		return err
	}
	name := "dinv-" + p.Config.Sweep
	if err := sweep.CheckJobName(name); err != nil {
		return fmt.Errorf("%s: the sweep name makes the Slurm job name: %w", cfg, err)
	}
	dir := resultsDir(c.out, p)
	if dir, err = filepath.Abs(dir); err != nil {
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
	if err := sweep.Prepare(p, dir, stderr); err != nil {
		return err
	}
	sdir := filepath.Join(dir, "slurm")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return err
	}

	runs, _ := results.ReadRuns(dir) // unreadable files: their cells are pending
	status := make(map[string]results.Status, len(runs))
	for _, r := range runs {
		status[r.CellID] = r.Status
	}
	n := sweep.Tasks(len(p.Cells), c.perTask)
	pending := sweep.PendingShards(p, n, status)
	finished := 0
	for _, c := range p.Cells {
		if status[c.ID].Finished() {
			finished++
		}
	}
	fmt.Fprintf(stdout, "sweep %s: %d cells, %d finished; %d tasks of up to %d cells, %d with unfinished cells\n",
		p.Config.Sweep, len(p.Cells), finished, n, c.perTask, len(pending))
	if len(pending) == 0 {
		fmt.Fprintf(stdout, "nothing to submit: every cell is finished (dinv status %s)\n", dir)
		return nil
	}

	capSize, capFrom := c.maxArray, "-max-array-size"
	if v, ok := scontrolMaxArraySize(ctx); ok && (v < capSize || !flagsSet(fs)["max-array-size"]) {
		capSize, capFrom = v, "scontrol show config"
	}
	chunks := sweep.Chunk(pending, capSize)

	bin, err := stableCopy(sdir, "bin", "dinv", executable)
	if err != nil {
		return fmt.Errorf("copying the tool for the tasks: %w", err)
	}
	cfgCopy, err := stableCopy(sdir, "", strings.TrimSuffix(filepath.Base(cfg), filepath.Ext(cfg))+".yaml",
		func() ([]byte, error) { return os.ReadFile(cfg) })
	if err != nil {
		return fmt.Errorf("copying the configuration for the tasks: %w", err)
	}
	job := sweep.SlurmJob{
		Name: name, Binary: bin, Config: cfgCopy, Dir: dir, WorkDir: wd,
		Shards: n, CPUsPerTask: c.cpus, Partition: c.partition, Time: c.timeLimit, Mem: c.mem,
	}
	script := filepath.Join(sdir, fmt.Sprintf("%s-%d-tasks.sbatch", p.Config.Sweep, n))
	if err := results.WriteFileAtomic(script, func(w io.Writer) error {
		_, err := io.WriteString(w, job.Script())
		return err
	}); err != nil {
		return err
	}
	os.Chmod(script, 0o755)
	warnOtherTaskCount(sdir, n, stderr)
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
		argv := []string{"--parsable", "--array=" + sweep.ArraySpec(ch.Indices, c.throttle)}
		if ch.Offset > 0 {
			argv = append(argv, fmt.Sprintf("--export=ALL,DINV_SHARD_OFFSET=%d", ch.Offset))
		}
		argv = append(argv, script)
		shards := fmt.Sprintf("shards %d-%d", ch.Offset+ch.Indices[0]+1, ch.Offset+ch.Indices[len(ch.Indices)-1]+1)
		if !c.submit {
			fmt.Fprintf(stdout, "sbatch %s    # %d tasks, %s\n", strings.Join(argv[1:], " "), len(ch.Indices), shards)
			continue
		}
		cmd := exec.CommandContext(ctx, sbatch, argv...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		outb, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("sbatch %s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(errb.String()))
		}
		id, _, _ := strings.Cut(strings.TrimSpace(string(outb)), ";")
		fmt.Fprintf(stdout, "submitted job %s: --array=%s (%d tasks, %s)\n", id, argv[1][len("--array="):], len(ch.Indices), shards)
		logSubmission(sdir, id, n, ch, argv)
	}
	fmt.Fprintf(stdout, "task logs: %s/%%A_%%a.out; follow with: dinv status %s\n", sdir, dir)
	return nil
}

// scontrolMaxArraySize reads MaxArraySize from the cluster's configuration.
func scontrolMaxArraySize(ctx context.Context) (int, bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "scontrol", "show", "config").Output()
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(key) == "MaxArraySize" {
			v, err := strconv.Atoi(strings.TrimSpace(val))
			return v, err == nil && v > 0
		}
	}
	return 0, false
}

// executable returns the bytes of the running program.
func executable() ([]byte, error) {
	path, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// stableCopy writes the bytes of get under sdir/sub/NAME-HASH (the hash of
// the contents), unless it is there already, and returns its absolute path:
// tasks keep using exactly what was submitted even if the original changes.
func stableCopy(sdir, sub, name string, get func() ([]byte, error)) (string, error) {
	data, err := get()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	ext := filepath.Ext(name)
	folder := filepath.Join(sdir, sub)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(folder, strings.TrimSuffix(name, ext)+"-"+hex.EncodeToString(sum[:6])+ext)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return path, nil
	}
	err = results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err == nil && sub == "bin" {
		err = os.Chmod(path, 0o755)
	}
	return path, err
}

// logSubmission appends a line to DIR/slurm/submissions.log.
func logSubmission(sdir, id string, n int, ch sweep.ArrayChunk, argv []string) {
	f, err := os.OpenFile(filepath.Join(sdir, "submissions.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s job=%s tasks=%d offset=%d sbatch %s\n", time.Now().UTC().Format(time.RFC3339), id, n, ch.Offset, strings.Join(argv, " "))
}

// warnOtherTaskCount warns when an earlier submission split the sweep into
// a different number of tasks: shards of different N overlap, so while tasks
// of the earlier one run, the folder lock makes tasks of this one fail.
func warnOtherTaskCount(sdir string, n int, stderr io.Writer) {
	data, err := os.ReadFile(filepath.Join(sdir, "submissions.log"))
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, fmt.Sprintf(" tasks=%d ", n)) {
		fmt.Fprintf(stderr, "warning: the last submission split the sweep differently (%s); while its tasks run, "+
			"tasks of this one fail with \"results folder in use\" (shards of different counts overlap): submit again when they have ended\n", last)
	}
}
