package gendoc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	return dir
}

func TestGenerateSpellsNamesAsPlaybooksDo(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"widget.go": `package modules

func init() {
	Register(Info{Name: "widget", New: func() Module { return &Widget{} }})
}

// Widget sets a Widget's size.
type Widget struct {
	// SizeLimit caps
	// Size.
	SizeLimit int ` + "`hcl:\"size_limit,optional\"`" + `
	Size int ` + "`hcl:\"size\"`" + ` // Size is at most SizeLimit.
	scratch int
}
`,
		"widget_test.go": "package modules\n\nfunc init() { Register(Info{Name: \"broken\"}) }\n",
		Output:           "this stale output is not Go",
	})
	src, err := Generate(dir)
	require.NoError(t, err)
	out := string(src)
	assert.Contains(t, out, `Doc: "widget sets a Widget's size.\n"`, "only the leading name becomes the module's")
	assert.Contains(t, out, `"size_limit": "size_limit caps size.",`, "a doc comment is one paragraph, fields spelled as in HCL")
	assert.Contains(t, out, `"size":       "size is at most size_limit.",`, "a line comment serves when there is no doc comment")
	assert.NotContains(t, out, "scratch")
}

func TestGenerateRefusesARegisterItCannotRead(t *testing.T) {
	dir := writeFiles(t, map[string]string{"odd.go": `package modules

var info = Info{Name: "odd", New: newOdd}

func init() { Register(info) }
`})
	_, err := Generate(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "odd.go:5")
}
