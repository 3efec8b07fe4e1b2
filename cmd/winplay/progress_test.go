package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/runner"
)

const rebootNode2 = `
play "reboot node2" {
  hosts = "node2"
  task "reboot node2" {
    reboot {}
  }
}
`

// On a terminal, the phases of a reboot are one line per host, redrawn in
// place with the elapsed time and the budget; on a pipe they are plain
// lines, as before.
func TestLiveProgressOnATerminal(t *testing.T) {
	t.Parallel()
	pb := writePlaybook(t, rebootNode2)
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, []string{"run", pb, "--lab"}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb, terminal: true,
		Getenv: func(string) string { return "" }})
	require.Equal(t, runner.ExitOK, code, out.String()+errb.String())
	text := out.String()
	assert.Regexp(t, `  node2: waiting for it to go down and come back, \d+ s of 1 m`, text)
	assert.Regexp(t, `  node2: watching it stay up \(stability window\), \d+ s of 2 s`, text)
	assert.Regexp(t, regexp.MustCompile("\x1b\\[\\d+A"), text, "the live line is redrawn in place")
	assert.NotContains(t, text, "[node2] waiting for it to go down", "no plain progress lines on a terminal")
	assert.Contains(t, text, "changed: [node2] rebooted in")
	assert.Contains(t, text, "PLAY RECAP")

	r := winplay(t, nil, "run", pb, "--lab")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "  [node2] waiting for it to go down and come back (up to 1 m)\n")
	assert.NotContains(t, r.out, "\x1b[")
}
