package sweep

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestShardCountsExclude: shards of 2 and shards of 3 of one folder hold
// overlapping cells, so a shard run refuses while runs of another shard
// count hold the folder, and says which. Two lockFolder calls in one process
// stand for two runs: flock(2) locks of two open files conflict even within
// a process.
func TestShardCountsExclude(t *testing.T) {
	dir := t.TempDir()
	a, err := lockFolder(dir, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lockFolder(dir, 2, 2)
	if err != nil {
		t.Fatalf("the other shard of 2: %v", err)
	}
	l, err := lockFolder(dir, 1, 3)
	if err == nil {
		l.unlock()
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir+" is being run as shards of 2 (shard 1/2 by pid ") ||
		!strings.Contains(err.Error(), "shard 2/2 by pid ") || !strings.HasSuffix(err.Error(), "; this run asks for shards of 3") {
		t.Errorf("shard 1/3 beside shards of 2: error %v", err)
	}
	a.unlock()
	if _, err := lockFolder(dir, 3, 3); !errors.Is(err, ErrLocked) {
		t.Errorf("shard 3/3 beside shard 2/2: error %v, want ErrLocked", err)
	}
	b.unlock()
	// Nothing of the shards of 2 is left to block shards of 3.
	c, err := lockFolder(dir, 1, 3)
	if err != nil {
		t.Fatalf("shard 1/3 after the shards of 2 ended: %v", err)
	}
	defer c.unlock()
	if _, err := lockFolder(dir, 1, 2); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "shards of 3") {
		t.Errorf("shard 1/2 beside shard 1/3: error %v", err)
	}
}

// TestShardCountsRace: runs that start at once with shards of 2 and of 3
// never both get the folder, and one of them always does.
func TestShardCountsRace(t *testing.T) {
	dir := t.TempDir()
	for round := range 50 {
		var wg sync.WaitGroup
		locks := make([]*folderLock, 4)
		errs := make([]error, 4)
		for i := range locks {
			k, n := i/2+1, 2+i%2 // 1/2, 1/3, 2/2, 2/3
			wg.Go(func() { locks[i], errs[i] = lockFolder(dir, k, n) })
		}
		wg.Wait()
		counts := map[int]bool{}
		for i, l := range locks {
			if l != nil {
				counts[2+i%2] = true
				l.unlock()
			} else if !errors.Is(errs[i], ErrLocked) {
				t.Fatalf("round %d: %v", round, errs[i])
			}
		}
		if len(counts) != 1 {
			t.Fatalf("round %d: runs of shard counts %v held the folder at once (errors %v)", round, counts, errs)
		}
	}
}

// TestShardCountDiesWithProcess: a shard run killed with SIGKILL leaves
// nothing that blocks a run of another shard count.
func TestShardCountDiesWithProcess(t *testing.T) {
	if dir := os.Getenv("DINV_LOCK_HELPER"); dir != "" {
		if _, err := lockFolder(dir, 1, 2); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute) // until killed
		os.Exit(1)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestShardCountDiesWithProcess$")
	cmd.Env = append(os.Environ(), "DINV_LOCK_HELPER="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	if _, err := lockFolder(dir, 1, 3); !errors.Is(err, ErrLocked) ||
		!strings.Contains(err.Error(), fmt.Sprintf("shard 1/2 by pid %d ", cmd.Process.Pid)) {
		t.Fatalf("beside the helper's shard 1/2: error %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := lockFolder(dir, 1, 3)
	if err != nil {
		t.Fatalf("after the helper died: %v", err)
	}
	l.unlock()
}
