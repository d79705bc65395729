// Package linalg solves the small dense problems that dynamic inversion needs:
// minimum-norm least squares and pseudo-inverses, the spectral abscissa of a
// layer's feedback loop, continuous Lyapunov equations, and the stability
// optimiser (SSA) that keeps a feedback matrix stable.
//
// # Conventions
//
// Matrices are gonum *mat.Dense in row-major order. A layer maps an input of
// size nIn to an output of size nOut: the forward matrix W is nOut x nIn and the
// feedback matrix B is nIn x nOut. The loop matrix of dynamic inversion is
//
//	M = [ -I_nIn   B         ]
//	    [  W      -alpha I_nOut ]
//
// Following gonum, the receiver or a first dst argument is the only thing a
// function mutates, and such functions end in To. The exception is the
// stability optimiser, which updates the feedback matrix it is given in place
// as the original implementation does.
//
// # Workspaces
//
// The types LeastSquares, Stability, Eigvals, Lyapunov and Optimizer own the scratch
// memory of one problem shape. They are built once per shape and then reused:
// after construction their methods allocate nothing. A workspace must not be
// shared between goroutines. The package-level functions (LstsqTo, PinvTo,
// LambdaMax, LyapunovTo) are conveniences that build a workspace per call.
//
// # Errors
//
// A programmer's mistake (a shape mismatch) panics with a message that starts
// with "linalg: ". A failure that depends on the data (an optimiser that does
// not reach stability, a Lyapunov solution that overflows) is returned as an
// error that wraps one of the package's sentinels.
//
// # Agreement with the original
//
// Every routine here reproduces the corresponding call of the paper's Python
// code (numpy.linalg.lstsq with rcond=-1, numpy.linalg.eig,
// scipy.linalg.solve_continuous_lyapunov) to rounding; the reference vectors in
// testdata/reference check it.
package linalg
