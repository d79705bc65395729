package sweep

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"dinv/results"
)

// TestChunkCoversEveryCellOnce: for plans of 1, 1000, 1001 and 250000 cells
// (one and three cells per task, all pending or a scattered subset) and
// MaxArraySize caps of 1001 and 4096, every array index is in [0, cap), the
// --array specs read back as written, and the shards the chunks name hold
// every pending cell exactly once.
func TestChunkCoversEveryCellOnce(t *testing.T) {
	for _, cells := range []int{1, 1000, 1001, 250000} {
		p := &Plan{Cells: make([]Cell, cells)}
		for i := range p.Cells {
			p.Cells[i] = Cell{ID: fmt.Sprint(i), Index: i}
		}
		for _, perTask := range []int{1, 3} {
			n := Tasks(cells, perTask)
			for _, subset := range []string{"all", "scattered"} {
				status := map[string]results.Status{}
				if subset == "scattered" {
					for i := range p.Cells {
						if i%7 != 3 && i%11 != 0 {
							status[p.Cells[i].ID] = results.StatusOK
						}
					}
				}
				pending := PendingShards(p, n, status)
				isPending := make([]bool, n+1)
				for _, k := range pending {
					isPending[k] = true
				}
				for _, cap := range []int{1001, 4096} {
					name := fmt.Sprintf("%d cells/%d per task/%s/cap %d", cells, perTask, subset, cap)
					seen := make([]int, n+1)
					for _, ch := range Chunk(pending, cap) {
						spec := ArraySpec(ch.Indices, 5)
						back, err := ParseArraySpec(spec)
						if err != nil || !slices.Equal(back, ch.Indices) || !strings.HasSuffix(spec, "%5") {
							t.Fatalf("%s: spec %q reads back as %v, %v", name, spec, len(back), err)
						}
						if ch.Offset%cap != 0 {
							t.Fatalf("%s: offset %d", name, ch.Offset)
						}
						for _, i := range ch.Indices {
							if i < 0 || i >= cap {
								t.Fatalf("%s: index %d outside [0, %d)", name, i, cap)
							}
							seen[ch.Offset+i+1]++
						}
					}
					covered := 0
					for _, c := range p.Cells {
						k := ShardOf(c.Index, n)
						done := status[c.ID].Finished()
						switch {
						case !done && seen[k] != 1:
							t.Fatalf("%s: pending cell %d is in shard %d, submitted %d times", name, c.Index, k, seen[k])
						case !done:
							covered++
						}
					}
					for k := 1; k <= n; k++ {
						if seen[k] > 1 || seen[k] == 1 && !isPending[k] {
							t.Fatalf("%s: shard %d submitted %d times, pending %v", name, k, seen[k], isPending[k])
						}
					}
					if covered == 0 {
						t.Fatalf("%s: no pending cells", name)
					}
				}
			}
		}
	}
}

func TestTasks(t *testing.T) {
	for _, tc := range []struct{ cells, per, want int }{{1, 1, 1}, {1, 5, 1}, {10, 5, 2}, {11, 5, 3}, {250000, 1, 250000}, {0, 3, 1}} {
		if got := Tasks(tc.cells, tc.per); got != tc.want {
			t.Errorf("Tasks(%d, %d) = %d, want %d", tc.cells, tc.per, got, tc.want)
		}
	}
}

func TestArraySpec(t *testing.T) {
	for _, tc := range []struct {
		idx      []int
		throttle int
		want     string
	}{
		{[]int{0}, 0, "0"},
		{[]int{0, 1, 2, 3}, 0, "0-3"},
		{[]int{0, 2, 3, 4, 7, 9, 10}, 2, "0,2-4,7,9-10%2"},
	} {
		if got := ArraySpec(tc.idx, tc.throttle); got != tc.want {
			t.Errorf("ArraySpec(%v, %d) = %q, want %q", tc.idx, tc.throttle, got, tc.want)
		}
	}
	if _, err := ParseArraySpec("3-1"); err == nil {
		t.Error("ParseArraySpec accepted a descending range")
	}
}

func TestSlurmScript(t *testing.T) {
	s := SlurmJob{Name: "dinv-x", Binary: "/opt/dinv", Config: "/home/a b/x.yaml", Dir: "/scratch/r",
		WorkDir: "/home", Shards: 12, CPUsPerTask: 2, Partition: "short", Time: "1:00:00", Mem: "4G"}.Script()
	for _, want := range []string{
		"#SBATCH --output=/scratch/r/slurm/%A_%a.out\n",
		"#SBATCH --cpus-per-task=2\n", "#SBATCH --partition=short\n", "#SBATCH --time=1:00:00\n", "#SBATCH --mem=4G\n",
		"TOTAL=12\n",
		`SHARD=$(( ${DINV_SHARD_OFFSET:-0} + ${SLURM_ARRAY_TASK_ID:-0} + 1 ))`,
		`exec /opt/dinv run -resolved -jobs "${SLURM_CPUS_PER_TASK:-2}" -shard "$SHARD/$TOTAL" -out /scratch/r '/home/a b/x.yaml'`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "SLURM_ARRAY_TASK_COUNT") {
		t.Error("the script relies on SLURM_ARRAY_TASK_COUNT")
	}
}

