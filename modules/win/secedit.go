package win

import (
	"fmt"
	"strings"
)

// PrivilegeRights reads the [Privilege Rights] section of a secedit INF
// (secedit /export … /areas USER_RIGHTS, then type): each right with its
// holders as written, *SID or an account name. Section and right names are
// constants; names written as holders may be localized account names.
// canonical, when not nil, spells a right's name the way the caller
// compares them.
func PrivilegeRights(inf string, canonical func(string) string) (map[string][]string, error) {
	inf = strings.TrimPrefix(inf, "\ufeff")
	rights := map[string][]string{}
	section, seen := "", false
	for _, line := range strings.Split(inf, "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			seen = seen || section == "privilege rights"
			continue
		}
		if section != "privilege rights" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %q in [Privilege Rights] is not Right = holders", line)
		}
		right := strings.TrimSpace(key)
		if canonical != nil {
			right = canonical(right)
		}
		holders := []string{}
		for _, h := range strings.Split(value, ",") {
			if h = strings.TrimSpace(h); h != "" {
				holders = append(holders, h)
			}
		}
		rights[right] = holders
	}
	if !seen && !strings.Contains(strings.ToLower(inf), "[version]") {
		return nil, fmt.Errorf("no secedit template in %q", Clip(inf))
	}
	return rights, nil
}
