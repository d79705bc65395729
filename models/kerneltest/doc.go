// Package kerneltest holds the conformance suite that every implementation
// of models.Kernels must pass before a run may use it: the reference
// vectors of the original implementation and the properties of the rules
// (with the kernels under test inside the propagators), each kernel against
// its literal definition, its allocations and its cancellation, and a few
// training steps of every rule against models.Reference.
//
// An implementation's package runs it from a test of its own:
//
//	func TestConformance(t *testing.T) { kerneltest.Conformance(t, fast.Kernels{}) }
//
// The reference vectors are $DINV_REFERENCE_VECTORS, or else
// testdata/reference/vectors.json of the module that holds the test.
//
// # Tolerances
//
// The tolerances are those of the reference vectors, and for the
// comparisons with literal computations and with Reference 1e-12 of the
// largest value per product, 1e-9 per loop of DI or SDI and 1e-10 after
// three training steps: room for another order of summation, fused
// multiply-adds or a faster tanh (4 ulp of math.Tanh; Reference is within
// 2), not for another result.
package kerneltest
