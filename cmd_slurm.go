package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

func slurmCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("slurm", "slurm [-out DIR] [-cells-per-task N] [-max-array-size N] [-throttle N] [-partition P] [-time T] [-cpus-per-task C] [-mem M] [-submit] CONFIG",
		"Writes an sbatch script into DIR/slurm/ whose array tasks each run one shard of the sweep in\n"+
			"`CONFIG` (run -shard K/N) into DIR, and prints the sbatch commands; with -submit it submits\n"+
			"them and prints the job ids. Only shards with unfinished cells are submitted, so after a\n"+
			"failure, a time-out or scancel, the same command submits what is still pending.\n"+
			"It does not wait: follow the sweep with 'dinv status DIR'.", stderr)
	out := fs.String("out", "", "results `DIR` (default results/<sweep>); must be on a file system the nodes share")
	perTask := fs.Int("cells-per-task", 1, "cells in each array task (`N`)")
	maxArray := fs.Int("max-array-size", 1001, "the cluster's MaxArraySize when 'scontrol show config' cannot tell; the smaller wins")
	throttle := fs.Int("throttle", 0, "run at most `N` tasks at once (sbatch --array=...%N; 0: no limit)")
	partition := fs.String("partition", "", "Slurm partition `P`")
	timeLimit := fs.String("time", "", "time limit of each task (sbatch --time, e.g. 2:00:00)")
	cpus := fs.Int("cpus-per-task", 1, "CPUs of each task, which runs that many cells at once")
	mem := fs.String("mem", "", "memory of each task (sbatch --mem, e.g. 4G)")
	submit := fs.Bool("submit", false, "submit with sbatch")
	maxCells := fs.Int("max-cells", sweep.DefaultMaxCells, "refuse plans with more cells than `N`")
	pos, err := parse(fs, args, 1, "one CONFIG")
	if err != nil {
		return helpOK(err)
	}
	switch {
	case *perTask < 1:
		return &usageError{fmt.Sprintf("-cells-per-task must be at least 1, got %d", *perTask)}
	case *cpus < 1:
		return &usageError{fmt.Sprintf("-cpus-per-task must be at least 1, got %d", *cpus)}
	case *maxArray < 1:
		return &usageError{fmt.Sprintf("-max-array-size must be at least 1, got %d", *maxArray)}
	case *throttle < 0:
		return &usageError{fmt.Sprintf("-throttle must not be negative, got %d", *throttle)}
	}
	// What reaches an #SBATCH line must be Slurm syntax: a newline there
	// would end the comment, and bash would run the rest of the value.
	for _, f := range []struct {
		name, value string
		check       func(string) error
	}{
		{"partition", *partition, sweep.CheckPartition},
		{"time", *timeLimit, sweep.CheckTime},
		{"mem", *mem, sweep.CheckMem},
	} {
		if f.value == "" {
			continue // not set: no line
		}
		if err := f.check(f.value); err != nil {
			return &usageError{"-" + f.name + ": " + err.Error()}
		}
	}
	p, err := loadPlan(pos[0], *maxCells, stderr)
	if err != nil {
		return err
	}
	name := "dinv-" + p.Config.Sweep
	if err := sweep.CheckJobName(name); err != nil {
		return fmt.Errorf("%s: the sweep name makes the Slurm job name: %w", pos[0], err)
	}
	dir := resultsDir(*out, p)
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
	n := sweep.Tasks(len(p.Cells), *perTask)
	pending := sweep.PendingShards(p, n, status)
	finished := 0
	for _, c := range p.Cells {
		if status[c.ID].Finished() {
			finished++
		}
	}
	fmt.Fprintf(stdout, "sweep %s: %d cells, %d finished; %d tasks of up to %d cells, %d with unfinished cells\n",
		p.Config.Sweep, len(p.Cells), finished, n, *perTask, len(pending))
	if len(pending) == 0 {
		fmt.Fprintf(stdout, "nothing to submit: every cell is finished (dinv status %s)\n", dir)
		return nil
	}

	capSize, capFrom := *maxArray, "-max-array-size"
	if v, ok := scontrolMaxArraySize(ctx); ok && (v < capSize || !flagsSet(fs)["max-array-size"]) {
		capSize, capFrom = v, "scontrol show config"
	}
	chunks := sweep.Chunk(pending, capSize)

	bin, err := stableCopy(sdir, "bin", "dinv", executable)
	if err != nil {
		return fmt.Errorf("copying the tool for the tasks: %w", err)
	}
	cfgCopy, err := stableCopy(sdir, "", strings.TrimSuffix(filepath.Base(pos[0]), filepath.Ext(pos[0]))+".yaml",
		func() ([]byte, error) { return os.ReadFile(pos[0]) })
	if err != nil {
		return fmt.Errorf("copying the configuration for the tasks: %w", err)
	}
	job := sweep.SlurmJob{
		Name: name, Binary: bin, Config: cfgCopy, Dir: dir, WorkDir: wd,
		Shards: n, CPUsPerTask: *cpus, Partition: *partition, Time: *timeLimit, Mem: *mem,
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
	if *submit {
		if sbatch, err = exec.LookPath("sbatch"); err != nil {
			return fmt.Errorf("-submit: sbatch not found on PATH (%v); the script is written, submit it by hand with the lines below without -submit", err)
		}
	}
	for _, ch := range chunks {
		argv := []string{"--parsable", "--array=" + sweep.ArraySpec(ch.Indices, *throttle)}
		if ch.Offset > 0 {
			argv = append(argv, fmt.Sprintf("--export=ALL,DINV_SHARD_OFFSET=%d", ch.Offset))
		}
		argv = append(argv, script)
		shards := fmt.Sprintf("shards %d-%d", ch.Offset+ch.Indices[0]+1, ch.Offset+ch.Indices[len(ch.Indices)-1]+1)
		if !*submit {
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
