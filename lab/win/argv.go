package win

import "strings"

// commandLineToArgv splits a command line as CommandLineToArgvW does, which
// is what the programs the lab emulates see: the program name ends at the
// next quote if it starts with one, else at the first blank, with no
// escapes; the arguments follow the backslash and quote rules, including
// the quirk that a quote doubled inside quotes is a literal quote and
// closes the quoting.
func commandLineToArgv(line string) []string {
	s := []rune(line)
	i := 0
	var argv []string

	var name []rune
	if i < len(s) && s[i] == '"' {
		i++
		for i < len(s) && s[i] != '"' {
			name = append(name, s[i])
			i++
		}
		if i < len(s) {
			i++
		}
	} else {
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			name = append(name, s[i])
			i++
		}
		// The character that ended the name is skipped, blank or not.
		if i < len(s) {
			i++
		}
	}
	argv = append(argv, string(name))

	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return argv
	}

	var d []rune
	qcount, bcount := 0, 0
	for i < len(s) {
		c := s[i]
		switch {
		case (c == ' ' || c == '\t') && qcount == 0:
			argv = append(argv, string(d))
			d = d[:0:0]
			bcount = 0
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i >= len(s) {
				return argv
			}
			continue
		case c == '\\':
			d = append(d, c)
			bcount++
			i++
		case c == '"':
			if bcount%2 == 0 {
				d = d[:len(d)-bcount/2]
				qcount++
			} else {
				d = d[:len(d)-bcount/2-1]
				d = append(d, '"')
			}
			i++
			bcount = 0
			for i < len(s) && s[i] == '"' {
				qcount++
				if qcount == 3 {
					d = append(d, '"')
					qcount = 0
				}
				i++
			}
			if qcount == 2 {
				qcount = 0
			}
		default:
			d = append(d, c)
			bcount = 0
			i++
		}
	}
	return append(argv, string(d))
}

// quoteArg quotes an argument for a command line the way the Windows C
// runtime expects, for lines the lab builds itself (PowerShell running a
// native command).
func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for _, r := range a {
		switch r {
		case '\\':
			slashes++
			continue
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
		}
		slashes = 0
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	return b.String()
}
