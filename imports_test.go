package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules holds the packages to the one-way flow of ARCHITECTURE.md,
// with the dependencies go list reports (test files aside):
//
//   - linalg imports nothing of ours;
//   - models (the rules, the network and the trainer) imports only linalg;
//   - an io package imports nothing of ours outside io/;
//   - cell, the vocabulary, imports only models and linalg: not results,
//     so that the results format cannot reach a cell id;
//   - results imports neither sweep nor config nor an experiment package;
//   - an experiment package (models/*) imports no package above models
//     (not cell, config, sweep or results) and no other experiment.
//
// Go itself refuses import cycles.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, list, _ := strings.Cut(line, ":")
		for _, d := range strings.Fields(list) {
			if d == "dinv" || strings.HasPrefix(d, "dinv/") {
				deps[pkg] = append(deps[pkg], d)
			}
		}
		if _, ok := deps[pkg]; !ok {
			deps[pkg] = nil
		}
	}
	// The experiments: the packages under models but its internal test
	// helpers, the registration list (all) and the kernels' conformance
	// suite (kerneltest).
	experiments := func(d string) bool {
		return strings.HasPrefix(d, "dinv/models/") && !strings.HasPrefix(d, "dinv/models/internal/") &&
			d != "dinv/models/all" && d != "dinv/models/kerneltest"
	}
	above := func(d string) bool {
		return d == "dinv/cell" || d == "dinv/config" || strings.HasPrefix(d, "dinv/sweep") || strings.HasPrefix(d, "dinv/results")
	}
	rules := []struct {
		name    string
		applies func(pkg string) bool
		bad     func(dep string) bool
	}{
		{"linalg imports nothing of ours",
			func(p string) bool { return p == "dinv/linalg" },
			func(d string) bool { return true }},
		{"models imports only linalg",
			func(p string) bool { return p == "dinv/models" },
			func(d string) bool { return d != "dinv/linalg" }},
		{"io imports nothing of ours outside io",
			func(p string) bool { return strings.HasPrefix(p, "dinv/io/") },
			func(d string) bool { return !strings.HasPrefix(d, "dinv/io/") }},
		{"cell imports only models and linalg",
			func(p string) bool { return p == "dinv/cell" },
			func(d string) bool { return d != "dinv/models" && d != "dinv/linalg" }},
		{"results imports neither sweep, config nor an experiment",
			func(p string) bool { return p == "dinv/results" || strings.HasPrefix(p, "dinv/results/") },
			func(d string) bool { return strings.HasPrefix(d, "dinv/sweep") || d == "dinv/config" || experiments(d) }},
		{"an experiment imports nothing above models",
			func(p string) bool { return experiments(p) },
			above},
		{"an experiment imports no other experiment",
			experiments,
			experiments},
	}
	checked := map[string]bool{}
	for pkg, ds := range deps {
		for _, r := range rules {
			if !r.applies(pkg) {
				continue
			}
			checked[r.name] = true
			for _, d := range ds {
				if r.bad(d) {
					t.Errorf("%s: %s depends on %s", r.name, pkg, d)
				}
			}
		}
	}
	for _, r := range rules {
		if !checked[r.name] {
			t.Errorf("rule %q applies to no package: is the tree what the rule says?", r.name)
		}
	}
	// The experiments are packages of their own, registered by models/all.
	var exps []string
	for pkg := range deps {
		if experiments(pkg) {
			exps = append(exps, pkg)
		}
	}
	slices.Sort(exps)
	if len(exps) < 2 {
		t.Errorf("experiment packages %v: want models/regression and models/mnist at least", exps)
	}
}
