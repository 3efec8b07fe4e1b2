package conn

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

// A host that stops answering is given up on by the request's own
// deadline, even when the caller's context has none. (This test is inside
// the package to shorten the 10s grace above the OperationTimeout.)
func TestEveryRequestHasADeadline(t *testing.T) {
	for _, action := range []string{"Create", "Command", "Receive"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			l, err := lab.Start(lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}},
				Timing: win.Timing{Second: 10 * time.Millisecond, Grace: 10 * time.Millisecond}})
			require.NoError(t, err)
			t.Cleanup(l.Close)
			h := l.Host("node1")
			h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
				if r.Action == action {
					return wsman.Injection{Delay: time.Minute}
				}
				return wsman.Injection{}
			}))
			c, err := New(Config{Name: "node1", Address: h.Address(), Port: h.Port(), Transport: "ntlm",
				User: lab.DefaultUser, Password: lab.DefaultPassword,
				ConnectTimeout: 200 * time.Millisecond, OperationTimeout: time.Second, ReadRetries: -1})
			require.NoError(t, err)
			c.grace = 100 * time.Millisecond
			t.Cleanup(func() { _ = c.Close() })

			start := time.Now()
			_, err = c.Run(context.Background(), modules.Command{Line: "hostname"})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			elapsed := time.Since(start)
			if action == "Create" {
				// The host has never answered: the connect timeout is all it gets.
				assert.ErrorIs(t, err, modules.ErrUnreachable)
				assert.Contains(t, err.Error(), "twice the connect timeout of 200ms")
				assert.Less(t, elapsed, time.Second)
				return
			}
			assert.Greater(t, elapsed, time.Second, "the OperationTimeout is the request's to use")
			assert.Less(t, elapsed, 2*time.Second)
		})
	}
}

func TestOperationTimeoutSentAsWSManDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int
	}{{0, 60}, {time.Second, 1}, {90 * time.Second, 90}, {1500 * time.Millisecond, 1}} {
		c, err := New(Config{Name: "h", Address: "127.0.0.1", OperationTimeout: tc.in})
		require.NoError(t, err)
		assert.Equal(t, "PT"+strconv.Itoa(tc.want)+"S", c.params.Timeout)
	}
}
