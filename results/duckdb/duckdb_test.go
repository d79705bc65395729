package duckdb

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/marcboeker/go-duckdb"
)

// sweepConfig is small enough to run in a fraction of a second: three rules
// that differ in which of fback_type, fback_gain and leak they read, two seeds
// and two learning rates, 12 cells.
const sweepConfig = `sweep: duckdb-check
experiment: linear_regression
seeds: [0, 1]
params: {num_iters: 50}
defaults: {eta: 0.01}
models:
  - {name: BP, model_type: BP}
  - {name: FA, model_type: FA, fback_type: random}
  - {name: DI, model_type: DI, fback_type: neg-transpose, leak: 0.01}
grid:
  eta: [0.01, 0.003]
`

// numIters is params.num_iters of sweepConfig.
const numIters = 50

// column is a column as DuckDB types it (DESCRIBE) and whether the Parquet
// file lets it be null (repetition OPTIONAL rather than REQUIRED in
// parquet_schema; DESCRIBE says "YES" for every column of a Parquet file).
type column struct {
	name, typ string
	nullable  bool
}

// The two tables of package results (results/schema.go) as DuckDB v1.1 reads
// them. A Parquet timestamp in microseconds with isAdjustedToUTC reads as
// TIMESTAMP WITH TIME ZONE.
var (
	runsColumns = []column{
		{"cell_id", "VARCHAR", false},
		{"sweep", "VARCHAR", false},
		{"experiment", "VARCHAR", false},
		{"model", "VARCHAR", false},
		{"model_type", "VARCHAR", false},
		{"fback_type", "VARCHAR", true},
		{"fback_gain", "DOUBLE", true},
		{"leak", "DOUBLE", true},
		{"eta", "DOUBLE", false},
		{"w_decay", "DOUBLE", false},
		{"seed", "BIGINT", false},
		{"params", "VARCHAR", false},
		{"status", "VARCHAR", false},
		{"message", "VARCHAR", false},
		{"steps", "BIGINT", false},
		{"final_train_error", "DOUBLE", true},
		{"final_test_error", "DOUBLE", true},
		{"wall_seconds", "DOUBLE", false},
		{"ssa_runs", "BIGINT", false},
		{"started_at", "TIMESTAMP WITH TIME ZONE", false},
		{"finished_at", "TIMESTAMP WITH TIME ZONE", false},
		{"tool_version", "VARCHAR", false},
		{"git_commit", "VARCHAR", false},
		{"config_sha256", "VARCHAR", false},
		{"kernels", "VARCHAR", false},
		{"data_md5", "VARCHAR", true},
	}
	curvesColumns = []column{
		{"cell_id", "VARCHAR", false},
		{"sweep", "VARCHAR", false},
		{"experiment", "VARCHAR", false},
		{"model", "VARCHAR", false},
		{"model_type", "VARCHAR", false},
		{"fback_type", "VARCHAR", true},
		{"leak", "DOUBLE", true},
		{"eta", "DOUBLE", false},
		{"w_decay", "DOUBLE", false},
		{"seed", "BIGINT", false},
		{"step", "BIGINT", false},
		{"metric", "VARCHAR", false},
		{"layer", "INTEGER", false},
		{"value", "DOUBLE", false},
	}
)

// nulls says which of fback_type, fback_gain and leak are null for a rule:
// those it does not read (sweep.resolve). Curves have no fback_gain.
type nulls struct{ fbackType, fbackGain, leak bool }

var wantNulls = map[string]nulls{
	"BP": {true, true, true},
	"FA": {false, false, true},
	"DI": {false, false, false},
}

// cellKey is a line of dinv plan -json, and the same columns of the runs table.
type cellKey struct {
	CellID       string   `json:"cell_id"`
	Sweep        string   `json:"sweep"`
	Experiment   string   `json:"experiment"`
	Model        string   `json:"model"`
	ModelType    string   `json:"model_type"`
	FbackType    *string  `json:"fback_type"`
	FbackGain    *float64 `json:"fback_gain"`
	Leak         *float64 `json:"leak"`
	Eta          float64  `json:"eta"`
	WDecay       float64  `json:"w_decay"`
	Seed         int64    `json:"seed"`
	Params       string   `json:"params"`
	ConfigSHA256 string   `json:"config_sha256"`
}

