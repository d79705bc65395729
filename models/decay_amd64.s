#include "textflag.h"

// func decayRowAVX2(row, h *float64, groups int, decay, a float64)
//
// row[j] = row[j]*decay + a*h[j] for j < 16*groups, each product and the
// sum rounded (no fused multiply-add): decayRowTo's operations, sixteen at
// a time. No bounds are checked: groups >= 1.
TEXT ·decayRowAVX2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), DI
	MOVQ h+8(FP), SI
	MOVQ groups+16(FP), CX
	VBROADCASTSD decay+24(FP), Y14
	VBROADCASTSD a+32(FP), Y15

loop:
	VMULPD 0(DI), Y14, Y0
	VMULPD 32(DI), Y14, Y1
	VMULPD 64(DI), Y14, Y2
	VMULPD 96(DI), Y14, Y3
	VMULPD 0(SI), Y15, Y4
	VMULPD 32(SI), Y15, Y5
	VMULPD 64(SI), Y15, Y6
	VMULPD 96(SI), Y15, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNE loop
	VZEROUPPER
	RET
