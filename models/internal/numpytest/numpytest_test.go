package numpytest

import (
	"math"
	"slices"
	"testing"
)

// The expected values were printed by numpy 1.24.2 (Debian 12):
//
//	np.random.seed(3); np.random.uniform(-1,1,2); np.random.normal(0,1,3)
//	np.random.permutation(7); np.random.uniform(-.5,.5,1)
func TestNumpyState(t *testing.T) {
	r := New(3)
	check := func(what string, got, want []float64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("uniform", r.Uniform(-1, 1, 2), []float64{0.10159580514915101, 0.41629564523620965})
	// Go's math.Log is within one ulp, glibc's log (which numpy calls) is
	// correctly rounded: log(0.9035723685650978) differs in the last bit,
	// and so does the third normal.
	normal := r.Normal(0, 1, 3)
	for i, want := range []float64{0.09649746807200862, -1.8634927033644908, -0.27738820251439905} {
		if got := normal[i]; got != want && got != math.Nextafter(want, math.Inf(1)) && got != math.Nextafter(want, math.Inf(-1)) {
			t.Errorf("normal[%d] = %v, want %v within one ulp", i, got, want)
		}
	}
	if got, want := r.Permutation(7), []int{3, 2, 1, 5, 4, 0, 6}; !slices.Equal(got, want) {
		t.Errorf("permutation = %v, want %v", got, want)
	}
	check("uniform after", r.Uniform(-0.5, 0.5, 1), []float64{-0.04682769887787075})
}
