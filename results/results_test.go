package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/apache/arrow/go/v15/parquet/schema"
)

func ptr(v float64) *float64 { return &v }

// fixture holds files that several tests read, written once (writes dominate
// the package's test time).
var fixture struct {
	run, curve string // fullRun() and testCurve(3000, 4)
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "results-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixture.run, fixture.curve = filepath.Join(dir, "run.parquet"), filepath.Join(dir, "curve.parquet")
	err = errors.Join(WriteRun(fixture.run, fullRun()), WriteCurve(fixture.curve, testCurve(3000, 4)))
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// fullRun has every field set, with times that are not in UTC and carry
// nanoseconds.
func fullRun() Run {
	cet := time.FixedZone("CET", 3600)
	return Run{
		CellKey: CellKey{
			CellID:     "v1-linear_regression-di-3f2a9c",
			Sweep:      "fig3",
			Experiment: "linear_regression",
			Model:      "di",
			ModelType:  "DI",
			FbackType:  "pinv",
			Leak:       ptr(0.1),
			Eta:        1e-3,
			WDecay:     1e-6,
			Seed:       -42,
		},
		FbackGain:       ptr(0.5),
		Params:          `{"iters":2000,"dims":[30,20,10]}`,
		Status:          StatusOK,
		Message:         "ünïcode: λ_max < 0",
		Steps:           2000,
		FinalTrainError: ptr(0.0123),
		FinalTestError:  ptr(0.0456),
		WallSeconds:     12.5,
		SSARuns:         3,
		StartedAt:       time.Date(2024, 5, 6, 7, 8, 9, 123456789, cet),
		FinishedAt:      time.Date(2024, 5, 6, 7, 9, 1, 999, cet),
		ToolVersion:     "v0.1.0",
		GitCommit:       "0123456789abcdef0123456789abcdef01234567",
		ConfigSHA256:    strings.Repeat("ab", 32),
		Kernels:         "avx2-fma",
		DataMD5:         `{"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873"}`,
	}
}

// dump writes v's fields one a line, following pointers, with floats in full
// precision (NaN equal to NaN) and times with their location, so that two values
// compare as strings and a failure shows the field.
func dump(v any) string {
	var b strings.Builder
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeFor[time.Time]():
			t := v.Interface().(time.Time)
			fmt.Fprintf(&b, "%s=%s %s\n", prefix, t.Format(time.RFC3339Nano), t.Location())
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				walk(prefix+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case v.Kind() == reflect.Pointer:
			if v.IsNil() {
				fmt.Fprintf(&b, "%s=nil\n", prefix)
			} else {
				walk(prefix, v.Elem())
			}
		case v.Kind() == reflect.Float64:
			fmt.Fprintf(&b, "%s=%s\n", prefix, strconv.FormatFloat(v.Float(), 'g', -1, 64))
		default:
			fmt.Fprintf(&b, "%s=%#v\n", prefix, v.Interface())
		}
	}
	walk("", reflect.ValueOf(v))
	return b.String()
}

