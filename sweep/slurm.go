package sweep

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"dinv/results"
)

// Tasks is the number of shards, one Slurm array task each, that a plan of
// cells makes with at most perTask cells a task.
func Tasks(cells, perTask int) int {
	if perTask < 1 {
		panic("sweep: cells per task must be positive")
	}
	return max(1, (cells+perTask-1)/perTask)
}

// PendingShards returns the shards (1..n) of p that hold at least one cell
// without a finished (ok or diverged) run, given the status of each cell id.
func PendingShards(p *Plan, n int, status map[string]results.Status) []int {
	pending := make([]bool, n+1)
	for _, c := range p.Cells {
		if !status[c.ID].Finished() {
			pending[ShardOf(c.Index, n)] = true
		}
	}
	var out []int
	for k := 1; k <= n; k++ {
		if pending[k] {
			out = append(out, k)
		}
	}
	return out
}

// ArrayChunk is one sbatch submission of a job array: task i of it runs
// shard Offset+i+1, and every index is below the cluster's MaxArraySize.
type ArrayChunk struct {
	Offset  int
	Indices []int // sorted, each in [0, maxArraySize)
}

// Chunk groups shards (1-based, any order) into job-array submissions whose
// indices stay below maxArraySize, Slurm's cap on array indices (not on
// their count): shard k goes to the chunk of offset
// floor((k-1)/maxArraySize)*maxArraySize, as index k-1-offset.
func Chunk(shards []int, maxArraySize int) []ArrayChunk {
	if maxArraySize < 1 {
		panic("sweep: MaxArraySize must be positive")
	}
	byOffset := map[int][]int{}
	for _, k := range shards {
		off := (k - 1) / maxArraySize * maxArraySize
		byOffset[off] = append(byOffset[off], k-1-off)
	}
	var out []ArrayChunk
	for off, idx := range byOffset {
		sort.Ints(idx)
		out = append(out, ArrayChunk{Offset: off, Indices: idx})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

// ArraySpec writes indices in sbatch's --array syntax, with ranges for runs
// of consecutive indices and %throttle when throttle > 0: "0-4,7,9-12%2".
func ArraySpec(indices []int, throttle int) string {
	var b strings.Builder
	for i := 0; i < len(indices); {
		j := i
		for j+1 < len(indices) && indices[j+1] == indices[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(indices[i]))
		if j > i {
			fmt.Fprintf(&b, "-%d", indices[j])
		}
		i = j + 1
	}
	if throttle > 0 {
		fmt.Fprintf(&b, "%%%d", throttle)
	}
	return b.String()
}

// ParseArraySpec reads what ArraySpec writes (without the throttle).
func ParseArraySpec(spec string) ([]int, error) {
	spec, _, _ = strings.Cut(spec, "%")
	var out []int
	for _, part := range strings.Split(spec, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(a)
		if err != nil {
			return nil, fmt.Errorf("array spec %q: %v", spec, err)
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(b); err != nil || hi < lo {
				return nil, fmt.Errorf("array spec %q: bad range %q", spec, part)
			}
		}
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// SlurmJob describes the batch script of a sweep.
type SlurmJob struct {
	Name        string // job name
	Binary      string // absolute path of the tool
	Config      string // absolute path of a copy of DIR/sweep.yaml, which tasks run -resolved
	Dir         string // absolute results folder
	WorkDir     string // absolute folder the tasks start in (relative paths in the config)
	Shards      int    // N of -shard K/N: fixed by the plan and cells per task
	CPUsPerTask int
	Partition   string
	Time        string
	Mem         string
	// SignalLead is how long before the time limit Slurm signals a task
	// (--signal=B:TERM@seconds), which then checkpoints its cells in flight
	// and exits (0: no early signal; Slurm's own at the limit remains).
	SignalLead time.Duration
	// Requeues, when positive, makes a task that a signal stopped with
	// cells unfinished requeue itself, up to that many times (--requeue,
	// and run -requeue N).
	Requeues int
}

// What sbatch(1) accepts for the values SlurmJob writes on #SBATCH lines,
// narrowed to what cannot end the line or the argument early: sbatch reads
// the script line by line, splits a line's arguments at white space and
// takes an unquoted # as a comment, and bash runs every line that is not a
// comment.
var (
	// Partition names in practice; --partition takes a list.
	partitionSyntax = regexp.MustCompile(`^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$`)
	// minutes, minutes:seconds, hours:minutes:seconds, days-hours,
	// days-hours:minutes, days-hours:minutes:seconds, or no limit.
	timeSyntax = regexp.MustCompile(`^([0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2}|(?i:infinite|unlimited))$`)
	// Megabytes, or with a K, M, G or T suffix.
	memSyntax = regexp.MustCompile(`^[0-9]+[KMGTkmgt]?$`)
	// The characters of a sweep name, after "dinv-".
	jobNameSyntax = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// CheckPartition returns an error unless p is a partition list for
// --partition: names of letters, digits, _ . and -, separated by commas.
func CheckPartition(p string) error {
	if !partitionSyntax.MatchString(p) {
		return fmt.Errorf("%q is not a Slurm partition list (letters, digits, _ . - separated by commas)", p)
	}
	return nil
}

// CheckTime returns an error unless t is a time limit in one of the forms
// of --time.
func CheckTime(t string) error {
	if !timeSyntax.MatchString(t) {
		return fmt.Errorf("%q is not a Slurm time limit (minutes, minutes:seconds, hours:minutes:seconds, "+
			"days-hours, days-hours:minutes, days-hours:minutes:seconds, or infinite)", t)
	}
	return nil
}

// CheckMem returns an error unless m is a memory size for --mem: an integer
// (megabytes) with an optional K, M, G or T suffix, in either case.
func CheckMem(m string) error {
	if !memSyntax.MatchString(m) {
		return fmt.Errorf("%q is not a Slurm memory size (an integer with an optional K, M, G or T suffix)", m)
	}
	return nil
}

// CheckJobName returns an error unless name is a --job-name of letters,
// digits, _ . and -, as "dinv-" and a sweep name are.
func CheckJobName(name string) error {
	if !jobNameSyntax.MatchString(name) {
		return fmt.Errorf("%q is not a job name of letters, digits, _ . and -", name)
	}
	return nil
}

// CheckPath returns an error if path cannot go on an #SBATCH line: a control
// character (a newline above all) cannot be quoted there. Script quotes the
// rest.
func CheckPath(path string) error {
	if path == "" || strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%q cannot go on an #SBATCH line (it is empty or holds a control character such as a newline)", path)
	}
	return nil
}

// Check returns an error naming the first value of j that Script cannot
// write: the ones on #SBATCH lines, which must be Slurm syntax, and the
// counts. An empty Partition, Time or Mem is left out of the script.
func (j SlurmJob) Check() error {
	for _, c := range []struct {
		option, value string
		check         func(string) error
		optional      bool // "" leaves the line out
	}{
		{"job-name", j.Name, CheckJobName, false},
		{"output", j.Dir, CheckPath, false},
		{"chdir", j.WorkDir, CheckPath, false},
		{"partition", j.Partition, CheckPartition, true},
		{"time", j.Time, CheckTime, true},
		{"mem", j.Mem, CheckMem, true},
	} {
		if c.optional && c.value == "" {
			continue
		}
		if err := c.check(c.value); err != nil {
			return fmt.Errorf("--%s: %w", c.option, err)
		}
	}
	switch {
	case j.CPUsPerTask < 1:
		return fmt.Errorf("--cpus-per-task: %d is not positive", j.CPUsPerTask)
	case j.Shards < 1:
		return fmt.Errorf("Shards: %d is not positive", j.Shards)
	case j.SignalLead < 0:
		return fmt.Errorf("--signal: a lead of %v is negative", j.SignalLead)
	case j.Requeues < 0:
		return fmt.Errorf("--requeue: %d requeues is negative", j.Requeues)
	}
	return nil
}

// Script is the sbatch script: each array task runs its shard of the sweep.
// The shard is DINV_SHARD_OFFSET + SLURM_ARRAY_TASK_ID + 1 out of a total
// written into the script: SLURM_ARRAY_TASK_COUNT would count only the tasks
// of one submission. Script panics if j.Check fails: the caller checks the
// values it was given (dinv slurm's flags) first.
func (j SlurmJob) Script() string {
	if err := j.Check(); err != nil {
		panic("sweep: SlurmJob.Script: " + err.Error())
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", j.Name)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", sbatchQuote(pattern(j.Dir)+"/slurm/%A_%a.out"))
	fmt.Fprintf(&b, "#SBATCH --error=%s\n", sbatchQuote(pattern(j.Dir)+"/slurm/%A_%a.err"))
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", sbatchQuote(j.WorkDir))
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", j.CPUsPerTask)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	if j.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", j.Partition)
	}
	if j.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", j.Time)
	}
	if j.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", j.Mem)
	}
	if j.SignalLead > 0 {
		// B: the batch shell, which exec makes the tool itself.
		fmt.Fprintf(&b, "#SBATCH --signal=B:TERM@%d\n", int((j.SignalLead+time.Second-1)/time.Second))
	}
	requeue := ""
	if j.Requeues > 0 {
		b.WriteString("#SBATCH --requeue\n#SBATCH --open-mode=append\n")
		requeue = fmt.Sprintf("-requeue %d ", j.Requeues)
	}
	fmt.Fprintf(&b, `#
# Written by dinv slurm. Each array task runs one shard of the sweep; the
# array indices are given to sbatch by dinv slurm -submit (see submissions.log
# beside this script), with DINV_SHARD_OFFSET set when the plan needs more
# indices than the cluster's MaxArraySize. Running this script by hand with
# SLURM_ARRAY_TASK_ID=0 runs shard 1. The tasks run a copy of the folder's
# sweep.yaml as the configuration it was resolved from (run -resolved), so
# that their runs rows are those of a run of that configuration. A signal
# (--signal, before the time limit) makes the cells in flight write their
# checkpoints, from which the next run of the shard continues.
set -euo pipefail
TOTAL=%d
SHARD=$(( ${DINV_SHARD_OFFSET:-0} + ${SLURM_ARRAY_TASK_ID:-0} + 1 ))
exec %s run -resolved %s-jobs "${SLURM_CPUS_PER_TASK:-%d}" -shard "$SHARD/$TOTAL" -out %s %s
`, j.Shards, ShellQuote(j.Binary), requeue, j.CPUsPerTask, ShellQuote(j.Dir), ShellQuote(j.Config))
	return b.String()
}

// pattern escapes the % of a path for a file name pattern of --output and
// --error, where %A and %a stand for the job and the task.
func pattern(path string) string {
	return strings.ReplaceAll(path, "%", "%%")
}

// sbatchQuote quotes s for an #SBATCH line when it needs it: sbatch splits
// arguments at white space, groups what is in quotes, takes a backslash as
// escaping the next character and an unquoted # as a comment. s holds no
// control characters (CheckPath).
func sbatchQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\#") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// ShellQuote quotes s for bash when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
