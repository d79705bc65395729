package results

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
)

// maxReadAlloc bounds what reading one file of the tests may allocate
// (runtime.MemStats.TotalAlloc): reading the valid files costs 1 to 3 MiB,
// rejecting a damaged one less than 100 KiB. Arrow alone took 8 to 48 MiB to
// reject most tails, and some without limit.
const maxReadAlloc = 4 << 20

// allocated returns the bytes that f allocated, by runtime.MemStats.TotalAlloc
// (so the tests that call it do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// longRun is fullRun with the longer parameters and message of a larger
// experiment, drawn from a seeded source. Its file (11783 bytes) is the first
// of those tried with a tail that took arrow v15's reader to a fatal
// out-of-memory: in the last 7453 bytes, the first column chunk starts with a
// page header of unknown type that runs past the chunk's end, which arrow's
// page reader skips without moving on, in a loop that allocates forever.
func longRun() Run {
	rng := rand.New(rand.NewPCG(1, 2))
	r := fullRun()
	var b strings.Builder
	b.WriteString("{")
	for i := range rng.IntN(60) {
		fmt.Fprintf(&b, `"k%d":%g,`, i, rng.NormFloat64())
	}
	b.WriteString("}")
	r.Params = b.String()
	r.Message = strings.Repeat("x", rng.IntN(300))
	r.Steps = rng.Int64()
	return r
}

func readRunErr(path string) error   { _, err := ReadRun(path); return err }
func readCurveErr(path string) error { _, err := ReadCurve(path); return err }

// TestTails reads the last n bytes of a valid runs file and of a valid curves
// file, for every n: what `tail -c n` leaves of a file whose head was lost.
// Every tail but the whole file must be reported as an error naming the file,
// without a crash, and without allocating what the garbage claims.
func TestTails(t *testing.T) {
	dir := t.TempDir()
	long, small := filepath.Join(dir, "long-run.parquet"), filepath.Join(dir, "small-curve.parquet")
	if err := WriteRun(long, longRun()); err != nil {
		t.Fatal(err)
	}
	if err := WriteCurve(small, testCurve(200, 5)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		read       func(path string) error
	}{
		{"runs", fixture.run, readRunErr},
		{"long runs", long, readRunErr},
		{"curves", small, readCurveErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "tail.parquet")
			for n := 1; n <= len(b); n++ {
				if err := os.WriteFile(path, b[len(b)-n:], 0o644); err != nil {
					t.Fatal(err)
				}
				var err error
				a := allocated(func() { err = tc.read(path) })
				switch {
				case n == len(b) && err != nil:
					t.Errorf("whole file (%d bytes): %v", n, err)
				case n < len(b) && err == nil:
					t.Errorf("last %d of %d bytes: read without error", n, len(b))
				case n < len(b) && !strings.Contains(err.Error(), path):
					t.Errorf("last %d of %d bytes: error %q does not name the file", n, len(b), err)
				}
				if a > maxReadAlloc {
					t.Errorf("last %d of %d bytes: read allocated %d MiB (%v)", n, len(b), a>>20, err)
				}
			}
		})
	}
}

// zigzag is v as a compact-protocol i32.
func zigzag(v int32) []byte {
	return binary.AppendUvarint(nil, uint64(uint32(v<<1^v>>31)))
}

// header encodes a PageHeader: type, sizes, and the header of its type (field
// 5, 7 or 8) with num_values and the encodings arrow requires.
func header(typ, uncompressed, compressed, values int32) []byte {
	b := []byte{0x15}
	b = append(b, zigzag(typ)...)
	b = append(b, 0x15)
	b = append(b, zigzag(uncompressed)...)
	b = append(b, 0x15)
	b = append(b, zigzag(compressed)...)
	delta, fields := byte(2), 4 // data_page_header, 2 after field 3; other types' too
	switch typ {
	case dictionaryPage:
		delta, fields = 4, 2
	case dataPageV2:
		delta, fields = 5, 6
	}
	b = append(b, delta<<4|ctStruct, 0x15)
	b = append(b, zigzag(values)...)
	for range fields - 1 {
		b = append(b, 0x15, 0)
	}
	return append(b, 0, 0)
}

// page is a page of n bytes after its header.
func page(h []byte, n int) []byte { return append(h, make([]byte, n)...) }

