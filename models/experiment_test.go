package models

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stub returns an experiment, not registered, whose run is run.
func stub(run func(ctx context.Context, rec Recorder) (Result, error)) *Experiment {
	d := Definition{Name: "stub", Defaults: func() Params {
		p := BaseParams()
		p.Sizes, p.Eta = []int{3, 2}, 0.1
		return p
	}, Run: func(ctx context.Context, _ Env, _ Params, _ Model, _ uint64, rec Recorder) (Result, error) {
		return run(ctx, rec)
	}}
	return &Experiment{Name: d.Name, Doc: d.Doc, def: d}
}

type countRecorder struct{ n int }

func (c *countRecorder) Record(int, string, int, float64) { c.n++ }

// Register makes an experiment known by its name and refuses incomplete
// definitions and a second registration of a name.
func TestRegister(t *testing.T) {
	d := stub(nil).def
	d.Name, d.Figure = "stub_registered", "fig9"
	Register(d)
	e, err := LookupExperiment("stub_registered")
	if err != nil || e.Name != d.Name || e.Figure() != "fig9" || e.Defaults().Eta != 0.1 {
		t.Fatalf("got %+v, %v", e, err)
	}
	for _, c := range []struct {
		what string
		d    Definition
		want string
	}{
		{"again", d, "registered twice"},
		{"no run", Definition{Name: "x", Defaults: d.Defaults}, "needs a name"},
		{"no name", Definition{Defaults: d.Defaults, Run: d.Run}, "needs a name"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("%s: panic %v, want one saying %q", c.what, r, c.want)
				}
			}()
			Register(c.d)
		}()
	}
}

// Run checks the parameters before the run starts, raises a panic of the
// run again in the caller's goroutine, and returns at once when ctx ends,
// after which the run, still winding down, records nothing.
func TestRunWrapper(t *testing.T) {
	ran := false
	e := stub(func(context.Context, Recorder) (Result, error) { ran = true; return Result{}, nil })
	p := e.Defaults()
	p.Eta = 0
	var pe *ParamError
	if _, err := e.Run(context.Background(), Env{}, p, Model{Kind: BP}, 0, &countRecorder{}); !errors.As(err, &pe) || pe.Key != "eta" || ran {
		t.Errorf("eta 0: got %v, ran %v; want a ParamError of eta before running", err, ran)
	}

	e = stub(func(context.Context, Recorder) (Result, error) { panic("boom") })
	func() {
		defer func() {
			if r, _ := recover().(string); !strings.Contains(r, "boom") || !strings.Contains(r, "in the run's goroutine") {
				t.Errorf("panic %q, want the run's, with its stack", r)
			}
		}()
		e.Run(context.Background(), Env{}, e.Defaults(), Model{Kind: BP}, 0, &countRecorder{})
	}()

	started, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	e = stub(func(ctx context.Context, rec Recorder) (Result, error) {
		close(started)
		<-release // a computation that does not look at ctx
		rec.Record(1, MetricTrainError, 0, 1)
		close(done)
		return Result{}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	rec := &countRecorder{}
	if _, err := e.Run(ctx, Env{}, e.Defaults(), Model{Kind: BP}, 0, rec); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	close(release)
	<-done
	if rec.n != 0 {
		t.Errorf("%d points recorded after Run returned", rec.n)
	}
}

// TestOverrideOwnsLists: Override gives the result lists of its own, so
// that overriding a model's eval_sets, clip or sizes with a list that fits
// in the base's leaves the base, which a sweep's models share, as it was.
func TestOverrideOwnsLists(t *testing.T) {
	base := Params{Sizes: []int{784, 100, 10}, Clip: []float64{5, 5}, EvalSets: []string{"train", "test"}}
	for _, js := range []string{`{"sizes": [784, 10]}`, `{"clip": [1]}`, `{"eval_sets": ["test"]}`} {
		q, err := base.Override([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(base.Sizes, []int{784, 100, 10}) || !reflect.DeepEqual(base.Clip, []float64{5, 5}) ||
			!reflect.DeepEqual(base.EvalSets, []string{"train", "test"}) {
			t.Fatalf("Override(%s) changed its receiver: sizes %v, clip %v, eval_sets %v", js, base.Sizes, base.Clip, base.EvalSets)
		}
		if reflect.DeepEqual(q, base) {
			t.Errorf("Override(%s) changed nothing", js)
		}
	}
}
