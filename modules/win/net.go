package win

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// LocalGroupMembers reads `net localgroup GROUP` output: the members are
// the lines between the dash line and the last line, which is net.exe's
// completion message (The command completed successfully., Der Befehl
// wurde erfolgreich ausgeführt.). The message is never read, only its
// place: it is the last non-blank line of every successful listing, also
// of a group without members.
func LocalGroupMembers(out string) ([]string, error) {
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if t := strings.TrimSpace(l); len(t) >= 10 && strings.Trim(t, "-") == "" {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("no dash line before the members in net localgroup output %q", Clip(out))
	}
	var rest []string
	for _, l := range lines[start:] {
		if t := strings.TrimSpace(l); t != "" {
			rest = append(rest, t)
		}
	}
	if len(rest) == 0 {
		return nil, fmt.Errorf("no completion line after the members in net localgroup output %q", Clip(out))
	}
	return append([]string{}, rest[:len(rest)-1]...), nil
}

// systemErrorLine finds the Win32 code in the first line of a failure
// report: `System error 1378 has occurred.` (net.exe), `System error 1753
// has occurred (0x000006d9).` (cluster.exe), `Systemfehler 1378
// aufgetreten.` The sentence is translated, the number is not; a
// hexadecimal repetition of it in parentheses is not a second number.
var (
	decimal   = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d+)(?:$|[^0-9A-Za-z])`)
	hexInParn = regexp.MustCompile(`\(0x[0-9A-Fa-f]+\)`)
	helpmsg   = regexp.MustCompile(`NET HELPMSG (\d+)`)
)

// SystemError returns the Win32 or NERR code a failed net.exe, cluster.exe
// or msdtc.exe names in its report, or 0 when it names none. It reads the
// first non-blank line, which holds the code and nothing else numeric, and
// otherwise net.exe's `NET HELPMSG N` (the command name is not translated).
func SystemError(out string) int {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		nums := decimal.FindAllStringSubmatch(hexInParn.ReplaceAllString(line, ""), -1)
		if len(nums) == 1 {
			n, err := strconv.Atoi(nums[0][1])
			if err == nil {
				return n
			}
		}
		break
	}
	if m := helpmsg.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}
