package readonly

import "strings"

// checkPercents proves that cmd.exe's percent expansion, which happens
// before anything else reads the line, cannot change what the line does.
// On a command line (not in a batch file) %NAME% becomes the variable's
// value when NAME is defined and stays as written otherwise, and scanning
// resumes at the closing percent, which may open another reference.
// Values can hold & | < > ( ) and switches, so a reference is proven only
// when its value cannot:
//   - SystemRoot, windir and SystemDrive name where Windows is installed
//     (C:\Windows, C:), which setup never puts such characters in;
//   - TEMP and TMP are profile paths, which may hold & ( ) ^ (a user name
//     may), so only inside double quotes, where cmd.exe reads them as text;
//   - a name that is empty (%%) or holds a blank names no variable, so it
//     stays as written: FOR's %i on a command line is one.
//
// Any other reference could be defined on the host, and is not proven.
func checkPercents(line string) *Verdict {
	for i := 0; i < len(line); {
		if line[i] != '%' {
			i++
			continue
		}
		j := strings.IndexByte(line[i+1:], '%')
		if j < 0 {
			return nil // a lone percent is text
		}
		j += i + 1
		name := line[i+1 : j]
		switch lower := strings.ToLower(name); {
		case lower == "systemroot" || lower == "windir" || lower == "systemdrive":
			i = j + 1
		case lower == "temp" || lower == "tmp":
			if !quotedAt(line, i) {
				return unproven("%"+name+"%", "outside double quotes its value (a profile path, which may hold & or parentheses) could add commands; quote it")
			}
			i = j + 1
		case name == "" || strings.ContainsAny(name, " \t"):
			i = j // names no variable: stays as written
		default:
			return unproven("%"+name+"%", "it expands to whatever the host's environment holds, which may add commands or switches")
		}
	}
	return nil
}

// quotedAt reports whether position i of line is inside double quotes as
// cmd.exe's parser tracks them: a quote toggles, except one escaped by a
// caret outside quotes.
func quotedAt(line string, i int) bool {
	quoted := false
	for k := 0; k < i; k++ {
		switch line[k] {
		case '"':
			quoted = !quoted
		case '^':
			if !quoted {
				k++
			}
		}
	}
	return quoted
}
