package win

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// reg.exe: query, add, delete.

// regNotFound prints reg.exe's error for a missing key or value, in the
// host's language, and returns its exit code.
func regNotFound(c *call) int {
	c.errorf("%s\r\n", c.m.lang.regNotFound)
	return 1
}

func regUsageError(c *call, verb, what string) int {
	c.errorf("ERROR: %s\r\nType \"REG %s /?\" for usage.\r\n", what, strings.ToUpper(verb))
	return 1
}

func changesReg(c *call) bool {
	if len(c.argv) < 2 {
		return false
	}
	switch strings.ToLower(c.argv[1]) {
	case "query", "compare":
		return false
	case "export", "save":
		return len(c.argv) < 4 || changesPaths(c, []string{c.argv[3]})
	}
	return true
}

// regOptions is a parsed reg.exe command line.
type regOptions struct {
	key      string
	value    string
	hasValue bool // /v or /ve given
	all      bool // /va
	recurse  bool // /s on query
	typ      string
	sep      string
	data     string
	hasData  bool
	force    bool
}

func parseRegArgs(verb string, args []string) (regOptions, string) {
	o := regOptions{typ: regSZ, sep: `\0`}
	if len(args) == 0 {
		return o, "Invalid syntax."
	}
	o.key = args[0]
	for i := 1; i < len(args); i++ {
		a := strings.ToLower(args[i])
		next := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		var ok bool
		switch {
		case a == "/v":
			if o.value, ok = next(); !ok {
				return o, "Invalid syntax."
			}
			o.hasValue = true
		case a == "/ve":
			o.value, o.hasValue = "", true
		case a == "/va" && verb == "delete":
			o.all = true
		case a == "/s" && verb == "query":
			o.recurse = true
		case a == "/s" && verb == "add":
			if o.sep, ok = next(); !ok || len([]rune(o.sep)) != 1 {
				return o, "Invalid syntax."
			}
		case a == "/t" && verb == "add":
			if o.typ, ok = next(); !ok {
				return o, "Invalid syntax."
			}
			o.typ = strings.ToUpper(o.typ)
		case a == "/d" && verb == "add":
			if o.data, ok = next(); !ok {
				return o, "Invalid syntax."
			}
			o.hasData = true
		case a == "/f" && verb != "query":
			o.force = true
		default:
			return o, "Invalid syntax."
		}
	}
	return o, ""
}

func runReg(c *call) int {
	if len(c.argv) < 2 {
		c.errorf("ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n")
		return 1
	}
	verb := strings.ToLower(c.argv[1])
	switch verb {
	case "query", "add", "delete":
	default:
		c.errorf("ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n")
		return 1
	}
	o, bad := parseRegArgs(verb, c.argv[2:])
	if bad != "" {
		return regUsageError(c, verb, bad)
	}
	if _, _, ok := splitKeyPath(o.key); !ok {
		return regUsageError(c, verb, "Invalid key name.")
	}
	switch verb {
	case "query":
		return regQuery(c, o)
	case "add":
		return regAdd(c, o)
	}
	return regDelete(c, o)
}

// regValueLine is one value as reg query prints it: four blanks around the
// fields since Vista, tabs in REG.EXE 3.0 (XP, 2003), whose default
// value is <NO NAME> (real-windows.md: a Java test of XP output).
func (c *call) regValueLine(v *regValue) string {
	name := v.name
	if c.m.os.RegV3 {
		if name == "" {
			name = "<NO NAME>"
		}
		return fmt.Sprintf("    %s\t%s\t%s\r\n", name, v.typ, v.data())
	}
	if name == "" {
		name = c.m.lang.regDefault
	}
	return fmt.Sprintf("    %s    %s    %s\r\n", name, v.typ, v.data())
}

// regStart is what reg query prints before its first key: a blank line,
// or REG.EXE 3.0's version header (as the Microsoft docs page shows it).
func (c *call) regStart() string {
	if c.m.os.RegV3 {
		return "! REG.EXE VERSION 3.0\r\n\r\n"
	}
	return "\r\n"
}

