package sweep

import (
	"fmt"
	"math"

	"dinv/cell"
	"dinv/config"
	"dinv/results"
)

// DefaultMaxCells bounds a plan unless the user raises it.
const DefaultMaxCells = 100000

// Cell is one run of the sweep: a model, a grid point and a seed, with every
// value resolved.
type Cell struct {
	ID    string // Def.ID(): the resolved definition and cell.Numerics
	Index int    // position in the plan
	Model string // the model's name
	Def   cell.Def

	params []*cell.Field // the experiment parameters the grid varies: columns of their own
}

// Key is the cell's identifying columns, shared by both result tables.
func (c *Cell) Key(sweep string) results.CellKey {
	d := c.Def
	k := results.CellKey{
		CellID: c.ID, Sweep: sweep, Experiment: d.Experiment, Model: c.Model,
		ModelType: d.Rule.String(), FbackType: d.FbackType(), Leak: d.LeakOf(),
		Eta: d.Params.Eta, WDecay: d.Params.WDecay, Seed: int64(d.Seed),
	}
	for _, f := range c.params {
		k.Axes = append(k.Axes, results.ParamColumn{Name: f.Name, Type: f.Type, Value: d.Column(f)})
	}
	return k
}

// Params are the experiment parameters that the grid varies, which the
// runs table and plan show as columns of their own.
func (c *Cell) Params() []*cell.Field { return c.params }

// Plan is the cells of a sweep, in a fixed order: models (as listed, or the
// grid's model_type values), then the grid's points (axes in
// cell.Fields order, the last varying fastest), then seeds.
type Plan struct {
	Config    *config.Config
	Cells     []Cell
	Crossed   int // models x grid points x seeds, before collapsing
	Collapsed int // Crossed - len(Cells)
}

// NewPlan expands c into cells. It fails with a *config.Error when a cell
// cannot run (a combination of grid values the experiment rejects), two
// model entries make the same cells, or the plan exceeds maxCells.
func NewPlan(c *config.Config, maxCells int) (*Plan, error) {
	if maxCells <= 0 {
		maxCells = DefaultMaxCells
	}
	variants := c.Variants()
	axes := c.Axes()
	var params []*cell.Field
	for _, a := range axes {
		if !a.Field.Fixed() {
			params = append(params, a.Field)
		}
	}
	// Count before expanding anything, in arithmetic that cannot wrap: a
	// rule's cells cross only the axes it reads (the others collapse).
	// A zipped group of axes is one dimension: its axes share an index.
	dims := c.Dims()
	reads := func(v config.Model, dim []int) bool {
		for _, i := range dim {
			if axes[i].Field.Reads(v.Rule) {
				return true
			}
		}
		return false
	}
	points, cells := 1, 0
	for _, dim := range dims {
		points = mulSat(points, axes[dim[0]].Len())
	}
	for _, v := range variants {
		n := len(c.Seeds)
		for _, dim := range dims {
			if reads(v, dim) {
				n = mulSat(n, axes[dim[0]].Len())
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
		// The points of the dimensions this rule reads, in crossed order;
		// an axis it ignores stays unset, where the crossed order meets
		// each of its cells first.
		size := make([]int, len(dims))
		n := 1
		for d, dim := range dims {
			size[d] = 1
			if reads(v, dim) {
				size[d] = axes[dim[0]].Len()
			}
			n *= size[d]
		}
		pt := make([]int, len(axes))
		for k := range n {
			rest := k
			for d := len(dims) - 1; d >= 0; d-- {
				j := rest % size[d]
				rest /= size[d]
				for _, i := range dims[d] {
					pt[i] = j
					if !axes[i].Field.Reads(v.Rule) {
						pt[i] = -1
					}
				}
			}
			if err := c.CheckCell(v, pt); err != nil {
				set := 0
				for _, j := range pt {
					if j >= 0 {
						set++
					}
				}
				if set > 1 { // a combination of values
					err.Msg = fmt.Sprintf("the cell of %s at %s: %s", v.Name, c.Point(pt), err.Msg)
				}
				return nil, err
			}
			for _, seed := range c.Seeds {
				d := c.Def(v, pt, seed)
				id := d.ID()
				if prev, ok := owner[id]; ok {
					if prev != vi {
						return nil, c.Errorf(v.Line, "models", "%q makes the same cells as %q (%s): give them different values or drop one",
							v.Name, variants[prev].Name, c.Where(variants[prev].Line))
					}
					continue
				}
				owner[id] = vi
				p.Cells = append(p.Cells, Cell{ID: id, Index: len(p.Cells), Model: v.Name, Def: d, params: params})
			}
		}
	}
	p.Collapsed = p.Crossed - len(p.Cells)
	return p, nil
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
	return c.Errorf(c.Line(key), key, "the plan has %s (%d models, %d grid points, %d seeds), more than -max-cells %d: shrink the %s or raise -max-cells",
		count, variants, points, len(c.Seeds), max, key)
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