func TestRunRoundTrip(t *testing.T) {
	noFeedback := fullRun()
	noFeedback.FbackType, noFeedback.FbackGain, noFeedback.Leak = "", nil, nil
	noFeedback.ModelType = "BP"
	noFeedback.Status, noFeedback.Message = StatusDiverged, "loss is NaN at step 17"
	noFeedback.FinalTestError = nil // not measured
	noFeedback.FinalTrainError = ptr(math.Inf(1))

	zero := Run{Status: StatusFailed}

	for _, tc := range []struct {
		name string
		run  Run
	}{
		{"every field", fullRun()},
		{"nulls and Inf", noFeedback},
		{"NaN measured", func() Run {
			r := fullRun()
			r.FinalTrainError, r.FinalTestError = ptr(math.NaN()), ptr(math.NaN())
			return r
		}()},
		{"zero", zero},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.parquet")
			if err := WriteRun(path, tc.run); err != nil {
				t.Fatal(err)
			}
			got, err := ReadRun(path)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.run
			want.StartedAt = want.StartedAt.Truncate(time.Microsecond).UTC()
			want.FinishedAt = want.FinishedAt.Truncate(time.Microsecond).UTC()
			if g, w := dump(got), dump(want); g != w {
				t.Errorf("read back\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestReadRunVersion1 and 2: runs files of format versions 1 (before the
// kernels column) and 2 (before the final errors were nullable, with NaN
// for not measured) read as they did, with their parameter columns, Kernels
// empty in version 1 and a NaN final error as not measured (nil): folders
// of earlier runs stay readable and resumable.
func TestReadRunVersion1(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprint("version ", version), func(t *testing.T) {
			r := fullRun()
			r.Axes = []ParamColumn{{Name: "tsteps", Type: "int64", Value: int64(300)}, {Name: "dt", Type: "float64"}}
			r.FinalTestError = ptr(math.NaN()) // as versions 1 and 2 wrote "not measured"
			dir := t.TempDir()
			path := filepath.Join(dir, "run.parquet")
			if err := WriteRun(path, r); err != nil {
				t.Fatal(err)
			}
			tbl, _, err := readTable(path, runsSchema, runsLimits)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			var fields []arrow.Field
			var cols []arrow.Array
			for i := range int(tbl.NumCols()) {
				if i == runKernels && version == 1 || i == runDataMD5 {
					continue
				}
				f := tbl.Schema().Field(i)
				if i == runFinalTrainError || i == runFinalTestError {
					f.Nullable = false
				}
				fields = append(fields, f)
				cols = append(cols, tbl.Column(i).Data().Chunk(0))
			}
			old := array.NewRecord(arrow.NewSchema(fields, nil), cols, 1)
			defer old.Release()
			oldPath := filepath.Join(dir, "old.parquet")
			if err := writeRecord(oldPath, old); err != nil {
				t.Fatal(err)
			}
			got, err := ReadRun(oldPath)
			if err != nil {
				t.Fatal(err)
			}
			want := r
			if version == 1 {
				want.Kernels = ""
			}
			want.FinalTestError, want.DataMD5 = nil, ""
			want.StartedAt = want.StartedAt.Truncate(time.Microsecond).UTC()
			want.FinishedAt = want.FinishedAt.Truncate(time.Microsecond).UTC()
			if g, w := dump(got), dump(want); g != w {
				t.Errorf("read back\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestUnknownStatus: a runs file whose status is none of ok, diverged and
// failed (another program's, or damage that still decodes) is an error naming
// the file and the status, and WriteRun refuses to write one.
func TestUnknownStatus(t *testing.T) {
	for _, s := range []Status{"", "OK", "pending", "ok\n"} {
		r := fullRun()
		r.Status = s
		path := filepath.Join(t.TempDir(), "run.parquet")
		if err := writeRun(path, r); err != nil {
			t.Fatal(err)
		}
		_, err := ReadRun(path)
		if want := fmt.Sprintf("results: %s: status %q is not one of ok, diverged, failed", path, s); err == nil || err.Error() != want {
			t.Errorf("status %q: ReadRun error %v, want %q", s, err, want)
		}
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.HasPrefix(fmt.Sprint(p), "results: WriteRun: status") {
					t.Errorf("status %q: WriteRun panicked with %v, want a panic naming the status", s, p)
				}
			}()
			WriteRun(path, r)
		}()
	}
	for _, s := range Statuses {
		if s.Finished() != (s != StatusFailed) {
			t.Errorf("%s.Finished() = %v", s, s.Finished())
		}
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	r := fullRun()
	r.Message = "open /data/\xff\xfe: no such file"
	path := filepath.Join(t.TempDir(), "run.parquet")
	if err := WriteRun(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "open /data/\uFFFD: no such file"; got.Message != want {
		t.Errorf("message %q, want %q", got.Message, want)
	}
}

// testCurve returns a curve of n points drawn from a seeded source, NaN and
// infinities included.
func testCurve(n int, seed uint64) Curve {
	rng := rand.New(rand.NewPCG(seed, 1))
	metrics := []string{"train_error", "test_error", "angle_to_bp", "lambda_max"}
	c := Curve{
		CellKey: CellKey{
			CellID: "v1-nonlinear_regression-ndi-" + strconv.FormatUint(seed, 16), Sweep: "fig3",
			Experiment: "nonlinear_regression", Model: "ndi", ModelType: "NDI",
			FbackType: "random", Leak: ptr(0.25), Eta: 0.01, WDecay: 0, Seed: int64(seed),
		},
		Points: make([]Point, n),
	}
	for i := range c.Points {
		v := rng.NormFloat64()
		switch rng.IntN(100) {
		case 0:
			v = math.NaN()
		case 1:
			v = math.Inf(-1)
		}
		c.Points[i] = Point{Step: int64(i / 8), Metric: metrics[rng.IntN(len(metrics))], Layer: int32(rng.IntN(3)), Value: v}
	}
	return c
}

func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

func checkCurve(t *testing.T, got, want Curve) {
	t.Helper()
	if g, w := dump(got.CellKey), dump(want.CellKey); g != w {
		t.Errorf("key read back\n%s\nwant\n%s", g, w)
	}
	if len(got.Points) != len(want.Points) {
		t.Fatalf("%d points read back, want %d", len(got.Points), len(want.Points))
	}
	for i, g := range got.Points {
		w := want.Points[i]
		if g.Step != w.Step || g.Metric != w.Metric || g.Layer != w.Layer || !sameFloat(g.Value, w.Value) {
			t.Fatalf("point %d read back as %+v, want %+v", i, g, w)
		}
	}
}

func TestCurveRoundTrip(t *testing.T) {
	noFeedback := testCurve(100, 2)
	noFeedback.FbackType, noFeedback.Leak, noFeedback.ModelType = "", nil, "BP"
	empty := testCurve(0, 3)
	empty.Points = nil

	for _, tc := range []struct {
		name  string
		curve Curve
	}{
		{"5000 points", testCurve(5000, 1)},
		{"nulls", noFeedback},
		{"no points", empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "curve.parquet")
			if err := WriteCurve(path, tc.curve); err != nil {
				t.Fatal(err)
			}
			got, err := ReadCurve(path)
			if err != nil {
				t.Fatal(err)
			}
			checkCurve(t, got, tc.curve)
		})
	}
}

// TestFileLayout checks what DuckDB and pandas see: zstd column chunks, one row
// group, statistics, dictionary pages, and plain Arrow types.
func TestFileLayout(t *testing.T) {
	runPath, curvePath := fixture.run, fixture.curve
	for _, tc := range []struct {
		path string
		want *arrow.Schema
		rows int64
	}{{runPath, runsSchema, 1}, {curvePath, curvesSchema, 3000}} {
		rdr, err := file.OpenParquetFile(tc.path, false)
		if err != nil {
			t.Fatal(err)
		}
		defer rdr.Close()
		if n := rdr.NumRowGroups(); n != 1 {
			t.Errorf("%s: %d row groups, want 1", tc.path, n)
		}
		if n := rdr.NumRows(); n != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.path, n, tc.rows)
		}
		rg := rdr.MetaData().RowGroup(0)
		for i := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(i)
			if err != nil {
				t.Fatal(err)
			}
			name := cc.PathInSchema().String()
			if cc.Compression() != compress.Codecs.Zstd {
				t.Errorf("%s: column %s compressed with %s, want zstd", tc.path, name, cc.Compression())
			}
			if ok, err := cc.StatsSet(); !ok || err != nil {
				t.Errorf("%s: column %s has no statistics (%v)", tc.path, name, err)
			}
			if !cc.HasDictionaryPage() {
				t.Errorf("%s: column %s has no dictionary page", tc.path, name)
			}
		}
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fr.Schema()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSchema(got, tc.want); err != nil {
			t.Errorf("%s: %v", tc.path, err)
		}
		for _, f := range got.Fields() {
			if f.Type.ID() == arrow.DICTIONARY {
				t.Errorf("%s: column %s is a dictionary array", tc.path, f.Name)
			}
		}
	}
}

// TestSchemaGolden keeps the Parquet schemas, which users' queries depend on,
// from changing by accident. On a mismatch it writes testdata/NAME.got.
func TestSchemaGolden(t *testing.T) {
	runPath, curvePath := fixture.run, fixture.curve
	for _, tc := range []struct{ path, golden string }{
		{runPath, "runs.schema"}, {curvePath, "curves.schema"},
	} {
		rdr, err := file.OpenParquetFile(tc.path, false)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		schema.PrintSchema(rdr.MetaData().Schema.Root(), &got, 2)
		rdr.Close()
		golden := filepath.Join("testdata", tc.golden+".golden")
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			gotPath := filepath.Join("testdata", tc.golden+".got")
			os.WriteFile(gotPath, got.Bytes(), 0o644)
			t.Errorf("Parquet schema differs from %s (got written to %s):\n%s", golden, gotPath, got.String())
		}
	}
}

// damage writes, next to a good run file, copies of it cut to half and to zero
// bytes, and a file of garbage; it returns the three paths.
func damage(t *testing.T, good, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"half.parquet":    b[:len(b)/2],
		"empty.parquet":   nil,
		"garbage.parquet": []byte(strings.Repeat("not parquet at all ", 20)),
	}
	var paths []string
	for name, content := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestDamagedRunFiles(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	if err := os.Mkdir(runs, 0o755); err != nil {
		t.Fatal(err)
	}
	a, b := fullRun(), fullRun()
	a.CellID, b.CellID = "v1-b", "v1-a" // file names and cell ids sort differently
	if err := WriteRun(filepath.Join(runs, "x.parquet"), a); err != nil {
		t.Fatal(err)
	}
	if err := WriteRun(filepath.Join(runs, "y.parquet"), b); err != nil {
		t.Fatal(err)
	}
	bad := damage(t, filepath.Join(runs, "x.parquet"), runs)
	for _, p := range bad {
		_, err := ReadRun(p)
		if err == nil {
			t.Errorf("ReadRun(%s) succeeded", p)
			continue
		}
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a complete Parquet file") {
			t.Errorf("ReadRun(%s): error %q does not name the file and the problem", p, err)
		}
	}
	// Neither a temporary nor a file of another extension is read.
	for _, name := range []string{".z.parquet.tmp-123456", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(runs, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	got, errs := ReadRuns(dir)
	if len(got) != 2 || got[0].CellID != "v1-a" || got[1].CellID != "v1-b" {
		t.Errorf("ReadRuns read %d runs (%v), want v1-a and v1-b", len(got), got)
	}
	if len(errs) != len(bad) {
		t.Fatalf("ReadRuns: %d errors, want %d: %v", len(errs), len(bad), errs)
	}
	for _, p := range bad {
		n := 0
		for _, err := range errs {
			if strings.Contains(err.Error(), p) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("ReadRuns: %d errors name %s, want 1: %v", n, p, errs)
		}
	}
}

func TestReadFolderMissing(t *testing.T) {
	runs, errs := ReadRuns(t.TempDir())
	if len(runs) != 0 || len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("ReadRuns of a folder without runs/: %v, %v; want one error wrapping fs.ErrNotExist", runs, errs)
	}
	curves, errs := ReadCurves(t.TempDir())
	if len(curves) != 0 || len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("ReadCurves of a folder without curves/: %v, %v; want one error wrapping fs.ErrNotExist", curves, errs)
	}
	if _, err := ReadRun(filepath.Join(t.TempDir(), "nope.parquet")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadRun of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReadCurves(t *testing.T) {
	dir := t.TempDir()
	curves := filepath.Join(dir, "curves")
	if err := os.Mkdir(curves, 0o755); err != nil {
		t.Fatal(err)
	}
	want := []Curve{testCurve(50, 7), testCurve(0, 8), testCurve(20, 9)}
	for i, c := range want {
		if err := WriteCurve(filepath.Join(curves, fmt.Sprintf("%d.parquet", 9-i)), c); err != nil {
			t.Fatal(err)
		}
	}
	bad := damage(t, filepath.Join(curves, "9.parquet"), curves)
	got, errs := ReadCurves(dir)
	if len(errs) != len(bad) {
		t.Errorf("ReadCurves: %d errors, want %d: %v", len(errs), len(bad), errs)
	}
	if len(got) != len(want) {
		t.Fatalf("ReadCurves read %d curves, want %d", len(got), len(want))
	}
	for i := range got {
		checkCurve(t, got[i], want[i]) // cell ids end in 7, 8, 9
	}
}

func TestSchemaMismatch(t *testing.T) {
	runPath, curvePath := fixture.run, fixture.curve
	_, err := ReadRun(curvePath)
	want := `results: ` + curvePath + `: not a runs file: column 7 is "leak" float64, want "fback_gain" float64`
	if err == nil || err.Error() != want {
		t.Errorf("ReadRun of a curves file: %v\nwant %s", err, want)
	}
	_, err = ReadCurve(runPath)
	want = `results: ` + runPath + `: not a curves file: column 7 is "fback_gain" float64, want "leak" float64`
	if err == nil || err.Error() != want {
		t.Errorf("ReadCurve of a runs file: %v\nwant %s", err, want)
	}
}

func TestCheckSchema(t *testing.T) {
	fields := runsSchema.Fields()
	renamed := append([]arrow.Field(nil), fields...)
	renamed[2].Name = "exp"
	retyped := append([]arrow.Field(nil), fields...)
	retyped[runStartedAt].Type = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	nullable := append([]arrow.Field(nil), fields...)
	nullable[runSeed].Nullable = true
	v2 := append([]arrow.Field(nil), fields[:runDataMD5]...)
	v2[runFinalTrainError].Nullable, v2[runFinalTestError].Nullable = false, false
	for _, tc := range []struct {
		name   string
		fields []arrow.Field
		want   string
	}{
		{"same", fields, ""},
		{"renamed", renamed, `column 3 is "exp" utf8 not null, want "experiment" utf8 not null`},
		{"retyped", retyped, `column 20 is "started_at" timestamp[ns, tz=UTC] not null, want "started_at" timestamp[us, tz=UTC] not null`},
		{"nullable", nullable, `column 11 is "seed" int64, want "seed" int64 not null`},
		{"short", fields[:5], `5 columns, want 26 (first missing: "fback_type" utf8)`},
		{"long", append(append([]arrow.Field(nil), fields...), arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int8}),
			`27 columns, want 26 and parameter columns (column 27 is "x" int8 not null: a parameter column is a nullable string, double, int64 or boolean)`},
		{"param", append(append([]arrow.Field(nil), fields...), arrow.Field{Name: "tsteps", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), ""},
		{"param named as a column", append(append([]arrow.Field(nil), fields...), arrow.Field{Name: "seed", Type: arrow.PrimitiveTypes.Int64, Nullable: true}),
			`27 columns, want 26 and parameter columns (column 27 is "seed" int64: repeated)`},
		// Format version 1: no kernels column, parameters after config_sha256.
		{"version 1", fields[:legacyRunsFields], ""},
		{"version 1 with a parameter", append(append([]arrow.Field(nil), fields[:legacyRunsFields]...), arrow.Field{Name: "tsteps", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), ""},
		{"version 1 with a bad parameter", append(append([]arrow.Field(nil), fields[:legacyRunsFields]...), arrow.Field{Name: "tsteps", Type: arrow.PrimitiveTypes.Int64}),
			`25 columns, want 24 and parameter columns (column 25 is "tsteps" int64 not null: a parameter column is a nullable string, double, int64 or boolean)`},
		// Format version 2: no data_md5, final errors not nullable.
		{"version 2", v2, ""},
		{"version 2 with a parameter", append(append([]arrow.Field(nil), v2...), arrow.Field{Name: "tsteps", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), ""},
		{"version 2, one error nullable", func() []arrow.Field {
			f := append([]arrow.Field(nil), v2...)
			f[runFinalTrainError].Nullable = true
			return f
		}(), `column 16 is "final_train_error" float64, want "final_train_error" float64 not null`},
		{"kernels nullable", append(append([]arrow.Field(nil), fields[:runKernels]...), arrow.Field{Name: "kernels", Type: utf8Type, Nullable: true}),
			`column 25 is "kernels" utf8, want "kernels" utf8 not null`},
	} {
		err := checkSchema(arrow.NewSchema(tc.fields, nil), runsSchema)
		if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// writeRuns writes n rows of runs schema, against the API's one, to check that
// ReadRun counts rows.
func writeRuns(t *testing.T, path string, n int) {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, runsSchema)
	defer b.Release()
	for i, f := range b.Fields() {
		switch f := f.(type) {
		case *array.StringBuilder:
			appendString(b, i, "x", n)
		case *array.Float64Builder:
			appendFloat(b, i, ptr(1), n)
		case *array.Int64Builder:
			for range n {
				f.Append(1)
			}
		case *array.TimestampBuilder:
			for range n {
				f.Append(0)
			}
		default:
			t.Fatalf("column %d: unexpected builder %T", i, f)
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if err := writeRecord(path, rec); err != nil {
		t.Fatal(err)
	}
}

func TestRunRowCount(t *testing.T) {
	for _, n := range []int{0, 2} {
		path := filepath.Join(t.TempDir(), "run.parquet")
		writeRuns(t, path, n)
		_, err := ReadRun(path)
		if want := fmt.Sprintf("results: %s: %d rows, want 1", path, n); err == nil || err.Error() != want {
			t.Errorf("ReadRun of %d rows: %v, want %s", n, err, want)
		}
	}
}

func TestCurveOfTwoCells(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second CellKey
		want   string
	}{
		{"cell id", func() CellKey { k := testCurve(0, 1).CellKey; k.CellID = "v1-other"; return k }(), "cell_id differs in row 4"},
		{"leak null", func() CellKey { k := testCurve(0, 1).CellKey; k.Leak = nil; return k }(), "leak differs in row 4"},
		{"fback_type null", func() CellKey { k := testCurve(0, 1).CellKey; k.FbackType = ""; return k }(), "fback_type differs in row 4"},
		{"seed", func() CellKey { k := testCurve(0, 1).CellKey; k.Seed++; return k }(), "seed differs in row 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := array.NewRecordBuilder(memory.DefaultAllocator, curvesSchema)
			defer b.Release()
			curvesKey.append(b, testCurve(0, 1).CellKey, 3)
			curvesKey.append(b, tc.second, 2)
			for i := range 5 {
				b.Field(curveStep).(*array.Int64Builder).Append(int64(i))
				b.Field(curveMetric).(*array.StringBuilder).Append("train_error")
				b.Field(curveLayer).(*array.Int32Builder).Append(0)
				b.Field(curveValue).(*array.Float64Builder).Append(0.5)
			}
			rec := b.NewRecord()
			defer rec.Release()
			path := filepath.Join(t.TempDir(), "curve.parquet")
			if err := writeRecord(path, rec); err != nil {
				t.Fatal(err)
			}
			_, err := ReadCurve(path)
			want := "results: " + path + ": rows of more than one cell: " + tc.want
			if err == nil || err.Error() != want {
				t.Errorf("ReadCurve: %v\nwant %s", err, want)
			}
		})
	}
}

// TestCorruptedBytes flips bytes of a valid runs file (seeded): reading must
// fail or succeed, never panic.
func TestCorruptedBytes(t *testing.T) {
	b, err := os.ReadFile(fixture.run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	path := filepath.Join(dir, "bad.parquet")
	for range 200 {
		c := bytes.Clone(b)
		for range 1 + rng.IntN(4) {
			c[rng.IntN(len(c))] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(path, c, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRun(path); err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name the file", err)
		}
	}
}

// TestConcurrentWrites writes and reads from several goroutines, as the
// sweep's workers do (run with -race).
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"runs", "curves"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const n = 3
	errs := make(chan error, n)
	for i := range n {
		go func() {
			r := fullRun()
			r.CellID = fmt.Sprintf("v1-%d", i)
			c := testCurve(200, uint64(i))
			c.CellID = r.CellID
			errs <- errors.Join(
				WriteRun(filepath.Join(dir, "runs", r.CellID+".parquet"), r),
				WriteCurve(filepath.Join(dir, "curves", r.CellID+".parquet"), c),
			)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	runs, rerrs := ReadRuns(dir)
	curves, cerrs := ReadCurves(dir)
	if len(runs) != n || len(curves) != n || len(rerrs)+len(cerrs) != 0 {
		t.Errorf("read %d runs and %d curves, want %d of each; errors %v %v", len(runs), len(curves), n, rerrs, cerrs)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "x.parquet")
		err := WriteFileAtomic(path, func(w io.Writer) error {
			// While writing, the only file is a temporary that *.parquet does not match.
			names := dirNames(t, dir)
			if len(names) != 1 || !IsTemp(names[0]) || !strings.HasPrefix(names[0], ".x.parquet.tmp-") {
				t.Errorf("while writing, the folder holds %q, want one temporary", names)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*.parquet")); len(m) != 0 {
				t.Errorf("*.parquet matches %q while writing", m)
			}
			_, err := io.WriteString(w, "hello")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"x.parquet"}) {
			t.Errorf("folder holds %q, want x.parquet only", names)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", fi.Mode().Perm())
		}
		if b, _ := os.ReadFile(path); string(b) != "hello" {
			t.Errorf("content %q, want hello", b)
		}
		// Replacing an existing file.
		if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "bye"); return err }); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "bye" {
			t.Errorf("content %q after replacing, want bye", b)
		}
	})

	t.Run("write fails", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "x.parquet")
		errBoom := errors.New("boom")
		err := WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, strings.Repeat("partial", 100000))
			return errBoom
		})
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v, want boom naming %s", err, path)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("folder holds %q after a failed write, want nothing", names)
		}
	})

	t.Run("write panics", func(t *testing.T) {
		dir := t.TempDir()
		func() {
			defer func() { recover() }()
			WriteFileAtomic(filepath.Join(dir, "x.parquet"), func(w io.Writer) error { panic("boom") })
		}()
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("folder holds %q after a panic, want nothing", names)
		}
	})

	t.Run("no folder", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "x.parquet")
		err := WriteRun(path, fullRun())
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteRun into a missing folder: %v, want fs.ErrNotExist naming %s", err, path)
		}
	})
}

func TestIsTemp(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{".x.parquet.tmp-123456", true},
		{"runs/.v1-abc.parquet.tmp-9", true},
		{"x.parquet", false},
		{".x.parquet", false},
		{"x.parquet.tmp-1", false},
		{".x.parquet.tmp-", false},
		{".tmp-1", false},
		{".x.tmp-1.parquet", false},
	} {
		if got := IsTemp(tc.name); got != tc.want {
			t.Errorf("IsTemp(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func BenchmarkWriteCurve(b *testing.B) {
	c := testCurve(100_000, 1)
	path := filepath.Join(b.TempDir(), "curve.parquet")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCurve(path, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCurve(b *testing.B) {
	path := filepath.Join(b.TempDir(), "curve.parquet")
	if err := WriteCurve(path, testCurve(100_000, 1)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCurve(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadRun(b *testing.B) {
	path := filepath.Join(b.TempDir(), "run.parquet")
	if err := WriteRun(path, fullRun()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadRun(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteRun(b *testing.B) {
	path := filepath.Join(b.TempDir(), "run.parquet")
	r := fullRun()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteRun(path, r); err != nil {
			b.Fatal(err)
		}
	}
}
