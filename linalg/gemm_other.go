//go:build !amd64

package linalg

const haveGemmAVX2 = false

func gemm10x4(c *float64, ldc int, a *float64, rs, ls int, b *float64, ldb, k, strips int) {
	panic("linalg: no AVX2 loop on this architecture")
}

func gemmNT6x2(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int, alpha float64, pairs int) {
	panic("linalg: no AVX2 loop on this architecture")
}
