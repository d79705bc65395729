package linalg

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveTanhAVX2 reports whether TanhSIMD runs tanh4AVX2.
var haveTanhAVX2 = cpu.X86.HasAVX2

// tanhVecK holds, four times each, the constants of Tanh's loop in the
// order tanh4AVX2 reads them: tanhK[0:9], the sign mask, the integer 1 (of
// the cell's centre), the first cell, the first cell − 1, the last cell,
// the cell of 2^-28 − 1 and the cell of 2^-28.
var tanhVecK = func() (k [16][4]uint64) {
	words := [16]uint64{}
	for i, c := range tanhK {
		words[i] = math.Float64bits(c)
	}
	tiny := uint64(tanhTinyBits >> tanhCellShift)
	copy(words[9:], []uint64{tanhSignMask, 1, tanhFirstCell, tanhFirstCell - 1, tanhLastCell, tiny - 1, tiny})
	for i, w := range words {
		k[i] = [4]uint64{w, w, w, w}
	}
	return k
}()

// tanh4AVX2 is in tanh_amd64.s.
//
//go:noescape
func tanh4AVX2(dst, src *float64, groups int, tab unsafe.Pointer, k *[16][4]uint64)

func tanhSIMD(dst, src []float64) int {
	n := len(src) / 4
	if !haveTanhAVX2 || n == 0 {
		return 0
	}
	tanh4AVX2(&dst[0], &src[0], n, unsafe.Pointer(&tanhTab), &tanhVecK)
	return 4 * n
}
