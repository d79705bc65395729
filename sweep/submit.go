package sweep

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
	"regexp"
	"strconv"
	"strings"
	"time"

	"dinv/results"
)

// SlurmArray is a sweep split into the tasks of a Slurm job array, one shard
// each, and what its results folder says is left to run. Its methods do what
// dinv slurm does between parsing its flags and printing: they write the
// folder's slurm/ (the script, copies of what the tasks run, the log of
// submissions) and run sbatch.
type SlurmArray struct {
	Plan     *Plan
	Job      SlurmJob // Dir is the results folder, Shards the number of tasks
	Finished int      // cells whose runs and curves files read back, ok or diverged
	Pending  []int    // the shards (1..Job.Shards) that hold unfinished cells: the tasks to submit
}

// NewSlurmArray splits p into tasks of at most perTask cells, prepares the
// results folder job.Dir for them (Prepare, and its slurm/ folder) and reads
// which tasks have cells left to run: those whose runs file is missing,
// unreadable or failed, or whose curves file does not read back, as Run
// counts them. The values of job go to the script; its Shards, Binary and
// Config are set later, here and by Stage.
func NewSlurmArray(p *Plan, job SlurmJob, perTask int, warn io.Writer) (*SlurmArray, error) {
	job.Shards = Tasks(len(p.Cells), perTask)
	if err := job.Check(); err != nil {
		return nil, err
	}
	if err := Prepare(p, job.Dir, warn); err != nil {
		return nil, err
	}
	a := &SlurmArray{Plan: p, Job: job}
	if err := os.MkdirAll(a.folder(), 0o755); err != nil {
		return nil, err
	}
	runs, _ := results.ReadRuns(job.Dir) // unreadable files: their cells are pending
	byID := make(map[string]results.Status, len(runs))
	for _, r := range runs {
		byID[r.CellID] = r.Status
	}
	status := make(map[string]results.Status, len(p.Cells))
	for _, c := range p.Cells {
		st := byID[c.ID]
		if st.Finished() && curveError(job.Dir, c.ID) != nil {
			continue // run resumes it: pending
		}
		status[c.ID] = st
		if st.Finished() {
			a.Finished++
		}
	}
	a.Pending = PendingShards(p, job.Shards, status)
	return a, nil
}

// folder is DIR/slurm/.
func (a *SlurmArray) folder() string { return filepath.Join(a.Job.Dir, "slurm") }