// TestDuckDBReadsResults runs a small sweep with the dinv command and reads
// its results folder with DuckDB through plain globs (no union_by_name: every
// file of a table has the same schema, which the schema subtest checks file
// by file).
func TestDuckDBReadsResults(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Fatalf("the dinv repository should be two folders up: %v", err)
	}
	tmp := t.TempDir()
	dinv := filepath.Join(tmp, "dinv")
	start := time.Now()
	command(t, root, "go", "build", "-o", dinv, ".")
	t.Logf("go build: %v", time.Since(start).Round(time.Millisecond))

	cfg := filepath.Join(tmp, "duckdb-check.yaml")
	if err := os.WriteFile(cfg, []byte(sweepConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := map[string]cellKey{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(command(t, tmp, dinv, "plan", "-json", cfg)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c cellKey
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("plan -json: %v in %s", err, sc.Bytes())
		}
		plan[c.CellID] = c
		order = append(order, c.CellID)
	}
	if len(plan) != 12 || len(order) != 12 {
		t.Fatalf("plan -json: %d lines, %d cell ids, want 12 (3 models x 2 seeds x 2 eta)", len(order), len(plan))
	}

	out := filepath.Join(tmp, "out")
	before := time.Now()
	command(t, tmp, dinv, "run", "-jobs", "2", "-out", out, cfg)
	after := time.Now()
	t.Logf("dinv run: %v", after.Sub(before).Round(time.Millisecond))

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runsGlob := quote(filepath.Join(out, "runs", "*.parquet"))
	curvesGlob := quote(filepath.Join(out, "curves", "*.parquet"))
	execSQL(t, db, "CREATE VIEW runs AS SELECT * FROM read_parquet("+runsGlob+")")
	execSQL(t, db, "CREATE VIEW curves AS SELECT * FROM read_parquet("+curvesGlob+")")

	// points[cell][metric] is a cell's number of curve points of a metric.
	points := map[string]map[string]int{}
	queryRows(t, db, "SELECT cell_id, metric, count(*) FROM curves GROUP BY ALL", func(r *sql.Rows) error {
		var id, metric string
		var n int
		if err := r.Scan(&id, &metric, &n); err != nil {
			return err
		}
		if points[id] == nil {
			points[id] = map[string]int{}
		}
		points[id][metric] = n
		return nil
	})

	t.Run("cells", func(t *testing.T) {
		var n int
		queryRow(t, db, "SELECT count(*) FROM runs", &n)
		if n != len(plan) {
			t.Errorf("runs/*.parquet holds %d rows, want %d (one per planned cell)", n, len(plan))
		}
		rows := map[string]int{}
		queryRows(t, db, "SELECT cell_id, count(*) FROM runs GROUP BY cell_id", func(r *sql.Rows) error {
			var id string
			var n int
			err := r.Scan(&id, &n)
			rows[id] = n
			return err
		})
		for _, id := range order {
			if rows[id] != 1 {
				t.Errorf("cell %s (%s, seed %d): %d rows in runs, want 1", id, plan[id].Model, plan[id].Seed, rows[id])
			}
		}
		for id, n := range rows {
			if _, ok := plan[id]; !ok {
				t.Errorf("runs holds %d rows of cell %s, which is not in the plan", n, id)
			}
		}
		for id := range points {
			if _, ok := plan[id]; !ok {
				t.Errorf("curves hold points of cell %s, which is not in the plan", id)
			}
		}
		queryRows(t, db, "SELECT cell_id, model, status, message FROM runs WHERE status IS DISTINCT FROM 'ok'", func(r *sql.Rows) error {
			var id, model string
			var status, msg sql.NullString
			err := r.Scan(&id, &model, &status, &msg)
			t.Errorf("cell %s (%s): status %v (message %v), want ok", id, model, status, msg)
			return err
		})
	})

	t.Run("types", func(t *testing.T) {
		for _, tab := range []struct {
			name, glob string
			want       []column
		}{{"runs", runsGlob, runsColumns}, {"curves", curvesGlob, curvesColumns}} {
			var got []column
			queryRows(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("+tab.glob+"))", func(r *sql.Rows) error {
				var c column
				err := r.Scan(&c.name, &c.typ)
				got = append(got, c)
				return err
			})
			for i := range max(len(got), len(tab.want)) {
				switch {
				case i >= len(got):
					t.Errorf("%s: column %d missing, want %s %s", tab.name, i+1, tab.want[i].name, tab.want[i].typ)
				case i >= len(tab.want):
					t.Errorf("%s: extra column %d %s %s", tab.name, i+1, got[i].name, got[i].typ)
				case got[i].name != tab.want[i].name || got[i].typ != tab.want[i].typ:
					t.Errorf("%s: column %d is %s %s, want %s %s", tab.name, i+1, got[i].name, got[i].typ, tab.want[i].name, tab.want[i].typ)
				}
			}
		}
	})

	// A plain glob binds the columns of the first file; this checks that every
	// file of a table has that file's Parquet schema, and that only the
	// documented columns may be null (DESCRIBE cannot tell: it says YES for all).
	t.Run("schema", func(t *testing.T) {
		for _, tab := range []struct {
			dir  string
			want []column
		}{{"runs", runsColumns}, {"curves", curvesColumns}} {
			var first []string
			for i, id := range order {
				file := filepath.Join(out, tab.dir, id+".parquet")
				var got []string
				var cols []column
				queryRows(t, db, "SELECT name, type, repetition_type, coalesce(logical_type, converted_type, '') FROM parquet_schema("+quote(file)+") WHERE num_children IS NULL", func(r *sql.Rows) error {
					var name, typ, rep, logical string
					err := r.Scan(&name, &typ, &rep, &logical)
					got = append(got, strings.Join([]string{name, typ, rep, logical}, " "))
					cols = append(cols, column{name: name, nullable: rep == "OPTIONAL"})
					return err
				})
				if i == 0 {
					first = got
					for j := range max(len(cols), len(tab.want)) {
						switch {
						case j >= len(cols):
							t.Errorf("%s: column %d missing, want %s", file, j+1, tab.want[j].name)
						case j >= len(tab.want):
							t.Errorf("%s: extra column %d %s", file, j+1, cols[j].name)
						case cols[j].name != tab.want[j].name || cols[j].nullable != tab.want[j].nullable:
							t.Errorf("%s: column %d is %s, want %s %s", file, j+1, got[j], tab.want[j].name, repetition(tab.want[j].nullable))
						}
					}
					continue
				}
				if j := firstDiff(got, first); j >= 0 {
					t.Errorf("%s: column %d is %q, but %q in %s.parquet", file, j+1, at(got, j), at(first, j), order[0])
				}
			}
		}
	})

	t.Run("nulls", func(t *testing.T) {
		queryRows(t, db, "SELECT cell_id, model_type, fback_type IS NULL, fback_gain IS NULL, leak IS NULL FROM runs", func(r *sql.Rows) error {
			var id, kind string
			var got nulls
			err := r.Scan(&id, &kind, &got.fbackType, &got.fbackGain, &got.leak)
			if want, ok := wantNulls[kind]; !ok {
				t.Errorf("runs, cell %s: model_type %q, want one of BP, FA, DI", id, kind)
			} else if got != want {
				t.Errorf("runs, cell %s (%s): null fback_type, fback_gain, leak = %v, want %v", id, kind, got, want)
			}
			return err
		})
		queryRows(t, db, "SELECT model_type, fback_type IS NULL, leak IS NULL, count(*) FROM curves GROUP BY ALL", func(r *sql.Rows) error {
			var kind string
			var fbackType, leak bool
			var n int
			err := r.Scan(&kind, &fbackType, &leak, &n)
			if want := wantNulls[kind]; fbackType != want.fbackType || leak != want.leak {
				t.Errorf("curves: %d rows of %s with null fback_type %v, leak %v, want %v, %v", n, kind, fbackType, leak, want.fbackType, want.leak)
			}
			return err
		})
	})

	// The runs table holds what plan -json announced, floats bit for bit, and
	// the outcome columns read back as written: what was not measured is
	// NULL, timestamps are microseconds (another unit would land decades
	// away).
	t.Run("values", func(t *testing.T) {
		queryRows(t, db, `SELECT cell_id, sweep, experiment, model, model_type, fback_type, fback_gain, leak,
			eta, w_decay, seed, params, config_sha256, final_train_error, final_test_error,
			final_test_error IS NULL, started_at, finished_at FROM runs`, func(r *sql.Rows) error {
			var c cellKey
			var fbackType sql.NullString
			var fbackGain, leak sql.NullFloat64
			var train float64
			var test sql.NullFloat64
			var testNull bool
			var started, finished time.Time
			if err := r.Scan(&c.CellID, &c.Sweep, &c.Experiment, &c.Model, &c.ModelType, &fbackType, &fbackGain, &leak,
				&c.Eta, &c.WDecay, &c.Seed, &c.Params, &c.ConfigSHA256, &train, &test, &testNull, &started, &finished); err != nil {
				return err
			}
			if fbackType.Valid {
				c.FbackType = &fbackType.String
			}
			if fbackGain.Valid {
				c.FbackGain = &fbackGain.Float64
			}
			if leak.Valid {
				c.Leak = &leak.Float64
			}
			got, _ := json.Marshal(c)
			want, _ := json.Marshal(plan[c.CellID])
			if !bytes.Equal(got, want) {
				t.Errorf("runs row\n%s\nwant (plan -json)\n%s", got, want)
			}
			if !(train > 0) || math.IsInf(train, 0) {
				t.Errorf("cell %s: final_train_error %v, want finite and positive", c.CellID, train)
			}
			// linear_regression has no test set: nothing measured, NULL.
			if !testNull {
				t.Errorf("cell %s: final_test_error %v, want NULL (no test set)", c.CellID, test)
			}
			lo, hi := before.Add(-time.Second), after.Add(time.Second)
			if started.Before(lo) || finished.After(hi) || finished.Before(started) {
				t.Errorf("cell %s: started_at %v, finished_at %v, want in order within the run's %v .. %v",
					c.CellID, started, finished, before.UTC(), after.UTC())
			}
			return nil
		})
	})

	// The README's two queries (the first also in results/doc.go), ordered.
	t.Run("readme", func(t *testing.T) {
		var models []string
		queryRows(t, db, "SELECT model, avg(value) FROM read_parquet("+curvesGlob+") WHERE metric = 'train_error' GROUP BY model ORDER BY model", func(r *sql.Rows) error {
			var model string
			var avg float64
			err := r.Scan(&model, &avg)
			if !(avg > 0) || math.IsInf(avg, 0) {
				t.Errorf("model %s: average train_error %v, want finite and positive", model, avg)
			}
			models = append(models, model)
			return err
		})
		if want := []string{"BP", "DI", "FA"}; !slices.Equal(models, want) {
			t.Errorf("curves: models %q, want %q", models, want)
		}
		models = nil
		queryRows(t, db, "SELECT model, count(*) AS cells, avg(final_train_error), sum(wall_seconds) FROM read_parquet("+runsGlob+") GROUP BY model ORDER BY model", func(r *sql.Rows) error {
			var model string
			var cells int
			var avg, wall float64
			err := r.Scan(&model, &cells, &avg, &wall)
			if cells != 4 || !(avg > 0) || math.IsInf(avg, 0) || !(wall >= 0) || math.IsInf(wall, 0) {
				t.Errorf("runs, model %s: %d cells, average final_train_error %v, wall_seconds %v; want 4 cells (2 seeds x 2 eta), finite and positive, finite", model, cells, avg, wall)
			}
			models = append(models, model)
			return err
		})
		if want := []string{"BP", "DI", "FA"}; !slices.Equal(models, want) {
			t.Errorf("runs: models %q, want %q", models, want)
		}
	})

	// The training loop (models.Trainer.Train) evaluates at every step k with
	// k%eval_every == 0 and after the last; linear_regression's eval_every is
	// 1, so a cell has one train_error point per step, k = 0 .. steps-1, and
	// steps = num_iters when nothing diverged. DI also records its diagnostics
	// every diag_every = 1 steps, per hidden layer: the 30-20-10 network has
	// one, so lambda_max has steps points too.
	t.Run("curves", func(t *testing.T) {
		steps := map[string]int{}
		queryRows(t, db, "SELECT cell_id, steps FROM runs", func(r *sql.Rows) error {
			var id string
			var n int
			err := r.Scan(&id, &n)
			steps[id] = n
			return err
		})
		type train struct{ n, distinct, first, last, minLayer, maxLayer int }
		trains := map[string]train{}
		queryRows(t, db, `SELECT cell_id, count(*), count(DISTINCT step), min(step), max(step), min(layer), max(layer)
			FROM curves WHERE metric = 'train_error' GROUP BY cell_id`, func(r *sql.Rows) error {
			var id string
			var c train
			err := r.Scan(&id, &c.n, &c.distinct, &c.first, &c.last, &c.minLayer, &c.maxLayer)
			trains[id] = c
			return err
		})
		for _, id := range order {
			c := plan[id]
			n := steps[id]
			if n != numIters {
				t.Errorf("cell %s (%s): steps %d, want num_iters = %d", id, c.Model, n, numIters)
			}
			if got, want := trains[id], (train{n, n, 0, n - 1, 0, 0}); got != want {
				t.Errorf("cell %s (%s): train_error points (count, distinct steps, first, last step, min, max layer) %v, want %v",
					id, c.Model, got, want)
			}
			var angles int
			var other []string
			for m, k := range points[id] {
				if strings.HasPrefix(m, "angle_") {
					angles += k
				}
				if m != "train_error" {
					other = append(other, fmt.Sprintf("%s: %d", m, k))
				}
			}
			switch c.ModelType {
			case "BP":
				if len(other) > 0 {
					t.Errorf("cell %s (BP): points of %v, want only train_error", id, other)
				}
			case "DI":
				if got := points[id]["lambda_max"]; got != n {
					t.Errorf("cell %s (DI): %d lambda_max points, want %d (one per step)", id, got, n)
				}
				if angles == 0 {
					t.Errorf("cell %s (DI): no angle_* points; metrics %v", id, points[id])
				}
			}
		}
	})

	t.Run("join", func(t *testing.T) {
		want := map[string]int{}
		for id, ms := range points {
			for _, n := range ms {
				want[plan[id].Model] += n
			}
		}
		got := map[string]int{}
		queryRows(t, db, "SELECT r.model, count(*) FROM read_parquet("+runsGlob+") r JOIN read_parquet("+curvesGlob+") c USING (cell_id) GROUP BY r.model", func(r *sql.Rows) error {
			var model string
			var n int
			err := r.Scan(&model, &n)
			got[model] = n
			return err
		})
		for _, m := range []string{"BP", "FA", "DI"} {
			if got[m] != want[m] || want[m] == 0 {
				t.Errorf("model %s: %d curve points joined to runs, want %d (the sum over its cells)", m, got[m], want[m])
			}
		}
		if len(got) != 3 {
			t.Errorf("join gives models %v, want BP, FA, DI", got)
		}
		// Both tables repeat the cell's key: they must agree row by row.
		var differ int
		queryRow(t, db, `SELECT count(*) FROM runs r JOIN curves c USING (cell_id)
			WHERE (r.sweep, r.experiment, r.model, r.model_type, r.fback_type, r.leak, r.eta, r.w_decay, r.seed)
			IS DISTINCT FROM (c.sweep, c.experiment, c.model, c.model_type, c.fback_type, c.leak, c.eta, c.w_decay, c.seed)`, &differ)
		if differ != 0 {
			t.Errorf("%d curve points whose key columns differ from their cell's runs row", differ)
		}
	})
}

