// Package summary condenses a results folder into one row per model and
// grid point: how many of its cells ended ok, diverged or failed, its final
// errors across seeds, and the CPU time it took.
//
// # Rows
//
// Rows groups runs by everything of their cell key but the seed and the cell
// id: sweep, experiment, model, model_type, fback_type, leak, eta and
// w_decay. The final errors of a row are the mean and the sample standard
// deviation (n-1) over its ok cells whose value is finite; the mean is NaN
// when there is none (test error in a regression, a row whose cells all
// failed) and the standard deviation when there are fewer than two.
// Diverged and failed cells are counted, not averaged. CPUSeconds sums the
// wall time of every cell of the row, whatever its status: one cell runs on
// one core.
//
// Rows come in the order of a plan when one is given (the first cell of
// each row decides), so that a summary lists models as the configuration
// does; rows of cells not in the plan, or every row without a plan, follow
// in order of model name, then grid values.
//
// # Formats
//
// Text writes aligned columns, Markdown a pipe table, CSV a header and one
// record per row. The columns are the same in all three (Columns). Text and
// Markdown round to four significant digits and write "-" for NaN and
// null; CSV writes every digit and leaves NaN and null empty.
package summary
