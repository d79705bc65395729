package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"dinv/config"
	"dinv/models"
	"dinv/results"
	"dinv/sweep"
)

// version is the tool's version when the build does not carry a module version.
const version = "0.4.0-dev"

// newFlags returns a flag set that reports to stderr with a short usage.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: dinv %s\n\n%s\n", synopsis, about)
		if hasFlags(fs) {
			fmt.Fprintln(stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) (any bool) {
	fs.VisitAll(func(*flag.Flag) { any = true })
	return any
}

// parse parses flags before and after the positional arguments, so that
// "run CONFIG -jobs 2" works as well as "run -jobs 2 CONFIG".
func parse(fs *flag.FlagSet, args []string, want int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != want {
		fs.Usage()
		return nil, &usageError{fmt.Sprintf("%s: want %s, got %d arguments", fs.Name(), what, len(pos))}
	}
	return pos, nil
}

// loadPlan reads and plans a configuration, printing its warnings.
func loadPlan(path string, maxCells int, stderr io.Writer) (*sweep.Plan, error) {
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for _, w := range c.Warnings {
		fmt.Fprintln(stderr, "dinv: warning:", w)
	}
	return sweep.NewPlan(c, maxCells)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "run [-out DIR] [-jobs N] [-shard K/N] [-max-cells N] [-data DIR] CONFIG",
		"Runs the cells of the sweep in `CONFIG` that are not finished yet into DIR: runs/ and curves/\n"+
			"(Parquet, one file per cell) and sweep.yaml. Rerunning resumes: finished cells are skipped,\n"+
			"failed ones are tried again. Exit codes: 0 all cells ok or diverged, 1 some failed,\n"+
			"2 usage or configuration error, 130 interrupted.", stderr)
	out := fs.String("out", "", "results `DIR` (default results/<sweep>)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "cells run at once")
	shard := fs.String("shard", "", "run only shard `K/N` of the plan (1 <= K <= N)")
	maxCells := fs.Int("max-cells", sweep.DefaultMaxCells, "refuse plans with more cells than `N`")
	data := fs.String("data", "", "MNIST data `DIR` (default: the config's data_dir, ./data, then the Go module cache)")
	pos, err := parse(fs, args, 1, "one CONFIG")
	if err != nil {
		return helpOK(err)
	}
	k, n, err := parseShard(*shard)
	if err != nil {
		return err
	}
	if *jobs < 1 {
		return &usageError{fmt.Sprintf("-jobs must be at least 1, got %d", *jobs)}
	}
	p, err := loadPlan(pos[0], *maxCells, stderr)
	if err != nil {
		return err
	}
	dir := resultsDir(*out, p)
	env := models.Env{DataDir: p.Config.DataDir}
	if *data != "" {
		env.DataDir = *data
	}
	opt := sweep.Options{
		Dir: dir, Jobs: *jobs, Shard: k, Shards: n, Env: env, Stderr: stderr,
		TTY: isTerminal(stderr), Version: toolVersion(), Commit: gitCommit(ctx),
	}
	s, err := sweep.Run(ctx, p, opt)
	if err == nil || errors.Is(err, sweep.ErrCellsFailed) || errors.Is(err, sweep.ErrInterrupted) && s.OK+s.Diverged+s.Skipped > 0 {
		fmt.Fprintf(stderr, "next: 'dinv status %[1]s', 'dinv summary %[1]s', 'dinv plot %[1]s'\n", dir)
	}
	return err
}

// resultsDir is -out, or by default results/<sweep>.
func resultsDir(out string, p *sweep.Plan) string {
	if out != "" {
		return out
	}
	return filepath.Join("results", p.Config.Sweep)
}

// helpOK turns a -h request into success.
func helpOK(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func parseShard(s string) (k, n int, err error) {
	if s == "" {
		return 1, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, &usageError{fmt.Sprintf("-shard: want K/N with 1 <= K <= N, got %q", s)}
	}
	return k, n, nil
}

func planCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "plan [-json] [-max-cells N] CONFIG",
		"Lists the cells of the sweep in `CONFIG`, one per line, without running anything.\n"+
			"With -json, one JSON object per line with the runs-table columns known before running.", stderr)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	maxCells := fs.Int("max-cells", sweep.DefaultMaxCells, "refuse plans with more cells than `N`")
	pos, err := parse(fs, args, 1, "one CONFIG")
	if err != nil {
		return helpOK(err)
	}
	p, err := loadPlan(pos[0], *maxCells, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for i := range p.Cells {
			if err := enc.Encode(planRow(p, &p.Cells[i])); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	head := "cell_id\tmodel\tmodel_type\tfback_type\tfback_gain\tleak\teta\tw_decay"
	if len(p.Cells) > 0 {
		for _, f := range p.Cells[0].Params() {
			head += "\t" + f.Name
		}
	}
	fmt.Fprintln(tw, head+"\tseed")
	for _, c := range p.Cells {
		d := c.Def
		fb := d.FbackType()
		if fb == "" {
			fb = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%g\t%g", c.ID, c.Model, d.Rule, fb,
			optional(d.FbackGain()), optional(d.LeakOf()), d.Params.Eta, d.Params.WDecay)
		for _, pc := range c.Key("").Axes {
			v := pc.String()
			if pc.Value == nil {
				v = "-"
			}
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintf(tw, "\t%d\n", d.Seed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d cells (%d crossed, %d collapsed where a rule ignores an axis) of %s in %s\n",
		len(p.Cells), p.Crossed, p.Collapsed, p.Config.Experiment.Name, pos[0])
	return nil
}

func optional(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// planJSON is one line of plan -json: the runs-table columns known before
// running, cell_id first, nulls where a rule ignores a field, and a column
// for each experiment parameter the grid varies.
type planJSON struct {
	CellID       string   `json:"cell_id"`
	Sweep        string   `json:"sweep"`
	Experiment   string   `json:"experiment"`
	Model        string   `json:"model"`
	ModelType    string   `json:"model_type"`
	FbackType    *string  `json:"fback_type"`
	FbackGain    *float64 `json:"fback_gain"`
	Leak         *float64 `json:"leak"`
	Eta          float64  `json:"eta"`
	WDecay       float64  `json:"w_decay"`
	Seed         uint64   `json:"seed"`
	Params       string   `json:"params"`
	ConfigSHA256 string   `json:"config_sha256"`

	axes []results.ParamColumn
}

// MarshalJSON writes the fields in order, then the parameter columns.
func (r planJSON) MarshalJSON() ([]byte, error) {
	type plain planJSON
	js, err := json.Marshal(plain(r))
	if err != nil || len(r.axes) == 0 {
		return js, err
	}
	var b bytes.Buffer
	b.Write(js[:len(js)-1])
	for _, a := range r.axes {
		k, _ := json.Marshal(a.Name)
		v, err := json.Marshal(a.Value)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, ",%s:%s", k, v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func planRow(p *sweep.Plan, c *sweep.Cell) planJSON {
	k := c.Key(p.Config.Sweep)
	r := planJSON{
		CellID: c.ID, Sweep: k.Sweep, Experiment: k.Experiment, Model: c.Model,
		ModelType: k.ModelType, FbackGain: c.Def.FbackGain(), Leak: k.Leak,
		Eta: k.Eta, WDecay: k.WDecay, Seed: c.Def.Seed, Params: c.Def.ParamsJSON(),
		ConfigSHA256: p.Config.SHA256, axes: k.Axes,
	}
	if k.FbackType != "" {
		r.FbackType = &k.FbackType
	}
	return r
}

func statusCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", "status [-json] DIR",
		"Counts the ok, diverged, failed and pending cells of the results folder `DIR`\n"+
			"against the plan of its sweep.yaml, per model, and lists failed cells.", stderr)
	asJSON := fs.Bool("json", false, "one JSON object")
	pos, err := parse(fs, args, 1, "one results DIR")
	if err != nil {
		return helpOK(err)
	}
	if err := isFolder(pos[0]); err != nil {
		return err
	}
	s, err := sweep.ReadStatus(pos[0], math.MaxInt)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(s)
	}
	fmt.Fprintf(stdout, "sweep %s (%s) in %s\n", s.Sweep, s.Experiment, s.Dir)
	fmt.Fprintf(stdout, "%d cells: %d ok, %d diverged, %d failed, %d pending\n", s.Cells, s.OK, s.Diverged, s.Failed, s.Pending)
	if s.Extra > 0 {
		fmt.Fprintf(stdout, "%d finished cells are not in the current plan (from an earlier sweep.yaml)\n", s.Extra)
	}
	for _, r := range s.Running {
		fmt.Fprintf(stdout, "running now: %s\n", r)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tcells\tok\tdiverged\tfailed\tpending")
	for _, m := range s.Models {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", m.Model, m.Cells, m.OK, m.Diverged, m.Failed, m.Pending)
	}
	tw.Flush()
	if len(s.FailedRuns) > 0 {
		fmt.Fprintln(stdout, "\nfailed cells (run the sweep again to retry them):")
		for _, f := range s.FailedRuns {
			fmt.Fprintf(stdout, "  %s  %s  seed %d: %s\n", f.CellID, f.Model, f.Seed, f.Message)
		}
	}
	for _, d := range s.Damaged {
		fmt.Fprintln(stdout, "damaged:", d)
	}
	return nil
}

// isTerminal reports whether w is a terminal that can show a bar: one with
// a width (a pseudo-terminal without one would show nothing).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0
}

// toolVersion is the module version when the binary carries one.
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// gitCommit is the commit the binary was built from: stamped by the go
// command when it can, else asked of git when the working folder is a
// checkout, else empty. "-dirty" marks uncommitted changes to tracked files.
func gitCommit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if modified == "true" {
				rev += "-dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(rev))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += "-dirty"
	}
	return commit
}
