package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
)

// FuzzLoad feeds arbitrary files to the loader, and what it accepts to
// Select and Write: none of them may panic, and what Write produces must
// load again.
func FuzzLoad(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.hcl"))
	if err != nil {
		f.Fatal(err)
	}
	invalid, err := filepath.Glob(filepath.Join(fixtures, "invalid", "*.hcl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range append(paths, invalid...) {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, "all:!node1,&web*")
	}
	opts := LoadOptions{Getenv: func(string) string { return "pw" }, Prompt: func(string) (string, error) { return "pw", nil }}
	f.Fuzz(func(t *testing.T, src []byte, pattern string) {
		file, diags := hclparse.NewParser().ParseHCL(src, "fuzz.hcl")
		if diags.HasErrors() {
			return
		}
		inv, diags := loadFile(file, fixtures, opts)
		if diags.HasErrors() {
			if inv != nil {
				t.Fatal("an inventory with errors")
			}
			return
		}
		_, _ = inv.Select(pattern)
		var buf bytes.Buffer
		if err := Write(&buf, inv); err != nil {
			return
		}
		written, diags := hclparse.NewParser().ParseHCL(buf.Bytes(), "written.hcl")
		if diags.HasErrors() {
			t.Fatalf("written inventory does not parse: %s\n%s", diags.Error(), buf.String())
		}
		if _, diags := loadFile(written, fixtures, opts); diags.HasErrors() {
			t.Fatalf("written inventory does not load: %s\n%s", diags.Error(), buf.String())
		}
	})
}
