package linalg

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Stability computes the spectral abscissa (largest real part of any
// eigenvalue) of the dynamic-inversion loop matrix
//
//	M = [[-I_nIn, B], [W, -alpha I_nOut]]
//
// for one layer shape without forming M. If (x, y) is an eigenvector of M
// with eigenvalue lam, then W B y = (lam+1)(lam+alpha) y and B W x =
// (lam+1)(lam+alpha) x, so by the Schur complement
//
//	det(M - lam I) = (-1-lam)^(nIn-nOut) det((lam+1)(lam+alpha) I - W B)   (nIn >= nOut)
//	det(M - lam I) = (-alpha-lam)^(nOut-nIn) det((lam+1)(lam+alpha) I - B W) (nIn < nOut)
//
// Each eigenvalue mu of the k x k product (k = min(nIn, nOut)) gives the two
// roots lam = (-(1+alpha) +- sqrt((1-alpha)^2 + 4 mu)) / 2, and the remaining
// |nIn-nOut| eigenvalues are -1 or -alpha. At MNIST size this replaces a
// 1010 x 1010 eigenproblem by a 10 x 10 one.
type Stability struct {
	nIn, nOut, k int
	prod, wr, wi []float64
	eig          *Eigvals
}

// NewStability returns a workspace for layers with an nOut x nIn forward
// matrix.
func NewStability(nIn, nOut int) *Stability {
	if nIn <= 0 || nOut <= 0 {
		panic("linalg: non-positive dimension")
	}
	k := min(nIn, nOut)
	s := &Stability{
		nIn: nIn, nOut: nOut, k: k,
		prod: make([]float64, k*k),
		wr:   make([]float64, k),
		wi:   make([]float64, k),
		eig:  NewEigvals(k),
	}
	return s
}

// LambdaMax returns the largest real part of the eigenvalues of the loop
// matrix of forward matrix w (nOut x nIn), feedback b (nIn x nOut) and leak
// alpha. The loop is stable when it is negative. It returns NaN if the
// eigenvalue iteration fails or the input is not finite.
func (s *Stability) LambdaMax(w, b *mat.Dense, alpha float64) float64 {
	wr, wc := w.Dims()
	br, bc := b.Dims()
	if wr != s.nOut || wc != s.nIn || br != s.nIn || bc != s.nOut {
		panic("linalg: dimension mismatch")
	}
	k := s.k
	p := blas64.General{Rows: k, Cols: k, Stride: k, Data: s.prod}
	if s.nOut <= s.nIn {
		Gemm(blas.NoTrans, blas.NoTrans, 1, w.RawMatrix(), b.RawMatrix(), 0, p)
	} else {
		Gemm(blas.NoTrans, blas.NoTrans, 1, b.RawMatrix(), w.RawMatrix(), 0, p)
	}
	if !s.eig.Compute(s.prod, k, s.wr, s.wi) { // non-finite input or no convergence
		return math.NaN()
	}
	best := math.Inf(-1)
	switch {
	case s.nIn > s.nOut:
		best = -1
	case s.nOut > s.nIn:
		best = -alpha
	}
	for i := range k {
		best = max(best, rootAbscissa(complex(s.wr[i], s.wi[i]), alpha))
	}
	return best
}

// rootAbscissa returns the larger real part of the two roots lam of
// (lam+1)(lam+alpha) = mu.
func rootAbscissa(mu complex128, alpha float64) float64 {
	d := complex((1-alpha)*(1-alpha), 0) + 4*mu
	// The principal square root has a non-negative real part, so the '+'
	// root has the larger real part.
	return (-(1 + alpha) + real(cmplx.Sqrt(d))) / 2
}

// LambdaMax returns the spectral abscissa of the loop matrix of w, b and
// alpha. It allocates a workspace per call; use a Stability in loops.
func LambdaMax(w, b mat.Matrix, alpha float64) float64 {
	nOut, nIn := w.Dims()
	return NewStability(nIn, nOut).LambdaMax(mat.DenseCopyOf(w), mat.DenseCopyOf(b), alpha)
}

// LoopMatrixTo sets dst ((nIn+nOut) square) to M - shift I, with
// M = [[-I, b], [w, -alpha I]].
func LoopMatrixTo(dst *mat.Dense, w, b mat.Matrix, alpha, shift float64) {
	nOut, nIn := w.Dims()
	br, bc := b.Dims()
	n := nIn + nOut
	if br != nIn || bc != nOut {
		panic("linalg: dimension mismatch")
	}
	if r, c := dst.Dims(); r != n || c != n {
		panic("linalg: dimension mismatch")
	}
	dst.Zero()
	for i := range nIn {
		dst.Set(i, i, -1-shift)
		for j := range nOut {
			dst.Set(i, nIn+j, b.At(i, j))
		}
	}
	for i := range nOut {
		for j := range nIn {
			dst.Set(nIn+i, j, w.At(i, j))
		}
		dst.Set(nIn+i, nIn+i, -alpha-shift)
	}
}

// LambdaMaxFull returns the spectral abscissa of the loop matrix from its full
// eigen-decomposition, as the original implementation computes it. It is the
// slow reference for LambdaMax, kept for tests and benchmarks.
func LambdaMaxFull(w, b mat.Matrix, alpha float64) float64 {
	nOut, nIn := w.Dims()
	m := mat.NewDense(nIn+nOut, nIn+nOut, nil)
	LoopMatrixTo(m, w, b, alpha, 0)
	var eig mat.Eigen
	if !eig.Factorize(m, mat.EigenNone) {
		return math.NaN()
	}
	best := math.Inf(-1)
	for _, v := range eig.Values(nil) {
		best = max(best, real(v))
	}
	return best
}
