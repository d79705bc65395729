package models

import "golang.org/x/sys/cpu"

// haveFMA reports whether the CPU runs the AVX2 and FMA loops of Fast.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sparseRows48FMA is sparseRows48 in AVX2 and FMA (sparse_amd64.s), one
// rounding per multiply-add; it checks no bounds.
//
//go:noescape
func sparseRows48FMA(acc *float64, wb *float64, idx *int32, val *float64, n int)

// diRx32FMA is diRx32 in AVX2 and FMA (di_amd64.s); it checks no bounds.
//
//go:noescape
func diRx32FMA(rx, bt *float64, btStride int, ry *float64, nOut, blocks int, dt float64)

// dot16FMA is dot16 in AVX2 and FMA (di_amd64.s); it checks no bounds.
//
//go:noescape
func dot16FMA(a, b *float64, groups int) float64

// decayRowAVX2 is in decay_amd64.s: Fast.UpdateTo's pass over a row, with
// decayRowTo's bits; it checks no bounds.
//
//go:noescape
func decayRowAVX2(row, h *float64, groups int, decay, a float64)
