package summary

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Columns are the columns of every format, in order.
var Columns = []string{
	"model", "model_type", "fback_type", "leak", "eta", "w_decay", "ok", "diverged", "failed",
	"train_error_mean", "train_error_std", "test_error_mean", "test_error_std", "cpu_seconds", "plan",
}

// firstNumeric is the first column that Markdown aligns right.
const firstNumeric = 3

// fields writes a row's values with num for numbers, secs for seconds and
// blank for NaN and null.
func fields(r Row, num, secs func(float64) string, blank string) []string {
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
	return []string{
		r.Model, r.ModelType, fb, leak, num(r.Eta), num(r.WDecay),
		strconv.Itoa(r.OK), strconv.Itoa(r.Diverged), strconv.Itoa(r.Failed),
		f(r.Train.Mean), f(r.Train.Std), f(r.Test.Mean), f(r.Test.Std), secs(r.CPUSeconds), plan,
	}
}

// short rounds to four significant digits: enough to compare rules.
func short(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// tenths writes seconds to a tenth: a sum of wall times is no more precise.
func tenths(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// full writes every digit, for machines.
func full(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Text writes rows as aligned columns.
func Text(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(Columns, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(fields(r, short, tenths, "-"), "\t"))
	}
	return tw.Flush()
}

// Markdown writes rows as a pipe table, numbers aligned right.
func Markdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	line(Columns)
	rule := make([]string, len(Columns))
	for i := range rule {
		rule[i] = "---"
		if i >= firstNumeric && Columns[i] != "plan" {
			rule[i] = "---:"
		}
	}
	b.WriteString("|" + strings.Join(rule, "|") + "|\n")
	for _, r := range rows {
		line(fields(r, short, tenths, "-"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CSV writes a header and one record per row.
func CSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(Columns)
	for _, r := range rows {
		cw.Write(fields(r, full, full, ""))
	}
	cw.Flush()
	return cw.Error()
}