// Stage writes into DIR/slurm/ what the tasks run: copies of the tool at exe
// (under bin/) and of DIR/sweep.yaml, each named by the hash of its
// contents so that a later build, or a later plan of the folder, never
// changes what a submitted task runs, and the sbatch script, whose path it
// returns. It sets a.Job.Binary and a.Job.Config to the copies. The tasks
// run the copy of sweep.yaml -resolved: as the configuration it was
// resolved from, so that what planning applied (every parameter's value)
// is what runs, and the runs rows are those of a local run.
func (a *SlurmArray) Stage(exe string) (string, error) {
	tool, err := os.ReadFile(exe)
	if err == nil {
		a.Job.Binary, err = StableCopy(filepath.Join(a.folder(), "bin"), "dinv", tool, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("copying the tool for the tasks: %w", err)
	}
	text, err := os.ReadFile(filepath.Join(a.Job.Dir, "sweep.yaml"))
	if err == nil {
		a.Job.Config, err = StableCopy(a.folder(), "sweep.yaml", text, 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("copying sweep.yaml for the tasks: %w", err)
	}
	script := filepath.Join(a.folder(), fmt.Sprintf("%s-%d-tasks.sbatch", a.Plan.Config.Sweep, a.Job.Shards))
	if err := writeFile(script, []byte(a.Job.Script()), 0o755); err != nil {
		return "", err
	}
	return script, nil
}

// StableCopy writes data into folder as NAME-HASH.EXT (the first 12 hex
// digits of its SHA-256), unless that file holds it already, with mode perm,
// and returns the copy's path.
func StableCopy(folder, name string, data []byte, perm os.FileMode) (string, error) {
	sum := sha256.Sum256(data)
	ext := filepath.Ext(name)
	path := filepath.Join(folder, strings.TrimSuffix(name, ext)+"-"+hex.EncodeToString(sum[:6])+ext)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return path, nil
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", err
	}
	return path, writeFile(path, data, perm)
}

// writeFile writes data to path atomically, with mode perm.
func writeFile(path string, data []byte, perm os.FileMode) error {
	err := results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return os.Chmod(path, perm)
}

// SbatchArgs are the arguments of sbatch that submit chunk ch of the script:
// --parsable, the array indices (at most throttle tasks at once when
// throttle > 0) and, past the first MaxArraySize shards, the offset the
// script adds to its task ids.
func SbatchArgs(script string, ch ArrayChunk, throttle int) []string {
	args := []string{"--parsable", "--array=" + ArraySpec(ch.Indices, throttle)}
	if ch.Offset > 0 {
		args = append(args, fmt.Sprintf("--export=ALL,DINV_SHARD_OFFSET=%d", ch.Offset))
	}
	return append(args, script)
}

// Submit runs sbatch (the program at path sbatch) with args, which submit
// chunk ch (SbatchArgs), records the submission in DIR/slurm/submissions.log
// and returns the job id.
func (a *SlurmArray) Submit(ctx context.Context, sbatch string, ch ArrayChunk, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, sbatch, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	id, err := ParseSbatch(out)
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w", strings.Join(args, " "), err)
	}
	a.logSubmission(id, ch, args)
	return id, nil
}

// ParseSbatch returns the job id in what sbatch --parsable prints: "ID" or
// "ID;CLUSTER", on the last line (sbatch may warn before it).
func ParseSbatch(out []byte) (string, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	id, _, _ := strings.Cut(strings.TrimSpace(lines[len(lines)-1]), ";")
	if !jobID.MatchString(id) {
		return "", fmt.Errorf("sbatch printed %q, not a job id", strings.TrimSpace(string(out)))
	}
	return id, nil
}

var jobID = regexp.MustCompile(`^[0-9]+$`)

// logSubmission appends a line to DIR/slurm/submissions.log: when, the job
// id, the number of tasks the sweep was split into, the chunk's offset and
// the sbatch arguments. The log is for people and for LastSubmission; a
// submission it fails to record has happened all the same.
func (a *SlurmArray) logSubmission(id string, ch ArrayChunk, args []string) {
	f, err := os.OpenFile(filepath.Join(a.folder(), "submissions.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s job=%s tasks=%d offset=%d sbatch %s\n", time.Now().UTC().Format(time.RFC3339), id, a.Job.Shards, ch.Offset, strings.Join(args, " "))
}

// LastSubmission returns the last line of DIR/slurm/submissions.log and the
// number of tasks that submission split the sweep into; "" and 0 when there
// is none. Shards of different counts overlap: while tasks of an earlier
// submission of another count run, the folder lock makes this one's fail.
func (a *SlurmArray) LastSubmission() (line string, tasks int) {
	data, err := os.ReadFile(filepath.Join(a.folder(), "submissions.log"))
	if err != nil {
		return "", 0
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	line = lines[len(lines)-1]
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "tasks="); ok {
			tasks, _ = strconv.Atoi(v)
			break
		}
	}
	return line, tasks
}

// MaxArraySize asks the cluster (scontrol show config) for its MaxArraySize;
// false when scontrol cannot tell within ten seconds.
func MaxArraySize(ctx context.Context) (int, bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "scontrol", "show", "config").Output()
	if err != nil {
		return 0, false
	}
	return parseMaxArraySize(out)
}

// parseMaxArraySize reads MaxArraySize from what scontrol show config
// prints, lines of "Key = value".
func parseMaxArraySize(out []byte) (int, bool) {
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
