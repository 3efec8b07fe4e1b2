package win

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WMIValues reads `wmic … get … /value` output: one Name=Value per line,
// instances separated by blank lines. wmic ends its lines in CR CR LF and
// prints two blank lines before the first instance and three after the
// last. Property names are WMI schema names, the same in every language;
// a query that matches nothing prints no Name=Value line at all (its
// "No Instance(s) Available." goes to stderr and is not read).
func WMIValues(out string) []map[string]string {
	var all []map[string]string
	cur := map[string]string{}
	flush := func() {
		if len(cur) > 0 {
			all = append(all, cur)
			cur = map[string]string{}
		}
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		// /value prints Name=Value with nothing around the =; wmic's
		// error block (Description = Invalid query) is not a value.
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			if strings.TrimSpace(line) == "" {
				flush()
			}
			continue
		}
		if _, dup := cur[k]; dup {
			flush()
		}
		cur[k] = strings.TrimSpace(v)
	}
	flush()
	return all
}

var cimDatetime = regexp.MustCompile(`^\d{14}\.\d{6}[+-]\d{3}$`)

// LastBootUpTime reads `wmic os get lastbootuptime /value`: the one CIM
// datetime it prints.
func LastBootUpTime(out string) (string, error) {
	for _, inst := range WMIValues(out) {
		if v, ok := inst["LastBootUpTime"]; ok {
			if _, err := ParseCIMDatetime(v); err != nil {
				return "", err
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("no LastBootUpTime in wmic output %q", Clip(out))
}

// ParseCIMDatetime parses a CIM datetime, yyyymmddHHMMSS.ffffff+UUU with
// UUU the offset from UTC in minutes.
func ParseCIMDatetime(s string) (time.Time, error) {
	if !cimDatetime.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not a CIM datetime (yyyymmddHHMMSS.ffffff+UUU)", s)
	}
	local, err := time.Parse("20060102150405.000000", s[:21])
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a CIM datetime: %w", s, err)
	}
	mins, _ := strconv.Atoi(s[22:])
	offset := time.Duration(mins) * time.Minute
	if s[21] == '-' {
		offset = -offset
	}
	return local.Add(-offset).UTC(), nil
}

// CIMDatetime formats t as a CIM datetime in UTC, the form the PowerShell
// boot-time script and wmic both yield.
func CIMDatetime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s.%06d+000", t.Format("20060102150405"), t.Nanosecond()/1000)
}