func regQuery(c *call, o regOptions) int {
	k := c.m.reg.open(o.key)
	if k == nil {
		return regNotFound(c)
	}
	if o.recurse {
		matches := 0
		var b strings.Builder
		k.walk(func(x *regKey) {
			var lines strings.Builder
			for _, v := range x.values {
				if !o.hasValue || strings.EqualFold(v.name, o.value) {
					lines.WriteString(c.regValueLine(v))
					matches++
				}
			}
			if o.hasValue && lines.Len() == 0 {
				return
			}
			// The key asked for prints only if it has values; its
			// subkeys always do (Wine's test8b, which Windows passes).
			if x == k && lines.Len() == 0 {
				return
			}
			fmt.Fprintf(&b, "%s\r\n%s\r\n", x.path, lines.String())
		})
		c.printf("%s%s", c.regStart(), b.String())
		if o.hasValue {
			c.printf("%s\r\n", c.m.lang.regSearchEnd(matches))
			if matches == 0 {
				return 1
			}
		}
		return 0
	}
	if o.hasValue {
		v := k.value(o.value)
		if v == nil {
			if o.value == "" {
				c.printf("%s%s\r\n%s\r\n", c.regStart(), k.path, c.regValueLine(&regValue{typ: regSZ, str: "(value not set)"}))
				return 0
			}
			return regNotFound(c)
		}
		c.printf("%s%s\r\n%s\r\n", c.regStart(), k.path, c.regValueLine(v))
		return 0
	}
	c.printf("%s", c.regStart())
	if len(k.values) > 0 {
		c.printf("%s\r\n", k.path)
		for _, v := range k.values {
			c.printf("%s", c.regValueLine(v))
		}
		c.printf("\r\n")
	}
	for _, s := range k.sortedSubkeys() {
		c.printf("%s\r\n", s.path)
	}
	return 0
}

// parseRegData converts /d text to a value of type typ, as reg add does.
func parseRegData(typ, data, sep string) (*regValue, bool) {
	v := &regValue{typ: typ}
	switch typ {
	case regSZ, regExpandSZ:
		v.str = data
	case regMultiSZ:
		if data != "" {
			v.multi = strings.Split(data, sep)
		}
	case regDWORD, regQWORD:
		bits := 32
		if typ == regQWORD {
			bits = 64
		}
		if data == "" {
			return v, true
		}
		var n uint64
		var err error
		if strings.HasPrefix(strings.ToLower(data), "0x") {
			n, err = strconv.ParseUint(data[2:], 16, bits)
		} else {
			n, err = strconv.ParseUint(data, 10, bits)
		}
		if err != nil {
			return nil, false
		}
		v.num = n
	case regBinary, regNone:
		if len(data)%2 == 1 {
			data = "0" + data
		}
		b, err := hex.DecodeString(data)
		if err != nil {
			return nil, false
		}
		v.bin = b
	default:
		return nil, false
	}
	return v, true
}

func regAdd(c *call, o regOptions) int {
	var v *regValue
	if o.hasValue || o.hasData {
		var ok bool
		if v, ok = parseRegData(o.typ, o.data, o.sep); !ok {
			return regUsageError(c, "add", "Invalid syntax.")
		}
		v.name = o.value
	}
	if v != nil {
		if k := c.m.reg.open(o.key); k != nil && k.value(v.name) != nil && !o.force {
			// reg asks before overwriting; nobody answers, which means no.
			c.printf("Value %s exists, overwrite(Yes/No)? \r\nThe operation was canceled by the user.\r\n", v.displayName())
			return 1
		}
	}
	k := c.m.reg.create(o.key)
	if k == nil {
		return regUsageError(c, "add", "Invalid key name.")
	}
	if v != nil {
		k.set(v)
	}
	c.printf("The operation completed successfully.\r\n")
	return 0
}

func regDelete(c *call, o regOptions) int {
	k := c.m.reg.open(o.key)
	if k == nil {
		return regNotFound(c)
	}
	switch {
	case o.hasValue:
		if k.value(o.value) == nil {
			return regNotFound(c)
		}
		if !o.force {
			c.printf("Delete the registry value %s (Yes/No)? \r\nThe operation was canceled by the user.\r\n", (&regValue{name: o.value}).displayName())
			return 1
		}
		k.deleteValue(o.value)
	case o.all:
		if !o.force {
			c.printf("Delete all values under the registry key %s (Yes/No)? \r\nThe operation was canceled by the user.\r\n", k.path)
			return 1
		}
		k.values = nil
	default:
		if !o.force {
			c.printf("Permanently delete the registry key %s (Yes/No)? \r\nThe operation was canceled by the user.\r\n", k.path)
			return 1
		}
		if !c.m.reg.deleteKey(o.key) {
			c.errorf("ERROR: Access is denied.\r\n")
			return 1
		}
	}
	c.printf("The operation completed successfully.\r\n")
	return 0
}
