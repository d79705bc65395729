package results

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/metadata"
)

// Point is one recorded value of a learning curve.
type Point struct {
	Step   int64
	Metric string
	Layer  int32
	Value  float64
}

// Curve is the content of a curves file: the recorded points of one cell.
type Curve struct {
	CellKey
	Points []Point
}

// WriteCurve writes c to path as a curves file, one row per point in the order
// of c.Points, atomically (see WriteFileAtomic). The cell key is also stored in
// the file's key-value metadata, so that a curve without points names its cell.
func WriteCurve(path string, c Curve) error {
	n := len(c.Points)
	b := array.NewRecordBuilder(memory.DefaultAllocator, curvesSchema)
	defer b.Release()
	curvesKey.append(b, c.CellKey, n)

	steps := b.Field(curveStep).(*array.Int64Builder)
	metrics := b.Field(curveMetric).(*array.StringBuilder)
	layers := b.Field(curveLayer).(*array.Int32Builder)
	values := b.Field(curveValue).(*array.Float64Builder)
	steps.Reserve(n)
	metrics.Reserve(n)
	layers.Reserve(n)
	values.Reserve(n)
	size := 0
	for _, p := range c.Points {
		size += len(p.Metric)
	}
	metrics.ReserveData(size)
	for _, p := range c.Points {
		steps.UnsafeAppend(p.Step)
		metrics.Append(validUTF8(p.Metric))
		layers.UnsafeAppend(p.Layer)
		values.UnsafeAppend(p.Value)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeRecord(path, rec, keyMetadata(c.CellKey)...)
}

// ReadCurve reads the curves file at path. It fails on a file that is not a
// complete Parquet file, whose columns are not the curves table's, or whose rows
// belong to more than one cell. The key of a curve without points comes from the
// file's key-value metadata.
func ReadCurve(path string) (Curve, error) {
	tbl, kv, err := readTable(path, curvesSchema, curvesLimits)
	if err != nil {
		return Curve{}, err
	}
	defer tbl.Release()
	if tbl.NumRows() == 0 {
		key, err := keyFromMetadata(kv)
		if err != nil {
			return Curve{}, fmt.Errorf("results: %s: %w", path, err)
		}
		return Curve{CellKey: key, Points: []Point{}}, nil
	}

	var c Curve
	c.Points = make([]Point, 0, tbl.NumRows())
	metrics := map[string]string{} // one copy of each metric name
	err = forRecords(tbl, func(rec arrow.Record) error {
		if len(c.Points) == 0 {
			c.CellKey = curvesKey.at(rec, 0)
		}
		if col, row := curvesKey.differs(rec, c.CellKey); col != "" {
			return fmt.Errorf("results: %s: rows of more than one cell: %s differs in row %d",
				path, col, len(c.Points)+row+1)
		}
		steps := rec.Column(curveStep).(*array.Int64).Int64Values()
		names := rec.Column(curveMetric).(*array.String)
		layers := rec.Column(curveLayer).(*array.Int32).Int32Values()
		values := rec.Column(curveValue).(*array.Float64).Float64Values()
		for i := range steps {
			name := names.Value(i)
			m, ok := metrics[name]
			if !ok {
				m = strings.Clone(name)
				metrics[m] = m
			}
			c.Points = append(c.Points, Point{Step: steps[i], Metric: m, Layer: layers[i], Value: values[i]})
		}
		return nil
	})
	if err != nil {
		return Curve{}, err
	}
	return c, nil
}

// ReadCurves reads every curves/*.parquet under dir (dir is the results folder,
// containing curves/), ignoring temporaries; it returns the readable curves
// sorted by cell id and, separately, one error per unreadable file (naming the
// file). A curves/ folder that cannot be listed is one error.
func ReadCurves(dir string) ([]Curve, []error) {
	var curves []Curve
	errs := readFolder(filepath.Join(dir, "curves"), func(path string) error {
		c, err := ReadCurve(path)
		if err == nil {
			curves = append(curves, c)
		}
		return err
	})
	slices.SortStableFunc(curves, func(a, b Curve) int { return strings.Compare(a.CellID, b.CellID) })
	return curves, errs
}

// metaPrefix starts the key-value metadata keys of a curves file's cell key; the
// rest of each key is the column's name.
const metaPrefix = "dinv."

// keyMetadata returns key as pairs of metadata key and value; a null column
// (empty fback_type, nil leak) has no pair. Floats are written in full
// precision.
func keyMetadata(key CellKey) []string {
	kv := []string{
		metaPrefix + "cell_id", key.CellID,
		metaPrefix + "sweep", key.Sweep,
		metaPrefix + "experiment", key.Experiment,
		metaPrefix + "model", key.Model,
		metaPrefix + "model_type", key.ModelType,
		metaPrefix + "eta", strconv.FormatFloat(key.Eta, 'g', -1, 64),
		metaPrefix + "w_decay", strconv.FormatFloat(key.WDecay, 'g', -1, 64),
		metaPrefix + "seed", strconv.FormatInt(key.Seed, 10),
	}
	if key.FbackType != "" {
		kv = append(kv, metaPrefix+"fback_type", key.FbackType)
	}
	if key.Leak != nil {
		kv = append(kv, metaPrefix+"leak", strconv.FormatFloat(*key.Leak, 'g', -1, 64))
	}
	for i := 1; i < len(kv); i += 2 {
		kv[i] = validUTF8(kv[i])
	}
	return kv
}

// keyFromMetadata is the inverse of keyMetadata.
func keyFromMetadata(kv metadata.KeyValueMetadata) (CellKey, error) {
	m := metaReader{kv: kv}
	key := CellKey{
		CellID:     m.str("cell_id", true),
		Sweep:      m.str("sweep", true),
		Experiment: m.str("experiment", true),
		Model:      m.str("model", true),
		ModelType:  m.str("model_type", true),
		FbackType:  m.str("fback_type", false),
		Eta:        m.float("eta"),
		WDecay:     m.float("w_decay"),
		Seed:       m.int("seed"),
	}
	if m.str("leak", false) != "" {
		leak := m.float("leak")
		key.Leak = &leak
	}
	if m.err != nil {
		return CellKey{}, m.err
	}
	return key, nil
}

// metaReader reads the values of keyMetadata, keeping the first error.
type metaReader struct {
	kv  metadata.KeyValueMetadata
	err error
}

func (m *metaReader) str(name string, required bool) string {
	v := m.kv.FindValue(metaPrefix + name)
	if v == nil {
		if required && m.err == nil {
			m.err = fmt.Errorf("no rows, and no %s%s in the key-value metadata", metaPrefix, name)
		}
		return ""
	}
	return *v
}

func (m *metaReader) float(name string) float64 {
	s := m.str(name, true)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && m.err == nil {
		m.err = fmt.Errorf("key-value metadata %s%s: %w", metaPrefix, name, err)
	}
	return v
}

func (m *metaReader) int(name string) int64 {
	s := m.str(name, true)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && m.err == nil {
		m.err = fmt.Errorf("key-value metadata %s%s: %w", metaPrefix, name, err)
	}
	return v
}
