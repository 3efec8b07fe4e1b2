package inventory

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelect(t *testing.T) {
	// patterns.hcl: node1 node2 web1 web2 db1 lonely, in that order;
	// cluster = node1 node2 + web; web = web1 web2 node2; db = db1; empty.
	inv := load(t, "patterns.hcl")
	tests := []struct {
		name     string
		patterns []string
		want     []string
	}{
		{"host", []string{"node1"}, []string{"node1"}},
		{"group", []string{"web"}, []string{"node2", "web1", "web2"}},
		{"nested group includes its children", []string{"cluster"}, []string{"node1", "node2", "web1", "web2"}},
		{"all", []string{"all"}, []string{"node1", "node2", "web1", "web2", "db1", "lonely"}},
		{"star", []string{"*"}, []string{"node1", "node2", "web1", "web2", "db1", "lonely"}},
		{"ungrouped", []string{"ungrouped"}, []string{"lonely"}},
		{"union keeps inventory order", []string{"db1,node1"}, []string{"node1", "db1"}},
		{"colon separates too", []string{"db:node1"}, []string{"node1", "db1"}},
		{"several patterns form one list", []string{"db", "node1"}, []string{"node1", "db1"}},
		{"union without duplicates", []string{"web,cluster"}, []string{"node1", "node2", "web1", "web2"}},
		{"exclusion", []string{"all:!node1"}, []string{"node2", "web1", "web2", "db1", "lonely"}},
		{"exclude a group", []string{"cluster,!web"}, []string{"node1"}},
		{"intersection", []string{"cluster:&web"}, []string{"node2", "web1", "web2"}},
		{"intersection then exclusion", []string{"cluster:&web:!web2"}, []string{"node2", "web1"}},
		{"order of & and ! terms does not matter", []string{"!web2,cluster,&web"}, []string{"node2", "web1"}},
		{"only exclusions start from all", []string{"!cluster"}, []string{"db1", "lonely"}},
		{"only intersections start from all", []string{"&web"}, []string{"node2", "web1", "web2"}},
		{"glob on hosts", []string{"node*"}, []string{"node1", "node2"}},
		{"glob with ?", []string{"web?"}, []string{"web1", "web2"}},
		{"glob on groups expands them", []string{"clu*"}, []string{"node1", "node2", "web1", "web2"}},
		{"glob matches host and group names", []string{"d*"}, []string{"db1"}},
		{"character class", []string{"node[2-9]"}, []string{"node2"}},
		{"excluded glob", []string{"all,!*1"}, []string{"node2", "web2", "lonely"}},
		{"spaces around terms", []string{" node1 , ! node1 , web1 "}, []string{"web1"}},
		{"empty terms are skipped", []string{"node1,,web1,"}, []string{"node1", "web1"}},
		{"empty group selects nothing", []string{"empty"}, nil},
		{"intersection can be empty", []string{"db:&web"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, err := inv.Select(tt.patterns...)
			require.NoError(t, err)
			var got []string
			for _, h := range hosts {
				got = append(got, h.Name)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSelectErrors(t *testing.T) {
	inv := load(t, "patterns.hcl")
	tests := []struct {
		name     string
		patterns []string
		want     PatternError
		message  string
	}{
		{
			name:     "unknown host",
			patterns: []string{"node3"},
			want:     PatternError{Pattern: "node3", Term: "node3", Reason: `no host or group is named "node3"`, Suggestion: "node1"},
			message:  `host pattern "node3": no host or group is named "node3"; did you mean "node1"?`,
		},
		{
			name:     "unknown group in a list",
			patterns: []string{"node1,clustr"},
			want:     PatternError{Pattern: "node1,clustr", Term: "clustr", Reason: `no host or group is named "clustr"`, Suggestion: "cluster"},
			message:  `host pattern "node1,clustr", term "clustr": no host or group is named "clustr"; did you mean "cluster"?`,
		},
		{
			name:     "unknown excluded name is an error too",
			patterns: []string{"all:!nod2"},
			want:     PatternError{Pattern: "all:!nod2", Term: "!nod2", Reason: `no host or group is named "nod2"`, Suggestion: "node2"},
		},
		{
			name:     "case differs: suggest the real name",
			patterns: []string{"NODE1"},
			want:     PatternError{Pattern: "NODE1", Term: "NODE1", Reason: `no host or group is named "NODE1"`, Suggestion: "node1"},
		},
		{
			name:     "nothing near",
			patterns: []string{"exchange"},
			want:     PatternError{Pattern: "exchange", Term: "exchange", Reason: `no host or group is named "exchange"`},
			message:  `host pattern "exchange": no host or group is named "exchange"`,
		},
		{
			name:     "glob that matches nothing",
			patterns: []string{"sql*"},
			want:     PatternError{Pattern: "sql*", Term: "sql*", Reason: `"sql*" matches no host or group`},
		},
		{
			name:     "malformed glob",
			patterns: []string{"web[1"},
			want:     PatternError{Pattern: "web[1", Term: "web[1", Reason: `"web[1" is not a valid glob (unbalanced [ ] or a trailing \)`},
		},
		{
			name:     "bare operator",
			patterns: []string{"all,!"},
			want:     PatternError{Pattern: "all,!", Term: "!", Reason: "& and ! must be followed by a host or group"},
		},
		{
			name:     "regular expression",
			patterns: []string{"~node.*"},
			want:     PatternError{Pattern: "~node.*", Term: "~node.*", Reason: "regular expressions (~) are not supported; use a glob with * and ?"},
		},
		{
			name:     "error names the pattern it is in",
			patterns: []string{"web", "db,zzz"},
			want:     PatternError{Pattern: "db,zzz", Term: "zzz", Reason: `no host or group is named "zzz"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, err := inv.Select(tt.patterns...)
			assert.Nil(t, hosts)
			var pe *PatternError
			require.True(t, errors.As(err, &pe), "%v", err)
			assert.Equal(t, tt.want, *pe)
			if tt.message != "" {
				assert.EqualError(t, err, tt.message)
			}
		})
	}
}

func TestSelectEmpty(t *testing.T) {
	inv := load(t, "patterns.hcl")
	for _, patterns := range [][]string{nil, {""}, {" , : "}} {
		_, err := inv.Select(patterns...)
		assert.ErrorIs(t, err, ErrNoPattern, "%q", patterns)
	}
	var nilInv *Inventory
	_, err := nilInv.Select("all")
	assert.Error(t, err)
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"node1", "node1", 0},
		{"node1", "node2", 1},
		{"clustr", "cluster", 1},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"nöde", "node", 1},
		{"\xff", "a", 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, editDistance(tt.a, tt.b), "%q %q", tt.a, tt.b)
	}
}
