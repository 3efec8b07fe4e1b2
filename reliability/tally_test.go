package reliability_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
)

// tally counts tries and survivals per area for the table.
var tally = struct {
	mu       sync.Mutex
	tried    map[string]int
	survived map[string]int
}{tried: map[string]int{}, survived: map[string]int{}}

// try records one try of area and whether it survived; a try that did
// not fails the test with why.
func try(t testing.TB, area string, ok bool, format string, args ...any) {
	t.Helper()
	tally.mu.Lock()
	tally.tried[area]++
	if ok {
		tally.survived[area]++
	}
	tally.mu.Unlock()
	if !ok {
		t.Errorf("%s: "+format, append([]any{area}, args...)...)
	}
}

// counts returns an area's tries and survivals so far.
func counts(area string) (tried, survived int) {
	tally.mu.Lock()
	defer tally.mu.Unlock()
	return tally.tried[area], tally.survived[area]
}

// minTries is how many tries each area makes at least; TestMain fails
// the suite when a whole run made fewer, or when any try did not survive.
var minTries = map[string]int{
	"fault matrix":     29,
	"injection sweep":  900,
	"check-mode sweep": 300,
	"secret forms":     40,
	"bad files":        100,
}

func TestMain(m *testing.M) {
	code := m.Run()
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		for area, min := range minTries {
			tried, survived := counts(area)
			if tried < min || survived != tried {
				fmt.Printf("FAIL: %s: %d tries (at least %d wanted), %d survived\n", area, tried, min, survived)
				code = 1
			}
		}
	}
	if testing.Verbose() {
		areas := make([]string, 0, len(tally.tried))
		for a := range tally.tried {
			areas = append(areas, a)
		}
		sort.Strings(areas)
		fmt.Printf("\n%-18s %7s %9s\n", "area", "tried", "survived")
		for _, a := range areas {
			fmt.Printf("%-18s %7d %9d\n", a, tally.tried[a], tally.survived[a])
		}
	}
	os.Exit(code)
}
