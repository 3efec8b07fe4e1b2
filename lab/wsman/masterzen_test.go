package wsman

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientCase is one way masterzen reaches the lab.
type clientCase struct {
	name      string
	transport string // basic, ntlm, encryption
	https     bool
	cfg       Config
}

// Each case offers only the scheme under test, so a pass cannot come from a
// fallback to another one.
var masterzenCases = []clientCase{
	{name: "basic/http", transport: "basic", cfg: Config{Basic: true, AllowUnencrypted: true}},
	{name: "ntlm/http", transport: "ntlm", cfg: Config{NTLM: true, AllowUnencrypted: true}},
	// AllowUnencrypted off: only sealed messages get through, so passing
	// proves the sealing both ways.
	{name: "ntlm-sealed/http", transport: "encryption", cfg: Config{NTLM: true}},
	{name: "basic/https", transport: "basic", https: true, cfg: Config{Basic: true}},
	{name: "ntlm/https", transport: "ntlm", https: true, cfg: Config{NTLM: true}},
}

func TestMasterzenRunsCommands(t *testing.T) {
	for _, tc := range masterzenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, tc.cfg, tc.https)
			c := l.client(t, tc.transport, testUser, testPassword, "PT20S")

			r := run(t, c, "echo hello world")
			assert.Equal(t, "hello world\r\n", r.Stdout)
			assert.Empty(t, r.Stderr)
			assert.Equal(t, 0, r.Code)

			r = run(t, c, "exit 3")
			assert.Equal(t, 3, r.Code)

			r = run(t, c, "echoerr broken")
			assert.Equal(t, "broken\r\n", r.Stderr)
			assert.Empty(t, r.Stdout)

			r = run(t, c, "nosuchtool /x")
			assert.Equal(t, 9009, r.Code)
			assert.Contains(t, r.Stderr, "'nosuchtool' is not recognized")

			r = run(t, c, "whoami")
			assert.Equal(t, testUser+"\r\n", r.Stdout)

			// 1 MB crosses many Receive responses; each is cut under the
			// client's MaxEnvelopeSize.
			r = run(t, c, "bigout 1000000")
			require.Len(t, r.Stdout, 1000000)
			assert.Equal(t, string(pattern(0, 1000000)), r.Stdout)

			assert.Equal(t, 0, l.srv.Shells(), "RunWithContext deletes its shell")
		})
	}
}

func TestMasterzenReusedShell(t *testing.T) {
	for _, tc := range masterzenCases {
		if tc.transport == "encryption" {
			continue // masterzen's Encryption is not goroutine-safe: Execute runs Receive concurrently
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, tc.cfg, tc.https)
			c := l.client(t, tc.transport, testUser, testPassword, "PT20S")
			sh, err := c.CreateShell()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for i := range 40 {
				r, err := execIn(ctx, sh, nil, "echo", fmt.Sprintf("cmd %d", i))
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("cmd %d\r\n", i), r.Stdout)
				r, err = execIn(ctx, sh, nil, "exit", fmt.Sprint(i%7))
				require.NoError(t, err)
				require.Equal(t, i%7, r.Code)
			}
			assert.Equal(t, 1, l.srv.Shells())

			// stdin: 600 KB go out in several Send envelopes of ~150 KB.
			in := []byte(strings.Repeat("stdin line of the lab\r\n", 26000))
			r, err := execIn(ctx, sh, in, "stdinsum")
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("%d %x\r\n", len(in), sha256.Sum256(in)), r.Stdout)

			r, err = execIn(ctx, sh, []byte("piped\r\n"), "more")
			require.NoError(t, err)
			assert.Equal(t, "piped\r\n", r.Stdout)

			r, err = execIn(ctx, sh, nil, "line", "a&b", `"quoted arg"`)
			require.NoError(t, err)
			assert.Equal(t, "line a&b \"quoted arg\"\r\n", r.Stdout, "Command and each Arguments joined by single spaces")

			require.NoError(t, sh.Close())
			assert.Equal(t, 0, l.srv.Shells())
		})
	}
}

// TestMasterzenOperationTimeoutRetry runs a command longer than the
// OperationTimeout: every Receive ends with w:TimedOut in time and masterzen
// asks again until Done.
func TestMasterzenOperationTimeoutRetry(t *testing.T) {
	t.Parallel()
	var receives receiveLog
	l := startLab(t, Config{AllowUnencrypted: true, Faults: &receives}, false)
	c := l.client(t, "basic", testUser, testPassword, "PT1S")
	start := time.Now()
	r := run(t, c, "sleep 2600")
	elapsed := time.Since(start)
	assert.Equal(t, 0, r.Code)
	assert.GreaterOrEqual(t, elapsed, 2600*time.Millisecond)
	assert.Less(t, elapsed, 5*time.Second)
	times := receives.times()
	require.GreaterOrEqual(t, len(times), 3, "at least two TimedOut faults before Done")
	for i := 1; i < len(times)-1; i++ {
		gap := times[i].Sub(times[i-1])
		assert.InDelta(t, float64(950*time.Millisecond), float64(gap), float64(150*time.Millisecond),
			"Receive %d came %v after the previous one: TimedOut must come at the OperationTimeout, never later", i, gap)
	}
}

func TestMasterzenBadPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range masterzenCases {
		l := startLab(t, tc.cfg, tc.https)
		c := l.client(t, tc.transport, testUser, "wrong", "PT20S")
		_, err := c.CreateShell()
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), "401", tc.name)
		assert.Equal(t, 0, l.srv.Shells(), tc.name)
	}
}
