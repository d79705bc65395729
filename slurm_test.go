package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dinv/results"
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
	return waitJobsFor(t, out, 3*time.Minute)
}

// waitJobsFor is waitJobs that waits up to limit.
func waitJobsFor(t *testing.T, out string, limit time.Duration) []string {
	t.Helper()
	var ids, arrays []string
	for _, m := range submitted.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[1])
		arrays = append(arrays, m[2])
	}
	if len(ids) == 0 {
		t.Fatalf("nothing submitted:\n%s", out)
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		q, err := exec.Command("squeue", "-h", "-j", strings.Join(ids, ",")).Output()
		if err != nil || strings.TrimSpace(string(q)) == "" {
			return arrays
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("jobs %v still queued after %v", ids, limit)
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
	recordsConfig(t, dir, cfg)
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

	// An overridden sweep: the tasks run the overridden cells (other
	// seeds, fewer iterations, two models), as a local run with the same
	// overrides does, and record the overridden configuration's hash.
	sets := []string{"-set", "seeds=[11, 12]", "-set", "params.num_iters=60", "-set", "models=[{name: BP, model_type: BP}, {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.02}]"}
	oref := filepath.Join(tmp, "override-ref")
	if out, err := exec.Command(bin, append(append([]string{"run", "-jobs", "2", "-out", oref}, sets...), cfg)...).CombinedOutput(); err != nil {
		t.Fatalf("local run with -set: %v\n%s", err, out)
	}
	dir = filepath.Join(tmp, "override")
	out, err = exec.Command(bin, adapt(submit, cfg, dir, "2", sets...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("slurm -submit -set: %v\n%s", err, out)
	}
	if arrays := waitJobs(t, string(out)); strings.Join(arrays, " ") != "0-1" {
		t.Errorf("submitted %v, want tasks 0-1 (4 cells, 2 a task)", arrays)
	}
	if s := status(t, bin, dir); s.OK != 4 || s.Cells != 4 {
		t.Fatalf("after the overridden array: %+v, want 4 cells ok\n%s", s, logs(dir))
	}
	sameResults(t, oref, dir)
	runs, _ := results.ReadRuns(dir)
	for _, r := range runs {
		if r.Seed < 11 || r.Leak != nil && *r.Leak != 0.02 || r.ConfigSHA256 == "" {
			t.Errorf("cell %s: seed %d, leak %v: not the overridden cell", r.CellID, r.Seed, r.Leak)
		}
	}
}

// recordsConfig fails unless every runs row of dir names the configuration
// file cfg by its sha256.
func recordsConfig(t *testing.T, dir, cfg string) {
	t.Helper()
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	runs, _ := results.ReadRuns(dir)
	for _, r := range runs {
		if r.ConfigSHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("cell %s: config_sha256 %s, want %x, the hash of %s", r.CellID, r.ConfigSHA256, sum, cfg)
		}
	}
}

// TestSlurmTasksByHand runs the tasks of a job array without Slurm, as the
// script says one can: bash runs it with SLURM_ARRAY_TASK_ID set, and the
// copy of the tool in DIR/slurm/bin (this test binary, which stands in for
// the command) runs its shard of the copy of sweep.yaml. The runs rows,
// config_sha256 included, and the curves are those of a local run of the
// original configuration, and sweep.yaml is left alone (the same file).
// It needs no cluster.
func TestSlurmTasksByHand(t *testing.T) {
	for _, tc := range []struct {
		name, config, perTask string
	}{
		{"killable", killable, "10"},     // 30 cells
		{"params grid", paramsGrid, "2"}, // 5 cells: experiment parameters as axes
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			cfg := filepath.Join(tmp, "sweep.yaml")
			os.WriteFile(cfg, []byte(tc.config), 0o644)
			ref := filepath.Join(tmp, "ref")
			if code, _, errs := cli(t, "run", "-jobs", "2", "-out", ref, cfg); code != 0 {
				t.Fatalf("local run: exit %d\n%s", code, errs)
			}
			dir := filepath.Join(tmp, "array")
			if code, out, errs := cli(t, "slurm", "-cells-per-task", tc.perTask, "-out", dir, cfg); code != 0 {
				t.Fatalf("slurm: exit %d\n%s%s", code, out, errs)
			}
			scripts, _ := filepath.Glob(filepath.Join(dir, "slurm", "*.sbatch"))
			if len(scripts) != 1 {
				t.Fatalf("scripts %q, want one", scripts)
			}
			before, err := os.Stat(filepath.Join(dir, "sweep.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for task := range 3 {
				cmd := exec.Command("bash", scripts[0])
				cmd.Dir = pkgDir
				cmd.Env = append(os.Environ(), "DINV_TEST_AS_MAIN=1", fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", task))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("task %d: %v\n%s", task, err, out)
				}
			}
			sameResults(t, ref, dir)
			recordsConfig(t, dir, cfg)
			if after, err := os.Stat(filepath.Join(dir, "sweep.yaml")); err != nil || !os.SameFile(before, after) {
				t.Errorf("the tasks rewrote sweep.yaml (%v)", err)
			}
			if code, out, _ := cli(t, "status", dir); code != 0 || !strings.Contains(out, "cells: ") || strings.Contains(out, " 0 ok") {
				t.Errorf("status of the array's folder: exit %d\n%s", code, out)
			}
		})
	}
}