// nullsConfig is an MNIST sweep (small sizes) whose models evaluate
// different sets: both, the training set only, the test set only.
const nullsConfig = `sweep: duckdb-nulls
experiment: mnist_classification
seeds: [0, 1]
params: {sizes: [784, 20, 10], epochs: 1, train_size: 300, test_size: 200, eval_every: 100}
defaults: {eta: 0.01}
models:
  - {name: both, model_type: BP}
  - {name: train-only, model_type: FA, fback_type: random, params: {eval_sets: [train]}}
  - {name: test-only, model_type: BP, eta: 0.02, params: {eval_sets: [test]}}
`

// TestDuckDBNulls runs a sweep whose folder mixes cells that measured the
// test error with cells that did not, and checks that the second are NULL,
// so that DuckDB's avg(final_test_error) over the folder is the mean of
// the cells that measured it, as the README's queries assume. (That a NaN
// measured stays NaN, not NULL, results' TestRunRoundTrip checks.)
func TestDuckDBNulls(t *testing.T) {
	tmp, dinv, cfg := buildWith(t, "nulls.yaml", nullsConfig)
	out := filepath.Join(tmp, "out")
	cmd := exec.CommandContext(t.Context(), dinv, "run", "-jobs", "2", "-out", out, cfg)
	cmd.Dir = tmp
	if b, err := cmd.CombinedOutput(); err != nil {
		if strings.Contains(string(b), "MNIST") && os.Getenv("DINV_REQUIRE_MNIST") != "1" {
			t.Skipf("no MNIST data here (DINV_REQUIRE_MNIST=1 makes this a failure):\n%s", b)
		}
		t.Fatalf("dinv run: %v\n%s", err, b)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	execSQL(t, db, "CREATE VIEW runs AS SELECT * FROM read_parquet("+quote(filepath.Join(out, "runs", "*.parquet"))+")")

	// Each cell's errors, as the rows hold them.
	measured := map[string][2]int{} // model -> cells with train, test measured
	var tests []float64             // the finite test errors of the cells that measured one
	queryRows(t, db, "SELECT model, status, final_train_error, final_test_error FROM runs", func(r *sql.Rows) error {
		var model, status string
		var train, test sql.NullFloat64
		if err := r.Scan(&model, &status, &train, &test); err != nil {
			return err
		}
		m := measured[model]
		if train.Valid {
			m[0]++
		}
		if test.Valid {
			m[1]++
			tests = append(tests, test.Float64)
		}
		measured[model] = m
		if status != "ok" {
			t.Errorf("a %s cell: status %s, want ok", model, status)
		}
		return nil
	})
	want := map[string][2]int{"both": {2, 2}, "train-only": {2, 0}, "test-only": {0, 2}}
	for model, w := range want {
		if measured[model] != w {
			t.Errorf("model %s: %v cells with the train and test errors not NULL, want %v", model, measured[model], w)
		}
	}
	if len(tests) != 4 {
		t.Fatalf("%d test errors, want 4 (both and test-only, two seeds each)", len(tests))
	}
	var sum float64
	for _, v := range tests {
		sum += v
	}
	// The README's query style over the whole folder: NULLs are left out of
	// avg, where a NaN would make it NaN.
	var avg sql.NullFloat64
	queryRow(t, db, "SELECT avg(final_test_error) FROM runs", &avg)
	if !avg.Valid || math.Abs(avg.Float64-sum/4) > 1e-12 {
		t.Errorf("avg(final_test_error) over the folder = %v, want %v, the mean of the 4 cells that measured it", avg, sum/4)
	}
	var perModel int
	queryRows(t, db, "SELECT model, avg(final_test_error) FROM runs GROUP BY model", func(r *sql.Rows) error {
		var model string
		var a sql.NullFloat64
		err := r.Scan(&model, &a)
		perModel++
		if a.Valid != (model != "train-only") || a.Valid && !(a.Float64 > 0 && a.Float64 < 1) {
			t.Errorf("model %s: avg(final_test_error) %v, want NULL for train-only and an error in (0, 1) otherwise", model, a)
		}
		return err
	})
	if perModel != 3 {
		t.Errorf("%d models, want 3", perModel)
	}
}

// buildWith builds the dinv command into a temporary folder and writes a
// configuration there: it returns the folder, the command and the
// configuration's path.
func buildWith(t *testing.T, name, config string) (tmp, dinv, cfg string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp = t.TempDir()
	dinv = filepath.Join(tmp, "dinv")
	command(t, root, "go", "build", "-o", dinv, ".")
	cfg = filepath.Join(tmp, name)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return tmp, dinv, cfg
}

// command runs name with args in dir, the environment inherited, and returns
// its standard output; anything but exit status 0 fails the test.
func command(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, stderr.Bytes())
	}
	return out
}

// repetition is the Parquet repetition of a column that is nullable or not.
func repetition(nullable bool) string {
	if nullable {
		return "OPTIONAL"
	}
	return "REQUIRED"
}

// firstDiff returns the first index at which a and b differ, or -1.
func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

// at returns s[i], or "(none)" past its end.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// quote makes s an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// execSQL runs q, which returns no rows.
func execSQL(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryRow runs q, which returns one row, into dst.
func queryRow(t *testing.T, db *sql.DB, q string, dst ...any) {
	t.Helper()
	if err := db.QueryRow(q).Scan(dst...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryRows runs q and calls scan once per row.
func queryRows(t *testing.T, db *sql.DB, q string, scan func(*sql.Rows) error) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
