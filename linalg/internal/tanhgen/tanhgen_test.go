package tanhgen

import (
	"math"
	"strings"
	"testing"
)

const consts = `package linalg

const (
	tanhCellShift = 45
	tanhSmall     = 0.55078125
	tanhSmallBits = 0x3FE1A00000000000
	tanhFirstCell = tanhSmallBits >> tanhCellShift
	tanhBig       = 22
	tanhLastCell  = 0x4036000000000000 >> tanhCellShift
)
`

func TestReadCells(t *testing.T) {
	c, err := ReadCells("tanh.go", []byte(consts))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 675 || c.Centre(0) != 0.55078125+0x1p-9 {
		t.Errorf("cells %+v: %d, centre of the first %v", c, c.Len(), c.Centre(0))
	}
	// Ends that are not the cells' fail.
	for _, bad := range []string{
		strings.Replace(consts, "tanhBig       = 22", "tanhBig = 21", 1),
		strings.Replace(consts, "tanhSmall     = 0.55078125", "tanhSmall = 0.55", 1),
		strings.Replace(consts, "tanhBig       = 22\n", "", 1),
	} {
		if _, err := ReadCells("tanh.go", []byte(bad)); err == nil {
			t.Errorf("no error for\n%s", bad)
		}
	}
}

func TestEntry(t *testing.T) {
	// tanh(1) = 0.7615941559557648881194582826...,
	// sech²(1) = 0.4199743416140260693944967390... (Python's decimal at 60
	// digits); the float64s nearest.
	tv, d, err := Entry(1)
	if err != nil {
		t.Fatal(err)
	}
	if tv != 0.7615941559557649 || d != 0.4199743416140261 {
		t.Errorf("Entry(1) = %v, %v", tv, d)
	}
	if _, _, err := Entry(math.NaN()); err == nil {
		t.Error("no error for NaN")
	}
}
