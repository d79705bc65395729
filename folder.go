package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"dinv/config"
	"dinv/results"
	"dinv/sweep"
)

// What status, plot and summary share: reading a results folder.

// isFolder is a usage error (exit 2) unless dir is a folder: status, plot
// and summary say alike that a wrong argument is not a results folder.
func isFolder(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &usageError{fmt.Sprintf("%s is not a results folder: it does not exist", dir)}
	case err != nil:
		return &usageError{fmt.Sprintf("%s is not a results folder: %v", dir, err)}
	case !fi.IsDir():
		return &usageError{fmt.Sprintf("%s is not a results folder: it is a file", dir)}
	}
	return nil
}

// readRuns reads the runs of a results folder, reporting unreadable files
// on stderr; a folder without runs is an error.
func readRuns(dir string, stderr io.Writer) ([]results.Run, error) {
	if err := isFolder(dir); err != nil {
		return nil, err
	}
	runs, errs := results.ReadRuns(dir)
	if len(runs) == 0 && len(errs) == 1 && errors.Is(errs[0], fs.ErrNotExist) {
		return nil, &usageError{fmt.Sprintf("%s is not a results folder: it has no runs/", dir)}
	}
	for _, err := range errs {
		fmt.Fprintln(stderr, "dinv: skipping:", err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: no finished cells in runs/", dir)
	}
	return runs, nil
}

// planOrder maps each cell id of the plan of DIR/sweep.yaml to its index;
// nil, after a note on stderr, when there is no readable sweep.yaml.
func planOrder(dir string, stderr io.Writer) map[string]int {
	path := filepath.Join(dir, "sweep.yaml")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "dinv: %s has no sweep.yaml: rows in order of model name\n", dir)
		return nil
	}
	c, err := config.Load(path)
	var p *sweep.Plan
	if err == nil {
		p, err = sweep.NewPlan(c, math.MaxInt)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dinv: %v\ndinv: rows in order of model name\n", err)
		return nil
	}
	order := make(map[string]int, len(p.Cells))
	for _, cell := range p.Cells {
		order[cell.ID] = cell.Index
	}
	return order
}
