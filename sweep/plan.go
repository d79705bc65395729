package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"dinv/config"
	"dinv/models"
	"dinv/results"
)

// DefaultMaxCells bounds a plan unless the user raises it.
const DefaultMaxCells = 100000

// Cell is one run of the sweep: a model, a grid point and a seed, with every
// value resolved.
type Cell struct {
	ID    string // hash of the resolved definition and results.FormatVersion
	Index int    // position in the plan
	Model string // the model's name
	Def   Def
}

// Def is what defines a cell: everything its numbers depend on. Values a
// rule ignores are zeroed (FbackType "", FbackGain and Leak nil), so that
// axes the rule ignores collapse into one cell.
type Def struct {
	Format     int           `json:"format"`
	Experiment string        `json:"experiment"`
	ModelType  string        `json:"model_type"`
	FbackType  string        `json:"fback_type,omitempty"`
	FbackGain  *float64      `json:"fback_gain,omitempty"`
	Leak       *float64      `json:"leak,omitempty"`
	Eta        float64       `json:"eta"`
	WDecay     float64       `json:"w_decay"`
	Seed       uint64        `json:"seed"`
	Params     models.Params `json:"params"`
}

// Model returns the models.Model the cell trains.
func (d Def) Model(name string) models.Model {
	k, err := models.ParseKind(d.ModelType)
	if err != nil {
		panic("sweep: " + err.Error())
	}
	m := models.Model{Name: name, Kind: k}
	if d.FbackType != "" {
		if m.Feedback, err = models.ParseFeedback(d.FbackType); err != nil {
			panic("sweep: " + err.Error())
		}
	}
	if d.FbackGain != nil {
		m.Gain = *d.FbackGain
	}
	if d.Leak != nil {
		m.Leak = *d.Leak
	}
	return m
}

// ParamsJSON is the JSON text of the resolved experiment parameters.
func (d Def) ParamsJSON() string {
	js, err := json.Marshal(d.Params)
	if err != nil {
		panic("sweep: " + err.Error())
	}
	return string(js)
}

// Key is the cell's identifying columns, shared by both result tables.
func (c *Cell) Key(sweep string) results.CellKey {
	return results.CellKey{
		CellID: c.ID, Sweep: sweep, Experiment: c.Def.Experiment, Model: c.Model,
		ModelType: c.Def.ModelType, FbackType: c.Def.FbackType, Leak: c.Def.Leak,
		Eta: c.Def.Eta, WDecay: c.Def.WDecay, Seed: int64(c.Def.Seed),
	}
}

// Plan is the cells of a sweep, in a fixed order: models (as listed, or the
// grid's model_type values), then the grid's points (axes in
// config.AxisNames order, the last varying fastest), then seeds.
type Plan struct {
	Config    *config.Config
	Cells     []Cell
	Crossed   int // models x grid points x seeds, before collapsing
	Collapsed int // Crossed - len(Cells)
}

// NewPlan expands c into cells. It fails with a *config.Error when two
// model entries make the same cells or the plan exceeds maxCells.
func NewPlan(c *config.Config, maxCells int) (*Plan, error) {
	if maxCells <= 0 {
		maxCells = DefaultMaxCells
	}
	type variant struct {
		name   string
		fields config.Fields
		params models.Params
		line   int
	}
	var variants []variant
	for _, m := range c.Models {
		variants = append(variants, variant{m.Name, m.Fields, m.Params, m.Line})
	}
	var axes []config.Axis
	for _, a := range c.Grid {
		if a.Name != "model_type" {
			axes = append(axes, a)
			continue
		}
		for _, k := range a.Kinds {
			variants = append(variants, variant{k.String(), config.Fields{ModelType: &k}, c.Base, a.Line})
		}
	}
	// Count before expanding anything, in arithmetic that cannot wrap: a
	// rule's cells cross only the axes it reads (the others collapse).
	points, cells := 1, 0
	for _, a := range axes {
		points = mulSat(points, a.Len())
	}
	for _, v := range variants {
		n := len(c.Seeds)
		for _, a := range axes {
			if reads(*v.fields.ModelType, a.Name) {
				n = mulSat(n, a.Len())
			}
		}
		cells = addSat(cells, n)
	}
	p := &Plan{Config: c, Crossed: mulSat(mulSat(len(variants), points), len(c.Seeds))}
	if cells > maxCells {
		return nil, tooMany(c, cells, maxCells, len(variants), points)
	}
	p.Cells = make([]Cell, 0, cells)
	owner := map[string]int{} // cell id -> variant index
	for vi, v := range variants {
		kind := *v.fields.ModelType
		// The points of the axes this rule reads, in crossed order; an
		// axis it ignores stays at its first value, where the crossed
		// order meets each of its cells first.
		size := make([]int, len(axes))
		n := 1
		for i, a := range axes {
			size[i] = 1
			if reads(kind, a.Name) {
				size[i] = a.Len()
			}
			n *= size[i]
		}
		for pt := range n {
			f := v.fields
			rest := pt
			for i := len(axes) - 1; i >= 0; i-- {
				a := axes[i]
				j := rest % size[i]
				rest /= size[i]
				switch a.Name {
				case "fback_type":
					f.FbackType = &a.Feedback[j]
				case "leak_vals":
					f.Leak = &a.Values[j]
				case "eta":
					f.Eta = &a.Values[j]
				case "w_decay":
					f.WDecay = &a.Values[j]
				}
			}
			for _, seed := range c.Seeds {
				d := resolve(c, f, v.params, seed)
				id := d.id()
				if prev, ok := owner[id]; ok {
					if prev != vi {
						return nil, &config.Error{File: c.File, Line: v.line, Key: "models",
							Msg: fmt.Sprintf("%q makes the same cells as %q (line %d): give them different values or drop one",
								v.name, variants[prev].name, variants[prev].line)}
					}
					continue
				}
				owner[id] = vi
				p.Cells = append(p.Cells, Cell{ID: id, Index: len(p.Cells), Model: v.name, Def: d})
			}
		}
	}
	p.Collapsed = p.Crossed - len(p.Cells)
	return p, nil
}

