package conn

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules"
)

// A real WinRM listener's 401 offers WinRM's schemes.
func TestWinRMs401OffersItsSchemes(t *testing.T) {
	raw, err := os.ReadFile("testdata/winrm-401.txt")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.True(t, offersWinRMAuth(resp.Header))
	assert.False(t, offersWinRMAuth(http.Header{"Www-Authenticate": {`Basic realm="Jenkins"`}}))
	assert.False(t, offersWinRMAuth(http.Header{}))
}

// An endpoint that is not WinRM is reported as such, with what it
// answered, for every transport; never as rejected credentials.
func TestNonWinRMEndpointSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"a web server's 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "HTTP 404"},
		{"a web page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>hello</html>"))
		}, "HTTP 200, text/html"},
		{"another service's login", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Jenkins"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, `HTTP 401 offering Basic realm="Jenkins"`},
	} {
		srv := httptest.NewServer(tc.handler)
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		port, _ := strconv.Atoi(u.Port())
		for _, transport := range []string{"basic", "ntlm"} {
			c, err := New(Config{Name: "web1", Address: "127.0.0.1", Port: port, Transport: transport, User: "u", Password: "p"})
			require.NoError(t, err)
			_, err = c.Run(context.Background(), modules.Command{Line: "hostname"})
			require.Error(t, err, tc.name)
			assert.ErrorIs(t, err, modules.ErrUnreachable, "%s over %s", tc.name, transport)
			assert.ErrorIs(t, err, errNotWinRM, "%s over %s: %v", tc.name, transport, err)
			assert.Contains(t, err.Error(), tc.want, "%s over %s", tc.name, transport)
			assert.NotContains(t, err.Error(), "credentials were rejected", "%s over %s", tc.name, transport)
		}
	}
}

// A host that accepts the connection and never answers is given up on
// after the connect timeout, once: no retry doubles the wait.
func TestSilentHostIsUnreachableAfterTheConnectTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	c, err := New(Config{Name: "hung1", Address: "127.0.0.1", Port: port, Transport: "basic", User: "u", Password: "p",
		ConnectTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Run(context.Background(), modules.Command{Line: "hostname"})
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.Contains(t, err.Error(), "did not answer within 600ms, twice the connect timeout of 300ms")
	assert.Equal(t, int32(1), accepted.Load(), "a host that never answered is not asked again")
}
