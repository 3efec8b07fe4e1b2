package inventory

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// readAnsibleINI reads an inventory in Ansible's INI format as
// ansible-core's ini plugin does: [group] sections of host lines,
// [group:children] and [group:vars], hosts before any section ungrouped;
// host lines split as shlex splits them (quotes, and "#" starting a
// comment); values read as Python literals (see pyLiteral); name ranges
// such as www[01:50:2] and db-[a:f]; host:port.
func readAnsibleINI(src []byte, filename string) (*ansibleInv, hcl.Diagnostics) {
	a := newAnsibleInv()
	var diags hcl.Diagnostics
	type pending struct {
		rng     hcl.Range
		parents []string
	}
	// Children and vars sections may name a group declared later.
	pendingChildren := map[string]*pending{}
	var pendingOrder []string
	varsOnly := map[string]hcl.Range{}

	group, state := GroupUngrouped, "hosts"
	offset := 0
	for i, line := range strings.SplitAfter(string(src), "\n") {
		lineStart := offset
		offset += len(line)
		raw := strings.TrimRight(line, "\r\n")
		lineRange := func(from, to int) hcl.Range {
			return hcl.Range{Filename: filename,
				Start: hcl.Pos{Line: i + 1, Column: from + 1, Byte: lineStart + from},
				End:   hcl.Pos{Line: i + 1, Column: to + 1, Byte: lineStart + to}}
		}
		trimmed := strings.TrimSpace(raw)
		lead := len(raw) - len(strings.TrimLeft(raw, " \t"))
		whole := lineRange(lead, lead+len(trimmed))
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if m := iniSection.FindStringSubmatch(trimmed); m != nil {
			group, state = m[1], m[2]
			if state == "" {
				state = "hosts"
			}
			if state != "hosts" && state != "children" && state != "vars" {
				diags = append(diags, errorAt("Invalid section", fmt.Sprintf("Section [%s:%s] has an unknown type: %s; Ansible's are :children and :vars.", m[1], m[2], m[2]), whole))
				continue
			}
			if group == GroupAll || group == GroupUngrouped {
				continue
			}
			if state == "vars" {
				if _, ok := a.gByName[group]; !ok {
					varsOnly[group] = whole
				}
				continue
			}
			a.group(group, lineRange(lead+1, lead+1+len(group)))
			delete(varsOnly, group)
			if p, ok := pendingChildren[group]; ok {
				for _, parent := range p.parents {
					a.gByName[parent].addChild(group, p.rng)
				}
				delete(pendingChildren, group)
			}
			continue
		}
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			diags = append(diags, errorAt("Invalid section", fmt.Sprintf("%s is not a section header: a header is [group], [group:children] or [group:vars], without spaces.", trimmed), whole))
			continue
		}
		switch state {
		case "hosts":
			tokens, err := shlexSplit(raw)
			if err != nil {
				diags = append(diags, errorAt("Invalid host line", fmt.Sprintf("Cannot split the host line: %v.", err), whole))
				continue
			}
			if len(tokens) == 0 {
				continue
			}
			names, port, err := expandHostPattern(tokens[0].text)
			if err != nil {
				diags = append(diags, errorAt("Invalid host pattern", fmt.Sprintf("%q: %v.", tokens[0].text, err), lineRange(tokens[0].start, tokens[0].end)))
				continue
			}
			nameRng := lineRange(tokens[0].start, tokens[0].end)
			var vars []ansibleVar
			if port != "" {
				n, _ := strconv.Atoi(port)
				vars = append(vars, ansibleVar{name: "ansible_port", val: cty.NumberIntVal(int64(n)), nameRng: nameRng, valueRng: nameRng})
			}
			bad := false
			for _, t := range tokens[1:] {
				k, v, ok := strings.Cut(t.text, "=")
				if !ok {
					diags = append(diags, errorAt("Invalid host variable", fmt.Sprintf("%q is not a key=value host variable.", t.text), lineRange(t.start, t.end)))
					bad = true
					continue
				}
				vars = append(vars, ansibleVar{name: k, val: pyLiteral(v), nameRng: lineRange(t.start, t.start+len(k)), valueRng: lineRange(t.start, t.end)})
			}
			if bad {
				continue
			}
			for _, n := range names {
				h := a.host(n, nameRng)
				h.vars = append(h.vars, vars...)
				if group != GroupUngrouped && group != GroupAll {
					a.group(group, nameRng).addMember(n, nameRng)
				}
			}
		case "vars":
			k, v, ok := strings.Cut(trimmed, "=")
			if !ok {
				diags = append(diags, errorAt("Invalid variable", fmt.Sprintf("%q is not key=value: in a :vars section each line sets one variable.", trimmed), whole))
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			eq := strings.Index(raw, "=")
			av := ansibleVar{name: k, val: pyLiteral(v), nameRng: lineRange(lead, lead+len(k)), valueRng: lineRange(eq+1, len(raw))}
			if group == GroupAll {
				a.allVars = append(a.allVars, av)
			} else {
				g := a.group(group, whole)
				g.vars = append(g.vars, av)
			}
		case "children":
			m := iniGroupName.FindStringSubmatch(trimmed)
			if m == nil {
				diags = append(diags, errorAt("Invalid child group", fmt.Sprintf("Expected a group name, got %q.", trimmed), whole))
				continue
			}
			child, rng := m[1], lineRange(lead, lead+len(m[1]))
			parent := a.group(group, whole)
			if _, ok := a.gByName[child]; ok {
				parent.addChild(child, rng)
				continue
			}
			p, ok := pendingChildren[child]
			if !ok {
				p = &pending{rng: rng}
				pendingChildren[child] = p
				pendingOrder = append(pendingOrder, child)
			}
			p.parents = append(p.parents, group)
		}
	}
	for _, child := range pendingOrder {
		if p, ok := pendingChildren[child]; ok {
			diags = append(diags, errorAt("Unknown group", fmt.Sprintf("Section [%s:children] names group %q, which the inventory never declares with a [%s] or [%s:children] section.", p.parents[0], child, child, child), p.rng))
		}
	}
	for g, rng := range varsOnly {
		if _, ok := a.gByName[g]; !ok {
			diags = append(diags, errorAt("Unknown group", fmt.Sprintf("Section [%s:vars] is for a group the inventory never declares.", g), rng))
		}
	}
	return a, diags
}

