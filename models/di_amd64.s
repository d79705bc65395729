#include "textflag.h"

// func diRx32FMA(rx, bt *float64, btStride int, ry *float64, nOut, blocks int, dt float64)
//
// For each block of 32 states rx[i:i+32] (blocks of them) and with
// s_i = sum over j < nOut, in order of j, of bt[j*btStride+i] * ry[j]:
// rx[i] += dt * (s_i - rx[i]), the s_i in Y0-Y7, one fused multiply-add
// per four states and j. No bounds are checked: the caller guarantees
// nOut >= 1, blocks >= 1, and that every row j of bt holds 32*blocks
// entries from bt.
TEXT ·diRx32FMA(SB), NOSPLIT, $0-56
	MOVQ rx+0(FP), DI
	MOVQ bt+8(FP), SI
	MOVQ btStride+16(FP), R8
	SHLQ $3, R8
	MOVQ ry+24(FP), DX
	MOVQ nOut+32(FP), CX
	MOVQ blocks+40(FP), BX
	VBROADCASTSD dt+48(FP), Y15

block:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ SI, R9
	MOVQ DX, R10
	MOVQ CX, R11

jloop:
	VBROADCASTSD (R10), Y8
	VFMADD231PD 0(R9), Y8, Y0
	VFMADD231PD 32(R9), Y8, Y1
	VFMADD231PD 64(R9), Y8, Y2
	VFMADD231PD 96(R9), Y8, Y3
	VFMADD231PD 128(R9), Y8, Y4
	VFMADD231PD 160(R9), Y8, Y5
	VFMADD231PD 192(R9), Y8, Y6
	VFMADD231PD 224(R9), Y8, Y7
	ADDQ $8, R10
	ADDQ R8, R9
	DECQ R11
	JNE jloop

	VMOVUPD 0(DI), Y8
	VSUBPD Y8, Y0, Y0
	VFMADD231PD Y0, Y15, Y8
	VMOVUPD Y8, 0(DI)
	VMOVUPD 32(DI), Y9
	VSUBPD Y9, Y1, Y1
	VFMADD231PD Y1, Y15, Y9
	VMOVUPD Y9, 32(DI)
	VMOVUPD 64(DI), Y10
	VSUBPD Y10, Y2, Y2
	VFMADD231PD Y2, Y15, Y10
	VMOVUPD Y10, 64(DI)
	VMOVUPD 96(DI), Y11
	VSUBPD Y11, Y3, Y3
	VFMADD231PD Y3, Y15, Y11
	VMOVUPD Y11, 96(DI)
	VMOVUPD 128(DI), Y8
	VSUBPD Y8, Y4, Y4
	VFMADD231PD Y4, Y15, Y8
	VMOVUPD Y8, 128(DI)
	VMOVUPD 160(DI), Y9
	VSUBPD Y9, Y5, Y5
	VFMADD231PD Y5, Y15, Y9
	VMOVUPD Y9, 160(DI)
	VMOVUPD 192(DI), Y10
	VSUBPD Y10, Y6, Y6
	VFMADD231PD Y6, Y15, Y10
	VMOVUPD Y10, 192(DI)
	VMOVUPD 224(DI), Y11
	VSUBPD Y11, Y7, Y7
	VFMADD231PD Y7, Y15, Y11
	VMOVUPD Y11, 224(DI)

	ADDQ $256, DI
	ADDQ $256, SI
	DECQ BX
	JNE block
	VZEROUPPER
	RET

// func dot16FMA(a, b *float64, groups int) float64
//
// The sum of a[i]*b[i] for i < 16*groups: four running sums of four lanes
// (Y0-Y3, lane k of sum q holding the i = 16m + 4q + k), added pairwise at
// the end. No bounds are checked: the caller guarantees groups >= 1.
TEXT ·dot16FMA(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ groups+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

loop:
	VMOVUPD 0(SI), Y4
	VFMADD231PD 0(DI), Y4, Y0
	VMOVUPD 32(SI), Y5
	VFMADD231PD 32(DI), Y5, Y1
	VMOVUPD 64(SI), Y6
	VFMADD231PD 64(DI), Y6, Y2
	VMOVUPD 96(SI), Y7
	VFMADD231PD 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNE loop

	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET
