package linalg

import "golang.org/x/sys/cpu"

// haveGemmAVX2 reports whether the CPU runs gemm10x4.
var haveGemmAVX2 = cpu.X86.HasAVX2

// gemm10x4 is in gemm_amd64.s: gemmFast's loop; it checks no bounds.
//
//go:noescape
func gemm10x4(c *float64, ldc int, a *float64, rs, ls int, b *float64, ldb, k, strips int)

// gemmNT6x2 is in gemmnt_amd64.s: gemmNTFast's loop; it checks no bounds.
//
//go:noescape
func gemmNT6x2(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int, alpha float64, pairs int)