// paramsGrid varies experiment parameters: DI's loop length and step.
const paramsGrid = `sweep: params
experiment: linear_regression
seeds: [0]
params: {num_iters: 40}
models:
  - {name: BP, model_type: BP}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
grid:
  tsteps: [5, 50]
  dt: [0.25, 0.5]
`

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

// TestSlurmBadFlags: a -partition, -time, -mem or -out that is not Slurm
// syntax (a newline would end the #SBATCH line and bash would run the rest)
// is a usage error naming the flag, and nothing is written. It needs no
// cluster.
func TestSlurmBadFlags(t *testing.T) {
	for _, tc := range []struct {
		flag, value, want string
	}{
		{"-partition", "gpu\ntouch x", `-partition: "gpu\ntouch x" is not a Slurm partition list (letters, digits, _ . - separated by commas)`},
		{"-partition", "gpu,,short", `-partition: "gpu,,short" is not a Slurm partition list`},
		{"-time", "1:00:00\ntouch x", `-time: "1:00:00\ntouch x" is not a Slurm time limit`},
		{"-time", "1h", `-time: "1h" is not a Slurm time limit`},
		{"-mem", "4G; touch x", `-mem: "4G; touch x" is not a Slurm memory size`},
		{"-mem", "4GB", `-mem: "4GB" is not a Slurm memory size`},
		{"-out", "r\ntouch x", `-out: "TMP/r\ntouch x" cannot go on an #SBATCH line`},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			tmp := t.TempDir()
			t.Chdir(tmp) // -out is relative to it
			dir := filepath.Join(tmp, "out")
			args := []string{"slurm", "-out", dir, tc.flag, tc.value, filepath.Join(pkgDir, "configs", "quickstart.yaml")}
			if tc.flag == "-out" {
				args = []string{"slurm", tc.flag, tc.value, filepath.Join(pkgDir, "configs", "quickstart.yaml")}
			}
			want := "dinv: " + strings.ReplaceAll(tc.want, "TMP", tmp)
			code, out, errs := cli(t, args...)
			if code != 2 || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, errs, want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("wrote %s for a bad flag", left[0].Name())
			}
		})
	}
}

// pkgDir is the package folder, where the tests start.
var pkgDir, _ = os.Getwd()

// TestSlurmScriptFlags: good -partition, -time and -mem values reach the
// script as given, and a results folder with a space is quoted for sbatch.
// It needs no cluster: without -submit nothing is queued.
func TestSlurmScriptFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my results")
	code, out, errs := cli(t, "slurm", "-out", dir, "-partition", "gpu,short", "-time", "1-12:00", "-mem", "4g",
		filepath.Join(pkgDir, "configs", "quickstart.yaml"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	scripts, _ := filepath.Glob(filepath.Join(dir, "slurm", "*.sbatch"))
	if len(scripts) != 1 {
		t.Fatalf("scripts %q, want one", scripts)
	}
	script, err := os.ReadFile(scripts[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#SBATCH --job-name=dinv-quickstart\n",
		`#SBATCH --output="` + dir + `/slurm/%A_%a.out"` + "\n",
		"#SBATCH --partition=gpu,short\n", "#SBATCH --time=1-12:00\n", "#SBATCH --mem=4g\n",
	} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
}

// longCell is one nonlinear regression cell of about three minutes of CPU
// (500000 DI steps at about 3000 a second): three times the one-minute
// time limit of TestSlurmRequeue's task.
const longCell = `
sweep: long
experiment: nonlinear_regression
seeds: [0]
defaults: {eta: 0.01}
params: {num_iters: 500000, eval_every: 1000, diag_every: 1000}
models:
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.001}
`

// TestSlurmRequeue submits a cell that needs about three times its task's
// time limit (one minute, Slurm's unit) with -requeue to a real Slurm
// cluster: Slurm signals the task before each limit, the task checkpoints
// the cell and requeues itself, each run continues from the checkpoint,
// and the sweep finishes with the tables of a local run.
func TestSlurmRequeue(t *testing.T) {
	slurmCluster(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "dinv")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(tmp, "long.yaml")
	os.WriteFile(cfg, []byte(longCell), 0o644)
	// The local run on the other core, while the task runs.
	ref := filepath.Join(tmp, "ref")
	local := exec.Command(bin, "run", "-jobs", "1", "-checkpoint-every", "0", "-out", ref, cfg)
	var localOut strings.Builder
	local.Stdout, local.Stderr = &localOut, &localOut
	if err := local.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "requeued")
	out, err := exec.Command(bin, "slurm", "-submit", "-cells-per-task", "1", "-cpus-per-task", "1", "-time", "1",
		"-signal-lead", "10s", "-requeue", "-out", dir, cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("slurm -submit: %v\n%s", err, out)
	}
	waitJobsFor(t, string(out), 20*time.Minute)
	if err := local.Wait(); err != nil {
		t.Fatalf("local run: %v\n%s", err, localOut.String())
	}
	task := logs(dir)
	if s := status(t, bin, dir); s.OK != 1 {
		t.Fatalf("after the requeues: %+v\n%s", s, task)
	}
	requeued, continued := strings.Count(task, "requeued task "), strings.Count(task, "continues from its checkpoint at step")
	t.Logf("requeued %d times, continued %d times", requeued, continued)
	if requeued < 2 || continued < requeued {
		t.Errorf("requeued %d times and continued from a checkpoint %d times, want 2 or more of each:\n%s", requeued, continued, task)
	}
	sameResults(t, ref, dir)
	if left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(left) > 0 {
		t.Errorf("checkpoints left: %v", left)
	}
}
