package summary

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Columns are the columns of every format, in order; a sweep whose grid
// varies experiment parameters has a column for each after w_decay
// (ColumnsOf).
var Columns = []string{
	"model", "model_type", "fback_type", "leak", "eta", "w_decay", "ok", "diverged", "failed",
	"train_error_mean", "train_error_std", "test_error_mean", "test_error_std", "cpu_seconds", "plan",
}

// firstNumeric is the first column that Markdown aligns right.
const firstNumeric = 3

// ColumnsOf are the columns of rows: Columns with the parameter columns
// of any row, in their order of appearance, after w_decay.
func ColumnsOf(rows []Row) []string {
	axes := axisNames(rows)
	i := slices.Index(Columns, "w_decay") + 1
	return slices.Concat(Columns[:i], axes, Columns[i:])
}

func axisNames(rows []Row) []string {
	var out []string
	for _, r := range rows {
		for _, a := range r.Axes {
			if !slices.Contains(out, a.Name) {
				out = append(out, a.Name)
			}
		}
	}
	return out
}

// fields writes a row's values with num for numbers, secs for seconds and
// blank for NaN and null.
func fields(r Row, axes []string, num, secs func(float64) string, blank string) []string {
	f := func(v float64) string {
		if math.IsNaN(v) {
			return blank
		}
		return num(v)
	}
	fb, leak, plan := r.FbackType, blank, r.Plan
	if fb == "" {
		fb = blank
	}
	if r.Leak != nil {
		leak = num(*r.Leak)
	}
	if plan == "" {
		plan = blank
	}
	vals := []string{r.Model, r.ModelType, fb, leak, num(r.Eta), num(r.WDecay)}
	for _, name := range axes {
		v := blank
		for _, a := range r.Axes {
			if a.Name == name && a.Value != nil {
				v = a.String()
				if x, ok := a.Value.(float64); ok {
					v = num(x)
				}
			}
		}
		vals = append(vals, v)
	}
	return append(vals,
		strconv.Itoa(r.OK), strconv.Itoa(r.Diverged), strconv.Itoa(r.Failed),
		f(r.Train.Mean), f(r.Train.Std), f(r.Test.Mean), f(r.Test.Std), secs(r.CPUSeconds), plan,
	)
}

// short rounds to four significant digits: enough to compare rules.
func short(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// tenths writes seconds to a tenth: a sum of wall times is no more precise.
func tenths(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// full writes every digit, for machines.
func full(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Text writes rows as aligned columns.
func Text(w io.Writer, rows []Row) error { return writeRows(w, "text", rows) }

// Markdown writes rows as a pipe table, numbers aligned right.
func Markdown(w io.Writer, rows []Row) error { return writeRows(w, "markdown", rows) }

// CSV writes a header and one record per row.
func CSV(w io.Writer, rows []Row) error { return writeRows(w, "csv", rows) }

// writeRows writes rows in format: numbers to four digits and "-" for
// nothing, in CSV every digit and nothing.
func writeRows(w io.Writer, format string, rows []Row) error {
	cols, axes := ColumnsOf(rows), axisNames(rows)
	num, secs, blank := short, tenths, "-"
	if format == "csv" {
		num, secs, blank = full, full, ""
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = fields(r, axes, num, secs, blank)
	}
	right := make([]bool, len(cols))
	for i := range right {
		right[i] = i >= firstNumeric && cols[i] != "plan"
	}
	return Table(w, format, cols, cells, right)
}

// Table writes a table of text cells in format: text (aligned columns),
// markdown (a pipe table, the columns that right says aligned right) or
// csv.
func Table(w io.Writer, format string, header []string, rows [][]string, right []bool) error {
	switch format {
	case "text":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	case "markdown":
		var b strings.Builder
		line := func(cells []string) {
			b.WriteString("|")
			for _, c := range cells {
				b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
			}
			b.WriteString("\n")
		}
		line(header)
		rule := make([]string, len(header))
		for i := range rule {
			rule[i] = "---"
			if i < len(right) && right[i] {
				rule[i] = "---:"
			}
		}
		b.WriteString("|" + strings.Join(rule, "|") + "|\n")
		for _, r := range rows {
			line(r)
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(header)
		for _, r := range rows {
			cw.Write(r)
		}
		cw.Flush()
		return cw.Error()
	}
	panic("summary: unknown format " + format)
}

// Short and Full write a number as Text (four significant digits) and CSV
// (every digit) do.
func Short(v float64) string { return short(v) }

// Full writes every digit of v, as CSV does.
func Full(v float64) string { return full(v) }
