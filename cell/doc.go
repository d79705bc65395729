// Package cell is the vocabulary of a sweep's cells: what defines one
// (Def), the table of fields a configuration may set and a grid may vary
// (Fields), and a cell's identity (Def.ID).
//
// Every place that names a cell field reads this table: the configuration
// reader (which keys a model entry, the defaults and the grid take, how a
// value is parsed), the plan (which rules read an axis, so that the cells of
// the others collapse), the resolved sweep.yaml, plan -json and the runs
// table's columns. A new axis is one entry here.
//
// Values are checked where the experiment is, by models.Experiment.Check,
// on the definition a value makes; this package only parses them.
package cell
