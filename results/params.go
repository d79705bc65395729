package results

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// A ParamColumn is an experiment parameter that a sweep's grid varies: a
// column of its own in the runs table, after the fixed columns, named after
// the parameter and null where the cell's rule does not read it.
type ParamColumn struct {
	Name  string
	Type  string // "string", "float64", "int64" or "bool"
	Value any    // nil (null), or a value of Type
}

// String is the value as text, "" for null.
func (c ParamColumn) String() string {
	if c.Value == nil {
		return ""
	}
	return fmt.Sprint(c.Value)
}

// maxParamColumns bounds the parameter columns a runs file may hold: every
// experiment parameter varied at once is some thirty.
const maxParamColumns = 64

var paramName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

var paramTypes = map[string]arrow.DataType{
	"string":  utf8Type,
	"float64": arrow.PrimitiveTypes.Float64,
	"int64":   arrow.PrimitiveTypes.Int64,
	"bool":    arrow.FixedWidthTypes.Boolean,
}

// withParams is the runs schema with columns for ps.
func withParams(ps []ParamColumn) (*arrow.Schema, error) {
	if len(ps) == 0 {
		return runsSchema, nil
	}
	fields := runsSchema.Fields()
	for _, p := range ps {
		t, ok := paramTypes[p.Type]
		if !ok {
			return nil, fmt.Errorf("results: parameter column %q of unknown type %q", p.Name, p.Type)
		}
		fields = append(fields, arrow.Field{Name: p.Name, Type: t, Nullable: true})
	}
	s := arrow.NewSchema(fields, nil)
	if err := checkParamFields(s, runsSchema.NumFields()); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return s, nil
}

// checkParamFields checks the columns of got after the runs table's fixed
// ones: parameter columns, nullable, of the four types, named as parameters
// are and each once.
func checkParamFields(got *arrow.Schema, n int) error {
	extra := got.Fields()[min(len(got.Fields()), n):]
	if len(extra) > maxParamColumns {
		return fmt.Errorf("%d columns, want %d and at most %d parameter columns", got.NumFields(), n, maxParamColumns)
	}
	seen := map[string]bool{}
	for _, f := range runsSchema.Fields() {
		seen[f.Name] = true
	}
	for i, f := range extra {
		bad := func(why string) error {
			return fmt.Errorf("%d columns, want %d and parameter columns (column %d is %s: %s)", got.NumFields(), n, n+i+1, describe(f), why)
		}
		known := false
		for _, t := range paramTypes {
			known = known || arrow.TypeEqual(f.Type, t)
		}
		switch {
		case !paramName.MatchString(f.Name):
			return bad("not a parameter's name")
		case seen[f.Name]:
			return bad("repeated")
		case !f.Nullable || !known:
			return bad("a parameter column is a nullable string, double, int64 or boolean")
		}
		seen[f.Name] = true
	}
	return nil
}

func appendParams(b *array.RecordBuilder, ps []ParamColumn) error {
	for i, p := range ps {
		fb := b.Field(runsSchema.NumFields() + i)
		if p.Value == nil {
			fb.AppendNull()
			continue
		}
		ok := true
		switch v := p.Value.(type) {
		case string:
			sb, is := fb.(*array.StringBuilder)
			if ok = is; ok {
				sb.Append(validUTF8(v))
			}
		case float64:
			x, is := fb.(*array.Float64Builder)
			if ok = is; ok {
				x.Append(v)
			}
		case int64:
			x, is := fb.(*array.Int64Builder)
			if ok = is; ok {
				x.Append(v)
			}
		case bool:
			x, is := fb.(*array.BooleanBuilder)
			if ok = is; ok {
				x.Append(v)
			}
		default:
			ok = false
		}
		if !ok {
			return fmt.Errorf("results: parameter column %q of type %s holds %T", p.Name, p.Type, p.Value)
		}
	}
	return nil
}

func paramsAt(rec arrow.Record, i int) []ParamColumn {
	var out []ParamColumn
	for c := runsFixed(rec.Schema()); c < int(rec.NumCols()); c++ {
		f := rec.Schema().Field(c)
		p := ParamColumn{Name: strings.Clone(f.Name)}
		col := rec.Column(c)
		switch a := col.(type) {
		case *array.String:
			p.Type = "string"
			if !a.IsNull(i) {
				p.Value = strings.Clone(a.Value(i))
			}
		case *array.Float64:
			p.Type = "float64"
			if !a.IsNull(i) {
				p.Value = a.Value(i)
			}
		case *array.Int64:
			p.Type = "int64"
			if !a.IsNull(i) {
				p.Value = a.Value(i)
			}
		case *array.Boolean:
			p.Type = "bool"
			if !a.IsNull(i) {
				p.Value = a.Value(i)
			}
		}
		out = append(out, p)
	}
	return out
}
