package linalg

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// ErrNotStable is wrapped by every error of the stability optimiser: the
// feedback loop it was asked to stabilise is still unstable.
var ErrNotStable = errors.New("linalg: feedback loop not stable")

// SSAParams are the settings of the stability optimiser. The paper's defaults
// are DefaultSSAParams; the nonlinear-regression experiment uses lr 0.5,
// maxiters 2000, miniters 100.
type SSAParams struct {
	LR       float64 // step size on the feedback matrix
	MaxIters int     // iteration cap while the abscissa is above -0.01
	MinIters int     // iterations done whatever the abscissa
}

// DefaultSSAParams returns lr 0.05, maxiters 200, miniters 10.
func DefaultSSAParams() SSAParams { return SSAParams{LR: 0.05, MaxIters: 200, MinIters: 10} }

// SSAResult describes a finished optimisation.
type SSAResult struct {
	LambdaMax float64 // spectral abscissa of the final loop matrix
	Iters     int     // gradient steps taken
}

// SSAError reports an optimisation that ended with an unstable loop. It
// matches ErrNotStable with errors.Is and unwraps to its Cause, if any.
type SSAError struct {
	LambdaMax float64
	Iters     int
	Cause     error // a numerical failure that stopped the loop early, or nil
}

func (e *SSAError) Error() string {
	msg := fmt.Sprintf("linalg: SSA left the feedback loop unstable (lambda_max %.6g after %d iterations)", e.LambdaMax, e.Iters)
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Is reports whether target is ErrNotStable.
func (e *SSAError) Is(target error) bool { return target == ErrNotStable }

// Unwrap returns the numerical failure that stopped the loop, if any.
func (e *SSAError) Unwrap() error { return e.Cause }

// Optimizer is the stability optimiser of the paper (after Vanbiervliet et al.
// 2009 and Hennequin et al. 2014): gradient steps on the feedback matrix B
// that lower the smoothed spectral abscissa of the loop matrix M. For one
// layer shape it owns every buffer the optimisation needs, including two
// (nIn+nOut)-square Lyapunov solutions, so it is worth keeping between calls.
type Optimizer struct {
	nIn, nOut, n int
	stab         *Stability
	lyap         *Lyapunov
	m, p, q, two *mat.Dense
}

// NewOptimizer returns an optimiser for layers with an nOut x nIn forward
// matrix.
func NewOptimizer(nIn, nOut int) *Optimizer {
	n := nIn + nOut
	two := mat.NewDense(n, n, nil)
	for i := range n {
		two.Set(i, i, 2)
	}
	return &Optimizer{
		nIn: nIn, nOut: nOut, n: n,
		stab: NewStability(nIn, nOut),
		lyap: NewLyapunov(n),
		m:    mat.NewDense(n, n, nil),
		p:    mat.NewDense(n, n, nil),
		q:    mat.NewDense(n, n, nil),
		two:  two,
	}
}

// Optimize updates b (nIn x nOut) in place so that the loop of w (nOut x nIn),
// b and leak alpha becomes stable, exactly as the original does:
//
//	s = lambda_max(M)
//	while iters < miniters or (s > -0.01 and iters < maxiters):
//	    Q solves (M - sI)ᵀ Q + Q (M - sI) = 2I
//	    P solves (M - sI) P + P (M - sI)ᵀ = 2I
//	    B -= lr * (Q P / trace(Q P))[0:nIn, nIn:]
//	    s = lambda_max(M)
//
// It succeeds when the final s is negative. Otherwise it returns an *SSAError
// (matching ErrNotStable) and b holds the last iterate, as in the original.
func (o *Optimizer) Optimize(b, w *mat.Dense, alpha float64, prm SSAParams) (SSAResult, error) {
	return o.OptimizeContext(context.Background(), b, w, alpha, prm)
}

// OptimizeContext is Optimize that stops between iterations when ctx is
// done, returning ctx's error (b then holds the last iterate). At MNIST size
// one iteration takes about two seconds.
func (o *Optimizer) OptimizeContext(ctx context.Context, b, w *mat.Dense, alpha float64, prm SSAParams) (SSAResult, error) {
	if r, c := w.Dims(); r != o.nOut || c != o.nIn {
		panic("linalg: dimension mismatch")
	}
	if r, c := b.Dims(); r != o.nIn || c != o.nOut {
		panic("linalg: dimension mismatch")
	}
	s := o.stab.LambdaMax(w, b, alpha)
	it := 0
	for it < prm.MinIters || (s > -0.01 && it < prm.MaxIters) {
		if err := ctx.Err(); err != nil {
			return SSAResult{s, it}, err
		}
		if math.IsNaN(s) {
			return SSAResult{s, it}, &SSAError{LambdaMax: s, Iters: it, Cause: errors.New("eigenvalues not computable")}
		}
		o.loopMatrix(b, w, alpha, s)
		if err := o.lyap.SolvePairTo(o.p, o.q, o.m, o.two); err != nil {
			return SSAResult{s, it}, &SSAError{LambdaMax: s, Iters: it, Cause: err}
		}
		// trace(Q P) = sum_ij Q_ij P_ji.
		qr, pr := o.q.RawMatrix(), o.p.RawMatrix()
		var tr float64
		for i := range o.n {
			qi := qr.Data[i*qr.Stride : i*qr.Stride+o.n]
			for j, v := range qi {
				tr += v * pr.Data[j*pr.Stride+i]
			}
		}
		// B -= lr/tr * Q[0:nIn, :] P[:, nIn:]
		qTop := blas64.General{Rows: o.nIn, Cols: o.n, Stride: qr.Stride, Data: qr.Data}
		pRight := blas64.General{Rows: o.n, Cols: o.nOut, Stride: pr.Stride, Data: pr.Data[o.nIn:]}
		Gemm(blas.NoTrans, blas.NoTrans, -prm.LR/tr, qTop, pRight, 1, b.RawMatrix())
		it++
		s = o.stab.LambdaMax(w, b, alpha)
	}
	if !(s < 0) {
		return SSAResult{s, it}, &SSAError{LambdaMax: s, Iters: it}
	}
	return SSAResult{s, it}, nil
}

// loopMatrix sets o.m to M - shift I.
func (o *Optimizer) loopMatrix(b, w *mat.Dense, alpha, shift float64) {
	m := o.m.RawMatrix()
	br, wr := b.RawMatrix(), w.RawMatrix()
	for i := range o.n {
		clear(m.Data[i*m.Stride : i*m.Stride+o.n])
	}
	for i := range o.nIn {
		row := m.Data[i*m.Stride:]
		row[i] = -1 - shift
		copy(row[o.nIn:o.n], br.Data[i*br.Stride:i*br.Stride+o.nOut])
	}
	for i := range o.nOut {
		row := m.Data[(o.nIn+i)*m.Stride:]
		copy(row[:o.nIn], wr.Data[i*wr.Stride:i*wr.Stride+o.nIn])
		row[o.nIn+i] = -alpha - shift
	}
}
