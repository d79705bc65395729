package sweep

import (
	"fmt"
	"slices"
	"strings"
	"testing"
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
				status := map[string]string{}
				if subset == "scattered" {
					for i := range p.Cells {
						if i%7 != 3 && i%11 != 0 {
							status[p.Cells[i].ID] = "ok"
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
						done := status[c.ID] == "ok"
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
		`exec /opt/dinv run -jobs "${SLURM_CPUS_PER_TASK:-2}" -shard "$SHARD/$TOTAL" -out /scratch/r '/home/a b/x.yaml'`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "SLURM_ARRAY_TASK_COUNT") {
		t.Error("the script relies on SLURM_ARRAY_TASK_COUNT")
	}
}
