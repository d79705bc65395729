package linalg

import "math"

// tanhTab, in tanh_table.go, is written from the constants below by
// internal/gentanh.
//
//go:generate go run ./internal/gentanh

// Tanh sets dst[i] = tanh(src[i]) for every i; dst and src may be the same
// slice; panics "linalg: length mismatch" otherwise.
//
// Tanh is odd bitwise (Tanh(−x) == −Tanh(x)), returns x exactly for
// |x| < 2^-28 (so ±0 keep their sign), ±1 for |x| ≥ 22 and ±Inf, and NaN
// for NaN. For |x| ≥ 2^-28 it uses:
//
//   - 2^-28 ≤ |x| < tanhSmall = 0.55078125: x + x·z·P(z)/Q(z), z = x², with
//     the Cephes rational (the coefficients of math.Tanh, whose own
//     approximation error on this range is 0.035 ulp).
//
//   - tanhSmall ≤ |x| < 22: the addition formula. The exponent and top 7
//     mantissa bits of |x| pick a cell (2^-7 of a binade wide); with m its
//     centre, carrying the sign of x, e = x − m is exact, |e| ≤ 2^-8·|m|, and
//
//     tanh(x) = T + D·τ/(1 + T·τ),  T = tanh(m), D = 1 − T², τ = tanh(e),
//
//     with T and D correctly rounded in tanhTab (675 cells, 10.8 KB) and
//     τ = e + e³(c₁ + c₂e²) (e⁷ dropped, c₂ tuned: ≤ 0.07 ulp of the result).
//     The result lies in [0.5, 1], so the rounding of T (≤ ½ ulp) and of
//     the final sum (≤ ½ ulp) dominate; the correction term is at most
//     ~2^-9 of the result, so its own rounding errors hardly matter:
//     the error bound is ≈ 1.08 ulp.
//
// The hot loop has 15 floating-point operations per element (one division)
// and no calls or bounds checks. Exp-based variants (t = e^{-2|x|} from a
// 2^(j/256) table or an exp table indexed the same way, then 1 − 2t/(1+t))
// needed 17–28 operations and were 15–40% slower, and less accurate (up to
// ~1.5 ulp near the switch-over).
//
// Measured against a 200-bit big.Float reference on 2·10⁶ points over
// [−25, 25] (denser near 0, the switch-over and saturation): max error
// 1.014 ulp (0.906 ulp below tanhSmall); math.Tanh: 1.315 ulp. On 1000
// elements uniform on [−5, 5] (GOAMD64=v1): ≈ 1.9 ns per element against
// ≈ 6.5 ns for a loop of math.Tanh.
func Tanh(dst, src []float64) {
	if len(dst) != len(src) {
		panic("linalg: length mismatch")
	}
	dst = dst[:len(src)]
	for i, x := range src {
		ux := math.Float64bits(x)
		// Cell of |x|, counted from the one starting at tanhSmall.
		k := (ux<<1)>>(tanhCellShift+1) - tanhFirstCell
		if k < uint64(len(tanhTab)) {
			c := &tanhTab[k]
			// m = centre of the cell with the sign of x; x − m is exact.
			e := x - math.Float64frombits((ux>>(tanhCellShift-1)|1)<<(tanhCellShift-1))
			z := e * e
			tau := e + (e*z)*(tanhK[0]+z*tanhK[1])
			t := math.Float64frombits(c.t | ux&tanhSignMask) // ±tanh(|m|)
			dst[i] = t + c.d*tau/(tanhK[2]+t*tau)
			continue
		}
		if k+tanhSmallCells < tanhSmallCells {
			// 2^-28 ≤ |x| < tanhSmall.
			z := x * x
			dst[i] = x + (x*z)*((tanhK[3]*z+tanhK[4])*z+tanhK[5])/(((z+tanhK[6])*z+tanhK[7])*z+tanhK[8])
			continue
		}
		// |x| < 2^-28 (±0, subnormals), |x| ≥ 22, ±Inf, NaN.
		if x != x || ux<<1 < tanhTinyBits<<1 {
			dst[i] = x
		} else {
			dst[i] = math.Float64frombits(tanhOneBits | ux&tanhSignMask)
		}
	}
}

const (
	tanhSignMask  = 1 << 63
	tanhOneBits   = 0x3FF0000000000000
	tanhTinyBits  = 0x3E30000000000000 // 2^-28
	tanhCellShift = 45                 // 52 − 7 mantissa bits
	// tanhSmall is the switch-over point, the start of a cell; above
	// atanh(1/2) ≈ 0.5493 the result is ≥ 1/2, which keeps the rounding
	// of the tabulated tanh(m) within ½ ulp of the result.
	tanhSmall      = 0.55078125
	tanhSmallBits  = 0x3FE1A00000000000 // tanhSmall
	tanhFirstCell  = tanhSmallBits >> tanhCellShift
	tanhSmallCells = tanhFirstCell - tanhTinyBits>>tanhCellShift
	// tanhBig ends the table; tanh(x) rounds to ±1 from |x| ≈ 19.06 on.
	tanhBig      = 22
	tanhLastCell = 0x4036000000000000 >> tanhCellShift // 22
)

// tanhK holds, in a variable so that the loads fold into the arithmetic:
// τ(e) = e + e³(tanhK[0] + tanhK[1]·e²) ≈ tanh(e) for |e| ≤ 2^-4 (c₂ is
// 2/15 nudged to absorb the e⁷ term on the widest cells that matter), the
// constant 1, and the Cephes P (tanhK[3:6]) and monic Q (tanhK[6:9]).
var tanhK = [9]float64{
	-1.0 / 3, 0.1333262183779762,
	1,
	-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3,
	1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3,
}

// TanhSIMD is Tanh, bitwise: the same operations in the same order, four
// elements at a time in AVX2 where the CPU has it (tanh_amd64.s), Tanh's
// own loop elsewhere and for the last len%4.
func TanhSIMD(dst, src []float64) {
	if len(dst) != len(src) {
		panic("linalg: length mismatch")
	}
	dst = dst[:len(src)]
	n := tanhSIMD(dst, src)
	Tanh(dst[n:], src[n:])
}

// HasTanhSIMD reports whether TanhSIMD has the CPU's vector loop.
func HasTanhSIMD() bool { return haveTanhAVX2 }
