package models

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// SparseCols are the columns of a network's input when most entries of
// each are one value, Base: MNIST's background pixels, which
// standardisation maps to one constant. Column c's other entries are at
// rows Idx[Ptr[c]:Ptr[c+1]] (ascending), with Val[k] the entry minus Base.
// The column x is then Base 1 + the sparse rest, and a layer's
// pre-activation W x = Base W 1 + W (x - Base 1) visits only the rest.
type SparseCols struct {
	Rows int
	Base float64
	Ptr  []int // Cols()+1 offsets into Idx and Val; Ptr[0] is 0
	Idx  []int32
	Val  []float64
}

// Cols returns the number of columns.
func (s *SparseCols) Cols() int { return len(s.Ptr) - 1 }

// Reset empties s for columns of rows entries around base, keeping its
// storage.
func (s *SparseCols) Reset(rows int, base float64) {
	s.Rows, s.Base = rows, base
	s.Ptr = append(s.Ptr[:0], 0)
	s.Idx, s.Val = s.Idx[:0], s.Val[:0]
}

// Add appends to the last column the entry of row i, v (the entry minus
// Base); rows must come in ascending order.
func (s *SparseCols) Add(i int, v float64) {
	s.Idx = append(s.Idx, int32(i))
	s.Val = append(s.Val, v)
}

// EndCol ends the column being built.
func (s *SparseCols) EndCol() { s.Ptr = append(s.Ptr, len(s.Idx)) }

// DenseTo writes the columns of s into x (s.Rows x s.Cols()): the dense
// input that s stands for.
func (s *SparseCols) DenseTo(x blas64.General) {
	for i := range s.Rows {
		row := x.Data[i*x.Stride : i*x.Stride+s.Cols()]
		for j := range row {
			row[j] = s.Base
		}
	}
	for c := range s.Cols() {
		for k := s.Ptr[c]; k < s.Ptr[c+1]; k++ {
			x.Data[int(s.Idx[k])*x.Stride+c] = s.Base + s.Val[k]
		}
	}
}

// SparseAffine computes a layer's pre-activation for sparse input columns.
// It holds the workspace of one layer shape (W transposed into blocks of
// outputs, the rows' sums) and belongs to one run.
type SparseAffine interface {
	// Run sets a = w in + bias (nil: none) for w nOut x nIn, in nIn x cols
	// and a nOut x cols (contiguous), as Kernels.AffineTo does for the
	// dense columns that in stands for. It reads w anew on every call:
	// Load, then RunLoaded.
	Run(a, w blas64.General, in *SparseCols, bias []float64)
	// Load takes w and bias, and the Base of the columns to come, for the
	// RunLoaded calls until the next Load or Run: an evaluation loads the
	// layer once for all its chunks. The layer keeps what it needs of w
	// and bias; changing them after Load does not change RunLoaded's.
	Load(w blas64.General, base float64, bias []float64)
	// RunLoaded is Run with the w and bias of the last Load, for columns
	// whose Base is the loaded one (it panics otherwise, or before any
	// Load).
	RunLoaded(a blas64.General, in *SparseCols)
}

// sparseBlock is how many outputs the sparse layer computes per pass over
// the input: a block of W (nIn x sparseBlock, 300 KB for MNIST's 784
// inputs) stays in a core's L2 cache while every column visits it, and
// the block's sums fit in twelve AVX2 registers (Fast's loop).
const sparseBlock = 48

// NewSparseAffine returns Reference's sparse layer: W transposed into
// blocks of sparseBlock outputs, each column's pre-activation for a block
// the sum of the rows of the block that its entries pick (axpy of gonum's
// floats), started from Base W 1 + bias.
func (Reference) NewSparseAffine(nIn, nOut int) SparseAffine { return newSparse(nIn, nOut, false) }

func newSparse(nIn, nOut int, fma bool) *sparseLayer {
	if nIn <= 0 || nOut <= 0 {
		panic("models: non-positive dimension")
	}
	nb := (nOut + sparseBlock - 1) / sparseBlock
	return &sparseLayer{nIn: nIn, nOut: nOut, fma: fma,
		wt: make([]float64, nb*nIn*sparseBlock), init: make([]float64, nb*sparseBlock)}
}

