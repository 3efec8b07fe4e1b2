package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/winplay/winplay/internal/input"
	"github.com/winplay/winplay/runner"
)

type fmtFlags struct {
	list, write, diff, check, recursive bool
}

func newFmtCmd(stdio Stdio) *cobra.Command {
	var f fmtFlags
	cmd := &cobra.Command{
		Use:   "fmt [flags] [TARGET...]",
		Short: "Rewrite HCL files (playbooks, inventories, var files) in canonical form",
		Long: `Rewrites HCL files in canonical form, as terraform fmt does: playbooks,
inventories and variable files alike. A TARGET is a file, a directory (its
*.hcl files; with -recursive, those of its subdirectories too, skipping
hidden ones) or "-" for standard input, which is written formatted to
standard output. Without a TARGET, the current directory.

The names of files that change are listed. -check writes nothing and exits 4
when any file is not formatted (a CI gate); -diff shows what changes as a
unified diff. The flags may be written with one dash, as terraform's are:
-check, -diff, -recursive, -write=false, -list=false.`,
		Annotations: map[string]string{"args": "TARGET\ta file, a directory, or - for standard input (default: the current directory)"},
		Example: `  winplay fmt
  winplay fmt -recursive playbooks
  winplay fmt -check -diff site.hcl
  cat site.hcl | winplay fmt -`,
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(formatTargets(f, args, stdio))
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.list, "list", true, "list the files whose formatting changes")
	fs.BoolVar(&f.write, "write", true, "write the result to the file (false with -check, or for standard input)")
	fs.BoolVar(&f.diff, "diff", false, "show what changes, as a unified diff")
	fs.BoolVar(&f.check, "check", false, "write nothing; exit 4 if any file is not formatted")
	fs.BoolVar(&f.recursive, "recursive", false, "also format the files in subdirectories")
	return cmd
}

func formatTargets(f fmtFlags, targets []string, stdio Stdio) int {
	if len(targets) == 0 {
		targets = []string{"."}
	}
	code := runner.ExitOK
	fail := func(err error) {
		fmt.Fprintf(stdio.Err, "winplay fmt: %v\n", err)
		code = runner.ExitInvalid
	}
	for _, target := range targets {
		if target == "-" {
			src, err := io.ReadAll(io.LimitReader(stdio.In, input.MaxHCL))
			if err != nil {
				fail(err)
				continue
			}
			if c := formatOne(f, "<stdin>", src, true, stdio); c != runner.ExitOK {
				code = c
			}
			continue
		}
		info, err := os.Stat(target)
		if err != nil {
			fail(err)
			continue
		}
		files := []string{target}
		if info.IsDir() {
			if files, err = hclFiles(target, f.recursive); err != nil {
				fail(err)
				continue
			}
		}
		for _, path := range files {
			src, err := input.ReadFile(path, input.MaxHCL)
			if err != nil {
				fail(err)
				continue
			}
			if c := formatOne(f, path, src, false, stdio); c != runner.ExitOK {
				code = c
			}
		}
	}
	return code
}

// hclFiles lists a directory's *.hcl files, and with recursive those of
// its subdirectories but hidden ones (.git).
func hclFiles(dir string, recursive bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".hcl") {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// formatOne formats one file's source; stdin's result goes to stdout.
func formatOne(f fmtFlags, path string, src []byte, stdin bool, stdio Stdio) int {
	if d := input.CheckShape(src, path); d != nil {
		printDiags(stdio, nil, nil, hcl.Diagnostics{d})
		return runner.ExitInvalid
	}
	_, diags := hclwrite.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		printDiags(stdio, nil, map[string]*hcl.File{path: {Bytes: src}}, diags)
		return runner.ExitInvalid
	}
	out := hclwrite.Format(src)
	changed := string(out) != string(src)
	if stdin {
		if f.diff && changed {
			fmt.Fprint(stdio.Out, unifiedDiff(path, string(src), string(out)))
		} else if !f.check && !f.diff {
			_, _ = stdio.Out.Write(out)
		}
	} else if changed {
		if f.list {
			fmt.Fprintln(stdio.Out, path)
		}
		if f.diff {
			fmt.Fprint(stdio.Out, unifiedDiff(path, string(src), string(out)))
		}
		if f.write && !f.check {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				fmt.Fprintf(stdio.Err, "winplay fmt: %v\n", err)
				return runner.ExitInvalid
			}
		}
	}
	if f.check && changed {
		return runner.ExitInvalid
	}
	return runner.ExitOK
}

// unifiedDiff renders the change from a to b as diff -u does, with three
// lines of context around each change.
func unifiedDiff(name, a, b string) string {
	ops := runner.LineDiff(strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n"))
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- old/%s\n+++ new/%s\n", name, name)
	// Line numbers in a and b before each op.
	type pos struct{ a, b int }
	at := make([]pos, len(ops)+1)
	for i, op := range ops {
		at[i+1] = at[i]
		if op[0] != '+' {
			at[i+1].a++
		}
		if op[0] != '-' {
			at[i+1].b++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i][0] == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j][0] != ' ' {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		na, nb := at[end].a-at[start].a, at[end].b-at[start].b
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", at[start].a+min(na, 1), na, at[start].b+min(nb, 1), nb)
		for _, op := range ops[start:end] {
			out.WriteString(op + "\n")
		}
		i = end
	}
	return out.String()
}
