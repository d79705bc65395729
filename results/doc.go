// Package results reads and writes the Parquet files in which a sweep keeps its
// results: one runs file and one curves file per finished cell, written so that
// a crash never leaves a half-written file under a final name.
//
// # The two tables
//
// A results folder holds runs/<cell_id>.parquet and curves/<cell_id>.parquet.
//
// A runs file has exactly one row (a Run): the cell's key, its resolved
// parameters as JSON text, how it ended (its Status: "ok", "diverged" or "failed",
// with a message), its final errors, its timing and what produced it (tool
// version, git commit, SHA-256 of the config). A curves file (a Curve) is in long
// format, one row per recorded point: the cell's key repeated, then step, metric,
// layer and value.
//
// Every file of a table has the same columns, in the same order, with the same
// names, types and nullability, so that a glob over a folder reads as one table:
//
//	SELECT model, avg(value) FROM read_parquet('outputs/x/curves/*.parquet')
//	WHERE metric = 'train_error' GROUP BY model
//
// Types are plain: utf8 strings, float64, int64 (seed, steps, ssa_runs, step),
// int32 (layer), and timestamps in microseconds, UTC. Only fback_type,
// fback_gain and leak may be null: null where the learning rule reads no
// feedback or no leak (CellKey.FbackType "" and nil pointers in Go). A value
// that was not measured is NaN, not null. Strings that are not valid UTF-8 are
// written with U+FFFD in place of the bad bytes.
//
// Files are zstd-compressed, dictionary-encoded, with statistics and one row
// group. A curves file also stores its cell key in its key-value metadata
// (keys "dinv.cell_id" and so on), so that a curve without points still names
// its cell; the rows are authoritative when there are any.
//
// # Writing atomically
//
// WriteRun and WriteCurve write through WriteFileAtomic: the file is written
// under a temporary name (.<name>.tmp-<random>, which *.parquet does not match),
// synced, renamed to its final name, and the folder is synced. A file under its
// final name is therefore complete; a crash leaves at most a temporary, which
// IsTemp recognises and the readers skip. Files are replaced, never appended to.
//
// # Reading
//
// ReadRun and ReadCurve check that a file is complete Parquet, has exactly the
// table's columns (naming the first that differs), and holds one cell (one row
// for runs). ReadRuns and ReadCurves read a whole results folder and report
// each unreadable file as its own error, so that one damaged file costs one
// cell, not the summary. Errors name the file.
//
// A damaged file is an error, never a crash: before arrow decodes a file, what
// it claims (footer length, list lengths, row counts, column chunk ranges, every
// page header) is checked against the file's size and against bounds for its
// table (check.go), because arrow allocates what a file claims and Go's
// out-of-memory error cannot be recovered.
//
// Values returned by the readers own their memory; nothing is retained from
// the arguments of the writers.
package results
