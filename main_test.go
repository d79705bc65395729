package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cli runs the program in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/NAME.golden; on a mismatch it prints
// the differing lines and writes NAME.got beside it (git-ignored) for
// diffing, and on a match it removes a NAME.got left from an earlier run.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	gotPath := filepath.Join("testdata", name+".got")
	if got == string(want) {
		os.Remove(gotPath)
		return
	}
	os.WriteFile(gotPath, []byte(got), 0o644)
	t.Errorf("output differs from %s (all of it in %s):\n%s", path, gotPath, lineDiff(string(want), got))
}

// lineDiff lists the lines that differ between want and got, by number,
// at most ten of them.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := range max(len(w), len(g)) {
		a, c := "(none)", "(none)"
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a == c {
			continue
		}
		if shown == 10 {
			b.WriteString("  ...\n")
			break
		}
		fmt.Fprintf(&b, "  line %d:\n    want %s\n    got  %s\n", i+1, a, c)
		shown++
	}
	return b.String()
}

// TestPlanGolden pins the plan of the example configurations: the cells,
// their order, their ids and the collapsing of ignored axes.
func TestPlanGolden(t *testing.T) {
	for _, cfg := range []string{"testdata/plan/grid.yaml", "testdata/plan/mixed.yaml", "testdata/plan/issue_example.yaml", "testdata/plan/params_grid.yaml", "testdata/plan/params_kinds.yaml", "testdata/plan/random.yaml", "testdata/plan/zip.yaml", "configs/fig3a_linear.yaml"} {
		name := strings.TrimSuffix(filepath.Base(cfg), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, out, errs := cli(t, "plan", cfg)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, "plan/"+name, out+"# stderr\n"+errs)
			code, out, errs = cli(t, "plan", "-json", cfg)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, "plan/"+name+".json", out)
		})
	}
}

// TestBadConfigs checks the message and exit code of every bad
// configuration under testdata/bad, for plan and for run, and that run
// writes nothing.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) < 12 {
		t.Fatalf("want at least 12 bad configurations, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, out, errs := cli(t, "plan", "-max-cells", "100", f)
			if code != 2 || out != "" {
				t.Errorf("plan: exit %d, stdout %q; want exit 2 and nothing", code, out)
			}
			golden(t, "bad/"+name, errs)
			dir := filepath.Join(t.TempDir(), "out")
			code, _, errs2 := cli(t, "run", "-max-cells", "100", "-out", dir, f)
			if code != 2 || errs2 != errs {
				t.Errorf("run: exit %d, stderr %q; want exit 2 and plan's message", code, errs2)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("run wrote %s for a bad configuration", dir)
			}
		})
	}
}

// TestUsage checks the exit codes and messages of command-line mistakes.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "dinv: no command"},
		{[]string{"frobnicate"}, 2, `dinv: unknown command "frobnicate"`},
		{[]string{"run"}, 2, "dinv: run: want one CONFIG, got 0 arguments"},
		{[]string{"run", "-shard", "3/2", "configs/quickstart.yaml"}, 2, `-shard: want K/N with 1 <= K <= N, got "3/2"`},
		{[]string{"run", "-jobs", "0", "configs/quickstart.yaml"}, 2, "-jobs must be at least 1"},
		{[]string{"plan", "-bogus", "x"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"plan", "no/such.yaml"}, 2, "no/such.yaml: open no/such.yaml: no such file or directory"},
		{[]string{"status", t.TempDir()}, 2, "is not a results folder: it has no sweep.yaml"},
		{[]string{"run", "-h"}, 0, "Usage: dinv run"},
	} {
		code, _, errs := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// TestReadmeCommands runs every `go run . ...` line of the README's shell
// blocks in-process: the quickstart on one twentieth of its cells (the whole
// of it is the README's first set-up command, run by hand and in the closing
// notes), into a temporary folder that later commands read.
func TestReadmeCommands(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "outputs")
	var ran int
	inBlock := false
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			inBlock = true
			continue
		case strings.HasPrefix(line, "```"):
			inBlock = false
			continue
		}
		if !inBlock || !strings.HasPrefix(line, "go run . ") {
			continue
		}
		cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "go run . "), "#")
		args := strings.Fields(cmd)
		if args[0] == "slurm" {
			continue // TestSlurmArray runs these against a real cluster
		}
		for i, a := range args {
			switch {
			case strings.HasPrefix(a, "outputs/"):
				args[i] = filepath.Join(out, strings.TrimPrefix(a, "outputs/"))
			case i > 0 && args[i-1] == "-o":
				args[i] = filepath.Join(out, filepath.Base(a)) // not over docs/
			}
		}
		if args[0] == "run" {
			sweep := strings.TrimSuffix(filepath.Base(args[len(args)-1]), ".yaml")
			args = append([]string{"run", "-shard", "1/20", "-out", filepath.Join(out, sweep)}, args[1:]...)
		}
		code, stdout, stderr := cli(t, args...)
		if code != 0 {
			t.Errorf("README command %q: exit %d\n%s%s", line, code, stdout, stderr)
		}
		ran++
	}
	if ran < 3 {
		t.Errorf("found %d `go run .` commands in the README's sh blocks, want at least 3", ran)
	}
}
