package results

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Run is the one row of a runs file: what a cell was, how it ended, and what
// produced it.
type Run struct {
	CellKey
	FbackGain *float64 // nil → null (rules without feedback)
	Params    string   // JSON text of the resolved experiment parameters
	Status    Status
	Message   string
	Steps     int64
	// The last errors measured: nil (null) where nothing was measured (the
	// regressions have no test set; MNIST measures its eval_sets; a failed
	// cell measured nothing), NaN or Inf only for a value that was computed
	// so (a diverged cell).
	FinalTrainError *float64
	FinalTestError  *float64
	WallSeconds     float64
	SSARuns         int64
	StartedAt       time.Time // written as a UTC timestamp in microseconds
	FinishedAt      time.Time
	ToolVersion     string
	GitCommit       string
	ConfigSHA256    string
	// Kernels names the compute kernels the cell ran on, as
	// models.KernelsName does ("avx2-fma", "go", ...); "" in a file written
	// before the column existed (format version 1).
	Kernels string
	// DataMD5 names the data files the cell read and their MD5s, as JSON
	// text ({"train-images-idx3-ubyte.gz": "f68b...", ...}: the MNIST
	// experiments); "" (null) for an experiment that reads no files, and in
	// files written before the column (format versions 1 and 2).
	DataMD5 string
}

// WriteRun writes r to path as a runs file of one row, atomically (see
// WriteFileAtomic). Times are truncated to the microsecond. It panics if
// r.Status is not one of Statuses.
func WriteRun(path string, r Run) error {
	if !r.Status.valid() {
		panic(fmt.Sprintf("results: WriteRun: status %q is not one of ok, diverged, failed", r.Status))
	}
	return writeRun(path, r)
}

// writeRun is WriteRun for any status: tests write what other programs might.
func writeRun(path string, r Run) error {
	schema, err := withParams(r.Axes)
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	runsKey.append(b, r.CellKey, 1)
	appendFloat(b, runFbackGain, r.FbackGain, 1)
	appendString(b, runParams, r.Params, 1)
	appendString(b, runStatus, string(r.Status), 1)
	appendString(b, runMessage, r.Message, 1)
	b.Field(runSteps).(*array.Int64Builder).Append(r.Steps)
	appendFloat(b, runFinalTrainError, r.FinalTrainError, 1)
	appendFloat(b, runFinalTestError, r.FinalTestError, 1)
	appendFloat(b, runWallSeconds, &r.WallSeconds, 1)
	b.Field(runSSARuns).(*array.Int64Builder).Append(r.SSARuns)
	b.Field(runStartedAt).(*array.TimestampBuilder).Append(arrow.Timestamp(r.StartedAt.UnixMicro()))
	b.Field(runFinishedAt).(*array.TimestampBuilder).Append(arrow.Timestamp(r.FinishedAt.UnixMicro()))
	appendString(b, runToolVersion, r.ToolVersion, 1)
	appendString(b, runGitCommit, r.GitCommit, 1)
	appendString(b, runConfigSHA256, r.ConfigSHA256, 1)
	appendString(b, runKernels, r.Kernels, 1)
	if r.DataMD5 == "" {
		b.Field(runDataMD5).AppendNull()
	} else {
		appendString(b, runDataMD5, r.DataMD5, 1)
	}
	if err := appendParams(b, r.Axes); err != nil {
		return err
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeRecord(path, rec)
}

// ReadRun reads the runs file at path. It fails on a file that is not a complete
// Parquet file, whose columns are not the runs table's, that does not hold
// exactly one row, or whose status is not one of Statuses. Times are in UTC.
func ReadRun(path string) (Run, error) {
	tbl, _, err := readTable(path, runsSchema, runsLimits)
	if err != nil {
		return Run{}, err
	}
	defer tbl.Release()
	if n := tbl.NumRows(); n != 1 {
		return Run{}, fmt.Errorf("results: %s: %d rows, want 1", path, n)
	}
	var r Run
	err = forRecords(tbl, func(rec arrow.Record) error {
		r = Run{
			CellKey:         runsKey.at(rec, 0),
			FbackGain:       floatAt(rec, runFbackGain, 0),
			Params:          strings.Clone(stringAt(rec, runParams, 0)),
			Status:          Status(strings.Clone(stringAt(rec, runStatus, 0))),
			Message:         strings.Clone(stringAt(rec, runMessage, 0)),
			Steps:           rec.Column(runSteps).(*array.Int64).Value(0),
			FinalTrainError: measureAt(rec, runFinalTrainError, 0),
			FinalTestError:  measureAt(rec, runFinalTestError, 0),
			WallSeconds:     *floatAt(rec, runWallSeconds, 0),
			SSARuns:         rec.Column(runSSARuns).(*array.Int64).Value(0),
			StartedAt:       timeAt(rec, runStartedAt, 0),
			FinishedAt:      timeAt(rec, runFinishedAt, 0),
			ToolVersion:     strings.Clone(stringAt(rec, runToolVersion, 0)),
			GitCommit:       strings.Clone(stringAt(rec, runGitCommit, 0)),
			ConfigSHA256:    strings.Clone(stringAt(rec, runConfigSHA256, 0)),
		}
		if runsFixed(rec.Schema()) > runKernels {
			r.Kernels = strings.Clone(stringAt(rec, runKernels, 0))
		}
		if runsFixed(rec.Schema()) > runDataMD5 {
			r.DataMD5 = strings.Clone(stringAt(rec, runDataMD5, 0))
		}
		r.Axes = paramsAt(rec, 0)
		return nil
	})
	if err == nil {
		err = checkStatus(path, r.Status)
	}
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// ReadRuns reads every runs/*.parquet under dir (dir is the results folder,
// containing runs/), ignoring temporaries; it returns the readable runs sorted by
// cell id and, separately, one error per unreadable file (naming the file).
// A runs/ folder that cannot be listed (missing, say) is one error, which
// wraps the file system's (errors.Is(err, fs.ErrNotExist) works).
func ReadRuns(dir string) ([]Run, []error) {
	var runs []Run
	errs := readFolder(filepath.Join(dir, "runs"), func(path string) error {
		r, err := ReadRun(path)
		if err == nil {
			runs = append(runs, r)
		}
		return err
	})
	slices.SortStableFunc(runs, func(a, b Run) int { return strings.Compare(a.CellID, b.CellID) })
	return runs, errs
}

// timeAt returns row i of the timestamp column col (microseconds) in UTC.
func timeAt(rec arrow.Record, col, i int) time.Time {
	return time.UnixMicro(int64(rec.Column(col).(*array.Timestamp).Value(i))).UTC()
}
