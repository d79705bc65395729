package sweep

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"dinv/models"
)

type resolvedModel struct {
	Name       string         `yaml:"name"`
	ModelType  string         `yaml:"model_type"`
	FbackType  string         `yaml:"fback_type,omitempty"`
	Leak       *float64       `yaml:"leak,omitempty"`
	Eta        *float64       `yaml:"eta,omitempty"`
	WDecay     *float64       `yaml:"w_decay,omitempty"`
	FbackGain  *float64       `yaml:"fback_gain,omitempty"`
	FbackScale *float64       `yaml:"fback_scale,omitempty"`
	Params     map[string]any `yaml:"params,omitempty"`
}

type resolvedGrid struct {
	ModelType []string  `yaml:"model_type,omitempty,flow"`
	FbackType []string  `yaml:"fback_type,omitempty,flow"`
	LeakVals  []float64 `yaml:"leak_vals,omitempty,flow"`
	Eta       []float64 `yaml:"eta,omitempty,flow"`
	WDecay    []float64 `yaml:"w_decay,omitempty,flow"`
}

type resolvedDefaults struct {
	FbackType  string   `yaml:"fback_type,omitempty"`
	Leak       *float64 `yaml:"leak,omitempty"`
	Eta        float64  `yaml:"eta"`
	WDecay     float64  `yaml:"w_decay"`
	FbackGain  *float64 `yaml:"fback_gain,omitempty"`
	FbackScale float64  `yaml:"fback_scale"`
}

type resolvedConfig struct {
	Sweep       string           `yaml:"sweep"`
	Experiment  string           `yaml:"experiment"`
	Description string           `yaml:"description,omitempty"`
	DataDir     string           `yaml:"data_dir,omitempty"`
	Seeds       []uint64         `yaml:"seeds,flow"`
	Params      map[string]any   `yaml:"params"`
	Defaults    resolvedDefaults `yaml:"defaults"`
	Models      []resolvedModel  `yaml:"models,omitempty"`
	Grid        *resolvedGrid    `yaml:"grid,omitempty"`
}

// Resolved returns the sweep's configuration with every experiment parameter
// written out: the sweep.yaml of a results folder. Loading it gives the same
// plan, cell for cell, even after the experiment's defaults change.
func Resolved(p *Plan) ([]byte, error) {
	c := p.Config
	base := paramMap(c.Base, true)
	r := resolvedConfig{
		Sweep: c.Sweep, Experiment: c.Experiment.Name, Description: c.Description,
		DataDir: c.DataDir, Seeds: c.Seeds, Params: base,
		Defaults: resolvedDefaults{
			Leak: c.Defaults.Leak, FbackGain: c.Defaults.FbackGain,
			Eta: c.Base.Eta, WDecay: c.Base.WDecay, FbackScale: c.Base.FbackScale,
		},
	}
	if c.Defaults.FbackType != nil {
		r.Defaults.FbackType = c.Defaults.FbackType.String()
	}
	if c.Defaults.Eta != nil {
		r.Defaults.Eta = *c.Defaults.Eta
	}
	if c.Defaults.WDecay != nil {
		r.Defaults.WDecay = *c.Defaults.WDecay
	}
	if c.Defaults.FbackScale != nil {
		r.Defaults.FbackScale = *c.Defaults.FbackScale
	}
	for _, m := range c.Models {
		rm := resolvedModel{
			Name: m.Name, ModelType: m.ModelType.String(), Leak: m.Leak, Eta: m.Eta,
			WDecay: m.WDecay, FbackGain: m.FbackGain, FbackScale: m.FbackScale,
		}
		if m.FbackType != nil {
			rm.FbackType = m.FbackType.String()
		}
		own := paramMap(m.Params, true)
		for k, v := range own {
			if fmt.Sprint(base[k]) == fmt.Sprint(v) {
				delete(own, k)
			}
		}
		if len(own) > 0 {
			rm.Params = own
		}
		r.Models = append(r.Models, rm)
	}
	if len(c.Grid) > 0 {
		g := &resolvedGrid{}
		for _, a := range c.Grid {
			switch a.Name {
			case "model_type":
				g.ModelType = names(a.Kinds)
			case "fback_type":
				g.FbackType = names(a.Feedback)
			case "leak_vals":
				g.LeakVals = a.Values
			case "eta":
				g.Eta = a.Values
			case "w_decay":
				g.WDecay = a.Values
			}
		}
		r.Grid = g
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	// The header names the configuration by its hash, not its path, so that
	// shards started from a copy of it find sweep.yaml unchanged.
	head := fmt.Sprintf("# The resolved configuration of sweep %s, from a configuration file with\n"+
		"# sha256 %s. Every experiment parameter is written out; running this\n"+
		"# file plans the same cells.\n", c.Sweep, c.SHA256)
	return append([]byte(head), body.Bytes()...), nil
}

// paramMap turns parameters into a map of their JSON names, every field
// included: JSON's omitempty would drop false and empty values, and
// reloading would then restore the defaults (skip_first_update: true,
// clip: [10]). strip leaves out the values that configurations set outside
// params.
func paramMap(p models.Params, strip bool) map[string]any {
	m := map[string]any{}
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || !v.Type().Field(i).IsExported() {
			continue
		}
		m[name] = v.Field(i).Interface()
	}
	if strip {
		delete(m, "eta")
		delete(m, "w_decay")
		delete(m, "fback_scale")
	}
	return m
}

func names[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}
