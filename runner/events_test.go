package runner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRecapAlignsNamesLongerThanAnsiblesColumn(t *testing.T) {
	var out bytes.Buffer
	long := "a-host-name-of-thirty-letters"
	Text(&out, TextOptions{}).Event(Event{Type: EventRecap, Hosts: []string{long, "node1"}, Recap: map[string]*Stats{
		long: {OK: 2, Changed: 1}, "node1": {Failed: 1, Skipped: 3},
	}})
	assert.Contains(t, out.String(), "\n"+long+" : ok=2 changed=1 unreachable=0 failed=0 skipped=0 ignored=0\n")
	assert.Contains(t, out.String(), "\nnode1"+strings.Repeat(" ", len(long)-len("node1"))+" : ok=0 changed=0 unreachable=0 failed=1 skipped=3 ignored=0\n")
}
