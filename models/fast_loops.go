package models

import "math"

// Fast's loops. Each has an assembly version (AVX2 and FMA, amd64) and a
// pure-Go twin here that does the same fused multiply-adds (math.FMA) and
// additions in the same order, so that Fast gives the same bits with or
// without the assembly: on a CPU without AVX2, with DINV_KERNELS=go, or
// on another architecture. TestFastLoopsBitwise holds the twins equal.
// On amd64 without FMA hardware (CPUs before 2013), math.FMA runs in
// software: right, but several times slower.

// sparseRows48 sets acc[k] = fma(val[p], wb[idx[p]*48+k], acc[k]) for
// k < 48, p < n, in order of p.
func sparseRows48(acc, wb []float64, idx []int32, val []float64) {
	if useAsm && len(idx) > 0 {
		_ = acc[sparseBlock-1]
		sparseRows48FMA(&acc[0], &wb[0], &idx[0], &val[0], len(idx))
		return
	}
	sparseRows48Go(acc, wb, idx, val)
}

func sparseRows48Go(acc, wb []float64, idx []int32, val []float64) {
	acc = acc[:sparseBlock]
	for p, j := range idx {
		v := val[p]
		row := wb[int(j)*sparseBlock : int(j)*sparseBlock+sparseBlock]
		for k, w := range row {
			acc[k] = math.FMA(v, w, acc[k])
		}
	}
}

// diRx32 sets, for i < 32*blocks and s_i = the fused sum over j < nOut,
// in order of j and from 0, of bt[j*nIn+i]*ry[j]:
// rx[i] = fma(dt, s_i − rx[i], rx[i]).
func diRx32(rx, bt []float64, nIn int, ry []float64, blocks int, dt float64) {
	if blocks == 0 || len(ry) == 0 {
		return
	}
	if useAsm {
		_ = rx[32*blocks-1]
		_ = bt[(len(ry)-1)*nIn+32*blocks-1]
		diRx32FMA(&rx[0], &bt[0], nIn, &ry[0], len(ry), blocks, dt)
		return
	}
	diRx32Go(rx, bt, nIn, ry, blocks, dt)
}

func diRx32Go(rx, bt []float64, nIn int, ry []float64, blocks int, dt float64) {
	for i := range 32 * blocks {
		var s float64
		for j, r := range ry {
			s = math.FMA(bt[j*nIn+i], r, s)
		}
		rx[i] = math.FMA(dt, s-rx[i], rx[i])
	}
}

// dot16 returns the dot product of a and b over their first 16*groups
// entries: sixteen fused running sums, lane l holding i ≡ l (mod 16),
// added as the assembly adds its four registers of four lanes.
func dot16(a, b []float64, groups int) float64 {
	if groups == 0 {
		return 0
	}
	if useAsm {
		_, _ = a[16*groups-1], b[16*groups-1]
		return dot16FMA(&a[0], &b[0], groups)
	}
	return dot16Go(a, b, groups)
}

func dot16Go(a, b []float64, groups int) float64 {
	var s [16]float64
	for m := range groups {
		for l := range s {
			s[l] = math.FMA(a[16*m+l], b[16*m+l], s[l])
		}
	}
	// Y0+Y1 and Y2+Y3, then their sum; then the high half onto the low,
	// then the two lanes.
	var y [4]float64
	for k := range y {
		y[k] = (s[k] + s[4+k]) + (s[8+k] + s[12+k])
	}
	return (y[0] + y[2]) + (y[1] + y[3])
}
