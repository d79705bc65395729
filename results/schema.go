package results

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// FormatVersion is the version of the results format. It is not part of
// any cell id (see cell.Numerics): a new layout keeps every finished cell.
// Version 2 added the runs table's kernels column; files of version 1,
// without it, are still read (Run.Kernels is ""). Version 3 made
// final_train_error and final_test_error nullable: null where nothing was
// measured, where versions 1 and 2 wrote NaN; their files are still read,
// a NaN as not measured. Version 3 also added data_md5 (Run.DataMD5 is ""
// in older files).
const FormatVersion = 3

var (
	utf8Type  = arrow.BinaryTypes.String
	timestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// Columns of the runs table, in file order.
const (
	runCellID = iota
	runSweep
	runExperiment
	runModel
	runModelType
	runFbackType
	runFbackGain
	runLeak
	runEta
	runWDecay
	runSeed
	runParams
	runStatus
	runMessage
	runSteps
	runFinalTrainError
	runFinalTestError
	runWallSeconds
	runSSARuns
	runStartedAt
	runFinishedAt
	runToolVersion
	runGitCommit
	runConfigSHA256
	runKernels
	runDataMD5
)

// legacyRunsFields is the number of fixed columns of the runs table in
// format version 1, before kernels.
const legacyRunsFields = runKernels

var runsSchema = arrow.NewSchema([]arrow.Field{
	runCellID:          {Name: "cell_id", Type: utf8Type},
	runSweep:           {Name: "sweep", Type: utf8Type},
	runExperiment:      {Name: "experiment", Type: utf8Type},
	runModel:           {Name: "model", Type: utf8Type},
	runModelType:       {Name: "model_type", Type: utf8Type},
	runFbackType:       {Name: "fback_type", Type: utf8Type, Nullable: true},
	runFbackGain:       {Name: "fback_gain", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	runLeak:            {Name: "leak", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	runEta:             {Name: "eta", Type: arrow.PrimitiveTypes.Float64},
	runWDecay:          {Name: "w_decay", Type: arrow.PrimitiveTypes.Float64},
	runSeed:            {Name: "seed", Type: arrow.PrimitiveTypes.Int64},
	runParams:          {Name: "params", Type: utf8Type},
	runStatus:          {Name: "status", Type: utf8Type},
	runMessage:         {Name: "message", Type: utf8Type},
	runSteps:           {Name: "steps", Type: arrow.PrimitiveTypes.Int64},
	runFinalTrainError: {Name: "final_train_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	runFinalTestError:  {Name: "final_test_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	runWallSeconds:     {Name: "wall_seconds", Type: arrow.PrimitiveTypes.Float64},
	runSSARuns:         {Name: "ssa_runs", Type: arrow.PrimitiveTypes.Int64},
	runStartedAt:       {Name: "started_at", Type: timestamp},
	runFinishedAt:      {Name: "finished_at", Type: timestamp},
	runToolVersion:     {Name: "tool_version", Type: utf8Type},
	runGitCommit:       {Name: "git_commit", Type: utf8Type},
	runConfigSHA256:    {Name: "config_sha256", Type: utf8Type},
	runKernels:         {Name: "kernels", Type: utf8Type},
	runDataMD5:         {Name: "data_md5", Type: utf8Type, Nullable: true},
}, nil)

// runsFixed returns the number of fixed columns of a runs table whose
// schema is s: all of runsSchema's; runDataMD5 for a file of version 2,
// before the data_md5 column; or legacyRunsFields for one of version 1,
// before the kernels column. Parameter columns (if any) follow the fixed
// ones. Parameter names never are "kernels" or "data_md5" (they are models.Params's JSON names).
func runsFixed(s *arrow.Schema) int {
	if s.NumFields() > runDataMD5 && s.Field(runDataMD5).Name == "data_md5" {
		return runsSchema.NumFields()
	}
	if s.NumFields() > runKernels && s.Field(runKernels).Name == "kernels" {
		return runDataMD5
	}
	if s.NumFields() >= legacyRunsFields && s.Field(legacyRunsFields-1).Name == "config_sha256" {
		return legacyRunsFields
	}
	return runsSchema.NumFields()
}

// Columns of the curves table, in file order.
const (
	curveCellID = iota
	curveSweep
	curveExperiment
	curveModel
	curveModelType
	curveFbackType
	curveLeak
	curveEta
	curveWDecay
	curveSeed
	curveStep
	curveMetric
	curveLayer
	curveValue
)

var curvesSchema = arrow.NewSchema([]arrow.Field{
	curveCellID:     {Name: "cell_id", Type: utf8Type},
	curveSweep:      {Name: "sweep", Type: utf8Type},
	curveExperiment: {Name: "experiment", Type: utf8Type},
	curveModel:      {Name: "model", Type: utf8Type},
	curveModelType:  {Name: "model_type", Type: utf8Type},
	curveFbackType:  {Name: "fback_type", Type: utf8Type, Nullable: true},
	curveLeak:       {Name: "leak", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	curveEta:        {Name: "eta", Type: arrow.PrimitiveTypes.Float64},
	curveWDecay:     {Name: "w_decay", Type: arrow.PrimitiveTypes.Float64},
	curveSeed:       {Name: "seed", Type: arrow.PrimitiveTypes.Int64},
	curveStep:       {Name: "step", Type: arrow.PrimitiveTypes.Int64},
	curveMetric:     {Name: "metric", Type: utf8Type},
	curveLayer:      {Name: "layer", Type: arrow.PrimitiveTypes.Int32},
	curveValue:      {Name: "value", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// checkSchema returns an error naming the first column of got that differs from
// want in name, type or nullability. Schema metadata is not compared: it is where
// Arrow writers keep their own notes, and it says nothing about the columns.
func checkSchema(got, want *arrow.Schema) error {
	if want == runsSchema {
		n := runsFixed(got)
		fields := slices.Clone(runsSchema.Fields()[:n])
		if legacyErrors(got) { // versions 1 and 2: NaN for not measured
			fields[runFinalTrainError].Nullable, fields[runFinalTestError].Nullable = false, false
		}
		want = arrow.NewSchema(fields, nil)
		if got.NumFields() > n {
			if err := checkFields(arrow.NewSchema(got.Fields()[:n], nil), want); err != nil {
				return err
			}
			return checkParamFields(got, n)
		}
	}
	return checkFields(got, want)
}

// checkFields is checkSchema without parameter columns.
func checkFields(got, want *arrow.Schema) error {
	for i, w := range want.Fields() {
		if i >= got.NumFields() {
			return fmt.Errorf("%d columns, want %d (first missing: %s)", got.NumFields(), want.NumFields(), describe(w))
		}
		g := got.Field(i)
		if g.Name != w.Name || g.Nullable != w.Nullable || !arrow.TypeEqual(g.Type, w.Type) {
			return fmt.Errorf("column %d is %s, want %s", i+1, describe(g), describe(w))
		}
	}
	if got.NumFields() > want.NumFields() {
		return fmt.Errorf("%d columns, want %d (first extra: %s)", got.NumFields(), want.NumFields(), describe(got.Field(want.NumFields())))
	}
	return nil
}

func describe(f arrow.Field) string {
	s := fmt.Sprintf("%q %s", f.Name, f.Type)
	if !f.Nullable {
		s += " not null"
	}
	return s
}

// CellKey is what identifies a cell in both tables.
type CellKey struct {
	CellID     string
	Sweep      string
	Experiment string
	Model      string   // the model's name in the config
	ModelType  string   // BP, FA, PBP, NDI, DI, SDI
	FbackType  string   // "" when the rule reads no feedback: written as null
	Leak       *float64 // nil when the rule reads no leak: written as null
	Eta        float64
	WDecay     float64
	Seed       int64
	// Axes are the experiment parameters the sweep's grid varies: in
	// the runs table only (a curve's cell_id joins it to them).
	Axes []ParamColumn
}

// keyColumns holds where the columns of a CellKey are in one table.
type keyColumns struct {
	cellID, sweep, experiment, model, modelType, fbackType, leak, eta, wDecay, seed int
}

var (
	runsKey = keyColumns{runCellID, runSweep, runExperiment, runModel, runModelType,
		runFbackType, runLeak, runEta, runWDecay, runSeed}
	curvesKey = keyColumns{curveCellID, curveSweep, curveExperiment, curveModel, curveModelType,
		curveFbackType, curveLeak, curveEta, curveWDecay, curveSeed}
)

// append appends key n times.
func (c keyColumns) append(b *array.RecordBuilder, key CellKey, n int) {
	appendString(b, c.cellID, key.CellID, n)
	appendString(b, c.sweep, key.Sweep, n)
	appendString(b, c.experiment, key.Experiment, n)
	appendString(b, c.model, key.Model, n)
	appendString(b, c.modelType, key.ModelType, n)
	if key.FbackType == "" {
		b.Field(c.fbackType).AppendNulls(n)
	} else {
		appendString(b, c.fbackType, key.FbackType, n)
	}
	appendFloat(b, c.leak, key.Leak, n)
	appendFloat(b, c.eta, &key.Eta, n)
	appendFloat(b, c.wDecay, &key.WDecay, n)
	sb := b.Field(c.seed).(*array.Int64Builder)
	sb.Reserve(n)
	for range n {
		sb.UnsafeAppend(key.Seed)
	}
}

// at returns the key of row i of rec.
func (c keyColumns) at(rec arrow.Record, i int) CellKey {
	return CellKey{
		CellID:     strings.Clone(stringAt(rec, c.cellID, i)),
		Sweep:      strings.Clone(stringAt(rec, c.sweep, i)),
		Experiment: strings.Clone(stringAt(rec, c.experiment, i)),
		Model:      strings.Clone(stringAt(rec, c.model, i)),
		ModelType:  strings.Clone(stringAt(rec, c.modelType, i)),
		FbackType:  strings.Clone(stringAt(rec, c.fbackType, i)),
		Leak:       floatAt(rec, c.leak, i),
		Eta:        *floatAt(rec, c.eta, i),
		WDecay:     *floatAt(rec, c.wDecay, i),
		Seed:       rec.Column(c.seed).(*array.Int64).Value(i),
	}
}

// differs returns the name of the first key column in which a row of rec holds
// something other than key, and that row; or "" when every row holds key.
func (c keyColumns) differs(rec arrow.Record, key CellKey) (column string, row int) {
	strs := []struct {
		col  int
		want string
	}{
		{c.cellID, key.CellID}, {c.sweep, key.Sweep}, {c.experiment, key.Experiment},
		{c.model, key.Model}, {c.modelType, key.ModelType}, {c.fbackType, key.FbackType},
	}
	for _, s := range strs {
		a := rec.Column(s.col).(*array.String)
		for i := range a.Len() {
			if a.IsNull(i) && s.want != "" || a.IsValid(i) && a.Value(i) != s.want {
				return rec.ColumnName(s.col), i
			}
		}
	}
	floats := []struct {
		col  int
		want *float64
	}{{c.leak, key.Leak}, {c.eta, &key.Eta}, {c.wDecay, &key.WDecay}}
	for _, f := range floats {
		a := rec.Column(f.col).(*array.Float64)
		for i := range a.Len() {
			if a.IsNull(i) != (f.want == nil) || f.want != nil && math.Float64bits(a.Value(i)) != math.Float64bits(*f.want) {
				return rec.ColumnName(f.col), i
			}
		}
	}
	for i, s := range rec.Column(c.seed).(*array.Int64).Int64Values() {
		if s != key.Seed {
			return rec.ColumnName(c.seed), i
		}
	}
	return "", 0
}

// appendString appends s n times to column col; null is for the caller.
func appendString(b *array.RecordBuilder, col int, s string, n int) {
	s = validUTF8(s)
	sb := b.Field(col).(*array.StringBuilder)
	sb.Reserve(n)
	sb.ReserveData(n * len(s))
	for range n {
		sb.Append(s)
	}
}

// appendFloat appends *v n times to column col, or n nulls when v is nil.
func appendFloat(b *array.RecordBuilder, col int, v *float64, n int) {
	fb := b.Field(col).(*array.Float64Builder)
	if v == nil {
		fb.AppendNulls(n)
		return
	}
	fb.Reserve(n)
	for range n {
		fb.UnsafeAppend(*v)
	}
}

// stringAt returns row i of the utf8 column col, "" for null. The result aliases
// the column's memory: clone it to keep it.
func stringAt(rec arrow.Record, col, i int) string {
	a := rec.Column(col).(*array.String)
	if a.IsNull(i) {
		return ""
	}
	return a.Value(i)
}

// floatAt returns row i of the float64 column col, nil for null.
// legacyErrors reports whether a runs table of schema s comes from format
// version 1 or 2, whose final errors are not nullable and hold NaN where
// nothing was measured.
func legacyErrors(s *arrow.Schema) bool {
	return s.NumFields() > runFinalTestError && s.Field(runFinalTestError).Name == "final_test_error" &&
		!s.Field(runFinalTestError).Nullable
}

// measureAt is floatAt for a final error: in a file of version 1 or 2 a
// NaN is "not measured", which those versions could not tell from a NaN
// measured (the status says diverged then).
func measureAt(rec arrow.Record, col, i int) *float64 {
	v := floatAt(rec, col, i)
	if v != nil && math.IsNaN(*v) && legacyErrors(rec.Schema()) {
		return nil
	}
	return v
}

func floatAt(rec arrow.Record, col, i int) *float64 {
	a := rec.Column(col).(*array.Float64)
	if a.IsNull(i) {
		return nil
	}
	v := a.Value(i)
	return &v
}

// validUTF8 replaces invalid UTF-8 with U+FFFD: utf8 columns must hold valid UTF-8,
// and DuckDB refuses to read a file whose strings do not, while messages can
// quote anything (a path, a panic value).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
