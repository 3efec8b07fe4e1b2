package win

import (
	"regexp"
	"strings"
)

// RegValue is one registry value as reg query prints it: REG_DWORD as
// 0x4, REG_BINARY as hex digits, REG_MULTI_SZ with \0 between strings.
type RegValue struct {
	Name string
	Type string
	Data string
}

// RegKey is one key of reg query output, with the values printed under it.
type RegKey struct {
	Path   string
	Values []RegValue
}

// Value returns the value named name (case-insensitive, as Windows
// compares value names).
func (k RegKey) Value(name string) (RegValue, bool) {
	for _, v := range k.Values {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return RegValue{}, false
}

// Two layouts exist. Vista and later indent a value by four spaces and
// separate name, type and data by four spaces:
//
//	CSDVersion    REG_SZ    Service Pack 2
//
// REG.EXE 3.0 (XP, Server 2003) prints a `! REG.EXE VERSION 3.0` header
// and separates the fields by tabs, which documentation pages show
// expanded to the next tab stop (two or more spaces).
var regValueLine = regexp.MustCompile(`^(?: {4}|\t)(\S.*?)(?:\t+| {2,})(REG_[A-Z_]+)(?:(?:\t| {2,}| )(.*))?$`)

// RegQuery reads reg query output: each HKEY_… line starts a key, and the
// value lines under it belong to it. Subkeys listed after the values (reg
// query without /s) come out as keys without values. The version header
// of REG.EXE 3.0 and blank lines are skipped.
func RegQuery(out string) []RegKey {
	var keys []RegKey
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "HKEY_"):
			keys = append(keys, RegKey{Path: strings.TrimRight(line, " \t")})
		case len(keys) == 0:
		default:
			if m := regValueLine.FindStringSubmatch(line); m != nil {
				k := &keys[len(keys)-1]
				k.Values = append(k.Values, RegValue{Name: m[1], Type: m[2], Data: strings.TrimRight(m[3], " \t")})
			}
		}
	}
	return keys
}

// RegFirstKey is the key reg query KEY printed first, the one asked for,
// with its values; ok is false when the output names no key.
func RegFirstKey(out string) (RegKey, bool) {
	keys := RegQuery(out)
	if len(keys) == 0 {
		return RegKey{}, false
	}
	return keys[0], true
}

// regRoots are the root keys reg.exe accepts abbreviated, as it prints
// them.
var regRoots = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG",
}

// RegFullPath spells a key path as reg query prints it: the root key in
// full (HKLM\X is HKEY_LOCAL_MACHINE\X).
func RegFullPath(key string) string {
	root, rest, _ := strings.Cut(key, `\`)
	if full, ok := regRoots[strings.ToUpper(root)]; ok {
		root = full
	}
	if rest == "" {
		return strings.ToUpper(root)
	}
	return strings.ToUpper(root) + `\` + rest
}

// RegKeyOf returns the values of key in the output of reg query KEY: the
// block printed under key's own path. A key with no values prints no
// block of its own (only its subkeys, or nothing), which is an empty key.
func RegKeyOf(out, key string) RegKey {
	want := RegFullPath(strings.TrimRight(key, `\`))
	for _, k := range RegQuery(out) {
		if strings.EqualFold(k.Path, want) {
			return k
		}
	}
	return RegKey{Path: want}
}

// RegNotFound reports whether reg query's exit code says the key or value
// does not exist. reg.exe exits 1 for every failure, and its message is
// translated (FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert
// wurde nicht gefunden.), so the exit code is the token; the modules'
// commands are built so that a bad syntax cannot be the cause.
func RegNotFound(exitCode int) bool { return exitCode == 1 }

// Data is the data of the value named name, "" when there is none.
func (k RegKey) Data(name string) string {
	v, _ := k.Value(name)
	return v.Data
}