// TestSlurmScriptRefusesBadValues: a value that is not Slurm syntax never
// reaches the script; Script panics rather than write a line that bash would
// run (a newline in a flag ends the #SBATCH comment).
func TestSlurmScriptRefusesBadValues(t *testing.T) {
	good := SlurmJob{Name: "dinv-x", Binary: "/opt/dinv", Config: "/c.yaml", Dir: "/scratch/r",
		WorkDir: "/home", Shards: 2, CPUsPerTask: 1}
	for _, tc := range []struct {
		name string
		edit func(j *SlurmJob)
	}{
		{"partition", func(j *SlurmJob) { j.Partition = "gpu\ntouch x" }},
		{"time", func(j *SlurmJob) { j.Time = "1:00:00\ntouch x" }},
		{"mem", func(j *SlurmJob) { j.Mem = "4G\ntouch x" }},
		{"job name", func(j *SlurmJob) { j.Name = "x\ntouch x" }},
		{"results folder", func(j *SlurmJob) { j.Dir = "/scratch/r\ntouch x" }},
		{"working folder", func(j *SlurmJob) { j.WorkDir = "/home\ntouch x" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := good
			tc.edit(&j)
			var s string
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, "sweep: ") {
					t.Errorf("Script did not panic with a sweep: message (recovered %v); it wrote:\n%s", r, s)
				}
			}()
			s = j.Script()
		})
	}
}

// TestSbatchValues: what each check accepts and refuses. The good values are
// the forms sbatch(1) documents for --partition, --time and --mem.
func TestSbatchValues(t *testing.T) {
	for _, tc := range []struct {
		check     func(string) error
		name      string
		good, bad []string
	}{
		{CheckPartition, "partition",
			[]string{"gpu", "short,long", "a100_80g.x-1", "p1,p2,p3"},
			[]string{"", "gpu\ntouch x", "gpu,", ",gpu", "gpu,,short", "gpu short", "gpu;id", "$(id)", "gpu#x", "gpu\r", "gpü"}},
		{CheckTime, "time",
			[]string{"30", "30:15", "1:00:00", "2-12", "2-12:30", "2-12:30:15", "0", "infinite", "UNLIMITED", "Infinite"},
			[]string{"", "1h", "1:00:00\ntouch x", "1:2:3:4", "1-2-3", "-1", "1-", ":30", "1:00:00 ", "2-12:30:15:1", "∞"}},
		{CheckMem, "mem",
			[]string{"4096", "4G", "4g", "512M", "1t", "100k", "0"},
			[]string{"", "4GB", "4 G", "G", "4G\ntouch x", "-4G", "4.5G", "4P", "4G;id"}},
		{CheckJobName, "job name",
			[]string{"dinv-quickstart", "dinv-fig3a_linear.v2"},
			[]string{"", "dinv x", "dinv-x\ntouch x", "dinv/x", "dinv#x"}},
		{CheckPath, "path",
			[]string{"/scratch/r", "/home/a b/#1 'x' \"y\" %z\\w"},
			[]string{"", "/r\ntouch x", "/r\rx", "/r\tx", "/r\x00x", "/r\x7fx"}},
	} {
		for _, v := range tc.good {
			if err := tc.check(v); err != nil {
				t.Errorf("%s %q: %v", tc.name, v, err)
			}
		}
		for _, v := range tc.bad {
			if err := tc.check(v); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", v)) {
				t.Errorf("%s %q: error %v, want one that quotes the value", tc.name, v, err)
			}
		}
	}
}

// TestSlurmScriptPaths: folders with white space, quotes, a backslash, # or %
// reach sbatch whole. sbatchArgs reads an #SBATCH line as sbatch does
// (_get_argument in Slurm's src/sbatch/opt.c).
func TestSlurmScriptPaths(t *testing.T) {
	dir := `/scratch/a b/"q" 'r' \x #1 100%`
	s := SlurmJob{Name: "dinv-x", Binary: "/opt/dinv", Config: "/c.yaml", Dir: dir,
		WorkDir: "/home/my work", Shards: 2, CPUsPerTask: 1}.Script()
	want := map[string]string{
		"--output": strings.ReplaceAll(dir, "%", "%%") + "/slurm/%A_%a.out",
		"--error":  strings.ReplaceAll(dir, "%", "%%") + "/slurm/%A_%a.err",
		"--chdir":  "/home/my work",
	}
	for _, line := range strings.Split(s, "\n") {
		rest, ok := strings.CutPrefix(line, "#SBATCH ")
		if !ok {
			continue
		}
		args := sbatchArgs(rest)
		if len(args) != 1 {
			t.Errorf("%q: sbatch reads %q, want one argument", line, args)
			continue
		}
		opt, val, _ := strings.Cut(args[0], "=")
		if w, ok := want[opt]; ok && val != w {
			t.Errorf("%q: sbatch reads %s=%q, want %q", line, opt, val, w)
		}
		delete(want, opt)
	}
	if len(want) > 0 {
		t.Errorf("script lacks %v:\n%s", want, s)
	}
}

// sbatchArgs splits the rest of an #SBATCH line into arguments: white space
// separates them, a backslash escapes the next character, quotes group, and
// an unquoted # starts a comment.
func sbatchArgs(line string) []string {
	var args []string
	var arg strings.Builder
	quote, escaped, started := byte(0), false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped, started = true, true
			continue
		case quote != 0:
			if c == quote {
				quote = 0
				continue
			}
		case c == '"' || c == '\'':
			quote, started = c, true
			continue
		case c == '#':
			i = len(line)
			continue
		case c == ' ' || c == '\t':
			if started {
				args = append(args, arg.String())
				arg.Reset()
				started = false
			}
			continue
		}
		arg.WriteByte(c)
		started = true
	}
	if started {
		args = append(args, arg.String())
	}
	return args
}
