package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dinv/io/mnist"
	"dinv/io/mnist/mnisttest"
	"dinv/results"
)

// datasetConfig is a small MNIST-format sweep over dataset and data_dir.
const datasetConfig = `sweep: datasets
experiment: mnist_classification
seeds: [0]
data_dir: %s
params: {dataset: %s, sizes: [784, 10, 10], epochs: 1, train_size: 200, test_size: 100, eval_every: 100}
models:
  - {name: BP, model_type: BP}
`

// runDataset runs datasetConfig on the folder dir as dataset and returns
// the exit code, stderr and the one runs row.
func runDataset(t *testing.T, dir, dataset string) (int, string, results.Run) {
	t.Helper()
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "datasets.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(datasetConfig, dir, dataset)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	code, _, errs := cli(t, "run", "-out", out, cfg)
	runs, rerrs := results.ReadRuns(out)
	if len(runs) != 1 || len(rerrs) > 0 {
		t.Fatalf("%d runs (%v), want 1:\n%s", len(runs), rerrs, errs)
	}
	return code, errs, runs[0]
}

// TestDatasets runs the classifier on a Fashion-MNIST-shaped folder (the
// published MD5s substituted by those of the files the test writes), on the
// same folder with one MD5 wrong (a named error: the cell fails, saying
// which file and both sums), and on unchecked IDX files, whose MD5s the
// runs table records.
func TestDatasets(t *testing.T) {
	fashion := t.TempDir()
	sums := mnisttest.WriteIDX(t, fashion, true, 1)
	restore := mnist.TestHookFashionMD5(sums)
	defer restore()
	code, errs, run := runDataset(t, fashion, "fashion-mnist")
	if code != 0 || run.Status != results.StatusOK {
		t.Fatalf("fashion-mnist: exit %d, status %s (%s)\n%s", code, run.Status, run.Message, errs)
	}
	var files map[string]string
	if err := json.Unmarshal([]byte(run.DataMD5), &files); err != nil || len(files) != 4 {
		t.Fatalf("data_md5 %q: %v, want the four files", run.DataMD5, err)
	}
	for i, name := range mnist.Files {
		if files[name+".gz"] != sums[i] {
			t.Errorf("data_md5 of %s.gz is %q, want %s", name, files[name+".gz"], sums[i])
		}
	}
	if !strings.Contains(run.Params, `"dataset":"fashion-mnist"`) {
		t.Errorf("params %s do not name the dataset", run.Params)
	}

	wrong := sums
	wrong[2] = "00000000000000000000000000000000"
	mnist.TestHookFashionMD5(wrong)
	code, errs, run = runDataset(t, fashion, "fashion-mnist")
	want := fmt.Sprintf("t10k-images-idx3-ubyte.gz: checksum mismatch: MD5 %s, want %s (Fashion-MNIST's published t10k-images-idx3-ubyte.gz)", sums[2], wrong[2])
	if code != 1 || run.Status != results.StatusFailed || !strings.Contains(run.Message, want) {
		t.Errorf("a wrong checksum: exit %d, status %s, message %q; want exit 1, failed, and %q", code, run.Status, run.Message, want)
	}

	idx := t.TempDir()
	raw := mnisttest.WriteIDX(t, idx, false, 2)
	code, errs, run = runDataset(t, idx, "idx")
	if code != 0 || run.Status != results.StatusOK {
		t.Fatalf("idx: exit %d, status %s (%s)\n%s", code, run.Status, run.Message, errs)
	}
	files = nil
	json.Unmarshal([]byte(run.DataMD5), &files)
	for i, name := range mnist.Files {
		if files[name] != raw[i] {
			t.Errorf("idx: data_md5 of %s is %q, want %s", name, files[name], raw[i])
		}
	}
	// The same raw files as fashion-mnist cannot be checked: a named error.
	code, _, run = runDataset(t, idx, "fashion-mnist")
	if code != 1 || !strings.Contains(run.Message, "Fashion-MNIST publishes the MD5s of its .gz files only") {
		t.Errorf("raw files as fashion-mnist: exit %d, message %q", code, run.Message)
	}
}
