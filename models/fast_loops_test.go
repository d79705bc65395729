package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"dinv/models/internal/mattest"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// withAsm runs f with Fast's assembly loops on or off.
func withAsm(on bool, f func()) {
	old := useAsm
	useAsm = on
	defer func() { useAsm = old }()
	f()
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: element %d: assembly %v, Go %v", what, i, got[i], want[i])
		}
	}
}

// TestFastLoopsBitwise: each assembly loop of Fast gives its pure-Go
// twin's bits, loop by loop and through the sparse layer and the DI loop
// (on MNIST's shapes and on shapes with tails).
func TestFastLoopsBitwise(t *testing.T) {
	if !haveFMA {
		t.Skip("no AVX2 and FMA on this CPU: Fast runs the pure-Go loops only")
	}
	rng := rand.New(rand.NewPCG(8, 1))
	fill := func(n int, s float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = s * rng.NormFloat64()
		}
		return x
	}
	// The loops.
	for _, n := range []int{1, 2, 7, 150} {
		wb := fill(784*sparseBlock, 0.05)
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(rng.IntN(784))
		}
		val := fill(n, 1)
		init := fill(sparseBlock, 1)
		a, g := append([]float64(nil), init...), append([]float64(nil), init...)
		sparseRows48FMA(&a[0], &wb[0], &idx[0], &val[0], n)
		sparseRows48Go(g, wb, idx, val)
		sameBits(t, "sparseRows48", a, g)
	}
	for _, sh := range [][3]int{{32, 1, 1}, {1000, 10, 31}, {64, 3, 2}} {
		nIn, nOut, blocks := sh[0], sh[1], sh[2]
		bt, ry, rx := fill(nOut*nIn, 0.1), fill(nOut, 1), fill(nIn, 1)
		a, g := append([]float64(nil), rx...), append([]float64(nil), rx...)
		diRx32FMA(&a[0], &bt[0], nIn, &ry[0], nOut, blocks, 0.5)
		diRx32Go(g, bt, nIn, ry, blocks, 0.5)
		sameBits(t, "diRx32", a, g)
	}
	for _, groups := range []int{1, 2, 62} {
		x, y := fill(16*groups, 1), fill(16*groups, 1)
		a, g := dot16FMA(&x[0], &y[0], groups), dot16Go(x, y, groups)
		sameBits(t, "dot16", []float64{a}, []float64{g})
	}
	// Through the layer and the DI loop.
	for _, sh := range [][2]int{{784, 1000}, {50, 70}} {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 0.05)
		var in SparseCols
		in.Reset(nIn, -0.42)
		const cols = 37 // two groups of 16 and a short one, with an empty column
		for c := range cols {
			for j := range nIn {
				if c != 20 && rng.IntN(5) == 0 {
					in.Add(j, rng.NormFloat64())
				}
			}
			in.EndCol()
		}
		bias := fill(nOut, 1)
		run := func() []float64 {
			a := mat.NewDense(nOut, cols, nil)
			Fast{}.NewSparseAffine(nIn, nOut).Run(a.RawMatrix(), w.RawMatrix(), &in, bias)
			return a.RawMatrix().Data
		}
		var a, g []float64
		withAsm(true, func() { a = run() })
		withAsm(false, func() { g = run() })
		sameBits(t, "sparse layer", a, g)
		// Column by column, as sparseRows48 sums: from Base W 1 + bias, a
		// fused multiply-add per entry in the order of the rows.
		col := make([]float64, nOut*cols)
		for i := range nOut {
			row := w.RawMatrix().Data[i*nIn : (i+1)*nIn]
			for c := range cols {
				s := float64(in.Base*floats.Sum(row)) + bias[i]
				for k := in.Ptr[c]; k < in.Ptr[c+1]; k++ {
					s = math.FMA(in.Val[k], row[in.Idx[k]], s)
				}
				col[i*cols+c] = s
			}
		}
		sameBits(t, "sparse layer against column by column", a, col)
	}
	for _, sh := range [][2]int{{1000, 10}, {45, 3}, {20, 10}} {
		nIn, nOut := sh[0], sh[1]
		w := mattest.Rand(rng, nOut, nIn, 1/math.Sqrt(float64(nIn)))
		b := mattest.NegT(w)
		delta := mattest.Rand(rng, nOut, 1, 1)
		run := func() []float64 {
			d := mat.NewDense(nIn, 1, nil)
			Fast{}.NewDILoop(Rule{Kind: DI, Leak: 0.01, G: Tanh}, nIn, nOut, 1).Run(d.RawMatrix(), w.RawMatrix(), b.RawMatrix(), delta.RawMatrix(), nil)
			return d.RawMatrix().Data
		}
		var a, g []float64
		withAsm(true, func() { a = run() })
		withAsm(false, func() { g = run() })
		sameBits(t, "DI loop", a, g)
	}
}

// sparseMNISTLike is 1000 columns of 784 inputs, about a fifth nonzero,
// in the centre, as MNIST's digits.
func sparseMNISTLike(rng *rand.Rand) *SparseCols {
	var in SparseCols
	in.Reset(784, -0.42)
	for range 1000 {
		for j := range 784 {
			r, c := j/28-14, j%28-14
			if r*r+c*c < 110 && rng.IntN(2) == 0 {
				in.Add(j, rng.Float64()*3)
			}
		}
		in.EndCol()
	}
	return &in
}

// BenchmarkSparseAffineMNIST: Fast's first layer of the classifier (784 ->
// 1000) on 1000 MNIST-like columns.
func BenchmarkSparseAffineMNIST(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 3))
	in := sparseMNISTLike(rng)
	w := mattest.Rand(rng, 1000, 784, 0.05)
	a := mat.NewDense(1000, in.Cols(), nil)
	l := Fast{}.NewSparseAffine(784, 1000)
	for b.Loop() {
		l.Run(a.RawMatrix(), w.RawMatrix(), in, nil)
	}
}

// TestFastUpdateBitwise: Fast's UpdateTo gives Reference's bits, for one
// example (the AVX2 pass, rows with tails of 0 to 15 entries) and for the
// cases it leaves to Reference (minibatches, decay 1, short rows).
func TestFastUpdateBitwise(t *testing.T) {
	if !haveFMA {
		t.Skip("no AVX2 on this CPU: Fast's UpdateTo is Reference's")
	}
	rng := rand.New(rand.NewPCG(8, 5))
	for _, sh := range [][3]int{{1000, 784, 1}, {10, 1000, 1}, {7, 15, 1}, {20, 33, 1}, {3, 47, 1}, {30, 40, 5}} {
		nOut, nIn, cols := sh[0], sh[1], sh[2]
		for _, decay := range []float64{1 - 1e-9, 1, 0.5} {
			w := mattest.Rand(rng, nOut, nIn, 0.1)
			d, in := mattest.Rand(rng, nOut, cols, 1), mattest.Rand(rng, nIn, cols, 1)
			got, want := mat.DenseCopyOf(w), mat.DenseCopyOf(w)
			Fast{}.UpdateTo(got.RawMatrix(), decay, 1e-3, d.RawMatrix(), in.RawMatrix())
			Reference{}.UpdateTo(want.RawMatrix(), decay, 1e-3, d.RawMatrix(), in.RawMatrix())
			sameBits(t, fmt.Sprintf("UpdateTo %dx%d, %d columns, decay %v", nOut, nIn, cols, decay), got.RawMatrix().Data, want.RawMatrix().Data)
		}
	}
}