// TestCheckPages checks the page walk on column chunks built by hand; the
// chunks claim 5 values and 100 uncompressed bytes, and are int64.
func TestCheckPages(t *testing.T) {
	dict := page(header(dictionaryPage, 8, 8, 1), 8)
	data := page(header(dataPage, 4, 4, 5), 4)
	for _, tc := range []struct {
		name, want string
		chunk      []byte
	}{
		{"dictionary and data", "", append(append([]byte(nil), dict...), data...)},
		{"data only", "", data},
		{"index page", "page of type 1", page(header(1, 4, 4, 5), 4)},
		{"unknown page type", "page of type 8", page(header(8, 4, 4, 5), 4)},
		{"header past the chunk", "ends in the middle", header(dataPage, 4, 4, 5)[:10]},
		{"page past the chunk", "4 bytes, 3 left", page(header(dataPage, 4, 4, 5), 3)},
		{"huge page", "2000000000 bytes uncompressed", page(header(dataPage, 2e9, 4, 5), 4)},
		{"negative size", "sizes -1 and 4", page(header(dataPage, 4, -1, 5), 4)},
		{"too many values", "more than the chunk's 5 values", page(header(dataPage, 4, 4, 6), 4)},
		{"too few values", "pages hold 4 values", page(header(dataPage, 4, 4, 4), 4)},
		{"huge dictionary", "dictionary of 5 values in 8 bytes", append(page(header(dictionaryPage, 8, 8, 5), 8), data...)},
		{"second dictionary", "dictionary after the first page", append(append(append([]byte(nil), dict...), dict...), data...)},
		{"no encodings", "without its number of values or encodings", page(header(dataPage, 4, 4, 5)[:13], 4)},
	} {
		err := checkPages(tc.chunk, compress.Codecs.Zstd, parquet.Types.Int64, 5, 100)
		if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestCompactBounds checks that the footer walk refuses what would size
// arrow's allocations without bytes to back them.
func TestCompactBounds(t *testing.T) {
	deep := bytes.Repeat([]byte{0x1c}, 40) // field 1, a struct, 40 deep
	for _, tc := range []struct {
		name, want string
		footer     []byte
	}{
		{"empty struct", "", []byte{0}},
		{"list longer than the footer", "length 1073741824", []byte{0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x04, 0}},
		{"string longer than the footer", "length 1000", []byte{0x68, 0xe8, 0x07, 'x', 0}},
		{"nested too deep", "nested more than 32 deep", append(deep, make([]byte, 41)...)},
		{"schema node of many children", "schema node 1 of 1 claims 1000000 children",
			append(append([]byte{0x29, 0x1c, 0x55}, zigzag(1e6)...), 0, 0)},
		{"schema of negative children", "claims -1 children", []byte{0x29, 0x1c, 0x55, 0x01, 0, 0}},
		{"row groups of i32", "list of type 5", []byte{0x49, 0x15, 0x02, 0}},
		{"varint of 11 bytes", "varint longer than 10 bytes", append([]byte{0x15}, append(bytes.Repeat([]byte{0x80}, 10), 0x01, 0)...)},
		{"unknown type", "unknown field type 13", []byte{0x1d, 0}},
		{"encrypted", "dinv never encrypts", []byte{0x8c, 0, 0}},
		{"trailing bytes", "1 bytes after its metadata", []byte{0, 0}},
	} {
		err := checkFooter(tc.footer)
		if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestZstdDecodeStaysInBuffer checks that arrow's zstd codec (ours) decodes
// into the buffer arrow sized from the page header, and fails rather than grow
// it to what a frame claims.
func TestZstdDecodeStaysInBuffer(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	src := bytes.Repeat([]byte("lambda_max "), 1<<16) // 704 KiB, a frame of a few KiB
	frame := c.Encode(nil, src)
	if got := c.Decode(make([]byte, len(src)), frame); !bytes.Equal(got, src) {
		t.Fatal("a frame does not decode into a buffer of its size")
	}
	var got []byte
	a := allocated(func() {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "results: zstd:") {
				t.Errorf("decoding into a buffer too small: %v, want a panic of ours", p)
			}
		}()
		got = c.Decode(make([]byte, 1000), frame)
	})
	if got != nil || a > 64<<10 {
		t.Errorf("decoding into a buffer too small returned %d bytes, allocated %d", len(got), a)
	}
}
