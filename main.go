// Command dinv runs the experiments of Podlaski & Machens (NeurIPS 2020),
// "Biological credit assignment through dynamic inversion of feedforward
// networks", as resumable hyper-parameter sweeps.
//
//	go run . run configs/quickstart.yaml
//
// See README.md for the configuration and results reference.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"dinv/config"
	"dinv/sweep"
)

func main() {
	// SIGHUP too: a closed terminal or a dropped ssh session stops a run as
	// Ctrl-C does, with finished cells kept.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errReported means the command already told the user why it failed.
var errReported = errors.New("reported")

// exitCode prints err when it is news and maps it to the exit code:
// 130 interrupted, 2 usage or configuration (a DIR that is not a results
// folder included), 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	code := 1
	switch {
	case errors.Is(err, sweep.ErrInterrupted) || errors.Is(err, context.Canceled):
		code = 130
	case errors.As(err, &ue) || errors.Is(err, config.ErrInvalid) || errors.Is(err, sweep.ErrNotResults):
		code = 2
	}
	if !errors.Is(err, errReported) && !errors.Is(err, sweep.ErrCellsFailed) && !errors.Is(err, sweep.ErrInterrupted) {
		fmt.Fprintln(stderr, "dinv:", err)
	}
	return code
}

const usage = `dinv runs the experiments of Podlaski & Machens (NeurIPS 2020) as sweeps.

Usage:
  dinv run [-out DIR] [-jobs N] [-shard K/N] [-max-cells N] [-data DIR] CONFIG
  dinv plan [-json] [-max-cells N] CONFIG
  dinv status [-json] DIR
  dinv slurm [-out DIR] [-cells-per-task N] [-max-array-size N] [-throttle N] [-partition P] [-time T] [-cpus-per-task C] [-mem M] [-submit] CONFIG
  dinv plot [-o FILE] [-figure NAME] [-metric M] [-by AXIS] DIR
  dinv summary [-format text|markdown|csv] DIR

Commands:
  run      run the cells of CONFIG that are not finished yet (resumes)
  plan     list the cells of CONFIG without running them
  status   count the ok, diverged, failed and pending cells of a results folder
  slurm    run the sweep as a Slurm job array (writes the sbatch script; -submit submits it)
  plot     draw the paper's figure (or any metric) from a results folder: PNG, SVG or PDF
  summary  one row per model and grid value: final errors across seeds, cells, CPU time

'dinv COMMAND -h' describes a command. Configurations: configs/*.yaml.
`

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "plan":
		return planCmd(rest, stdout, stderr)
	case "status":
		return statusCmd(rest, stdout, stderr)
	case "slurm":
		return slurmCmd(ctx, rest, stdout, stderr)
	case "plot":
		return plotCmd(rest, stdout, stderr)
	case "summary":
		return summaryCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}
