// Package mnisttest holds the tests' one policy on the MNIST files: a test
// that needs them skips on a machine that cannot have them (no go command,
// no module proxy), and fails when CI demands them with
// DINV_REQUIRE_MNIST=1. (Package mnist's own tests keep a copy: they cannot
// import this package, which imports theirs.)
package mnisttest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// WriteIDX writes four IDX files of MNIST's shapes into dir (60000
// training and 10000 test images of 28x28 pixels, labels 0..9), gzipped
// with the suffix .gz if zip, and returns the MD5 of each file as written,
// in the order of mnist.Files. The images are a few random strokes on
// black drawn from seed: a data set in MNIST's format that is not MNIST.
func WriteIDX(t testing.TB, dir string, zip bool, seed uint64) [4]string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	images := func(n int) []byte {
		b := make([]byte, 16, 16+n*mnist.ImageSize)
		binary.BigEndian.PutUint32(b[0:], 0x803)
		binary.BigEndian.PutUint32(b[4:], uint32(n))
		binary.BigEndian.PutUint32(b[8:], mnist.Rows)
		binary.BigEndian.PutUint32(b[12:], mnist.Cols)
		b = b[:16+n*mnist.ImageSize]
		for i := range n {
			img := b[16+i*mnist.ImageSize : 16+(i+1)*mnist.ImageSize]
			for range 120 {
				img[r.IntN(mnist.ImageSize)] = uint8(1 + r.IntN(255))
			}
		}
		return b
	}
	labels := func(n int) []byte {
		b := make([]byte, 8, 8+n)
		binary.BigEndian.PutUint32(b[0:], 0x801)
		binary.BigEndian.PutUint32(b[4:], uint32(n))
		for range n {
			b = append(b, uint8(r.IntN(10)))
		}
		return b
	}
	contents := [4][]byte{images(mnist.NumTrain), labels(mnist.NumTrain), images(mnist.NumTest), labels(mnist.NumTest)}
	var sums [4]string
	for i, name := range mnist.Files {
		b := contents[i]
		if zip {
			var buf bytes.Buffer
			w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			w.Write(b)
			w.Close()
			b, name = buf.Bytes(), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		sums[i] = hex.EncodeToString(sum[:])
	}
	return sums
}
