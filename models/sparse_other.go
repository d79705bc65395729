//go:build !amd64

package models

// haveFMA is false: Fast's loops are written for amd64 only.
const haveFMA = false

func sparseRows48FMA(acc *float64, wb *float64, idx *int32, val *float64, n int) {
	panic("models: no FMA loop on this architecture")
}

func diRx32FMA(rx, bt *float64, btStride int, ry *float64, nOut, blocks int, dt float64) {
	panic("models: no FMA loop on this architecture")
}

func dot16FMA(a, b *float64, groups int) float64 {
	panic("models: no FMA loop on this architecture")
}

func decayRowAVX2(row, h *float64, groups int, decay, a float64) {
	panic("models: no AVX2 loop on this architecture")
}
