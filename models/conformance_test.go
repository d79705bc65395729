package models_test

import (
	"testing"

	"dinv/models"
	"dinv/models/kerneltest"
)

// The reference kernels pass the conformance suite that any other
// implementation must pass: the reference vectors of the original
// implementation (DINV_REFERENCE_VECTORS=path runs another file), the rules'
// properties, each kernel against its definition, and training steps.
func TestConformance(t *testing.T) { kerneltest.Conformance(t, models.Reference{}) }

func TestConformanceFast(t *testing.T) { kerneltest.Conformance(t, models.Fast{}) }
