package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"dinv/io/mnist/mnisttest"
	"dinv/results"
)

// checkpointed are sweeps whose cells run for a second or two, long enough
// to be killed many times between checkpoints: MNIST classification with
// BP and with DI (reduced sizes), an autoencoder, and nonlinear regressions
// whose DI layer is re-stabilised during training, one of them with fresh
// random starts of the optimiser (so that the stream of those starts is
// part of the state).
var checkpointed = map[string]string{
	"classification": `
sweep: ck-classification
experiment: mnist_classification
seeds: [0]
params: {train_size: 2000, test_size: 300, epochs: 2, eval_every: 250, diag_every: 250, sizes: [784, 64, 10], tsteps: 60}
models:
  - {name: BP, model_type: BP}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
`,
	"autoencoder": `
sweep: ck-autoencoder
experiment: mnist_autoencoder
seeds: [0]
params: {train_size: 1000, test_size: 200, epochs: 3, eval_every: 5, batch_size: 20, sizes: [784, 64, 16, 64, 784]}
models:
  - {name: FA, model_type: FA, fback_type: random}
`,
	"nonlinear": `
sweep: ck-nonlinear
experiment: nonlinear_regression
seeds: [0]
defaults: {eta: 0.1}
params: {num_iters: 2000, ssa_miniters: 1, ssa_maxiters: 1, ssa_retries: 100}
models:
  - {name: DI, model_type: DI, fback_type: random, leak: 0.1, params: {ssa_lr: 0.5}}
  - {name: DI-retry, model_type: DI, fback_type: random, leak: 0.1, params: {ssa_lr: 0.05}}
`,
}

// TestCheckpointsSurviveKills kills each sweep of checkpointed with SIGKILL
// at ten or more points spread over the lives of its cells (after one to
// four checkpoints of the run, at a random moment of the next 25 ms: in a
// step, an evaluation, a checkpoint's write or a results file's), resumes
// each time, and checks that the tables equal an uninterrupted run's
// without checkpoints, that the runs resumed from checkpoints at many
// steps, and that no checkpoint is left.
func TestCheckpointsSurviveKills(t *testing.T) {
	for _, name := range []string{"classification", "autoencoder", "nonlinear"} {
		t.Run(name, func(t *testing.T) {
			if name != "nonlinear" {
				mnisttest.Require(t)
			}
			tmp := t.TempDir()
			cfg := filepath.Join(tmp, name+".yaml")
			os.WriteFile(cfg, []byte(checkpointed[name]), 0o644)
			ref, dir := filepath.Join(tmp, "ref"), filepath.Join(tmp, "dir")
			if code, _, errs := cli(t, "run", "-jobs", "2", "-checkpoint-every", "0", "-out", ref, cfg); code != 0 {
				t.Fatalf("reference run: exit %d\n%s", code, errs)
			}
			if name == "nonlinear" {
				runs, _ := results.ReadRuns(ref)
				for _, r := range runs {
					if r.SSARuns < 3 {
						t.Fatalf("cell %s ran the optimiser %d times: not re-stabilised during training", r.Model, r.SSARuns)
					}
				}
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			kills, resumed := 0, map[string]bool{}
			var log strings.Builder
			for round := 0; ; round++ {
				if round > 200 {
					t.Fatalf("the sweep did not finish in 200 runs:\n%s", log.String())
				}
				stderr, killed := runKilled(t, rng, dir, cfg)
				log.WriteString(stderr)
				for _, m := range continues.FindAllStringSubmatch(stderr, -1) {
					resumed[m[1]+" "+m[2]] = true
				}
				if !killed {
					break
				}
				kills++
			}
			t.Logf("%d kills, %d distinct resumes", kills, len(resumed))
			if kills < 10 {
				t.Errorf("killed %d times, want 10 or more (cells too short for the cadence?)", kills)
			}
			if len(resumed) < 10 {
				t.Errorf("resumed from %d distinct checkpoints, want 10 or more:\n%s", len(resumed), log.String())
			}
			if strings.Contains(log.String(), "warning:") {
				t.Errorf("a run warned:\n%s", log.String())
			}
			left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
			damaged, _ := filepath.Glob(filepath.Join(dir, "damaged", "*"))
			if len(left)+len(damaged) > 0 {
				t.Errorf("left behind: checkpoints %v, damaged %v", left, damaged)
			}
			sameResults(t, ref, dir)
		})
	}
}

// continues matches the line of a cell that resumes: its id and step.
var continues = regexp.MustCompile(`cell ([0-9a-f]{16}) .* continues from its checkpoint at step (\d+) of`)

// runKilled runs the sweep in a child that checkpoints every 10 ms and
// kills it with SIGKILL at a random moment after its first few checkpoints;
// it returns the child's stderr and whether it was killed (false: the
// child finished the sweep first).
func runKilled(t *testing.T, rng *rand.Rand, dir, cfg string) (string, bool) {
	t.Helper()
	cmd, r, stderr := pipedChild(t, "DINV_TEST_TELL_CHECKPOINTS=1", "run", "-jobs", "2", "-checkpoint-every", "10ms", "-out", dir, cfg)
	defer r.Close()
	// Not part of the test's logic: a child that hangs is killed, and the
	// test then fails on its exit.
	guard := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer guard.Stop()
	lines := bufio.NewScanner(r)
	want, got := 1+rng.IntN(4), 0
	for got < want && lines.Scan() {
		got++
	}
	if got < want { // the pipe closed: the child exited
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, stderr.String())
		}
		return stderr.String(), false
	}
	time.Sleep(time.Duration(rng.IntN(25_000)) * time.Microsecond)
	cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return stderr.String(), true
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	return stderr.String() + fmt.Sprintln("(finished before the kill)"), false
}
