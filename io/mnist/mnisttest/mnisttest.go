// Package mnisttest holds the tests' one policy on the MNIST files: a test
// that needs them skips on a machine that cannot have them (no go command,
// no module proxy), and fails when CI demands them with
// DINV_REQUIRE_MNIST=1. (Package mnist's own tests keep a copy: they cannot
// import this package, which imports theirs.)
package mnisttest

import (
	"context"
	"errors"
	"os"
	"testing"

	"dinv/io/mnist"
)

// Require loads MNIST the way a run does, skipping or failing t when it
// cannot be had.
func Require(t testing.TB) {
	t.Helper()
	if _, err := mnist.Load(context.Background(), mnist.Options{}); err != nil {
		if errors.Is(err, mnist.ErrNotFound) && os.Getenv("DINV_REQUIRE_MNIST") != "1" {
			t.Skipf("no MNIST data: %v", err)
		}
		t.Fatal(err)
	}
}
