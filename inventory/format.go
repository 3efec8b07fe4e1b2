package inventory

import (
	"bufio"
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
)

// Formats of inventory files Load reads.
const (
	FormatHCL  = "hcl"  // winplay's own
	FormatINI  = "ini"  // Ansible's INI
	FormatYAML = "yaml" // Ansible's YAML, and the JSON ansible-inventory --list writes
)

var (
	hclStart  = regexp.MustCompile(`^(connection|vars|host|group)\b\s*(=|"|\{)`)
	yamlStart = regexp.MustCompile(`^(---|\{|[^\s:=\[#]+:(\s|$))`)
)

// Format tells an inventory file's format: by its extension (.hcl; .yml,
// .yaml and .json; .ini), else by its first line that is not blank or a
// comment, since Ansible's inventories are often named just "hosts".
func Format(filename string, src []byte) string {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".hcl":
		return FormatHCL
	case ".yml", ".yaml", ".json":
		return FormatYAML
	case ".ini":
		return FormatINI
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || strings.HasPrefix(line, "//") {
			continue
		}
		switch {
		case hclStart.MatchString(line):
			return FormatHCL
		case iniSection.MatchString(line):
			return FormatINI
		case yamlStart.MatchString(line):
			return FormatYAML
		}
		return FormatINI
	}
	return FormatHCL
}
