package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"dinv/config"
	"dinv/results"
	"dinv/sweep"
)

var planCommand = &command{
	name: "plan", arg: "CONFIG", want: "one CONFIG",
	summary: "list the cells of CONFIG without running them",
	about: "Lists the cells of the sweep in `CONFIG`, one per line, without running anything.\n" +
		"With -json, one JSON object per line with the runs-table columns known before running.",
	new: func() runner { return new(planCmd) },
}

type planCmd struct {
	asJSON   bool
	maxCells int
	sets     []string
}

func (c *planCmd) flags(fs *flag.FlagSet) {
	jsonFlag(fs, &c.asJSON, "one JSON object per line")
	maxCellsFlag(fs, &c.maxCells)
	setsFlag(fs, &c.sets)
}

func (c *planCmd) run(_ context.Context, _ *flag.FlagSet, cfg string, stdout, stderr io.Writer) error {
	p, err := loadPlan(cfg, c.sets, c.maxCells, false, stderr)
	if err != nil {
		return err
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		for i := range p.Cells {
			if err := enc.Encode(planRow(p, &p.Cells[i])); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	head := "cell_id\tmodel\tmodel_type\tfback_type\tfback_gain\tleak\teta\tw_decay"
	if len(p.Cells) > 0 {
		for _, f := range p.Cells[0].Params() {
			head += "\t" + f.Name
		}
	}
	fmt.Fprintln(tw, head+"\tseed")
	for _, c := range p.Cells {
		d := c.Def
		fb := d.FbackType()
		if fb == "" {
			fb = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%g\t%g", c.ID, c.Model, d.Rule, fb,
			optional(d.FbackGain()), optional(d.LeakOf()), d.Params.Eta, d.Params.WDecay)
		for _, pc := range c.Key("").Axes {
			v := pc.String()
			if pc.Value == nil {
				v = "-"
			}
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintf(tw, "\t%d\n", d.Seed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, a := range p.Config.Grid {
		if a.Drawn != "" {
			fmt.Fprintf(stderr, "grid.%s: drawn from %s (sample_seed %d): %s\n", a.Name(), a.Drawn, p.Config.SampleSeed, valuesText(a))
		}
	}
	for _, dim := range p.Config.Dims() {
		if len(dim) > 1 {
			var names []string
			for _, i := range dim {
				names = append(names, p.Config.Axes()[i].Name())
			}
			fmt.Fprintf(stderr, "zip: %s take their values together\n", strings.Join(names, ", "))
		}
	}
	fmt.Fprintf(stderr, "%d cells (%d crossed, %d collapsed where a rule ignores an axis) of %s in %s%s\n",
		len(p.Cells), p.Crossed, p.Collapsed, p.Config.Experiment.Name, cfg, setsText(p.Config))
	return nil
}

func optional(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// planJSON is one line of plan -json: the runs-table columns known before
// running, cell_id first, nulls where a rule ignores a field, and a column
// for each experiment parameter the grid varies.
type planJSON struct {
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
	Seed         uint64   `json:"seed"`
	Params       string   `json:"params"`
	ConfigSHA256 string   `json:"config_sha256"`

	axes []results.ParamColumn
}

// MarshalJSON writes the fields in order, then the parameter columns.
func (r planJSON) MarshalJSON() ([]byte, error) {
	type plain planJSON
	js, err := json.Marshal(plain(r))
	if err != nil || len(r.axes) == 0 {
		return js, err
	}
	var b bytes.Buffer
	b.Write(js[:len(js)-1])
	for _, a := range r.axes {
		k, _ := json.Marshal(a.Name)
		v, err := json.Marshal(a.Value)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, ",%s:%s", k, v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func planRow(p *sweep.Plan, c *sweep.Cell) planJSON {
	k := c.Key(p.Config.Sweep)
	r := planJSON{
		CellID: c.ID, Sweep: k.Sweep, Experiment: k.Experiment, Model: c.Model,
		ModelType: k.ModelType, FbackGain: c.Def.FbackGain(), Leak: k.Leak,
		Eta: k.Eta, WDecay: k.WDecay, Seed: c.Def.Seed, Params: c.Def.ParamsJSON(),
		ConfigSHA256: p.Config.SHA256, axes: k.Axes,
	}
	if k.FbackType != "" {
		r.FbackType = &k.FbackType
	}
	return r
}

// setsText lists c's overrides as they were given, after " with", or is
// empty when there are none.
func setsText(c *config.Config) string {
	var b strings.Builder
	for _, s := range c.Sets {
		b.WriteString(" -set " + sweep.ShellQuote(s.Text))
	}
	if b.Len() == 0 {
		return ""
	}
	return " with" + b.String()
}

// valuesText lists an axis's values.
func valuesText(a config.Axis) string {
	parts := make([]string, a.Len())
	for i, v := range a.Values {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}
