package mnist

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

var updateSeeds = flag.Bool("seeds", false, "rewrite the named seeds of testdata/fuzz/FuzzReadIDX")

// fuzzSeeds are the named files of the seed corpus, made by this package's
// test writers: valid files raw and gzipped, truncations, and headers that
// claim far more data than there is.
func fuzzSeeds() map[string][]byte {
	images := imagesIDX(2, Rows, Cols, 60)
	labels := labelsIDX(5, 0, 9)
	hugeCount := bytes.Clone(images[:16+ImageSize])
	binary.BigEndian.PutUint32(hugeCount[4:], 0xffffffff)
	hugeDims := bytes.Clone(images[:16+ImageSize])
	binary.BigEndian.PutUint32(hugeDims[8:], 0xffffffff)
	binary.BigEndian.PutUint32(hugeDims[12:], 0xffffffff)
	// A gzip bomb in small: 50 blank images, 39 kB from 100 bytes; small
	// enough that the fuzzer's many runs of it stay fast.
	blank := make([]byte, 16+50*ImageSize)
	copy(blank, images[:16])
	binary.BigEndian.PutUint32(blank[4:], 50)
	overMNIST := bytes.Clone(blank[:16+ImageSize])
	binary.BigEndian.PutUint32(overMNIST[4:], NumTrain+1)
	// Gzip trailers (ISIZE) that lie: far more, and less, than the contents.
	liesHigh, liesLow := gz(images), gz(images)
	binary.LittleEndian.PutUint32(liesHigh[len(liesHigh)-4:], 0xffffffff)
	binary.LittleEndian.PutUint32(liesLow[len(liesLow)-4:], 20)
	return map[string][]byte{
		"images-gz-isize-high": liesHigh,
		"images-gz-isize-low":  liesLow,
		"images":               images,
		"images-gz":            gz(images),
		"labels":               labels,
		"labels-gz":            gz(labels),
		"images-truncated":     images[:16+ImageSize+100],
		"images-header-cut":    images[:10],
		"images-gz-cut":        gz(images)[:200],
		"labels-trailing":      append(bytes.Clone(labels), 1),
		"labels-out-of-range":  labelsIDX(1, 10),
		"images-huge-count":    hugeCount,
		"images-huge-count-gz": gz(hugeCount),
		"images-huge-dims":     hugeDims,
		"images-blank-gz":      gz(blank),
		"images-over-mnist-gz": gz(overMNIST),
		"gzip-magic-only":      {0x1f, 0x8b},
		"empty":                {},
	}
}

// TestFuzzSeeds checks that the named seeds are what fuzzSeeds makes; with
// -seeds it writes them. Other files there are the fuzzer's findings.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadIDX")
	for name, data := range fuzzSeeds() {
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
		path := filepath.Join(dir, name)
		if *updateSeeds {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what fuzzSeeds makes (%v); rewrite it with go test ./io/mnist -run TestFuzzSeeds -seeds", path, err)
		}
	}
}

// TestReadAllocatesOnce: a file whose size (raw) or trailer (gzipped) says
// how much it holds is read into one buffer of that size: no growing, no
// copies, 47 MB for MNIST's training images and not twice that.
func TestReadAllocatesOnce(t *testing.T) {
	images := imagesIDX(1000, Rows, Cols, 70)
	payload := uint64(len(images) - 16)
	for _, tc := range []struct {
		name string
		file []byte
	}{{"raw", images}, {"gzipped", gz(images)}} {
		path := writeFile(t, t.TempDir(), "images", tc.file)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := ReadImages(path)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > payload+256<<10 {
			t.Errorf("%s: reading %d bytes of images allocated %d bytes", tc.name, payload, alloc)
		}
	}
}

// maxIDX is the longest IDX contents the reader takes into memory: a header
// and MNIST's training set.
const maxIDX = 16 + NumTrain*ImageSize

// FuzzReadIDX reads any bytes as an images file and as a labels file. The
// reader returns a file or an error wrapping ErrFormat, never panics, and
// allocates in proportion to its input: for a raw file at most 1 MiB plus 8
// bytes per byte of the file; for a gzipped one, that plus 8 bytes per byte
// of its decompressed contents, plus the buffer its trailer asks for, at
// most what deflate could expand the file to, each up to maxIDX: a
// decompression bomb costs at most MNIST's own size.
func FuzzReadIDX(f *testing.F) {
	// The seeds are testdata/fuzz/FuzzReadIDX (TestFuzzSeeds).
	f.Fuzz(func(t *testing.T, data []byte) {
		gzipped := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
		limit, decompressed := uint64(1<<20+8*len(data)), false
		for _, k := range []kind{imagesKind, labelsKind} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := decodeIDX("fuzz", bytes.NewReader(data), int64(len(data)), k)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > limit && gzipped && !decompressed { // only when needed: the fuzzer's runs stay fast
				limit += 8*uint64(decompressedSize(data, maxIDX)) + uint64(min(maxDeflateRatio*int64(len(data)), maxIDX))
				decompressed = true
			}
			if alloc > limit {
				t.Errorf("reading %d bytes as %s allocated %d bytes, more than %d", len(data), k.what, alloc, limit)
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
					t.Errorf("as %s: error %v is not a *FileError wrapping ErrFormat", k.what, err)
				}
				continue
			}
			itemSize := 1
			if k == imagesKind {
				itemSize = ImageSize
			}
			if got.n < 0 || got.n > NumTrain || len(got.data) != got.n*itemSize || got.gzipped != gzipped {
				t.Fatalf("as %s: n = %d, %d bytes of payload, gzipped %v", k.what, got.n, len(got.data), got.gzipped)
			}
			if !gzipped && (!bytes.Equal(got.data, data[k.header:]) || got.fileMD5 != md5.Sum(data)) {
				t.Errorf("as %s: the payload or the MD5 is not the file's", k.what)
			}
			if k == labelsKind && slices.ContainsFunc(got.data, func(l uint8) bool { return l > 9 }) {
				t.Errorf("labels out of range: %v", got.data)
			}
		}
	})
}

// decompressedSize is the length of the decompressed contents of a gzip
// stream, up to max, as far as they can be decompressed.
func decompressedSize(data []byte, max int64) int64 {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, max))
	return n
}
