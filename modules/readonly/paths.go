package readonly

import "strings"

// dosDevices are the names Windows reserves in every directory: writing
// C:\Windows\Temp\com1 writes to a serial port, not a scratch file.
var dosDevices = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true, "conin$": true, "conout$": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// isScratch reports whether path names something strictly inside one of
// the scratch directories: a file or directory there, not the directory
// itself, reached without .. and not a device. A relative path is not
// scratch: the current directory of a WinRM shell is the user's profile.
func (c *classifier) isScratch(path string) bool {
	p := strings.ReplaceAll(unquote(path), "/", `\`)
	if strings.HasPrefix(p, `\\`) || strings.ContainsAny(p, "<>|") {
		return false
	}
	lower := strings.ToLower(p)
	for _, dir := range c.scratch {
		d := strings.ToLower(strings.TrimRight(dir, `\`)) + `\`
		if !strings.HasPrefix(lower, d) {
			continue
		}
		rest := p[len(d):]
		if rest == "" {
			return false
		}
		for _, comp := range strings.Split(rest, `\`) {
			// Windows drops trailing dots and blanks from a name, so
			// ". ." is ".." too.
			name := strings.TrimRight(comp, ". ")
			if name == "" || strings.Contains(comp, ":") {
				return false
			}
			base, _, _ := strings.Cut(strings.ToLower(name), ".")
			if dosDevices[strings.TrimRight(base, " ")] {
				return false
			}
		}
		return true
	}
	return false
}
