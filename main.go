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
	"sync"
	"syscall"

	"dinv/config"
	"dinv/sweep"
)

func main() {
	// SIGHUP too: a closed terminal or a dropped ssh session stops a run as
	// Ctrl-C does, with finished cells kept.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	st := &stopper{cancel: cancel, drain: make(chan struct{})}
	go st.watch(sigs, os.Stderr)
	err := run(context.WithValue(ctx, stopperKey{}, st), os.Args[1:], os.Stdout, os.Stderr)
	signal.Stop(sigs)
	cancel()
	os.Exit(exitCode(err, os.Stderr))
}

// stopper turns signals into stops. A command that can stop gently (run:
// its cells write a checkpoint first) asks for drain; the first signal then
// closes it, and a second one cancels the context. Otherwise the first
// signal cancels it.
type stopper struct {
	cancel context.CancelFunc
	drain  chan struct{}
	mu     sync.Mutex
	gentle bool
}

type stopperKey struct{}

// drainOf returns the channel that the first signal closes, and makes that
// signal stop gently; nil when ctx has no stopper (a test's run).
func drainOf(ctx context.Context) <-chan struct{} {
	st, _ := ctx.Value(stopperKey{}).(*stopper)
	if st == nil {
		return nil
	}
	st.mu.Lock()
	st.gentle = true
	st.mu.Unlock()
	return st.drain
}

func (st *stopper) watch(sigs <-chan os.Signal, stderr io.Writer) {
	<-sigs
	st.mu.Lock()
	gentle := st.gentle
	st.mu.Unlock()
	if gentle {
		fmt.Fprintln(stderr, "dinv: stopping; the cells in flight write a checkpoint first (signal again to stop at once)")
		close(st.drain)
		<-sigs
	}
	st.cancel()
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
