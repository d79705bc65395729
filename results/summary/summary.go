package summary

import (
	"cmp"
	"math"
	"slices"

	"dinv/results"
)

// Row is one model at one grid point, across its seeds.
type Row struct {
	Sweep, Experiment    string
	Model, ModelType     string
	FbackType            string   // "" where the rule reads no feedback
	Leak                 *float64 // nil where the rule reads no leak
	Eta, WDecay          float64
	FbackGain            *float64              // nil where the rule reads no feedback
	Params               string                // JSON of the resolved experiment parameters
	Axes                 []results.ParamColumn // the experiment parameters the grid varies
	OK, Diverged, Failed int
	Train, Test          Stat    // final errors over the ok cells
	CPUSeconds           float64 // sum of the cells' wall_seconds
	Plan                 string  // "current" for cells of the folder's plan, "other" for cells of an earlier one, "" without a plan

	first int // plan index of the row's first cell; -1 when not in the plan
}

// Stat is the mean and sample standard deviation of N values.
type Stat struct {
	Mean, Std float64
	N         int
}

// key is what makes a row: everything that defines a cell but its seed,
// so that cells run with other parameters (an earlier plan in the same
// folder) never share a row.
type key struct {
	sweep, experiment, model, modelType, fbackType, params string
	leak, gain                                             float64
	hasLeak, hasGain, inPlan                               bool
	eta, wDecay                                            float64
}

// Rows condenses runs into rows. order gives each cell id's index in the
// plan; nil, or a cell missing from it, orders by model name. Cells of the
// plan and cells outside it never share a row.
func Rows(runs []results.Run, order map[string]int) []Row {
	var rows []*Row
	var train, test [][]float64
	byKey := map[key]int{}
	for i := range runs {
		r := &runs[i]
		_, inPlan := order[r.CellID]
		k := key{sweep: r.Sweep, experiment: r.Experiment, model: r.Model, modelType: r.ModelType,
			fbackType: r.FbackType, params: r.Params, eta: r.Eta, wDecay: r.WDecay, inPlan: inPlan}
		if r.Leak != nil {
			k.leak, k.hasLeak = *r.Leak, true
		}
		if r.FbackGain != nil {
			k.gain, k.hasGain = *r.FbackGain, true
		}
		j, ok := byKey[k]
		if !ok {
			j = len(rows)
			byKey[k] = j
			row := &Row{Sweep: r.Sweep, Experiment: r.Experiment, Model: r.Model, ModelType: r.ModelType,
				FbackType: r.FbackType, Params: r.Params, Axes: r.Axes, Eta: r.Eta, WDecay: r.WDecay, first: -1}
			if r.Leak != nil {
				leak := *r.Leak
				row.Leak = &leak
			}
			if r.FbackGain != nil {
				gain := *r.FbackGain
				row.FbackGain = &gain
			}
			switch {
			case order == nil:
			case inPlan:
				row.Plan = "current"
			default:
				row.Plan = "other"
			}
			rows = append(rows, row)
			train, test = append(train, nil), append(test, nil)
		}
		row := rows[j]
		if idx, ok := order[r.CellID]; ok && (row.first < 0 || idx < row.first) {
			row.first = idx
		}
		row.CPUSeconds += r.WallSeconds
		switch r.Status {
		case results.StatusOK:
			row.OK++
			train[j] = appendFinite(train[j], r.FinalTrainError)
			test[j] = appendFinite(test[j], r.FinalTestError)
		case results.StatusDiverged:
			row.Diverged++
		default:
			row.Failed++
		}
	}
	out := make([]Row, len(rows))
	for j, row := range rows {
		row.Train, row.Test = stat(train[j]), stat(test[j])
		out[j] = *row
	}
	slices.SortStableFunc(out, compareRows)
	return out
}

// compareRows puts rows of the plan first, in plan order, then the others by
// model name and grid values.
func compareRows(a, b Row) int {
	inA, inB := a.first >= 0, b.first >= 0
	switch {
	case inA && inB:
		return cmp.Compare(a.first, b.first)
	case inA:
		return -1
	case inB:
		return 1
	}
	leak := func(r Row) float64 {
		if r.Leak == nil {
			return math.Inf(-1)
		}
		return *r.Leak
	}
	return cmp.Or(
		cmp.Compare(a.Sweep, b.Sweep), cmp.Compare(a.Model, b.Model), cmp.Compare(a.FbackType, b.FbackType),
		cmp.Compare(leak(a), leak(b)), cmp.Compare(a.Eta, b.Eta), cmp.Compare(a.WDecay, b.WDecay),
		cmp.Compare(a.Params, b.Params))
}

func appendFinite(vs []float64, v *float64) []float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return vs
	}
	return append(vs, *v)
}

func stat(vs []float64) Stat {
	s := Stat{Mean: math.NaN(), Std: math.NaN(), N: len(vs)}
	if len(vs) == 0 {
		return s
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	s.Mean = sum / float64(len(vs))
	if len(vs) > 1 {
		var ss float64
		for _, v := range vs {
			d := v - s.Mean
			ss += float64(d * d) // the conversion forbids fusing into an FMA: same digits on every CPU
		}
		s.Std = math.Sqrt(ss / float64(len(vs)-1))
	}
	return s
}
