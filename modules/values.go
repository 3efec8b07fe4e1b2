package modules

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
)

// SwitchFields names the arguments of a module whose elements may be
// switches: a command's argv, an installer's arguments. An element written
// literally in the playbook may start with / or -; one that comes from a
// value (a variable, a fact, a result) is data, and the runner refuses it
// if it starts with either, since the program would read it as a switch.
type SwitchFields interface{ SwitchFields() []string }

// SwitchFields: argv is the program and its switches and values.
func (c *RunCommand) SwitchFields() []string { return []string{"argv"} }

// SwitchFields: arguments are the setup program's switches and values.
func (in *Installer) SwitchFields() []string { return []string{"arguments"} }

// lineBudget is how many characters a module's arguments may take
// together: cmd.exe's limit less room for the longest fixed text any
// module writes around them (programs, switches, scratch file names).
const lineBudget = cmdline.MaxLine - 512

// offLine are the arguments that never reach a command line whole, or
// that a module checks exactly itself: copy's content (sent in chunks)
// and src (read locally), assert's message, command's argv and line
// (checked as the line they make).
var offLine = map[string]bool{
	"copy.content": true, "copy.src": true, "assert.fail_msg": true,
	"command.argv": true, "command.line": true,
}

// CheckLengths finds, before any host is contacted, the arguments whose
// command lines would be over cmd.exe's 8191 characters at run time: the
// text arguments of a module (name is its kind) together, and copy's
// temp_dir beside a chunk of the upload.
func CheckLengths(name string, m Module) []FieldError {
	lengths := map[string]int{}
	total := 0
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("hcl"), ",")
		if tag == "" || offLine[name+"."+tag] {
			continue
		}
		n := textLength(v.Field(i))
		lengths[tag] += n
		total += n
	}
	var errs []FieldError
	if total > lineBudget {
		longest := ""
		for f, n := range lengths {
			if longest == "" || n > lengths[longest] || n == lengths[longest] && f < longest {
				longest = f
			}
		}
		errs = append(errs, FieldError{longest, fmt.Sprintf("the arguments are %d characters together (%s the longest, %d); the command lines they make must fit cmd.exe's %d characters, so they may be at most %d",
			total, longest, lengths[longest], cmdline.MaxLine, lineBudget)})
	}
	if c, ok := m.(*Copy); ok && len(c.TempDir) > cmdline.MaxLine-copyChunk-64 {
		errs = append(errs, FieldError{"temp_dir", fmt.Sprintf("is %d characters; each upload chunk is echoed into a file there on one command line, so it may be at most %d",
			len(c.TempDir), cmdline.MaxLine-copyChunk-64)})
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

// textLength is the length of the text a field holds: a string, the
// strings of a list, or a map's keys and values.
func textLength(v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += textLength(v.Index(i))
		}
		return n
	case reflect.Map:
		n := 0
		for it := v.MapRange(); it.Next(); {
			n += textLength(it.Key()) + textLength(it.Value())
		}
		return n
	case reflect.Pointer:
		if !v.IsNil() {
			return textLength(v.Elem())
		}
	}
	return 0
}
