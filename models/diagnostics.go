package models

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// VecAngle returns the angle in degrees between a and b (of equal length),
// arccos of their cosine clipped to [-1, 1], as the original's
// get_vec_angle. A minibatch of deltas is compared as one flattened vector.
func VecAngle(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("models: length mismatch")
	}
	var ab, aa, bb float64
	for i, x := range a {
		y := b[i]
		ab += x * y
		aa += x * x
		bb += y * y
	}
	return cosDegrees(ab / (math.Sqrt(aa) * math.Sqrt(bb)))
}

// MatAngle returns the angle in degrees between a (r x c) and b (c x r) as
// the original's get_mat_angle: arccos(trace(a b) / (|a|_F |b|_F)).
func MatAngle(a, b mat.Matrix) float64 {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != bc || ac != br {
		panic("models: dimension mismatch")
	}
	var tr, aa, bb float64
	for i := range ar {
		for j := range ac {
			x, y := a.At(i, j), b.At(j, i)
			tr += x * y
			aa += x * x
			bb += y * y
		}
	}
	return cosDegrees(tr / (math.Sqrt(aa) * math.Sqrt(bb)))
}

// AngleBNegWT returns the angle in degrees between a feedback matrix b
// (nIn x nOut) and -wᵀ, the paper's measure of how far B is from
// backpropagation's feedback: get_mat_angle(B, -W).
func AngleBNegWT(b, w *mat.Dense) float64 {
	br, bc := b.Dims()
	wr, wc := w.Dims()
	if br != wc || bc != wr {
		panic("models: dimension mismatch")
	}
	B, W := b.RawMatrix(), w.RawMatrix()
	var tr, bb, ww float64
	for i := range br {
		for j, x := range B.Data[i*B.Stride : i*B.Stride+bc] {
			y := -W.Data[j*W.Stride+i]
			tr += x * y
			bb += x * x
			ww += y * y
		}
	}
	return cosDegrees(tr / (math.Sqrt(bb) * math.Sqrt(ww)))
}

func cosDegrees(c float64) float64 {
	return math.Acos(max(-1, min(1, c))) * (180 / math.Pi)
}
