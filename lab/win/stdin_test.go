package win

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/winplay/winplay/lab/wsman"
)

// neverEnds is a WinRM input the client never sends End on: it yields
// nothing until the command is stopped.
type neverEnds struct{ done <-chan struct{} }

func (n neverEnds) Read([]byte) (int, error) {
	<-n.done
	return 0, io.EOF
}

// TestWmicWaitsOnAPipedInputNobodyCloses: with a piped WinRM input that
// never ends, wmic answers nothing until the command is stopped (here by
// its context, as a client's Signal or the shell's deletion does); with
// `< nul`, an input that is a pipe from echo, a console input, or a pipe
// the client ends, it answers.
func TestWmicWaitsOnAPipedInputNobodyCloses(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	const line = `wmic os get lastbootuptime /value`

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := execProcCtx(ctx, m, &wsman.Process{Line: line, Stdin: neverEnds{ctx.Done()}})
	assert.Equal(t, statusControlCExit, r.code)
	assert.Empty(t, r.out, "wmic answered before its input ended")
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded, "it waited until stopped")

	for _, p := range []*wsman.Process{
		{Line: line + ` < nul`},
		{Line: `echo. | ` + line},
		{Line: line, ConsoleStdin: true},
		{Line: line, Stdin: strings.NewReader("")},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if p.Stdin == nil {
			p.Stdin = neverEnds{ctx.Done()}
		}
		r := execProcCtx(ctx, m, p)
		cancel()
		assert.Equal(t, 0, r.code, "%q console=%v: %s", p.Line, p.ConsoleStdin, r.err)
		assert.Contains(t, r.out, "LastBootUpTime=", "%q console=%v", p.Line, p.ConsoleStdin)
	}
}
