package input

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFileStopsAtItsBound(t *testing.T) {
	_, err := ReadFile("/dev/zero", 1<<20)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "larger than 1 MiB")

	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("12345"), 0o600))
	b, err := ReadFile(path, 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))
	_, err = ReadFile(path, 4)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFile(t.TempDir(), 4)
	assert.ErrorContains(t, err, "is a directory")
}

func TestNestingIsCountedWhereTheParserRecurses(t *testing.T) {
	for _, tc := range []struct {
		src  string
		deep bool
	}{
		{strings.Repeat("[", 100000), true},
		{"a = " + strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101), true},
		{"a = " + strings.Repeat("(", 99) + "1" + strings.Repeat(")", 99), false},
		{`a = "` + strings.Repeat("${", 101) + `x` + strings.Repeat("}", 101) + `"`, true},
		{`a = "` + strings.Repeat("(", 500) + `"`, false},
		{"# " + strings.Repeat("{", 500) + "\na = 1", false},
		{"/* " + strings.Repeat("[", 500) + " */ a = 1", false},
		{"a = <<EOT\n" + strings.Repeat("{", 500) + "\nEOT\nb = 1", false},
		{"a = <<EOT\n" + strings.Repeat("x\n", 5000) + "EOT\n" + strings.Repeat("[", 101), true},
		{"a = <<-EOT\n  " + strings.Repeat("(", 500) + "\n  EOT\n", false},
		{`a = "$${` + strings.Repeat("{", 500) + `"`, false},
		{"a = [" + strings.Repeat(`"]",`, 500) + "]", false},
		{"a = 1 << 2\n" + strings.Repeat("{", 200), true},
	} {
		_, deep := nestingOver([]byte(tc.src), 100)
		assert.Equal(t, tc.deep, deep, "%.60q", tc.src)
	}
}

func TestParseHCLFileRefusesDeepNestingWithItsPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep.hcl")
	require.NoError(t, os.WriteFile(path, []byte("x = "+strings.Repeat("[", 100000)), 0o600))
	_, diags := ParseHCLFile(hclparse.NewParser(), path)
	require.True(t, diags.HasErrors())
	assert.Equal(t, "Nesting too deep", diags[0].Summary)
	assert.Equal(t, 1, diags[0].Subject.Start.Line)
	assert.Equal(t, 105, diags[0].Subject.Start.Column)

	_, diags = ParseHCLFile(hclparse.NewParser(), "/dev/zero")
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags[0].Detail, "larger than 2 MiB")
}

// Every playbook and inventory the repository holds is within bounds.
func TestShippedFilesAreWithinBounds(t *testing.T) {
	files, err := filepath.Glob("../../playbooks/*.hcl")
	require.NoError(t, err)
	more, _ := filepath.Glob("../../testdata/*/*/*.hcl")
	files = append(files, more...)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := ReadFile(f, MaxHCL)
		require.NoError(t, err)
		_, deep := nestingOver(src, MaxNesting)
		assert.False(t, deep, f)
	}
}

func TestGarbageGivesAFewDiagnosticsNotAMillion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.hcl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("\x00 } ] ) ", 100000)), 0o600))
	_, diags := ParseHCLFile(hclparse.NewParser(), path)
	require.Len(t, diags, MaxDiagnostics+1)
	assert.Equal(t, "Too many errors", diags[MaxDiagnostics].Summary)
}

func TestHeredocsTheParserCannotReadInBoundsAreRefused(t *testing.T) {
	for _, tc := range []struct{ src, what string }{
		{"a = <<EOT\n" + strings.Repeat("x\n", MaxHeredocLines+1) + "EOT\n", "Heredoc too long"},
		{"a = <<-EOT\n" + strings.Repeat("  x\n", 10) + "\nb = 1\n", "Unclosed heredoc"},
		{"a = <<EOT\n" + strings.Repeat("x\n", MaxHeredocLines) + "EOT\n", ""},
	} {
		d := CheckShape([]byte(tc.src), "f.hcl")
		if tc.what == "" {
			assert.Nil(t, d)
			continue
		}
		require.NotNil(t, d, tc.what)
		assert.Equal(t, tc.what, d.Summary)
		assert.Equal(t, 1, d.Subject.Start.Line)
	}
}
