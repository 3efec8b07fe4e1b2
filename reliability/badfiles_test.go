package reliability_test

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/runner"
)

const fileArea = "bad files"

// badFile makes a file in dir and returns its path; an empty file may be
// a valid var file or inventory (mayAccept), but it must still not crash.
type badFile struct {
	name      string
	make      func(t *testing.T, dir string) string
	mayAccept bool
}

func fileOf(t *testing.T, dir, name string, write func(w *bufio.Writer)) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	write(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func repeat(s string, n int) func(w *bufio.Writer) {
	return func(w *bufio.Writer) {
		for i := 0; i < n; i++ {
			w.WriteString(s)
		}
	}
}

var badFiles = []badFile{
	{name: "/dev/zero", make: func(*testing.T, string) string { return "/dev/zero" }},
	{name: "50 MB", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "huge.hcl", repeat("# a comment that goes on and on and on\n", 50<<20/40))
	}},
	{name: "50 MB of tasks", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "tasks.hcl", func(w *bufio.Writer) {
			w.WriteString("play \"p\" {\n  hosts = [\"node1\"]\n")
			for i := 0; i < 50<<20/80; i++ {
				fmt.Fprintf(w, "  task \"t%d\" {\n    command { argv = [\"hostname\"] }\n  }\n", i)
			}
			w.WriteString("}\n")
		})
	}},
	{name: "100,000 brackets", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "brackets.hcl", func(w *bufio.Writer) {
			w.WriteString("x = ")
			repeat("[", 100000)(w)
		})
	}},
	{name: "100,000 blocks", make: func(t *testing.T, dir string) string { return fileOf(t, dir, "blocks.hcl", repeat("a {\n", 100000)) }},
	{name: "100,000 parentheses", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "parens.hcl", func(w *bufio.Writer) {
			w.WriteString("x = ")
			repeat("(", 100000)(w)
			w.WriteString("1")
			repeat(")", 100000)(w)
		})
	}},
	{name: "100,000 interpolations", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "interp.hcl", func(w *bufio.Writer) {
			w.WriteString(`x = "`)
			repeat("${", 100000)(w)
		})
	}},
	{name: "random bytes", make: func(t *testing.T, dir string) string {
		b := make([]byte, 1<<20)
		_, _ = rand.Read(b)
		return fileOf(t, dir, "random.hcl", func(w *bufio.Writer) { w.Write(b) })
	}},
	{name: "NUL bytes", make: func(t *testing.T, dir string) string { return fileOf(t, dir, "nul.hcl", repeat("\x00", 4096)) }},
	{name: "invalid UTF-8", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "utf8.hcl", repeat("x = \"\xff\xfe\xc3\"\n", 100))
	}},
	{name: "empty", make: func(t *testing.T, dir string) string { return fileOf(t, dir, "empty.hcl", repeat("", 0)) }, mayAccept: true},
	{name: "a directory", make: func(t *testing.T, dir string) string { return dir }},
	{name: "missing", make: func(t *testing.T, dir string) string { return filepath.Join(dir, "missing.hcl") }},
	{name: "an unclosed heredoc", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "heredoc.hcl", func(w *bufio.Writer) { w.WriteString("x = <<EOT\n"); repeat("line\n", 100000)(w) })
	}},
	{name: "a 1 MB string", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "long.hcl", func(w *bufio.Writer) { w.WriteString(`x = "`); repeat("x", 1<<20)(w); w.WriteString("\"\n") })
	}},
	{name: "20,000 unknown arguments", make: func(t *testing.T, dir string) string {
		return fileOf(t, dir, "args.hcl", func(w *bufio.Writer) {
			for i := 0; i < 20000; i++ {
				fmt.Fprintf(w, "unknown%d = %d\n", i, i)
			}
		})
	}},
	{name: "a 1 MB identifier", make: func(t *testing.T, dir string) string { return fileOf(t, dir, "ident.hcl", repeat("x", 1<<20)) }},
}

// refuses checks one load of a bad file: an error diagnostic (printable,
// with its source, masked), in bounded memory and time, without a panic.
func refuses(t *testing.T, what string, mayAccept bool, load func() (hcl.Diagnostics, map[string]*hcl.File)) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	why := ""
	func() {
		defer func() {
			if p := recover(); p != nil {
				why = fmt.Sprintf("panicked: %v", p)
			}
		}()
		diags, files := load()
		if !diags.HasErrors() {
			if !mayAccept {
				why = "accepted"
			}
			return
		}
		if err := runner.NewRedactor([]string{"secret"}).WriteDiagnostics(io.Discard, files, diags, 100, false); err != nil {
			why = "its diagnostics cannot be printed: " + err.Error()
		}
	}()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; why == "" && alloc > 1<<30 {
		why = fmt.Sprintf("took %d MB of memory", alloc>>20)
	}
	if d := time.Since(start); why == "" && d > 30*time.Second {
		why = fmt.Sprintf("took %s", d)
	}
	try(t, fileArea, why == "", "%s: %s", what, why)
}

// Every bad file as a playbook, a var file and an inventory: refused with
// a clear error, within bounds.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writePlaybook(t, `variable "v" { default = "x" }
play "p" {
  hosts = ["node1"]
  task "t" {
    command { argv = ["hostname"] }
  }
}`)
	for _, f := range badFiles {
		path := f.make(t, dir)
		refuses(t, "playbook "+f.name, false, func() (hcl.Diagnostics, map[string]*hcl.File) {
			plan, diags := runner.Load(path, runner.LoadOptions{})
			return diags, plan.Files
		})
		refuses(t, "var file "+f.name, f.mayAccept, func() (hcl.Diagnostics, map[string]*hcl.File) {
			plan, diags := runner.Load(good, runner.LoadOptions{VarFiles: []string{path}})
			return diags, plan.Files
		})
		refuses(t, "inventory "+f.name, f.mayAccept, func() (hcl.Diagnostics, map[string]*hcl.File) {
			parser := hclparse.NewParser()
			_, diags := inventory.Load(path, inventory.LoadOptions{Parser: parser, SkipPasswords: true})
			return diags, parser.Files()
		})
	}
}

// Every module argument that reaches a command line, too long for one:
// refused when the playbook is validated, not when the host is reached.
func TestOverlongArgumentsFailValidation(t *testing.T) {
	t.Parallel()
	for _, f := range argFields {
		for _, n := range []int{8150, 8200, 70000} {
			if n == 8150 && f.module+"."+f.field == "command.argv" {
				continue // echo and 8,150 characters fit a line: checked exactly
			}
			m := f.make(strings.Repeat("x", n))
			errs := validateModule(f.module, m)
			try(t, fileArea, len(errs) > 0, "%s.%s of %d characters passed validation", f.module, f.field, n)
		}
	}
}
