package wsman

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/stretchr/testify/require"
)

// fuzzSeeds are real requests of every action against shellID: masterzen's
// own envelopes and the other-prefix ones of envelopeOf.
func fuzzSeeds(shellID string) []string {
	url := "http://127.0.0.1:5985/wsman"
	p := winrm.NewParameters("PT0.1S", "en-US", 153600)
	var seeds []string
	for _, m := range []interface{ String() string }{
		winrm.NewOpenShellRequest(url, p),
		winrm.NewExecuteCommandRequest(url, shellID, "echo", []string{"a&b", "<c>"}, p),
		winrm.NewSendInputRequest(url, shellID, "C1", []byte("stdin"), true, p),
		winrm.NewGetOutputRequest(url, shellID, "C1", "stdout stderr", p),
		winrm.NewSignalRequest(url, shellID, "C1", p),
		winrm.NewDeleteShellRequest(url, shellID, p),
	} {
		seeds = append(seeds, m.String())
	}
	for _, e := range [][2]string{
		{actionCreate, createBody(`<IdleTimeOut>PT1S</IdleTimeOut><Environment><Variable Name="A">b</Variable></Environment>`)},
		{actionCommand, commandBody("echo", "x")},
		{actionCommand, `<sh:CommandLine CommandId="MINE"><sh:Command><![CDATA["echo quoted"]]></sh:Command></sh:CommandLine>`},
		{actionReceive, receiveBody("MINE")},
		{actionSend, `<sh:Send><sh:Stream Name="stdin" CommandId="MINE" End="True">aGk=</sh:Stream></sh:Send>`},
		{actionSignal, signalBody("MINE", signalPrefix+"ctrl_c")},
		{actionDelete, ""},
	} {
		msg, _ := envelopeOf(e[0], shellID, "PT0.1S", map[string]string{"WINRS_CODEPAGE": "437"}, e[1])
		seeds = append(seeds, msg)
	}
	return seeds
}

// FuzzRequest feeds arbitrary bodies to an authenticated connection: the
// server must answer every one with a status a client can handle, and never
// crash or hang.
func FuzzRequest(f *testing.F) {
	srv := New(Config{
		Machine: newTestMachine(), Users: map[string]string{testUser: testPassword}, AllowUnencrypted: true,
		Quotas: Quotas{MaxTimeout: time.Second, IdleTimeout: time.Minute},
	})
	f.Cleanup(func() { srv.Close() })
	h := &handler{srv: srv, gen: srv.generation()}
	serve := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
		req.SetBasicAuth(testUser, testPassword)
		req = req.WithContext(context.WithValue(req.Context(), connKey{}, &connState{}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	create, _ := envelopeOf(actionCreate, "", "PT1S", nil, createBody(""))
	require.Equal(f, http.StatusOK, serve(create))
	var shellID string
	for id := range srv.generation().shells {
		shellID = id
	}
	for _, s := range fuzzSeeds(shellID) {
		f.Add(s)
	}
	f.Add("")
	f.Add("<")
	f.Fuzz(func(t *testing.T, body string) {
		status := serve(body)
		switch status {
		case http.StatusOK, http.StatusInternalServerError, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", status, body)
		}
	})
}

func TestParseDuration(t *testing.T) {
	tests := map[string]time.Duration{
		"PT60S":         60 * time.Second,
		"PT60.000S":     60 * time.Second,
		"PT1M":          time.Minute,
		"PT5M0S":        5 * time.Minute,
		"P0DT0H1M0S":    time.Minute,
		"PT1H2M3.5S":    time.Hour + 2*time.Minute + 3500*time.Millisecond,
		"P1D":           24 * time.Hour,
		"PT7200.000S":   2 * time.Hour,
		" PT20S ":       20 * time.Second,
		"PT0.2S":        200 * time.Millisecond,
		"P1DT1S":        24*time.Hour + time.Second,
		"PT1000000000S": 1000000000 * time.Second,
	}
	for in, want := range tests {
		got, err := parseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "P", "PT", "60", "PT-5S", "-PT5S", "PTS", "PT5", "P5S", "PT5H5D", "PT1.5M", "PTT5S", "P1DT", "P99999999999999999999Y", "PT1e3S"} {
		_, err := parseDuration(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "PT7200.000S", formatDuration(2*time.Hour))
	require.Equal(t, "PT0.250S", formatDuration(250*time.Millisecond))
}

func TestEncoderKeepsSplitCharacters(t *testing.T) {
	e := newEncoder(437)
	s := []byte("é✓x")
	var out []byte
	for i := range s {
		out = append(out, e.encode(s[i:i+1], false)...)
	}
	out = append(out, e.encode([]byte{0xc3}, false)...)
	out = append(out, e.encode(nil, true)...)
	require.Equal(t, []byte{0x82, '?', 'x', '?'}, out, "split UTF-8 is reassembled; a dangling byte becomes '?'")

	u := newEncoder(65001)
	require.Equal(t, []byte{0xe2, 0x9c}, u.encode([]byte{0xe2, 0x9c}, false), "UTF-8 passes through byte for byte")
	w := newEncoder(1252)
	require.Equal(t, []byte{0xdc}, w.encode([]byte("Ü"), true))
}
