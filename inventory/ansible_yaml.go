package inventory

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"go.yaml.in/yaml/v3"
)

// readAnsibleYAML reads an inventory in the form Ansible's yaml plugin
// reads and `ansible-inventory --list --yaml` writes: top-level groups
// (usually all), each with hosts (a map of host patterns to their
// variables), vars and children (a map of groups). It also reads the JSON
// `ansible-inventory --list` writes (groups with lists of hosts and
// children, host variables under _meta.hostvars); JSON is YAML.
func readAnsibleYAML(src []byte, filename string) (*ansibleInv, hcl.Diagnostics) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, hcl.Diagnostics{errorAt("Invalid YAML", fmt.Sprintf("%s: %v.", filename, err), hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos})}
	}
	y := &yamlReader{a: newAnsibleInv(), file: filename, lines: lineStarts(src)}
	if len(doc.Content) == 0 {
		return y.a, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, hcl.Diagnostics{errorAt("Invalid inventory", "An Ansible YAML inventory is a map of groups, starting with all:.", y.rng(root))}
	}
	if y.listForm(root) {
		y.readList(root)
	} else {
		for i := 0; i+1 < len(root.Content); i += 2 {
			y.readGroup(root.Content[i], root.Content[i+1])
		}
	}
	return y.a, y.diags
}

type yamlReader struct {
	a     *ansibleInv
	file  string
	lines []int
	diags hcl.Diagnostics
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// rng is where a node is, as far as its first line.
func (y *yamlReader) rng(n *yaml.Node) hcl.Range {
	line := max(n.Line, 1)
	byteAt := 0
	if line-1 < len(y.lines) {
		byteAt = y.lines[line-1] + max(n.Column-1, 0)
	}
	length := len(n.Value)
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		length = 1
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		length += 2
	}
	start := hcl.Pos{Line: line, Column: max(n.Column, 1), Byte: byteAt}
	end := hcl.Pos{Line: line, Column: start.Column + length, Byte: byteAt + length}
	return hcl.Range{Filename: y.file, Start: start, End: end}
}

func (y *yamlReader) errorf(n *yaml.Node, summary, format string, args ...any) {
	y.diags = append(y.diags, errorAt(summary, fmt.Sprintf(format, args...), y.rng(n)))
}

// listForm reports whether the document is ansible-inventory --list's
// JSON: a _meta key, or a group whose hosts are a list.
func (y *yamlReader) listForm(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "_meta" {
			return true
		}
		if g := root.Content[i+1]; g.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(g.Content); j += 2 {
				if g.Content[j].Value == "hosts" && g.Content[j+1].Kind == yaml.SequenceNode {
					return true
				}
			}
		}
	}
	return false
}

// readGroup reads one group of the yaml plugin's form.
func (y *yamlReader) readGroup(key, val *yaml.Node) string {
	name := key.Value
	var g *ansibleGroup
	if name != GroupAll {
		g = y.a.group(name, y.rng(key))
	}
	if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
		return name
	}
	if val.Kind != yaml.MappingNode {
		y.errorf(val, "Invalid group", "Group %q must be a map of hosts, vars and children.", name)
		return name
	}
	for i := 0; i+1 < len(val.Content); i += 2 {
		section, body := val.Content[i], val.Content[i+1]
		if body.Kind == yaml.ScalarNode && body.Tag == "!!null" {
			continue
		}
		switch section.Value {
		case "hosts":
			if body.Kind == yaml.ScalarNode {
				// "hosts: test5", one host without a colon, as the yaml
				// plugin allows.
				y.addHosts(g, body, nil)
				continue
			}
			if body.Kind != yaml.MappingNode {
				y.errorf(body, "Invalid hosts", "The hosts of group %q must be a map of host names to their variables.", name)
				continue
			}
			for j := 0; j+1 < len(body.Content); j += 2 {
				y.addHosts(g, body.Content[j], body.Content[j+1])
			}
		case "vars":
			vars := y.vars(body, fmt.Sprintf("the vars of group %q", name))
			if g == nil {
				y.a.allVars = append(y.a.allVars, vars...)
			} else {
				g.vars = append(g.vars, vars...)
			}
		case "children":
			if body.Kind != yaml.MappingNode {
				y.errorf(body, "Invalid children", "The children of group %q must be a map of groups.", name)
				continue
			}
			for j := 0; j+1 < len(body.Content); j += 2 {
				child := y.readGroup(body.Content[j], body.Content[j+1])
				if g != nil && child != GroupAll {
					g.addChild(child, y.rng(body.Content[j]))
				}
			}
		default:
			y.errorf(section, "Unknown group key", "Group %q has the key %q; a group has hosts, vars and children.", name, section.Value)
		}
	}
	return name
}

