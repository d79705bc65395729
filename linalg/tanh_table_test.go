package linalg

import (
	"bytes"
	"os"
	"testing"

	"dinv/linalg/internal/tanhgen"
)

// TestTanhTableGenerated checks that tanh_table.go is what the generator
// writes for the constants of tanh.go, byte for byte.
func TestTanhTableGenerated(t *testing.T) {
	src, err := os.ReadFile("tanh.go")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := tanhgen.ReadCells("tanh.go", src)
	if err != nil {
		t.Fatal(err)
	}
	if want := (tanhgen.Cells{First: tanhFirstCell, Last: tanhLastCell, Shift: tanhCellShift}); cells != want {
		t.Fatalf("the generator reads the cells %+v from tanh.go, the compiled constants are %+v", cells, want)
	}
	got, err := tanhgen.Generate("tanh.go", src)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("tanh_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, have) {
		return
	}
	g, h := bytes.Split(got, []byte("\n")), bytes.Split(have, []byte("\n"))
	line := 0
	for line < min(len(g), len(h)) && bytes.Equal(g[line], h[line]) {
		line++
	}
	var gl, hl []byte
	if line < len(g) {
		gl = g[line]
	}
	if line < len(h) {
		hl = h[line]
	}
	t.Errorf("tanh_table.go is not what the generator writes for tanh.go (%d vs %d lines); first difference, line %d:\n\tfile:      %q\n\tgenerator: %q\nrun go generate ./linalg to rewrite it (and mind that a changed entry changes Tanh's results)",
		len(h), len(g), line+1, hl, gl)
}