// sparseLayer is the SparseAffine of Reference (fma false) and of Fast.
type sparseLayer struct {
	nIn, nOut int
	fma       bool      // Fast's fused loop (sparseRows48), not gonum's axpy
	wt        []float64 // block b, input j, output k of the block: wt[(b nIn + j) sparseBlock + k]
	init      []float64 // Base W 1 + bias, padded to whole blocks
	base      float64   // the Base that init is for
	loaded    bool
	acc       [sparseBlock]float64
}

func (p *sparseLayer) Run(a, w blas64.General, in *SparseCols, bias []float64) {
	p.Load(w, in.Base, bias)
	p.RunLoaded(a, in)
}

func (p *sparseLayer) Load(w blas64.General, base float64, bias []float64) {
	if w.Rows != p.nOut || w.Cols != p.nIn || bias != nil && len(bias) != p.nOut {
		panic("models: sparse layer: dimension mismatch")
	}
	transposeBlocks(p.wt, w, sparseBlock)
	baseInit(p.init, w, base, bias)
	p.base, p.loaded = base, true
}

func (p *sparseLayer) RunLoaded(a blas64.General, in *SparseCols) {
	cols := in.Cols()
	if in.Rows != p.nIn || a.Rows != p.nOut || a.Cols != cols {
		panic("models: sparse layer: dimension mismatch")
	}
	if !p.loaded || math.Float64bits(in.Base) != math.Float64bits(p.base) {
		panic("models: sparse layer: columns of another base than the loaded one")
	}
	checkSparse(in)
	nIn := p.nIn
	for b := 0; b*sparseBlock < p.nOut; b++ {
		wb := p.wt[b*nIn*sparseBlock : (b+1)*nIn*sparseBlock]
		o := b * sparseBlock
		n := min(sparseBlock, p.nOut-o)
		for c := range cols {
			acc := p.acc[:]
			copy(acc, p.init[o:o+sparseBlock])
			lo, hi := in.Ptr[c], in.Ptr[c+1]
			switch {
			case hi == lo:
			case p.fma:
				sparseRows48(acc, wb, in.Idx[lo:hi], in.Val[lo:hi])
			default:
				for k := lo; k < hi; k++ {
					j := int(in.Idx[k])
					floats.AddScaled(acc, in.Val[k], wb[j*sparseBlock:(j+1)*sparseBlock])
				}
			}
			for i, v := range acc[:n] {
				a.Data[(o+i)*a.Stride+c] = v
			}
		}
	}
}

// checkSparse panics unless s is well formed: offsets from 0 to the
// entries' end, never falling, every row within s.Rows. The FMA loop
// checks no bounds, so this is what keeps it within its buffers.
func checkSparse(s *SparseCols) {
	if len(s.Ptr) == 0 || s.Ptr[0] != 0 || s.Ptr[len(s.Ptr)-1] != len(s.Idx) || len(s.Idx) != len(s.Val) {
		panic("models: malformed sparse columns")
	}
	for c := 1; c < len(s.Ptr); c++ {
		if s.Ptr[c] < s.Ptr[c-1] {
			panic("models: malformed sparse columns")
		}
	}
	for _, i := range s.Idx {
		if i < 0 || int(i) >= s.Rows {
			panic("models: sparse row out of range")
		}
	}
}

// transposeBlocks writes w (nOut x nIn) into dst as blocks of bs outputs:
// dst[(b nIn + j) bs + k] = w[b bs + k, j], zero past the last output.
func transposeBlocks(dst []float64, w blas64.General, bs int) {
	clear(dst)
	for i := range w.Rows {
		b, k := i/bs, i%bs
		blk := dst[b*w.Cols*bs:]
		for j, v := range w.Data[i*w.Stride : i*w.Stride+w.Cols] {
			blk[j*bs+k] = v
		}
	}
}

// baseInit sets dst[i] = base sum_j w[i, j] + bias[i] for every row of w
// (bias nil: none) and zero past them.
func baseInit(dst []float64, w blas64.General, base float64, bias []float64) {
	clear(dst)
	for i := range w.Rows {
		dst[i] = base * floats.Sum(w.Data[i*w.Stride:i*w.Stride+w.Cols])
		if bias != nil {
			dst[i] += bias[i]
		}
	}
}
