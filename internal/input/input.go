// Package input reads the files winplay is given (playbooks, inventories,
// var files, CA bundles, files to copy) within bounds, so that no input
// can exhaust memory or the stack: /dev/zero as a playbook, a 50 MB file,
// 100,000 levels of nesting, a heredoc of 100,000 lines. Each refusal says
// what the bound is.
package input

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// MaxHCL bounds a playbook, an inventory or a var file. HCL takes about a
// hundred times a file's size in memory to parse it, and the largest real
// playbooks and inventories are a few hundred kilobytes.
const MaxHCL = 2 << 20

// MaxNesting bounds how deeply HCL source may nest blocks, brackets,
// parentheses and template interpolations; HCL's parser recurses on each.
const MaxNesting = 100

// ErrTooLarge is wrapped by every error about a file over its bound.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads path, refusing more than max bytes: a larger file, or a
// device or pipe that goes on, is an error that names the bound.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: %s is larger than %s", ErrTooLarge, path, size(max))
	}
	return b, nil
}

func size(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseHCLFile reads and parses an HCL file with parser, as
// parser.ParseHCLFile does, within MaxHCL and CheckShape's bounds, and
// with at most MaxDiagnostics diagnostics.
func ParseHCLFile(parser *hclparse.Parser, path string) (*hcl.File, hcl.Diagnostics) {
	src, err := ReadFile(path, MaxHCL)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Failed to read file",
			Detail: fmt.Sprintf("The file %q could not be read: %s.", path, err),
		}}
	}
	if d := CheckShape(src, path); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	f, diags := parser.ParseHCL(src, path)
	return f, Limit(diags)
}

// CheckShape returns an error diagnostic at the first place src nests
// deeper than MaxNesting or holds a heredoc the parser cannot read in
// bounds (see shapeOf), or nil.
func CheckShape(src []byte, path string) *hcl.Diagnostic {
	p := shapeOf(src, MaxNesting)
	var summary, detail string
	switch p.what {
	case "":
		return nil
	case "nesting":
		summary, detail = "Nesting too deep", fmt.Sprintf("The file nests blocks, brackets and interpolations more than %d levels deep.", MaxNesting)
	case "heredoc lines":
		summary, detail = "Heredoc too long", fmt.Sprintf("This heredoc has more than %d lines; put the text in a file beside the playbook instead.", MaxHeredocLines)
	default:
		summary, detail = "Unclosed heredoc", "This heredoc has no line that closes it with its marker."
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: detail,
		Subject: &hcl.Range{Filename: path, Start: p.pos, End: p.pos},
	}
}

// MaxDiagnostics bounds the diagnostics of one file: a file of garbage
// has one per few bytes, and printing each with its source line scans the
// file again, so a megabyte of them would take hours.
const MaxDiagnostics = 20

// Limit keeps the first MaxDiagnostics diagnostics and says how many more
// there were.
func Limit(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(diags) <= MaxDiagnostics {
		return diags
	}
	out := append(hcl.Diagnostics(nil), diags[:MaxDiagnostics]...)
	return append(out, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Too many errors",
		Detail: fmt.Sprintf("%d more errors are not shown; this may not be an HCL file at all.", len(diags)-MaxDiagnostics),
	})
}
