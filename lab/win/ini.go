package win

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// iniFile is a parsed INI or INF file (Option Pack answer files, secedit
// templates): sections by lower-case name, each with its key=value lines
// in order.
type iniFile map[string][]iniEntry

type iniEntry struct{ key, value string }

// parseINI reads INI text: [section] headers, key=value lines, blank
// lines and ; comments outside quotes. A byte order mark (UTF-16LE or
// UTF-8) is honoured. It names the first line it cannot read.
func parseINI(data []byte) (iniFile, error) {
	text := strings.TrimPrefix(string(decodeText(data)), "\ufeff")
	f := iniFile{}
	section := ""
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(stripINIComment(raw))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: %q is not a [section] header", i+1, line)
			}
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			if _, ok := f[section]; !ok {
				f[section] = []iniEntry{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("line %d: %q is not key=value inside a section", i+1, line)
		}
		f[section] = append(f[section], iniEntry{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return f, nil
}

// stripINIComment cuts a line at the first semicolon outside quotes.
func stripINIComment(line string) string {
	in := false
	for i, r := range line {
		switch {
		case r == '"':
			in = !in
		case r == ';' && !in:
			return line[:i]
		}
	}
	return line
}

// get returns a key's value in a section, case-insensitively.
func (f iniFile) get(section, key string) (string, bool) {
	for _, e := range f[strings.ToLower(section)] {
		if strings.EqualFold(e.key, key) {
			return e.value, true
		}
	}
	return "", false
}

// utf16File encodes text as UTF-16LE with a byte order mark, as secedit
// writes its templates.
func utf16File(text string) []byte {
	u := utf16.Encode([]rune(text))
	b := []byte{0xFF, 0xFE}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}