// reads reports whether rule k's cells depend on the grid axis: the others
// collapse (BP and PBP read no feedback and no leak, FA no leak).
func reads(k models.Kind, axis string) bool {
	switch axis {
	case "fback_type":
		return k.UsesFeedback()
	case "leak_vals":
		return k.UsesLeak()
	}
	return true
}

// mulSat and addSat are * and + on counts, saturating at math.MaxInt.
func mulSat(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// tooMany refuses a plan of n cells, pointing at the largest of its
// factors: the models, the grid or the seeds.
func tooMany(c *config.Config, n, max, variants, points int) error {
	key, size := "models", variants
	if points > size {
		key, size = "grid", points
	}
	if len(c.Seeds) > size {
		key = "seeds"
	}
	if c.Line(key) == 0 { // models from a model_type axis
		key = "grid"
	}
	count := fmt.Sprintf("%d cells", n)
	if n == math.MaxInt {
		count = "more cells than can be counted"
	}
	return &config.Error{File: c.File, Line: c.Line(key), Key: key,
		Msg: fmt.Sprintf("the plan has %s (%d models, %d grid points, %d seeds), more than -max-cells %d: shrink the %s or raise -max-cells",
			count, variants, points, len(c.Seeds), max, key)}
}

// resolve fills a cell's definition: a grid value over the model's own,
// over defaults, over the experiment's parameters.
func resolve(c *config.Config, f config.Fields, params models.Params, seed uint64) Def {
	pick := func(vals ...*float64) *float64 {
		for _, v := range vals {
			if v != nil {
				return v
			}
		}
		return nil
	}
	kind := *f.ModelType
	d := Def{Format: results.FormatVersion, Experiment: c.Experiment.Name, ModelType: kind.String(), Seed: seed}
	p := params
	p.Sizes = append([]int(nil), params.Sizes...)
	if v := pick(f.Eta, c.Defaults.Eta); v != nil {
		p.Eta = *v
	}
	if v := pick(f.WDecay, c.Defaults.WDecay); v != nil {
		p.WDecay = *v
	}
	d.Eta, d.WDecay = p.Eta, p.WDecay
	if kind.UsesFeedback() {
		t := models.Random
		if f.FbackType != nil {
			t = *f.FbackType
		} else if c.Defaults.FbackType != nil {
			t = *c.Defaults.FbackType
		}
		d.FbackType = t.String()
		gain := 1.0
		if v := pick(f.FbackGain, c.Defaults.FbackGain); v != nil {
			gain = *v
		}
		d.FbackGain = &gain
		if v := pick(f.FbackScale, c.Defaults.FbackScale); v != nil {
			p.FbackScale = *v
		}
	} else {
		p.FbackScale = 0 // read only by rules with feedback
	}
	if kind.UsesLeak() {
		leak := 0.0
		if v := pick(f.Leak, c.Defaults.Leak); v != nil {
			leak = *v
		}
		d.Leak = &leak
	}
	d.Params = p
	return d
}

// id hashes the definition. encoding/json writes struct fields in order and
// floats in their shortest exact form, so equal definitions hash equally.
func (d Def) id() string {
	js, err := json.Marshal(d)
	if err != nil {
		panic("sweep: " + err.Error())
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:8])
}

// Shard returns the cells of shard k of n (1 <= k <= n): every n-th cell of
// the plan starting at k-1, so that each shard gets a share of every model.
func (p *Plan) Shard(k, n int) []Cell {
	if n < 1 || k < 1 || k > n {
		panic(fmt.Sprintf("sweep: shard %d/%d", k, n))
	}
	var out []Cell
	for i := k - 1; i < len(p.Cells); i += n {
		out = append(out, p.Cells[i])
	}
	return out
}

// ShardOf returns the shard (1..n) that holds the cell at index i.
func ShardOf(i, n int) int { return i%n + 1 }

func nullFloat(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
