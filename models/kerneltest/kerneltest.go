package kerneltest

import (
	"testing"

	"dinv/models"
)

// Conformance runs the suite on k.
func Conformance(t *testing.T, k models.Kernels) {
	for _, c := range []struct {
		name string
		f    func(t *testing.T, k models.Kernels)
	}{
		{"ReferenceVectors", referenceVectors},
		{"Tanh", tanh},
		{"Affine", affine},
		{"SparseAffine", sparseAffine},
		{"Update", update},
		{"DILoop", diLoop},
		{"SDILoop", sdiLoop},
		{"Stop", stop},
		{"BPAndFA", bpAndFA},
		{"NDINegTransposeIsPBP", ndiNegTransposeIsPBP},
		{"LinearDIFixedPointIsNDI", linearDIFixedPointIsNDI},
		{"BatchEqualsColumns", batchEqualsColumns},
		{"TransferDerivative", transferDerivative},
		{"SDIFixedPoint", sdiFixedPoint},
		{"PropagateNoAllocs", propagateNoAllocs},
		{"KernelsNoAllocs", kernelsNoAllocs},
		{"Training", training},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, k) })
	}
}
