package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Set is one command-line override, -set KEY=VALUE: KEY is a path into the
// sweep file (params.epochs, seeds, grid.eta, models[2].leak,
// defaults.w_decay) and VALUE is YAML, which replaces what the file holds
// there (or is added, when it holds nothing) before the file is checked.
type Set struct {
	N    int    // 1-based position among the overrides
	Text string // KEY=VALUE as given
	Key  string
	Over int // line of the file's value it replaced; 0 when the file had none

	placed bool // applied to the file's tree
}

func (s *Set) String() string {
	switch {
	case s.Over > 0:
		return fmt.Sprintf("-set #%d (%s, over line %d)", s.N, s.Text, s.Over)
	case s.placed:
		return fmt.Sprintf("-set #%d (%s, new)", s.N, s.Text)
	}
	return fmt.Sprintf("-set #%d (%s)", s.N, s.Text)
}

// at names a line in a message: "line 12", or "-set #2" for a line that an
// override made (overridden nodes carry -N as their line).
func at(line int) string {
	if line < 0 {
		return fmt.Sprintf("-set #%d", -line)
	}
	return fmt.Sprintf("line %d", line)
}

// Where names a line of c in a message (see Line): "line 12", or "-set #2".
func (c *Config) Where(line int) string { return at(line) }

// applySets applies the overrides to root, a mapping, in order. Every node
// an override makes carries -N as its line, so that the errors found in it
// name the override. It returns the overrides read and their own errors.
func applySets(file string, root *yaml.Node, texts []string) ([]*Set, Errors) {
	var sets []*Set
	var errs Errors
	for i, text := range texts {
		s := &Set{N: i + 1, Text: text}
		sets = append(sets, s)
		fail := func(format string, args ...any) {
			errs = append(errs, &Error{File: file, Set: s, Msg: fmt.Sprintf(format, args...)})
		}
		key, value, ok := strings.Cut(text, "=")
		s.Key = strings.TrimSpace(key)
		if !ok {
			fail("want KEY=VALUE, such as params.epochs=1 or seeds=[0,1]")
			continue
		}
		path, err := splitPath(s.Key)
		if err != nil {
			fail("%v", err)
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
			fail("VALUE is not YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
			continue
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
		if len(doc.Content) > 0 {
			v = doc.Content[0]
		}
		mark(v, -s.N)
		if err := place(root, path, v, s); err != nil {
			fail("%v", err)
			continue
		}
		s.placed = true
	}
	return sets, errs
}

// segment is one step of an override's path: a key of a mapping, or an
// index of a list.
type segment struct {
	key   string
	index int // when key is ""
}

func (g segment) String() string {
	if g.key == "" {
		return fmt.Sprintf("[%d]", g.index)
	}
	return g.key
}

// splitPath reads a.b[2].c into its segments.
func splitPath(key string) ([]segment, error) {
	if key == "" {
		return nil, fmt.Errorf("empty KEY: want a path such as params.epochs or models[2].leak")
	}
	var out []segment
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && (len(out) == 0 || part == "") {
			return nil, fmt.Errorf("KEY %q: want a path such as params.epochs or models[2].leak", key)
		}
		if name != "" {
			out = append(out, segment{key: name})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 || (after != "" && after[0] != '[') {
				return nil, fmt.Errorf("KEY %q: want an index such as [2] after %s", key, name)
			}
			out = append(out, segment{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out, nil
}

// place puts v at path under n, replacing what is there or making the
// mappings on the way, and records in s the line it replaced.
func place(n *yaml.Node, path []segment, v *yaml.Node, s *Set) error {
	done := ""
	for i, g := range path {
		last := i == len(path)-1
		name := done + g.String()
		if g.key != "" {
			name = join(done, g.key)
		}
		if g.key == "" {
			if n.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s: the file's %s is %s, not a list", name, done, describe(n))
			}
			if g.index >= len(n.Content) {
				return fmt.Errorf("%s: the file's %s has %d entries (%s[0] to %s[%d])", name, done, len(n.Content), done, done, len(n.Content)-1)
			}
			if last {
				s.Over = lineOf(n.Content[g.index])
				n.Content[g.index] = v
				return nil
			}
			n, done = n.Content[g.index], name
			continue
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" { // params: with nothing after it
			*n = yaml.Node{Kind: yaml.MappingNode, Line: n.Line}
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: the file's %s is %s, not a mapping", name, done, describe(n))
		}
		j := -1
		for k := 0; k+1 < len(n.Content); k += 2 {
			if n.Content[k].Value == g.key {
				j = k
			}
		}
		if j < 0 { // a key the file does not have: add it
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: g.key, Line: -s.N}
			next := v
			if !last {
				next = &yaml.Node{Kind: yaml.MappingNode, Line: -s.N}
				if path[i+1].key == "" {
					return fmt.Errorf("%s: the file has no %s to index", name+path[i+1].String(), name)
				}
			}
			n.Content = append(n.Content, k, next)
			j = len(n.Content) - 2
		} else if last {
			// The key's value is the override's now: errors about it, or
			// about the key, name the override.
			s.Over = lineOf(n.Content[j+1])
			n.Content[j].Line = -s.N
			n.Content[j+1] = v
			return nil
		}
		if last {
			return nil
		}
		n, done = n.Content[j+1], name
	}
	return nil
}

// lineOf is the line of a node of the file (0 for one an override made).
func lineOf(n *yaml.Node) int { return max(n.Line, 0) }

// mark gives n and everything under it the line line.
func mark(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		mark(c, line)
	}
}
