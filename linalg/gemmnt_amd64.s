#include "textflag.h"

// NTROW adds a 4-wide step of row ap of a times rows Y12 and Y13 of b into
// the sums acc0 and acc1: multiply, then add, as gonum's DotUnitary does.
#define NTROW(load, ap, acc0, acc1) \
	load (ap)(AX*8), Y14; \
	VMULPD Y12, Y14, Y15; \
	VADDPD Y15, acc0, acc0; \
	VMULPD Y13, Y14, Y15; \
	VADDPD Y15, acc1, acc1

// NTTAIL is NTROW for one element: VMOVSD zeroes lanes 1-3, so lane 0
// gets the product and lanes 1-3 add +0, which leaves them as they are
// (a lane's sum starts at +0 and so is never -0).
#define NTTAIL(ap, acc0, acc1) \
	VMOVSD (ap)(AX*8), X14; \
	VMULPD Y12, Y14, Y15; \
	VADDPD Y15, acc0, acc0; \
	VMULPD Y13, Y14, Y15; \
	VADDPD Y15, acc1, acc1

// NTSUM finishes one entry as DotUnitary and dgemmSerialNotTrans do:
// sums (s0, s1, s2, s3) give (s0+s2) + (s1+s3); then c += alpha*dot.
#define NTSUM(acc, xacc, off) \
	VEXTRACTF128 $1, acc, X14; \
	VADDPD X14, xacc, xacc; \
	VPERMILPD $1, xacc, X14; \
	VADDSD X14, xacc, xacc; \
	VMULSD X13, xacc, xacc; \
	VADDSD off(AX), xacc, xacc; \
	VMOVSD xacc, off(AX)

// func gemmNT6x2(c *float64, ldc int, a *float64, lda int, b *float64, ldb, k int, alpha float64, pairs int)
//
// For rows i < 6 of a and rows j < 2*pairs of b:
// c[i*ldc+j] += alpha * dot(a[i*lda:][:k], b[j*ldb:][:k]), each dot as
// gonum's DotUnitary sums it (lane l of four sums the products of the
// indices l mod 4 of the whole fours, the rest go into lane 0 in order,
// then (s0+s2) + (s1+s3)), each product and sum rounded: the bits of
// gonum's Dgemm for a bᵀ. No bounds are checked: k >= 1, pairs >= 1.
TEXT ·gemmNT6x2(SB), NOSPLIT, $0-72
	MOVQ a+16(FP), R8
	MOVQ lda+24(FP), AX
	SHLQ $3, AX
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	MOVQ b+32(FP), SI
	MOVQ ldb+40(FP), AX
	SHLQ $3, AX
	LEAQ (SI)(AX*1), DI
	MOVQ c+0(FP), DX
	MOVQ ldc+8(FP), R14
	SHLQ $3, R14
	MOVQ k+48(FP), CX
	MOVQ CX, BX
	ANDQ $-4, BX             // the whole fours

pair:
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
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	XORQ AX, AX
	CMPQ AX, BX
	JGE  tail

four:
	VMOVUPD (SI)(AX*8), Y12
	VMOVUPD (DI)(AX*8), Y13
	NTROW(VMOVUPD, R8, Y0, Y1)
	NTROW(VMOVUPD, R9, Y2, Y3)
	NTROW(VMOVUPD, R10, Y4, Y5)
	NTROW(VMOVUPD, R11, Y6, Y7)
	NTROW(VMOVUPD, R12, Y8, Y9)
	NTROW(VMOVUPD, R13, Y10, Y11)
	ADDQ $4, AX
	CMPQ AX, BX
	JLT  four

tail:
	CMPQ AX, CX
	JGE  sum

one:
	VMOVSD (SI)(AX*8), X12
	VMOVSD (DI)(AX*8), X13
	NTTAIL(R8, Y0, Y1)
	NTTAIL(R9, Y2, Y3)
	NTTAIL(R10, Y4, Y5)
	NTTAIL(R11, Y6, Y7)
	NTTAIL(R12, Y8, Y9)
	NTTAIL(R13, Y10, Y11)
	INCQ AX
	CMPQ AX, CX
	JLT  one

sum:
	VMOVSD alpha+56(FP), X13
	MOVQ   DX, AX
	NTSUM(Y0, X0, 0)
	NTSUM(Y1, X1, 8)
	ADDQ   R14, AX
	NTSUM(Y2, X2, 0)
	NTSUM(Y3, X3, 8)
	ADDQ   R14, AX
	NTSUM(Y4, X4, 0)
	NTSUM(Y5, X5, 8)
	ADDQ   R14, AX
	NTSUM(Y6, X6, 0)
	NTSUM(Y7, X7, 8)
	ADDQ   R14, AX
	NTSUM(Y8, X8, 0)
	NTSUM(Y9, X9, 8)
	ADDQ   R14, AX
	NTSUM(Y10, X10, 0)
	NTSUM(Y11, X11, 8)

	MOVQ ldb+40(FP), AX
	SHLQ $4, AX              // two rows of b
	ADDQ AX, SI
	ADDQ AX, DI
	ADDQ $16, DX             // two columns of c
	DECQ pairs+64(FP)        // counts down in its argument slot
	JNE  pair
	VZEROUPPER
	RET
