// Package mattest makes the random matrices that the tests of models and its
// experiments work on, and compares matrices. It imports nothing of ours, so
// that package models' own tests can use it as well as packages that import
// models.
package mattest

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Rand returns an r x c matrix of draws from uniform(-s, s), row by row.
func Rand(rng *rand.Rand, r, c int, s float64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, s*(2*rng.Float64()-1))
		}
	}
	return m
}

// NegT returns -wᵀ, the neg-transpose feedback of w.
func NegT(w *mat.Dense) *mat.Dense {
	r, c := w.Dims()
	b := mat.NewDense(c, r, nil)
	b.Scale(-1, w.T())
	return b
}

// RelDiff returns max|a-b| / max|b|.
func RelDiff(a, b mat.Matrix) float64 {
	r, c := b.Dims()
	var d, s float64
	for i := range r {
		for j := range c {
			d = max(d, math.Abs(a.At(i, j)-b.At(i, j)))
			s = max(s, math.Abs(b.At(i, j)))
		}
	}
	return d / s
}

// FromRows returns the matrix whose rows are rows, as JSON test data holds
// matrices.
func FromRows(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// Normal returns an r x c matrix of standard normal draws, row by row.
func Normal(rng *rand.Rand, r, c int) *mat.Dense {
	x := mat.NewDense(r, c, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return x
}
