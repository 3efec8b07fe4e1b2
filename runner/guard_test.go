package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules"
)

// countingConn counts what reaches the connection behind a guard.
type countingConn struct{ runs, closes int }

func (c *countingConn) Name() string { return "node1" }
func (c *countingConn) Reset()       {}
func (c *countingConn) Close() error { c.closes++; return nil }
func (c *countingConn) Run(context.Context, modules.Command) (modules.Output, error) {
	c.runs++
	return modules.Output{}, nil
}

func TestGuardIsAllAModuleCanReach(t *testing.T) {
	c := &countingConn{}
	var logged []modules.Command
	var h modules.Host = guard{conn: c, check: true, log: func(cmd modules.Command, _ modules.Output, _ error, _ time.Duration) {
		logged = append(logged, cmd)
	}}
	_, err := h.Run(context.Background(), modules.Command{Line: "sc stop ClusSvc", Changes: true})
	require.True(t, errors.Is(err, modules.ErrCheckMode))
	assert.Zero(t, c.runs, "a changing command reached the connection in check mode")
	_, err = h.Run(context.Background(), modules.Command{Line: "sc query ClusSvc"})
	require.NoError(t, err)
	assert.Equal(t, 1, c.runs)
	assert.Len(t, logged, 2, "refused commands are reported too")

	_, closable := h.(interface{ Close() error })
	assert.False(t, closable, "the guard lets a module reach the connection's other methods")
	_, raw := h.(Connection)
	assert.False(t, raw)
}
