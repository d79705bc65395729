package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dinv/results"
	"dinv/sweep"
)

// TestMain lets the test binary stand in for the command, so that tests
// can run it as a child process and kill it; DINV_TEST_STOP_AFTER (see
// stopAfter) makes the child stop at a known point first.
func TestMain(m *testing.M) {
	if os.Getenv("DINV_TEST_AS_MAIN") == "1" {
		if n := os.Getenv("DINV_TEST_STOP_AFTER"); n != "" {
			stopAfter(n)
		}
		if os.Getenv("DINV_TEST_TELL_CHECKPOINTS") == "1" {
			pipe := os.NewFile(3, "checkpoint pipe")
			sweep.TestHookCheckpointed = func(id string) { fmt.Fprintln(pipe, id) }
		}
		main()
	}
	os.Exit(m.Run())
}

// stopAfter makes this process, a child that a test will kill, finish n
// cells and stop every later one between its curves file and its runs
// file, as a kill in the middle of a cell's writes would find it. Once n
// cells are finished and one is stopped, it writes "stopped" to file
// descriptor 3, the test's pipe (killAfter), and the stopped cells wait to
// be killed.
func stopAfter(arg string) {
	n, err := strconv.Atoi(arg)
	if err != nil {
		panic("DINV_TEST_STOP_AFTER: " + err.Error())
	}
	pipe := os.NewFile(3, "stop pipe")
	var mu sync.Mutex
	admitted, finished, stopped, told := 0, 0, 0, false
	tell := func() { // with mu held
		if !told && finished == n && stopped > 0 {
			fmt.Fprintln(pipe, "stopped")
			told = true
		}
	}
	sweep.TestHookWriting = func(*sweep.Cell) {
		mu.Lock()
		if admitted < n {
			admitted++
			mu.Unlock()
			return
		}
		stopped++
		tell()
		mu.Unlock()
		for {
			time.Sleep(time.Hour) // until killed
		}
	}
	sweep.TestHookWritten = func(*sweep.Cell) {
		mu.Lock()
		finished++
		tell()
		mu.Unlock()
	}
}

// killAfter runs the command with args in a child process that finishes n
// cells and stops the next ones after their curves files are written (see
// stopAfter), and kills it with SIGKILL once it says so.
func killAfter(t *testing.T, n int, args ...string) {
	t.Helper()
	cmd, r, stderr := pipedChild(t, fmt.Sprintf("DINV_TEST_STOP_AFTER=%d", n), args...)
	defer r.Close()
	// Not part of the test's logic: a child that hangs instead of
	// stopping is killed, and the read below then fails.
	guard := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	said, err := bufio.NewReader(r).ReadString('\n')
	guard.Stop()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if said != "stopped\n" {
		t.Fatalf("the child did not stop after %d cells (%v, exit %v):\n%s", n, err, cmd.ProcessState, stderr.String())
	}
}

// pipedChild starts the command as a separate process with env added to
// its environment and the write end of a pipe as its file descriptor 3,
// returning the read end and the buffer of its stderr.
func pipedChild(t *testing.T, env string, args ...string) (*exec.Cmd, *os.File, *bytes.Buffer) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := child(t, args...)
	cmd.Env = append(cmd.Env, env)
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return cmd, r, &stderr
}

// child starts the command as a separate process.
func child(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DINV_TEST_AS_MAIN=1")
	return cmd
}

// killable is a sweep of cells of a few tens of milliseconds each.
const killable = `
sweep: killable
experiment: linear_regression
seeds: [0, 1, 2, 3, 4]
params: {num_iters: 150}
defaults: {eta: 0.01}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: NDI, model_type: NDI, fback_type: optim, leak: 0.01}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
  - {name: DI-3, model_type: DI, fback_type: optim, leak: 0.01}
  - {name: SDI, model_type: SDI, fback_type: neg-transpose, leak: 0.01, params: {sizes: [30, 20, 20, 10]}}
`

