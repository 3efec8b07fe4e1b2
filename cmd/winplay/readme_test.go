package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/inventory"
)

// readmeCommands are the commands the README's reference shows, in order.
var readmeCommands = [][]string{
	{}, {"run"}, {"validate"}, {"hosts"}, {"inventory", "convert"}, {"doc"}, {"fmt"}, {"lab"}, {"report"}, {"completion"},
}

// readmeSections is what the README holds between its markers: each
// command's --help, and the inventory reference.
func readmeSections(t *testing.T) map[string]string {
	t.Helper()
	var b strings.Builder
	for _, cmd := range readmeCommands {
		r := winplay(t, nil, append(cmd, "--help")...)
		require.Equal(t, 0, r.code, r.err)
		b.WriteString("#### " + strings.TrimSpace("winplay "+strings.Join(cmd, " ")) + "\n\n```text\n" + r.out + "```\n\n")
	}
	return map[string]string{
		"command reference":   strings.TrimSuffix(b.String(), "\n"),
		"inventory reference": inventory.Reference,
	}
}

// TestREADMEMatchesHelp holds the README's command reference equal to
// what --help prints, and its inventory reference equal to winplay doc
// inventory. WINPLAY_UPDATE_README=1 rewrites them.
func TestREADMEMatchesHelp(t *testing.T) {
	const path = "../../README.md"
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(src)
	for name, want := range readmeSections(t) {
		begin, end := "<!-- BEGIN "+name+" (generated: WINPLAY_UPDATE_README=1 go test ./cmd/winplay -run README) -->\n", "<!-- END "+name+" -->"
		i, j := strings.Index(text, begin), strings.Index(text, end)
		require.True(t, i >= 0 && j > i, "README.md has no %q markers", name)
		got := text[i+len(begin) : j]
		if os.Getenv("WINPLAY_UPDATE_README") != "" {
			text = text[:i+len(begin)] + want + text[j:]
			continue
		}
		assert.Equal(t, want, got, "README.md's %s differs from winplay's own: run WINPLAY_UPDATE_README=1 go test ./cmd/winplay -run README", name)
	}
	if os.Getenv("WINPLAY_UPDATE_README") != "" {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
}
