package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"dinv/io/mnist"
	"dinv/io/mnist/mnisttest"
	"dinv/results"
)

// weighed is a small classifier sweep that keeps its weights.
const weighed = `
sweep: weighed
experiment: mnist_classification
save_weights: true
seeds: [0]
params: {train_size: 500, test_size: 200, epochs: 1, eval_every: 100, sizes: [784, 32, 10]}
models:
  - {name: FA, model_type: FA, fback_type: random}
  - {name: BP, model_type: BP}
`

// numpyCheck loads a weights file with numpy, checks what it holds, and
// computes the test error of the network it describes on the test images
// (standardised by the training images' pixel mean and deviation, as the
// run did), printing it; and the angle between B1 and -W1ᵀ, when B1 is there.
const numpyCheck = `
import sys
import numpy as np
z = np.load(sys.argv[1])
train, test, labels = np.load(sys.argv[2]), np.load(sys.argv[3]), np.load(sys.argv[4])
assert list(z["sizes"]) == [784, 32, 10], z["sizes"]
assert z["W0"].shape == (32, 784) and z["b0"].shape == (32,), (z["W0"].shape, z["b0"].shape)
assert z["W1"].shape == (10, 32) and z["b1"].shape == (10,)
mu, sd = train.astype(float).mean(), train.astype(float).std()
x = (test.astype(float) - mu) / sd
h = np.tanh(x @ z["W0"].T + z["b0"])
y = h @ z["W1"].T + z["b1"]
print("error", np.mean(np.argmax(y, axis=1) != labels))
if "B1" in z:
    B, W = z["B1"], z["W1"]
    assert B.shape == (32, 10), B.shape
    c = -np.sum(B * W.T) / (np.linalg.norm(B) * np.linalg.norm(W))
    print("angle", np.degrees(np.arccos(c)))
print("keys", " ".join(sorted(z.files)))
`

// TestSaveWeights: with save_weights, each finished cell's weights are a
// .npz that numpy loads, with the keys and shapes the README gives; the
// network they describe has, on the test images, the final test error of
// the cell's runs row; and the archive reads back in Go with the same keys.
func TestSaveWeights(t *testing.T) {
	mnisttest.Require(t)
	python := numpyPython(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "weighed.yaml")
	os.WriteFile(cfg, []byte(weighed), 0o644)
	dir := filepath.Join(tmp, "out")
	if code, _, errs := cli(t, "run", "-jobs", "2", "-out", dir, cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errs)
	}
	// The images the cells saw, for numpy.
	ds, err := mnist.Load(context.Background(), mnist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	npyFile := func(name string, v any) string {
		path := filepath.Join(tmp, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := npyio.Write(f, v); err != nil {
			t.Fatal(err)
		}
		return path
	}
	images := func(s mnist.Set, n int) *mat.Dense {
		m := mat.NewDense(n, mnist.ImageSize, nil)
		for i := range n {
			for j, p := range s.Row(i) {
				m.Set(i, j, float64(p))
			}
		}
		return m
	}
	labels := make([]int64, 200)
	for i := range labels {
		labels[i] = int64(ds.Test.Labels[i])
	}
	train, test, lab := npyFile("train.npy", images(ds.Train, 500)), npyFile("test.npy", images(ds.Test, 200)), npyFile("labels.npy", labels)

	runs, errs := results.ReadRuns(dir)
	if len(errs) > 0 || len(runs) != 2 {
		t.Fatalf("runs: %d rows, %v", len(runs), errs)
	}
	for _, r := range runs {
		path := filepath.Join(dir, "weights", r.CellID+".npz")
		out, err := exec.Command(python, "-c", numpyCheck, path, train, test, lab).CombinedOutput()
		if err != nil {
			t.Fatalf("numpy on %s (%s): %v\n%s", path, r.Model, err, out)
		}
		var numpyErr float64
		var keys string
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "error "); ok {
				fmt.Sscan(v, &numpyErr)
			}
			if v, ok := strings.CutPrefix(line, "keys "); ok {
				keys = v
			}
		}
		if r.FinalTestError == nil || numpyErr != *r.FinalTestError {
			t.Errorf("%s: numpy's test error of the saved network is %v, the runs row's %v\n%s", r.Model, numpyErr, ptrText(r.FinalTestError), out)
		}
		want := "W0 W1 b0 b1 sizes"
		if r.Model == "FA" {
			want = "B1 W0 W1 b0 b1 sizes"
		}
		if keys != want {
			t.Errorf("%s: keys %q, want %q", r.Model, keys, want)
		}
		zr, err := npz.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got := zr.Keys()
		slices.Sort(got)
		zr.Close()
		if strings.Join(got, " ") != strings.ReplaceAll(want, " ", ".npy ")+".npy" && strings.Join(got, " ") != want {
			t.Errorf("%s: Go reads keys %v, want %s", r.Model, got, want)
		}
		t.Logf("%s: %s", r.Model, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
	}
}

// numpyPython returns a python3 that imports numpy, skipping the test
// unless DINV_REQUIRE_NUMPY=1 (CI) makes it fail.
func numpyPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	if os.Getenv("DINV_REQUIRE_NUMPY") == "1" {
		t.Fatal("DINV_REQUIRE_NUMPY=1 but no python3 imports numpy (apt-get install python3-numpy)")
	}
	t.Skip("no python3 with numpy here (Debian: apt-get install python3-numpy)")
	return ""
}