// TestResumeAfterKill kills a running sweep with SIGKILL at three points
// (after 0, 7 and 19 of its 30 cells, each time with cells stopped between
// their curves and runs files), plants a truncated Parquet file and a stray
// temporary, resumes, and checks that the cells finished before were not
// run again and that the result equals an uninterrupted run's, every cell
// exactly once.
func TestResumeAfterKill(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "killable.yaml")
	os.WriteFile(cfg, []byte(killable), 0o644)
	ref, dir := filepath.Join(tmp, "ref"), filepath.Join(tmp, "dir")
	if code, _, errs := cli(t, "run", "-jobs", "2", "-out", ref, cfg); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, errs)
	}
	total := count(t, ref)
	for _, after := range []int{0, 7, 19} {
		killAfter(t, after-count(t, dir), "run", "-jobs", "2", "-out", dir, cfg)
		n := count(t, dir)
		curves, _ := filepath.Glob(filepath.Join(dir, "curves", "*.parquet"))
		if n != after || len(curves) <= n {
			t.Fatalf("killed with %d cells finished and %d curves files, want %d cells and more curves files than that", n, len(curves), after)
		}
		t.Logf("killed with %d of %d cells finished, %d curves files", n, total, len(curves))
	}
	// A truncated runs file must be detected and its cell run again; a
	// stray temporary must not be taken for a result.
	files, _ := filepath.Glob(filepath.Join(dir, "runs", "*.parquet"))
	victim := files[0]
	data, _ := os.ReadFile(victim)
	os.WriteFile(victim, data[:len(data)/2], 0o644)
	stray := filepath.Join(dir, "runs", "."+strings.TrimSuffix(filepath.Base(files[1]), ".parquet")+".parquet.tmp-42")
	os.WriteFile(stray, data[:10], 0o644)
	finished, _ := results.ReadRuns(dir)

	out, err := child(t, "run", "-jobs", "2", "-out", dir, cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "not a complete Parquet file") || !strings.Contains(string(out), "cell will run again") {
		t.Errorf("the truncated file was not reported:\n%s", out)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("stray temporary %s left in place", stray)
	}
	if d, _ := filepath.Glob(filepath.Join(dir, "damaged", "*")); len(d) != 1 {
		t.Errorf("damaged/ holds %d files, want the truncated one", len(d))
	}
	for _, sub := range []string{"runs", "curves"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		if len(ents) != total {
			names := []string{}
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s holds %d files, want exactly one per cell (%d): %v", sub, len(ents), total, names)
		}
	}
	// A cell finished before the resume was not run again: its runs row
	// keeps the times it was written with (sameResults compares the rest).
	now, _ := results.ReadRuns(dir)
	byID := map[string]results.Run{}
	for _, r := range now {
		byID[r.CellID] = r
	}
	for _, r := range finished {
		if a := byID[r.CellID]; !a.StartedAt.Equal(r.StartedAt) || !a.FinishedAt.Equal(r.FinishedAt) || a.WallSeconds != r.WallSeconds {
			t.Errorf("cell %s, finished before the resume, ran again: started %v, then %v", r.CellID, r.StartedAt, a.StartedAt)
		}
	}
	if want := fmt.Sprintf("%d finished before, skipped", len(finished)); !strings.Contains(string(out), want) {
		t.Errorf("the resumed run does not say %q:\n%s", want, out)
	}
	sameResults(t, ref, dir)
}

// count is the number of readable runs files in dir; an unreadable one
// fails the test, since a final name must always mean a complete file.
func count(t *testing.T, dir string) int {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "runs")); os.IsNotExist(err) {
		return 0
	}
	runs, errs := results.ReadRuns(dir)
	if len(errs) > 0 {
		t.Fatalf("unreadable runs file under a final name: %v", errs)
	}
	return len(runs)
}

// sameResults compares two results folders value for value, except the
// columns that time a run.
func sameResults(t *testing.T, a, b string) {
	t.Helper()
	ra, ea := results.ReadRuns(a)
	rb, eb := results.ReadRuns(b)
	ca, fa := results.ReadCurves(a)
	cb, fb := results.ReadCurves(b)
	if len(ea)+len(eb)+len(fa)+len(fb) > 0 {
		t.Fatalf("unreadable files: %v %v %v %v", ea, eb, fa, fb)
	}
	if len(ra) != len(rb) || len(ca) != len(cb) {
		t.Fatalf("%d runs and %d curves vs %d and %d", len(ra), len(ca), len(rb), len(cb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		for _, r := range []*results.Run{&x, &y} {
			r.WallSeconds, r.StartedAt, r.FinishedAt = 0, time.Time{}, time.Time{}
		}
		sameNaN(&x.FinalTrainError, &y.FinalTrainError)
		sameNaN(&x.FinalTestError, &y.FinalTestError)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("runs differ:\n%+v\n%+v", x, y)
		}
	}
	for i := range ca {
		if !reflect.DeepEqual(ca[i].CellKey, cb[i].CellKey) || !reflect.DeepEqual(ca[i].Points, cb[i].Points) {
			t.Errorf("curves of cell %s differ", ca[i].CellID)
		}
	}
}

// TestInterruptExitCode: SIGINT, SIGTERM and SIGHUP (a closed terminal)
// end a run with exit code 130, keeping finished cells, and a second run
// completes the sweep.
func TestInterruptExitCode(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) { interruptWith(t, sig) })
	}
}

func interruptWith(t *testing.T, sig os.Signal) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "killable.yaml")
	os.WriteFile(cfg, []byte(killable), 0o644)
	dir := filepath.Join(tmp, "dir")
	cmd := child(t, "run", "-jobs", "2", "-out", dir, cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for count(t, dir) < 3 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no three cells finished within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(sig)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130", code, err)
	}
	if !strings.Contains(stderr.String(), "stopping; the cells in flight write a checkpoint first") {
		t.Errorf("the run did not say it stops gently:\n%s", stderr.String())
	}
	// The cells in flight at the signal (if it came between cells, none)
	// left checkpoints, and the resumed run continues from each.
	left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*.ckpt"))
	code, _, errs := cli(t, "run", "-out", dir, cfg)
	if code != 0 {
		t.Fatalf("resumed: exit %d\n%s", code, errs)
	}
	if n := strings.Count(errs, "continues from its checkpoint"); n != len(left) {
		t.Errorf("%d checkpoints left by the signal, %d cells continued from one:\n%s", len(left), n, errs)
	}
	t.Logf("%d cells in flight checkpointed at the signal", len(left))
}

// sameNaN clears a and b when both hold NaN (a diverged cell's error), so
// that reflect.DeepEqual sees them equal.
func sameNaN(a, b **float64) {
	if *a != nil && *b != nil && math.IsNaN(**a) && math.IsNaN(**b) {
		*a, *b = nil, nil
	}
}

// fp is a pointer to v, as the runs table's nullable columns take it.
func fp(v float64) *float64 { return &v }

// ptrText prints a nullable value.
func ptrText(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}
