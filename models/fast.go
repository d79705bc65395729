package models

import (
	"os"

	"dinv/linalg"

	"gonum.org/v1/gonum/blas/blas64"
)

// Fast is the default kernels: Reference with fused loops of its own for
// the MNIST hot spots, the first layer's product on sparse inputs and the
// online step of the DI loop with tanh g, and tanh four at a time
// (linalg.TanhSIMD, bitwise linalg.Tanh). The loops run in AVX2 and FMA
// assembly where the CPU has them (sparse_amd64.s, di_amd64.s), and
// otherwise, or with DINV_KERNELS=go in the environment, as their pure-Go
// twins (fast_loops.go), which give the same bits: a cell's numbers do not
// depend on the machine's vector units. They differ from Reference's in
// rounding only (fused multiply-adds, another order of summation). Fast
// passes the conformance suite of dinv/models/kerneltest, as Reference
// does, and its zero value is ready for any number of runs at once.
type Fast struct{ Reference }

// NewSparseAffine returns the sparse layer on Fast's fused loop.
func (Fast) NewSparseAffine(nIn, nOut int) SparseAffine {
	return newSparse(nIn, nOut, true)
}

// TanhTo is linalg.TanhSIMD with the assembly loops, linalg.Tanh without:
// the same bits.
func (Fast) TanhTo(dst, src []float64) {
	if useAsm {
		linalg.TanhSIMD(dst, src)
		return
	}
	linalg.Tanh(dst, src)
}

// NewDILoop returns, for tanh g and a layer of at least 32 inputs (the
// fused loop's block), a loop whose online steps (one column) run on
// Fast's fused loops; otherwise Reference's (the regressions' layers, of
// 10 to 30 inputs, keep Reference's numbers).
func (Fast) NewDILoop(r Rule, nIn, nOut, maxBatch int) DILoop {
	l := Reference{}.NewDILoop(r, nIn, nOut, maxBatch)
	if r.G == Tanh && nIn >= 32 {
		return &fastDI{l.(*refDI)}
	}
	return l
}

// useAsm reports whether Fast's loops run in assembly: the CPU has AVX2
// and FMA, and DINV_KERNELS is not "go".
var useAsm = haveFMA && os.Getenv("DINV_KERNELS") != "go"

// KernelsName names the kernels k runs on, for a run's header line and
// the runs table: "avx2-fma" for Fast with its assembly loops, "go" for
// Fast with their pure-Go twins (the same numbers), "reference" for
// Reference and "custom" for any other implementation; with "+openblas"
// when the build routes gonum's BLAS to OpenBLAS (linalg.BLAS).
func KernelsName(k Kernels) string {
	name := "custom"
	switch kernelsOr(k).(type) {
	case Fast:
		name = "go"
		if useAsm {
			name = "avx2-fma"
		}
	case Reference:
		name = "reference"
	}
	if linalg.BLAS != "gonum" {
		name += "+" + linalg.BLAS
	}
	return name
}

// UpdateTo is Reference's, bit for bit: for one example, the pass of
// decay and rank-one update over each row runs in AVX2 (decayRowFast)
// where the CPU has it; otherwise, and for minibatches, Reference's.
func (f Fast) UpdateTo(w blas64.General, decay, eta float64, d, in blas64.General) {
	if !useAsm || d.Cols != 1 || in.Stride != 1 {
		f.Reference.UpdateTo(w, decay, eta, d, in)
		return
	}
	updateOne(w, decay, eta, d, in, decayRowFast)
}

// decayRowFast is decayRowTo with its multiplies and add sixteen at a time
// in AVX2 (decayRowAVX2), the tail of the row in decayRowTo: the same bits.
func decayRowFast(row []float64, decay, a float64, h []float64) {
	groups := len(row) / 16
	if groups > 0 {
		_ = h[len(row)-1]
		decayRowAVX2(&row[0], &h[0], groups, decay, a)
	}
	if t := 16 * groups; t < len(row) {
		decayRowTo(row[t:], decay, a, h[t:len(row)])
	}
}
