package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"dinv/config"
	"dinv/sweep"
)

// A command is one sub-command of dinv. Its flags are the fields of its
// runner, declared once on a FlagSet; its synopsis, its help and the
// top-level usage are made from that FlagSet, so that they cannot drift
// from what it parses.
type command struct {
	name    string
	arg     string // the positional argument, as the synopsis names it
	want    string // what an error about the argument count says is wanted
	summary string // one line, for the top-level usage
	about   string // what dinv NAME -h says after the synopsis
	new     func() runner
}

// A runner is a command's flag values and what it does with them.
type runner interface {
	// flags declares the flags on fs, with the runner's fields as values.
	flags(fs *flag.FlagSet)
	// run runs the command once fs has parsed them; arg is the positional
	// argument.
	run(ctx context.Context, fs *flag.FlagSet, arg string, stdout, stderr io.Writer) error
}

// flagSet returns a FlagSet with c's flags that reports to out, and the
// runner whose fields it sets.
func (c *command) flagSet(out io.Writer) (*flag.FlagSet, runner) {
	r := c.new()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	r.flags(fs)
	fs.Usage = func() { c.help(fs) }
	return fs, r
}

// run parses args and runs c; -h prints c's help and succeeds.
func (c *command) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, r := c.flagSet(stderr)
	arg, err := parse(fs, args, c.want)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return r.run(ctx, fs, arg, stdout, stderr)
}

// parse parses flags before and after the positional argument, so that
// "run CONFIG -jobs 2" works as well as "run -jobs 2 CONFIG", and returns
// the argument. Any other count of arguments prints the help and is a usage
// error saying what is wanted.
func parse(fs *flag.FlagSet, args []string, want string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", flag.ErrHelp
			}
			return "", &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", &usageError{fmt.Sprintf("%s: want %s, got %d arguments", fs.Name(), want, len(pos))}
	}
	return pos[0], nil
}

// synopsis is the command line of c: every flag of fs, with the name its
// usage backquotes for its value, then the argument.
func (c *command) synopsis(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("dinv " + c.name)
	fs.VisitAll(func(f *flag.Flag) {
		if name, _ := flag.UnquoteUsage(f); name != "" {
			fmt.Fprintf(&b, " [-%s %s]", f.Name, name)
		} else {
			fmt.Fprintf(&b, " [-%s]", f.Name)
		}
	})
	return b.String() + " " + c.arg
}

// help writes what dinv NAME -h prints to fs's output: the synopsis, what
// c does, and fs's flags with their defaults.
func (c *command) help(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.synopsis(fs), c.about)
	any := false
	fs.VisitAll(func(*flag.Flag) { any = true })
	if any {
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
}

// usage writes the top-level usage: every command's synopsis and summary.
func usage(w io.Writer) {
	fmt.Fprint(w, "dinv runs the experiments of Podlaski & Machens (NeurIPS 2020) as sweeps.\n\nUsage:\n")
	for _, c := range commands {
		fs, _ := c.flagSet(io.Discard)
		fmt.Fprintf(w, "  %s\n", c.synopsis(fs))
	}
	fmt.Fprint(w, "\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\n'dinv help COMMAND' or 'dinv COMMAND -h' describes a command. Configurations: configs/*.yaml.\n")
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flagsSet names the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// The flags of several commands, declared here once.

// outFlag declares -out, the results folder (see resultsDir); note adds to
// its usage.
func outFlag(fs *flag.FlagSet, out *string, note string) {
	fs.StringVar(out, "out", "", "results `DIR` (default outputs/<sweep>)"+note)
}

// resultsDir is -out, or by default outputs/<sweep>: outside the Go
// packages of the repository (results/ is one), as Hydra keeps its runs.
func resultsDir(out string, p *sweep.Plan) string {
	if out != "" {
		return out
	}
	return filepath.Join("outputs", p.Config.Sweep)
}

// maxCellsFlag declares -max-cells, the cap on a plan (see loadPlan).
func maxCellsFlag(fs *flag.FlagSet, maxCells *int) {
	fs.IntVar(maxCells, "max-cells", sweep.DefaultMaxCells, "refuse plans with more cells than `N`")
}

// jsonFlag declares -json: JSON on stdout instead of text; what says how
// much of it.
func jsonFlag(fs *flag.FlagSet, asJSON *bool, what string) {
	fs.BoolVar(asJSON, "json", false, what)
}

// setsFlag declares -set, repeatable: the command-line overrides of the
// configuration (config.Set).
func setsFlag(fs *flag.FlagSet, sets *[]string) {
	fs.Func("set", "override the configuration: `KEY=VALUE`, with KEY a path into it (params.epochs, seeds, grid.eta, "+
		"models[2].leak, defaults.w_decay) and VALUE YAML (1, [0,1], {log_uniform: [1.0e-4, 1.0e-1], samples: 8}); repeatable, applied in order",
		func(s string) error {
			*sets = append(*sets, s)
			return nil
		})
}

// loadPlan reads and plans a configuration with the overrides sets,
// printing its warnings; with resolved, a results folder's sweep.yaml as
// the configuration it was resolved from (sweep.LoadResolved), which takes
// no overrides: they are written into it.
func loadPlan(path string, sets []string, maxCells int, resolved bool, stderr io.Writer) (*sweep.Plan, error) {
	if resolved {
		if len(sets) > 0 {
			return nil, &usageError{"-set cannot change a -resolved sweep.yaml (its overrides are written into it): run the configuration with -set instead"}
		}
		p, err := sweep.LoadResolved(path, maxCells)
		if err == nil {
			printWarnings(p.Config, stderr)
		}
		return p, err
	}
	c, err := config.Load(path, sets...)
	if err != nil {
		return nil, err
	}
	printWarnings(c, stderr)
	return sweep.NewPlan(c, maxCells)
}

func printWarnings(c *config.Config, stderr io.Writer) {
	for _, w := range c.Warnings {
		fmt.Fprintln(stderr, "dinv: warning:", w)
	}
}
