package inventory

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// PatternError reports a host pattern that names nothing in the
// inventory, or that cannot be read.
type PatternError struct {
	Pattern    string // the pattern as given
	Term       string // the term at fault, with its ! or & prefix
	Reason     string // what is wrong with the term
	Suggestion string // the nearest host or group name, if any
}

// Error says which pattern and term failed, why, and the nearest name.
func (e *PatternError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "host pattern %q", e.Pattern)
	if e.Term != "" && e.Term != e.Pattern {
		fmt.Fprintf(&b, ", term %q", e.Term)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Suggestion != "" {
		fmt.Fprintf(&b, "; did you mean %q?", e.Suggestion)
	}
	return b.String()
}

// ErrNoPattern is returned by Select when no pattern holds a term.
var ErrNoPattern = errors.New("empty host pattern: name hosts or groups, or use \"all\"")

// Select returns the hosts that match the patterns, in inventory order.
//
// The patterns are read together as one list of terms, as Ansible reads a
// play's hosts list; each pattern is itself a list of terms separated by
// commas or colons. The result is the union of the plain terms (all hosts
// when there are none), intersected with each &term, minus each !term. A
// term is a host name, a group name ("all" and "ungrouped" included), "*"
// for all hosts, or a glob with * ? [...] matched against host and group
// names. A name that is neither a host nor a group, or a glob that matches
// nothing, is an error (a *PatternError), never an empty selection; an
// empty selection from & and ! is not an error.
func (inv *Inventory) Select(patterns ...string) ([]*Host, error) {
	if inv == nil {
		return nil, errors.New("select hosts: no inventory")
	}
	type term struct {
		op      byte // 0, '&' or '!'
		matches map[string]bool
	}
	var plain, filters []term
	for _, pattern := range patterns {
		for _, raw := range strings.FieldsFunc(pattern, func(r rune) bool { return r == ',' || r == ':' }) {
			t := strings.TrimSpace(raw)
			if t == "" {
				continue
			}
			var op byte
			body := t
			if t[0] == '&' || t[0] == '!' {
				op, body = t[0], strings.TrimSpace(t[1:])
			}
			matches, err := inv.matchTerm(body)
			if err != nil {
				err.Pattern, err.Term = pattern, t
				return nil, err
			}
			if op == 0 {
				plain = append(plain, term{op, matches})
			} else {
				filters = append(filters, term{op, matches})
			}
		}
	}
	if len(plain) == 0 && len(filters) == 0 {
		return nil, ErrNoPattern
	}
	selected := map[string]bool{}
	if len(plain) == 0 {
		// Only & and ! terms: they filter all hosts, as in Ansible.
		for _, h := range inv.hosts {
			selected[h.Name] = true
		}
	}
	for _, t := range plain {
		for name := range t.matches {
			selected[name] = true
		}
	}
	for _, t := range filters {
		for name := range selected {
			if t.matches[name] == (t.op == '!') {
				delete(selected, name)
			}
		}
	}
	var hosts []*Host
	for _, h := range inv.hosts {
		if selected[h.Name] {
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

// matchTerm returns the names of the hosts one term (without its prefix)
// selects. The error's Pattern and Term are filled in by the caller.
func (inv *Inventory) matchTerm(body string) (map[string]bool, *PatternError) {
	matches := map[string]bool{}
	addGroup := func(name string) {
		for _, h := range inv.members[name] {
			matches[h.Name] = true
		}
	}
	switch {
	case body == "":
		return nil, &PatternError{Reason: "& and ! must be followed by a host or group"}
	case body == "*" || body == GroupAll:
		addGroup(GroupAll)
		return matches, nil
	case strings.HasPrefix(body, "~"):
		return nil, &PatternError{Reason: "regular expressions (~) are not supported; use a glob with * and ?"}
	case strings.ContainsAny(body, "*?["):
		if _, err := path.Match(body, ""); err != nil {
			return nil, &PatternError{Reason: fmt.Sprintf("%q is not a valid glob (unbalanced [ ] or a trailing \\)", body)}
		}
		found := false
		for _, name := range inv.groupNames() {
			if ok, _ := path.Match(body, name); ok {
				addGroup(name)
				found = true
			}
		}
		for _, h := range inv.hosts {
			if ok, _ := path.Match(body, h.Name); ok {
				matches[h.Name] = true
				found = true
			}
		}
		if !found {
			return nil, &PatternError{Reason: fmt.Sprintf("%q matches no host or group", body)}
		}
		return matches, nil
	}
	if h, ok := inv.byName[body]; ok {
		matches[h.Name] = true
		return matches, nil
	}
	if slices.Contains(inv.groupNames(), body) {
		addGroup(body)
		return matches, nil
	}
	return nil, &PatternError{
		Reason:     fmt.Sprintf("no host or group is named %q", body),
		Suggestion: suggest(body, inv.names()),
	}
}

// groupNames lists every group, the implicit ones included.
func (inv *Inventory) groupNames() []string {
	names := []string{GroupAll, GroupUngrouped}
	for _, g := range inv.groups {
		names = append(names, g.Name)
	}
	return names
}

// names lists every name a pattern term can use.
func (inv *Inventory) names() []string {
	var names []string
	for _, h := range inv.hosts {
		names = append(names, h.Name)
	}
	return append(names, inv.groupNames()...)
}

// didYouMean is suggest as the end of a diagnostic's detail.
func didYouMean(given string, names []string) string {
	if s := suggest(given, names); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// suggest returns the name nearest to given, as HCL does for attribute
// names: within an edit distance of two, ignoring case (Windows names are
// not case-sensitive, so NODE1 for node1 is the likeliest slip). The first
// of equally near names wins.
func suggest(given string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(given), strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
