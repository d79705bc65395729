package models

import (
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas64"
)

// Kernels are the loops that training and evaluation spend their time in:
// a layer's forward pass over a chunk of columns (evaluation's 1000
// images, a minibatch, the online step's one example: AffineTo, then
// TanhTo for a tanh layer), the weight update with weight decay, and the
// DI and SDI loops (with their own tanh). Reference is the
// implementation the results were checked with; a faster one (a sparse
// first layer over MNIST's zero pixels, SIMD, a system BLAS, a faster
// tanh) goes in a Trainer through TrainOptions (or a run's Env), and must
// pass the conformance suite of dinv/models/kerneltest.
//
// Matrices are row-major blas64.General, and may be views (Stride >=
// Cols) unless a method says otherwise. A method writes only its first
// argument (a, w, dst), reads the others, and allocates nothing.
// A Kernels is shared by the runs of a process: its methods must be safe
// for concurrent use. A loop that it makes holds the workspace of one
// shape and belongs to one run.
type Kernels interface {
	// AffineTo sets a = w in + bias (added to every column; nil: none), a
	// layer's pre-activation for the columns of in: w is nOut x nIn, in
	// nIn x cols (the network's input, or the layer below's output) and a
	// nOut x cols, contiguous (Stride == Cols).
	AffineTo(a, w, in blas64.General, bias []float64)
	// UpdateTo sets w = decay w + eta d inᵀ, where d is nOut x cols and in
	// nIn x cols: the sum of the rank-one updates of cols examples, one in
	// the online step.
	UpdateTo(w blas64.General, decay, eta float64, d, in blas64.General)
	// TanhTo sets dst[i] = tanh(src[i]) for every i of src (dst as long):
	// a tanh layer's output.
	TanhTo(dst, src []float64)
	// NewSparseAffine returns the first layer's product for sparse input
	// columns (AffineTo for an input that SparseCols describes), for a
	// layer of nIn inputs and nOut outputs.
	NewSparseAffine(nIn, nOut int) SparseAffine
	// NewDILoop returns the loop of the DI rule r (r.Kind is DI) for a
	// layer of nIn inputs and nOut outputs and up to maxBatch columns.
	NewDILoop(r Rule, nIn, nOut, maxBatch int) DILoop
	// NewSDILoop returns the loop of the SDI rule r (r.Kind is SDI) for
	// layers of sizes n1 -> n2 -> n3 and up to maxBatch columns.
	NewSDILoop(r Rule, n1, n2, n3, maxBatch int) SDILoop
}

// DILoop integrates the DI loop of one layer for all columns of an error
// at once: with r_x (nIn x cols) and r_y (nOut x cols) from zero, its
// rule's tsteps-1 forward-Euler updates, each first
//
//	r_y <- r_y + dt(-alpha r_y + W g(r_x) - delta)
//	r_x <- r_x + dt(-r_x + B r_y)
//
// (alpha the rule's leak, g its G). A DILoop must not be shared between
// goroutines.
type DILoop interface {
	// Run sets dst (nIn x cols) to the final r_x for delta (nOut x cols),
	// with w nOut x nIn and b nIn x nOut. Once *stop is true (stop may be
	// nil) it should end within a few milliseconds, leaving dst
	// meaningless: Reference looks every 16 Euler steps.
	Run(dst, w, b, delta blas64.General, stop *atomic.Bool)
}

// SDILoop integrates the SDI loop across two layers w1 (n2 x n1) and w2
// (n3 x n2) with one feedback b (n1 x n3): with r1, r2 and rz from zero,
// its rule's tsteps-1 forward-Euler updates, each in this order:
//
//	r1 <- r1 + dt(-r1 + B rz)
//	r2 <- r2 + dt(-r2 + W1 g(r1))
//	rz <- rz + dt(-alpha rz + W2 g(r2) - delta)
//
// An SDILoop must not be shared between goroutines.
type SDILoop interface {
	// Run sets d1 (n1 x cols) and d2 (n2 x cols) to the final r1 and r2
	// for delta (n3 x cols); stop as DILoop.Run.
	Run(d1, d2, w1, w2, b, delta blas64.General, stop *atomic.Bool)
}

// kernelsOr returns k, or Fast (Reference where the CPU lacks its loops,
// or DINV_KERNELS=go) if k is nil.
func kernelsOr(k Kernels) Kernels {
	if k == nil {
		return Fast{}
	}
	return k
}
