package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// slurmCluster skips the test unless a Slurm cluster answers; with
// DINV_REQUIRE_SLURM=1 (set by .ci/run) it fails instead.
func slurmCluster(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("sbatch")
	if err == nil {
		err = exec.Command("sinfo", "-h").Run()
	}
	if err != nil {
		if os.Getenv("DINV_REQUIRE_SLURM") == "1" {
			t.Fatalf("DINV_REQUIRE_SLURM=1 but no Slurm cluster answers: %v (start one with .ci/slurm-up)", err)
		}
		t.Skipf("no Slurm cluster here (%v); sudo .ci/slurm-up starts a one-node one", err)
	}
}

// readmeSlurm returns the arguments of the README's `go run . slurm` lines.
func readmeSlurm(t *testing.T) (plain, submit []string) {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "go run . slurm ") {
			continue
		}
		cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "go run . "), "#")
		args := strings.Fields(cmd)
		if strings.Contains(cmd, "-submit") {
			submit = args
		} else {
			plain = args
		}
	}
	if plain == nil || submit == nil {
		t.Fatal("the README has no `go run . slurm` lines with and without -submit")
	}
	return plain, submit
}

// adapt points README arguments at cfg and dir, with cellsPerTask cells a
// task and extra flags before the config.
func adapt(args []string, cfg, dir, cellsPerTask string, extra ...string) []string {
	out := append([]string(nil), args[:len(args)-1]...)
	for i := range out {
		if out[i] == "-cells-per-task" {
			out[i+1] = cellsPerTask
		}
	}
	out = append(out, "-out", dir)
	out = append(out, extra...)
	return append(out, cfg)
}

var submitted = regexp.MustCompile(`submitted job (\d+): --array=(\S+)`)

// waitJobs waits until squeue lists none of the jobs.
func waitJobs(t *testing.T, out string) []string {
	t.Helper()
	var ids, arrays []string
	for _, m := range submitted.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[1])
		arrays = append(arrays, m[2])
	}
	if len(ids) == 0 {
		t.Fatalf("nothing submitted:\n%s", out)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		q, err := exec.Command("squeue", "-h", "-j", strings.Join(ids, ",")).Output()
		if err != nil || strings.TrimSpace(string(q)) == "" {
			return arrays
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("jobs %v still queued after 3 minutes", ids)
	return nil
}

type statusJSON struct {
	Cells, OK, Diverged, Failed, Pending int
}

func status(t *testing.T, bin, dir string) statusJSON {
	t.Helper()
	out, err := exec.Command(bin, "status", "-json", dir).Output()
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var s statusJSON
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlurmArray submits a small sweep as a job array of three tasks to a
// real Slurm cluster, in two submissions (a MaxArraySize of 2 forces the
// chunking), checks that the results equal a local run's cell for cell,
// then cancels one task of a second sweep, resubmits, and checks that only
// that task ran again and the sweep is complete.
func TestSlurmArray(t *testing.T) {
	slurmCluster(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "dinv")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(tmp, "killable.yaml")
	os.WriteFile(cfg, []byte(killable), 0o644) // 30 cells
	ref := filepath.Join(tmp, "ref")
	if out, err := exec.Command(bin, "run", "-jobs", "2", "-out", ref, cfg).CombinedOutput(); err != nil {
		t.Fatalf("local run: %v\n%s", err, out)
	}
	plain, submit := readmeSlurm(t)

	// Without -submit: a script and the sbatch lines, nothing queued.
	dir := filepath.Join(tmp, "array")
	out, err := exec.Command(bin, adapt(plain, cfg, dir, "10")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sbatch --array=0-2 ") || strings.Contains(string(out), "submitted") {
		t.Fatalf("slurm without -submit: %v\n%s", err, out)
	}

	before, err := os.Stat(filepath.Join(dir, "sweep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, adapt(submit, cfg, dir, "10", "-max-array-size", "2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("slurm -submit: %v\n%s", err, out)
	}
	if arrays := waitJobs(t, string(out)); strings.Join(arrays, " ") != "0-1 0" {
		t.Errorf("submissions %v, want 0-1 and 0 (offset 2) under a MaxArraySize of 2:\n%s", arrays, out)
	}
	if s := status(t, bin, dir); s.OK != 30 || s.Pending+s.Failed != 0 {
		t.Fatalf("after the array: %+v\n%s", s, logs(dir))
	}
	sameResults(t, ref, dir)
	// Shards write only their own cells' files: sweep.yaml, written by the
	// slurm command, is the same file (same inode) after the tasks ran.
	if after, err := os.Stat(filepath.Join(dir, "sweep.yaml")); err != nil || !os.SameFile(before, after) {
		t.Errorf("the tasks rewrote sweep.yaml (%v)", err)
	}

	// Cancel one task before it starts (one task at a time), resubmit.
	dir = filepath.Join(tmp, "cancelled")
	out, err = exec.Command(bin, adapt(submit, cfg, dir, "10", "-throttle", "1")...).CombinedOutput()
	if err != nil {
		t.Fatalf("slurm -submit: %v\n%s", err, out)
	}
	m := submitted.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("nothing submitted:\n%s", out)
	}
	if cout, err := exec.Command("scancel", m[1]+"_2").CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v\n%s", err, cout)
	}
	waitJobs(t, string(out))
	if s := status(t, bin, dir); s.OK != 20 || s.Pending != 10 {
		t.Fatalf("after cancelling task 2: %+v, want 20 ok and 10 pending", s)
	}
	out, err = exec.Command(bin, adapt(submit, cfg, dir, "10")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "3 tasks of up to 10 cells, 1 with unfinished cells") {
		t.Fatalf("resubmission: %v\n%s", err, out)
	}
	if arrays := waitJobs(t, string(out)); strings.Join(arrays, " ") != "2" {
		t.Errorf("resubmitted %v, want only task 2", arrays)
	}
	if s := status(t, bin, dir); s.OK != 30 {
		t.Fatalf("after resubmitting: %+v\n%s", s, logs(dir))
	}
	sameResults(t, ref, dir)
	out, _ = exec.Command(bin, adapt(submit, cfg, dir, "10")...).CombinedOutput()
	if !strings.Contains(string(out), "nothing to submit") {
		t.Errorf("a finished sweep was submitted again:\n%s", out)
	}
}

// logs returns the tasks' stderr, for failure messages.
func logs(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "slurm", "*.err"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.WriteString("== " + f + "\n" + string(data))
	}
	return b.String()
}
