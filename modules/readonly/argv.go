package readonly

import "strings"

// commandLineToArgv splits a command line as the C runtime's startup code
// and CommandLineToArgvW do ("Parsing C command-line arguments",
// Microsoft): the program name ends at a blank, or is quoted, with no
// escapes; then arguments are separated by blanks outside quotes, 2n
// backslashes before a quote are n backslashes and the quote toggles, 2n+1
// are n and a literal quote, other backslashes are literal, and inside
// quotes a doubled quote is a literal one that ends the quoting.
func commandLineToArgv(line string) []string {
	s := []rune(line)
	i := 0
	var name []rune
	if i < len(s) && s[i] == '"' {
		for i++; i < len(s) && s[i] != '"'; i++ {
			name = append(name, s[i])
		}
		if i < len(s) {
			i++
		}
	} else {
		for ; i < len(s) && s[i] != ' ' && s[i] != '\t'; i++ {
			name = append(name, s[i])
		}
	}
	argv := []string{string(name)}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return argv
		}
		var arg []rune
		quoted := false
		for i < len(s) {
			c := s[i]
			if (c == ' ' || c == '\t') && !quoted {
				break
			}
			if c == '\\' {
				n := 0
				for i < len(s) && s[i] == '\\' {
					n++
					i++
				}
				if i < len(s) && s[i] == '"' {
					arg = append(arg, []rune(strings.Repeat(`\`, n/2))...)
					if n%2 == 1 {
						arg = append(arg, '"')
						i++
					}
					continue
				}
				arg = append(arg, []rune(strings.Repeat(`\`, n))...)
				continue
			}
			if c == '"' {
				if quoted && i+1 < len(s) && s[i+1] == '"' {
					// The current runtime's rule (the documentation's
					// a"b"" c d example): a literal quote, and the
					// quoting ends.
					arg = append(arg, '"')
					i += 2
					quoted = false
					continue
				}
				quoted = !quoted
				i++
				continue
			}
			arg = append(arg, c)
			i++
		}
		argv = append(argv, string(arg))
	}
}

// splitCmdArgs splits the parameters of a cmd.exe built-in as cmd does:
// at blanks, commas, semicolons and equals signs outside quotes, quotes
// kept.
func splitCmdArgs(params string) []string {
	var out []string
	var cur []rune
	quoted := false
	for _, r := range params {
		if r == '"' {
			quoted = !quoted
		}
		if !quoted && isDelim(r) {
			if len(cur) > 0 {
				out = append(out, string(cur))
				cur = nil
			}
			continue
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// firstToken returns the first word of a command as cmd.exe takes the
// command name (up to a delimiter outside quotes, quotes kept) and the
// rest.
func firstToken(text string) (string, string) {
	quoted := false
	for i, r := range text {
		if r == '"' {
			quoted = !quoted
		}
		if !quoted && isDelim(r) {
			return text[:i], text[i:]
		}
	}
	return text, ""
}
