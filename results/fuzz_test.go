package results

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets read arbitrary bytes as a runs or a curves file: the
// reader must return a value or an error naming the file, never panic,
// never allocate more than maxFuzzAlloc, and a value read must be what
// writing it back and reading again gives.
//
// Their seeds, in testdata/fuzz/NAME/, are valid files (valid-*:
// WriteRun(fullRun()), WriteRun(longRun()), WriteCurve(testCurve(20, 6)) and a
// curve without points), some of their tails (tail-long-run-7453 is the one
// that took arrow to a fatal out-of-memory) and truncations (cut-*), and
// probe-*: a change of one byte that the first version of the checks let
// through to arrow, found by trying every single-byte change of the runs file.

// maxFuzzAlloc bounds what one read may allocate: a hundred times what reading
// a valid file takes, and far less than what arrow allocated for the damaged
// files of the issue (without limit).
const maxFuzzAlloc = 256 << 20

func FuzzReadRun(f *testing.F) {
	dir := f.TempDir()
	path, back := filepath.Join(dir, "run.parquet"), filepath.Join(dir, "back.parquet")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var r Run
		var err error
		if a := allocated(func() { r, err = ReadRun(path) }); a > maxFuzzAlloc {
			t.Fatalf("read allocated %d MiB (%v)", a>>20, err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := WriteRun(back, r); err != nil {
			t.Fatalf("writing back what was read: %v", err)
		}
		again, err := ReadRun(back)
		if err != nil {
			t.Fatalf("reading back what was read: %v", err)
		}
		if g, w := dump(again), dump(writtenRun(r)); g != w {
			t.Fatalf("read back\n%s\nwant\n%s", g, w)
		}
	})
}

func FuzzReadCurve(f *testing.F) {
	dir := f.TempDir()
	path, back := filepath.Join(dir, "curve.parquet"), filepath.Join(dir, "back.parquet")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var c Curve
		var err error
		if a := allocated(func() { c, err = ReadCurve(path) }); a > maxFuzzAlloc {
			t.Fatalf("read allocated %d MiB (%v)", a>>20, err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := WriteCurve(back, c); err != nil {
			t.Fatalf("writing back what was read: %v", err)
		}
		again, err := ReadCurve(back)
		if err != nil {
			t.Fatalf("reading back what was read: %v", err)
		}
		want := Curve{CellKey: writtenKey(c.CellKey), Points: make([]Point, len(c.Points))}
		for i, p := range c.Points {
			p.Metric = validUTF8(p.Metric)
			want.Points[i] = p
		}
		checkCurve(t, again, want)
	})
}

// TestValidSeeds reads the valid files among the fuzz seeds, which must stay
// readable whatever the checks become.
func TestValidSeeds(t *testing.T) {
	for _, tc := range []struct {
		target string
		read   func(path string) error
	}{{"FuzzReadRun", readRunErr}, {"FuzzReadCurve", readCurveErr}} {
		seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", tc.target, "valid-*"))
		if err != nil || len(seeds) == 0 {
			t.Fatalf("%s: no valid seeds (%v)", tc.target, err)
		}
		for _, seed := range seeds {
			text, err := os.ReadFile(seed)
			if err != nil {
				t.Fatal(err)
			}
			// The corpus format: a header line, then []byte("...").
			_, lit, _ := strings.Cut(strings.TrimSpace(string(text)), "\n[]byte(")
			b, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
			if err != nil {
				t.Fatalf("%s: %v", seed, err)
			}
			path := filepath.Join(t.TempDir(), "seed.parquet")
			if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.read(path); err != nil {
				t.Errorf("%s: %v", seed, err)
			}
		}
	}
}

// writtenRun is r as the writer stores it: strings in valid UTF-8 (a status
// read is one of Statuses, which are).
func writtenRun(r Run) Run {
	r.CellKey = writtenKey(r.CellKey)
	for _, s := range []*string{&r.Params, &r.Message, &r.ToolVersion, &r.GitCommit, &r.ConfigSHA256, &r.Kernels} {
		*s = validUTF8(*s)
	}
	return r
}

func writtenKey(k CellKey) CellKey {
	for _, s := range []*string{&k.CellID, &k.Sweep, &k.Experiment, &k.Model, &k.ModelType, &k.FbackType} {
		*s = validUTF8(*s)
	}
	return k
}
