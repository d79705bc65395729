package duckdb

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestDuckDBReadsParamColumns: a sweep whose grid varies experiment
// parameters has a typed, nullable column for each in the runs table, which
// DuckDB reads as it is: an integer tsteps and a double dt, null for BP,
// which reads neither.
func TestDuckDBReadsParamColumns(t *testing.T) {
	tmp, dinv, cfg := buildWith(t, "params.yaml", `sweep: params
experiment: linear_regression
seeds: [0]
params: {num_iters: 30}
models:
  - {name: BP, model_type: BP}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
grid:
  tsteps: [5, 50]
  dt: [0.25, 0.5]
`)
	out := filepath.Join(tmp, "out")
	command(t, tmp, dinv, "run", "-out", out, cfg)

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	execSQL(t, db, "CREATE VIEW runs AS SELECT * FROM read_parquet("+quote(filepath.Join(out, "runs", "*.parquet"))+")")
	types := map[string]string{}
	queryRows(t, db, "SELECT column_name, column_type FROM (DESCRIBE runs) WHERE column_name IN ('tsteps', 'dt')", func(r *sql.Rows) error {
		var name, typ string
		err := r.Scan(&name, &typ)
		types[name] = typ
		return err
	})
	if types["tsteps"] != "BIGINT" || types["dt"] != "DOUBLE" {
		t.Errorf("column types %v, want tsteps BIGINT and dt DOUBLE", types)
	}
	var cells, bpNull, diPoints int
	queryRow(t, db, "SELECT count(*), count(*) FILTER (model_type = 'BP' AND tsteps IS NULL AND dt IS NULL), "+
		"count(DISTINCT (tsteps, dt)) FILTER (model_type = 'DI') FROM runs", &cells, &bpNull, &diPoints)
	if cells != 5 || bpNull != 1 || diPoints != 4 {
		t.Errorf("%d cells, %d BP cells with null tsteps and dt, %d DI points; want 5, 1 and 4", cells, bpNull, diPoints)
	}
}
