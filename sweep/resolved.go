package sweep

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"dinv/cell"
	"dinv/models"
)

// Resolved returns the sweep's configuration with every experiment parameter
// written out: the sweep.yaml of a results folder. Loading it gives the same
// plan, cell for cell, even after the experiment's defaults change.
func Resolved(p *Plan) ([]byte, error) {
	c := p.Config
	base := paramMap(c.Base, true)
	var doc mapping
	doc.add("sweep", c.Sweep)
	doc.add("experiment", c.Experiment.Name)
	if c.Description != "" {
		doc.add("description", c.Description)
	}
	if c.DataDir != "" {
		doc.add("data_dir", c.DataDir)
	}
	if c.SaveWeights {
		doc.add("save_weights", true)
	}
	doc.addFlow("seeds", c.Seeds)
	doc.add("params", base)
	// defaults: what the file set, and the values kept in the parameters
	// (eta, w_decay, fback_scale) as the experiment's defaults make them.
	var defaults mapping
	for _, f := range cell.ModelFields() {
		if !f.Defaults {
			continue
		}
		if i := slices.IndexFunc(c.Defaults, func(v cell.Value) bool { return v.Field == f }); i >= 0 {
			defaults.add(f.Name, c.Defaults[i].YAML())
		} else if f.InParams() {
			defaults.add(f.Name, cell.ParamsValue(c.Base, f))
		}
	}
	doc.addNode("defaults", defaults.node())
	if len(c.Models) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, m := range c.Models {
			var e mapping
			e.add("name", m.Name)
			e.add("model_type", m.Rule.String())
			for _, v := range m.Fields {
				e.add(v.Field.Name, v.YAML())
			}
			own := paramMap(m.Params, true)
			for k, v := range own {
				if fmt.Sprint(base[k]) == fmt.Sprint(v) {
					delete(own, k)
				}
			}
			if len(own) > 0 {
				e.add("params", own)
			}
			list.Content = append(list.Content, e.node())
		}
		doc.addNode("models", list)
	}
	if len(c.Grid) > 0 {
		var g mapping
		for _, a := range c.Grid {
			vals := make([]any, len(a.Values))
			for i, v := range a.Values {
				vals[i] = v.YAML()
			}
			g.addFlow(a.Name(), vals)
		}
		doc.addNode("grid", g.node())
		// Drawn axes are written as the lists they drew; zipped ones keep
		// their groups.
		var zip [][]string
		for _, a := range c.Grid {
			if a.Zip == 0 {
				continue
			}
			for len(zip) < a.Zip {
				zip = append(zip, nil)
			}
			zip[a.Zip-1] = append(zip[a.Zip-1], a.Name())
		}
		zip = slices.DeleteFunc(zip, func(g []string) bool { return g == nil })
		if len(zip) > 0 {
			doc.addFlow("zip", zip)
		}
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(doc.node()); err != nil {
		return nil, err
	}
	// The header names the configuration by its hash, not its path, so that
	// shards started from a copy of it find sweep.yaml unchanged.
	head := fmt.Sprintf("# The resolved configuration of sweep %s, from a configuration file with\n"+
		"# sha256 %s. Every experiment parameter is written out; running this\n"+
		"# file plans the same cells.\n", c.Sweep, c.SHA256)
	if len(c.Sets) > 0 {
		// The overrides are written into the file already; the header keeps
		// them because the hash is of the file followed by them.
		head += "# The sha256 is of the file followed by these overrides (dinv -set), applied here:\n"
		for _, s := range c.Sets {
			head += "#   -set " + strconv.Quote(s.Text) + "\n"
		}
	}
	return append([]byte(head), body.Bytes()...), nil
}

// mapping builds a YAML mapping with its keys in the order added.
type mapping struct{ content []*yaml.Node }

func (m *mapping) add(key string, v any) { m.addNode(key, encode(v, false)) }

func (m *mapping) addFlow(key string, v any) { m.addNode(key, encode(v, true)) }

func (m *mapping) addNode(key string, n *yaml.Node) {
	m.content = append(m.content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, n)
}

func (m *mapping) node() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: m.content}
}

func encode(v any, flow bool) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic("sweep: " + err.Error())
	}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return &n
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
