package modules

import (
	"fmt"
	"time"
	"unicode/utf8"
)

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// durationOr parses a duration argument such as "90s" or "5m", or returns
// def when it is empty.
func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"90s\" or \"5m\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// clip shortens command output quoted in an error message, on a rune
// boundary. The runner's redactor masks a secret the cut leaves partial.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
