#include "textflag.h"

// func gemm10x4(c *float64, ldc int, a *float64, rs, ls int, b *float64, ldb, k, strips int)
//
// For rows r < 10 and the 4*strips first columns j:
// c[r*ldc+j] = sum over l < k, from +0 and in order of l, of a[r*rs+l*ls]*b[l*ldb+j],
// each product and each sum rounded (no fused multiply-adds): the order and
// roundings of gonum's Dgemm (an axpy per l, multiply then add). The sums of
// a strip of four columns of ten rows stay in Y0-Y9 across l, so that b is
// read once for ten rows (MNIST's classifier has ten outputs). Entry (r, l)
// of a is at r*rs + l*ls: rs = lda, ls = 1 for a, rs = 1, ls = lda for aᵀ. No bounds
// are checked: k >= 1, strips >= 1.
TEXT ·gemm10x4(SB), NOSPLIT, $0-72
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), DX
	SHLQ $3, DX
	MOVQ rs+24(FP), R10
	SHLQ $3, R10             // L: from row to row of a, in bytes
	LEAQ (R10)(R10*2), R11   // 3L
	MOVQ ls+32(FP), R12
	SHLQ $3, R12             // from l to l + 1, in bytes
	MOVQ strips+64(FP), CX
	XORQ DI, DI              // byte offset of the strip into the rows

strip:
	LEAQ (BX)(DI*1), SI      // b[0, strip]
	MOVQ k+56(FP), R13
	MOVQ a+16(FP), R8        // rows 0-4, 6 and 8 from here
	LEAQ (R8)(R10*4), R9
	ADDQ R10, R9             // rows 5, 7 and 9 from here
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9

kloop:
	VMOVUPD (SI), Y10
	VBROADCASTSD (R8), Y11
	VMULPD Y10, Y11, Y14
	VADDPD Y14, Y0, Y0
	VBROADCASTSD (R8)(R10*1), Y12
	VMULPD Y10, Y12, Y15
	VADDPD Y15, Y1, Y1
	VBROADCASTSD (R8)(R10*2), Y13
	VMULPD Y10, Y13, Y14
	VADDPD Y14, Y2, Y2
	VBROADCASTSD (R8)(R11*1), Y11
	VMULPD Y10, Y11, Y15
	VADDPD Y15, Y3, Y3
	VBROADCASTSD (R8)(R10*4), Y12
	VMULPD Y10, Y12, Y14
	VADDPD Y14, Y4, Y4
	VBROADCASTSD (R9), Y13
	VMULPD Y10, Y13, Y15
	VADDPD Y15, Y5, Y5
	VBROADCASTSD (R8)(R11*2), Y11
	VMULPD Y10, Y11, Y14
	VADDPD Y14, Y6, Y6
	VBROADCASTSD (R9)(R10*2), Y12
	VMULPD Y10, Y12, Y15
	VADDPD Y15, Y7, Y7
	VBROADCASTSD (R8)(R10*8), Y13
	VMULPD Y10, Y13, Y14
	VADDPD Y14, Y8, Y8
	VBROADCASTSD (R9)(R10*4), Y11
	VMULPD Y10, Y11, Y15
	VADDPD Y15, Y9, Y9
	ADDQ R12, R8
	ADDQ R12, R9
	ADDQ DX, SI
	DECQ R13
	JNE kloop

	MOVQ c+0(FP), AX
	ADDQ DI, AX
	MOVQ ldc+8(FP), R13
	SHLQ $3, R13
	VMOVUPD Y0, (AX)
	ADDQ R13, AX
	VMOVUPD Y1, (AX)
	ADDQ R13, AX
	VMOVUPD Y2, (AX)
	ADDQ R13, AX
	VMOVUPD Y3, (AX)
	ADDQ R13, AX
	VMOVUPD Y4, (AX)
	ADDQ R13, AX
	VMOVUPD Y5, (AX)
	ADDQ R13, AX
	VMOVUPD Y6, (AX)
	ADDQ R13, AX
	VMOVUPD Y7, (AX)
	ADDQ R13, AX
	VMOVUPD Y8, (AX)
	ADDQ R13, AX
	VMOVUPD Y9, (AX)
	ADDQ $32, DI
	DECQ CX
	JNE strip
	VZEROUPPER
	RET