// addHosts declares the hosts a pattern names, in group g (nil: all).
func (y *yamlReader) addHosts(g *ansibleGroup, key, vars *yaml.Node) {
	names, port, err := expandHostPattern(key.Value)
	if err != nil {
		y.errorf(key, "Invalid host pattern", "%q: %v.", key.Value, err)
		return
	}
	var hv []ansibleVar
	if port != "" {
		var n big.Float
		n.SetString(port)
		hv = append(hv, ansibleVar{name: "ansible_port", val: cty.NumberVal(&n), nameRng: y.rng(key), valueRng: y.rng(key)})
	}
	if vars != nil && !(vars.Kind == yaml.ScalarNode && vars.Tag == "!!null") {
		hv = append(hv, y.vars(vars, fmt.Sprintf("the variables of host %q", key.Value))...)
	}
	for _, n := range names {
		h := y.a.host(n, y.rng(key))
		h.vars = append(h.vars, hv...)
		if g != nil && g.name != GroupUngrouped {
			g.addMember(n, y.rng(key))
		}
	}
}

// vars reads a map of variables.
func (y *yamlReader) vars(n *yaml.Node, what string) []ansibleVar {
	if n.Kind != yaml.MappingNode {
		y.errorf(n, "Invalid variables", "%s must be a map of names to values.", capitalize(what))
		return nil
	}
	var out []ansibleVar
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		val, err := yamlValue(v)
		if err != nil {
			y.errorf(v, "Invalid value", "%s: %v.", k.Value, err)
			continue
		}
		out = append(out, ansibleVar{name: k.Value, val: val, nameRng: y.rng(k), valueRng: y.rng(v)})
	}
	return out
}

// readList reads ansible-inventory --list's JSON.
func (y *yamlReader) readList(root *yaml.Node) {
	var hostvars *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.Value == "_meta" {
			if hv := mapValue(val, "hostvars"); hv != nil {
				hostvars = hv
			}
			continue
		}
		var g *ansibleGroup
		if key.Value != GroupAll {
			g = y.a.group(key.Value, y.rng(key))
		}
		if val.Kind != yaml.MappingNode {
			continue
		}
		if hosts := mapValue(val, "hosts"); hosts != nil && hosts.Kind == yaml.SequenceNode {
			for _, h := range hosts.Content {
				y.a.host(h.Value, y.rng(h))
				if g != nil && g.name != GroupUngrouped {
					g.addMember(h.Value, y.rng(h))
				}
			}
		}
		if children := mapValue(val, "children"); children != nil && children.Kind == yaml.SequenceNode && g != nil {
			for _, c := range children.Content {
				if c.Value != GroupUngrouped {
					g.addChild(c.Value, y.rng(c))
				}
			}
		}
		if vars := mapValue(val, "vars"); vars != nil {
			v := y.vars(vars, fmt.Sprintf("the vars of group %q", key.Value))
			if g == nil {
				y.a.allVars = append(y.a.allVars, v...)
			} else {
				g.vars = append(g.vars, v...)
			}
		}
	}
	if hostvars != nil && hostvars.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(hostvars.Content); i += 2 {
			h := y.a.host(hostvars.Content[i].Value, y.rng(hostvars.Content[i]))
			h.vars = append(h.vars, y.vars(hostvars.Content[i+1], fmt.Sprintf("the variables of host %q", h.name))...)
		}
	}
	// Groups first named as children are declared where they are named.
	for _, g := range y.a.groups {
		for _, c := range g.children {
			y.a.group(c.name, c.rng)
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// yamlValue converts a YAML value to cty: strings, numbers, bools, null,
// lists and maps; a !vault value stays its text, which translate refuses.
func yamlValue(n *yaml.Node) (cty.Value, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return cty.NullVal(cty.DynamicPseudoType), nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return cty.NilVal, err
			}
			return cty.BoolVal(b), nil
		case "!!int", "!!float":
			f, ok := new(big.Float).SetString(strings.ReplaceAll(n.Value, "_", ""))
			if !ok {
				var v float64
				if err := n.Decode(&v); err != nil {
					return cty.NilVal, err
				}
				f = big.NewFloat(v)
			}
			return cty.NumberVal(f), nil
		}
		return cty.StringVal(n.Value), nil
	case yaml.SequenceNode:
		vals := make([]cty.Value, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := yamlValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals = append(vals, v)
		}
		return tupleOrEmpty(vals), nil
	case yaml.MappingNode:
		vals := map[string]cty.Value{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return cty.NilVal, err
			}
			vals[n.Content[i].Value] = v
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported YAML node")
}