var (
	iniSection   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupName = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

type token struct {
	text       string
	start, end int // byte offsets in the line
}

// shlexSplit splits a line as Python's shlex.split(line, comments=True)
// does: blanks separate words, quotes group them ('...' literally, "..."
// with \" and \\ escaped), a backslash outside quotes escapes the next
// character, and "#" outside quotes ends the line.
func shlexSplit(line string) ([]token, error) {
	var out []token
	var cur strings.Builder
	in, start := false, 0
	flush := func(end int) {
		if in {
			out = append(out, token{cur.String(), start, end})
		}
		cur.Reset()
		in = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			flush(i)
		case c == '#':
			flush(i)
			return out, nil
		case c == '\'' || c == '"':
			if !in {
				in, start = true, i
			}
			j := i + 1
			for ; j < len(line) && line[j] != c; j++ {
				if c == '"' && line[j] == '\\' && j+1 < len(line) && (line[j+1] == '"' || line[j+1] == '\\') {
					j++
				}
				cur.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, fmt.Errorf("no closing quotation")
			}
			i = j
		case c == '\\':
			if !in {
				in, start = true, i
			}
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
		default:
			if !in {
				in, start = true, i
			}
			cur.WriteByte(c)
		}
	}
	flush(len(line))
	return out, nil
}

// expandHostPattern splits a host pattern into names and a port, as
// Ansible's: "host:5986", "[::1]:5986", ranges "www[01:50:2].example.com"
// (numbers, zero-padded when the start is) and "db-[a:f]" (letters), several
// ranges in one name included.
func expandHostPattern(pattern string) ([]string, string, error) {
	port := ""
	switch {
	case strings.HasPrefix(pattern, "[") && strings.Contains(pattern, "]:"):
		// [IPv6]:port
		end := strings.Index(pattern, "]:")
		if net.ParseIP(pattern[1:end]) != nil {
			pattern, port = pattern[1:end], pattern[end+2:]
		}
	case strings.Count(pattern, ":") == 1:
		host, p, _ := strings.Cut(pattern, ":")
		if !strings.Contains(p, "]") {
			pattern, port = host, p
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, "", fmt.Errorf("%q is not a port", port)
		}
	}
	if strings.HasSuffix(pattern, ":") {
		return nil, "", fmt.Errorf("a pattern does not end in \":\", which is reserved for a port")
	}
	if net.ParseIP(pattern) != nil || !strings.Contains(pattern, "[") {
		return []string{pattern}, port, nil
	}
	names, err := expandRange(pattern)
	return names, port, err
}

func expandRange(name string) ([]string, error) {
	open := strings.Index(name, "[")
	if open < 0 {
		return []string{name}, nil
	}
	closing := strings.Index(name[open:], "]")
	if closing < 0 {
		return nil, fmt.Errorf("a range [ has no ]")
	}
	head, body, tail := name[:open], name[open+1:open+closing], name[open+closing+1:]
	bounds := strings.Split(body, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, fmt.Errorf("a host range is [begin:end] or [begin:end:step], not [%s]", body)
	}
	beg, end, step := bounds[0], bounds[1], 1
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, fmt.Errorf("a host range needs an end")
	}
	if len(bounds) == 3 {
		n, err := strconv.Atoi(bounds[2])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("the step of [%s] is not a positive number", body)
		}
		step = n
	}
	var seq []string
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if len(beg) == 1 && len(end) == 1 && strings.Contains(letters, beg) && strings.Contains(letters, end) {
		b, e := strings.Index(letters, beg), strings.Index(letters, end)
		if b > e {
			return nil, fmt.Errorf("the range [%s] ends before it begins", body)
		}
		for i := b; i <= e; i += step {
			seq = append(seq, letters[i:i+1])
		}
	} else {
		b, err1 := strconv.Atoi(beg)
		e, err2 := strconv.Atoi(end)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("[%s] is neither a numeric nor an alphabetic range", body)
		}
		width := 0
		if beg[0] == '0' && len(beg) > 1 {
			if len(beg) != len(end) {
				return nil, fmt.Errorf("the range [%s] pads its start with zeros, so its end must have as many digits", body)
			}
			width = len(beg)
		}
		if e-b > 100000 {
			return nil, fmt.Errorf("the range [%s] makes more than 100000 hosts", body)
		}
		for i := b; i <= e; i += step {
			seq = append(seq, fmt.Sprintf("%0*d", width, i))
		}
	}
	var out []string
	for _, s := range seq {
		more, err := expandRange(head + s + tail)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}
