// Command dinv runs the experiments of Podlaski & Machens (NeurIPS 2020),
// "Biological credit assignment through dynamic inversion of feedforward
// networks", as resumable hyper-parameter sweeps.
//
//	go run . run configs/quickstart.yaml
//
// See README.md for the configuration and results reference. Each command
// is a file, cmd_NAME.go; cli.go makes their usage text from their flags.
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

// commands are dinv's sub-commands, in the order the usage lists them.
var commands = []*command{runCommand, planCommand, statusCommand, slurmCommand, plotCommand, summaryCommand}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return &usageError{"no command"}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(rest, stdout, stderr)
	}
	if c := lookup(name); c != nil {
		return c.run(ctx, rest, stdout, stderr)
	}
	usage(stderr)
	return &usageError{fmt.Sprintf("unknown command %q", name)}
}

// help prints the usage, or with a command's name that command's help.
func help(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		usage(stdout)
		return nil
	case len(args) > 1:
		usage(stderr)
		return &usageError{fmt.Sprintf("help: want at most one COMMAND, got %d arguments", len(args))}
	}
	c := lookup(args[0])
	if c == nil {
		usage(stderr)
		return &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	fs, _ := c.flagSet(stdout)
	c.help(fs)
	return nil
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
