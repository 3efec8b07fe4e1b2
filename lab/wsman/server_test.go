package wsman

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelopeOf writes a request the way neither masterzen nor pywinrm does —
// other prefixes, a default namespace in the body — so passing tests prove
// the server reads namespaces, not prefixes. shellID "" leaves out the
// selector; timeout "" leaves out OperationTimeout.
func envelopeOf(action, shellID, timeout string, options map[string]string, body string) (msg, id string) {
	id = "uuid:" + strings.ToLower(newUUID())
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	b.WriteString(`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:sh="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">`)
	b.WriteString(`<soap:Header><wsa:To>http://windows-host:5985/wsman</wsa:To>`)
	b.WriteString(`<wsman:ResourceURI soap:mustUnderstand="true">` + resourceCmd + `</wsman:ResourceURI>`)
	b.WriteString(`<wsa:Action soap:mustUnderstand="true">` + action + `</wsa:Action>`)
	b.WriteString(`<wsa:MessageID>` + id + `</wsa:MessageID><wsman:MaxEnvelopeSize>153600</wsman:MaxEnvelopeSize>`)
	if timeout != "" {
		b.WriteString(`<wsman:OperationTimeout>` + timeout + `</wsman:OperationTimeout>`)
	}
	if shellID != "" {
		b.WriteString(`<wsman:SelectorSet><wsman:Selector Name="ShellId">` + shellID + `</wsman:Selector></wsman:SelectorSet>`)
	}
	if len(options) > 0 {
		b.WriteString(`<wsman:OptionSet>`)
		for k, v := range options {
			b.WriteString(`<wsman:Option Name="` + k + `">` + v + `</wsman:Option>`)
		}
		b.WriteString(`</wsman:OptionSet>`)
	}
	b.WriteString(`</soap:Header><soap:Body>` + body + `</soap:Body></soap:Envelope>`)
	return b.String(), id
}

func createBody(extra string) string {
	return `<Shell xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><InputStreams>stdin</InputStreams>` +
		`<OutputStreams>stdout stderr</OutputStreams>` + extra + `</Shell>`
}

func commandBody(command string, args ...string) string {
	s := `<sh:CommandLine><sh:Command>` + esc(command) + `</sh:Command>`
	for _, a := range args {
		s += `<sh:Arguments>` + esc(a) + `</sh:Arguments>`
	}
	return s + `</sh:CommandLine>`
}

func receiveBody(commandID string) string {
	return `<sh:Receive><sh:DesiredStream CommandId="` + commandID + `">stdout stderr</sh:DesiredStream></sh:Receive>`
}

func signalBody(commandID, code string) string {
	return `<sh:Signal CommandId="` + commandID + `"><sh:Code>` + code + `</sh:Code></sh:Signal>`
}

// createWith opens a shell with a hand-made Create and returns its id.
func (c *rawClient) createWith(options map[string]string, extra string) (string, string) {
	c.t.Helper()
	msg, _ := envelopeOf(actionCreate, "", "PT20S", options, createBody(extra))
	status, body, _ := c.post(msg)
	require.Equal(c.t, http.StatusOK, status, body)
	id, err := winrm.ParseOpenShellResponse(body)
	require.NoError(c.t, err)
	return id, body
}

// receiveRaw returns the base64-decoded stdout of one Receive and its body.
func streams(t testing.TB, body string) (stdout []byte, done bool) {
	t.Helper()
	var out bytes.Buffer
	done, _, err := winrm.ParseSlurpOutputErrResponse(body, &out, io.Discard)
	require.NoError(t, err)
	return out.Bytes(), done
}

func TestFaultsForUnknownShell(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	for action, body := range map[string]string{
		actionCommand: commandBody("echo", "x"),
		actionReceive: receiveBody("C1"),
		actionSend:    `<sh:Send><sh:Stream Name="stdin" CommandId="C1">aGk=</sh:Stream></sh:Send>`,
		actionSignal:  signalBody("C1", signalPrefix+"terminate"),
		actionDelete:  "",
	} {
		msg, id := envelopeOf(action, "NO-SUCH-SHELL", "PT20S", nil, body)
		status, got, resp := c.post(msg)
		require.Equal(t, http.StatusInternalServerError, status, action)
		assert.Equal(t, soapContentType, resp.Header.Get("Content-Type"))
		assert.Equal(t, "Microsoft-HTTPAPI/2.0", resp.Header.Get("Server"))
		f := parseFault(t, got)
		assert.Equal(t, "2150858843", f.Detail.Code, action)
		assert.Equal(t, "NODE1", f.Detail.Machine)
		assert.Equal(t, "s:Sender", f.Code)
		assert.Equal(t, "w:InvalidSelectors", f.Subcode)
		assert.Equal(t, id, f.RelatesTo)
		assert.Contains(t, f.Reason, "The request for the Windows Remote Shell with ShellId NO-SUCH-SHELL failed because the shell was not found on the server.")
	}
}

func TestQuotaMaxShellsPerUser(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true, Quotas: Quotas{MaxShellsPerUser: 2}}, false)
	c := l.raw(t)
	first := c.createShell()
	c.createShell()
	status, body := c.send(winrm.NewOpenShellRequest(c.url, c.params))
	require.Equal(t, http.StatusInternalServerError, status)
	f := parseFault(t, body)
	assert.Equal(t, "2150859173", f.Detail.Code)
	assert.Equal(t, "The WS-Management service cannot process the request. This user is allowed a maximum number of 2 concurrent shells, "+
		"which has been exceeded. Close existing shells or raise the quota for this user. ", f.Reason)
	assert.Equal(t, 2, l.srv.Shells())

	c.ok(winrm.NewDeleteShellRequest(c.url, first, c.params))
	c.createShell()
	assert.Equal(t, 2, l.srv.Shells())
}

// TestQuotaOperationsNotReleasedByTerminate: as in Windows' cmd shell, each
// command holds an operation until its shell is deleted, so a reused shell
// fails after the quota (ansible/ansible#83656).
func TestQuotaOperationsNotReleasedByTerminate(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true, Quotas: Quotas{MaxConcurrentOperationsPerUser: 3}}, false)
	c := l.raw(t)
	sh := c.createShell()
	for i := range 3 {
		id := c.startCommand(sh, "echo", fmt.Sprint(i))
		assert.Equal(t, fmt.Sprintf("%d\r\n", i), c.output(sh, id).Stdout)
		c.ok(winrm.NewSignalRequest(c.url, sh, id, c.params))
	}
	status, body := c.send(winrm.NewExecuteCommandRequest(c.url, sh, "echo", []string{"4"}, c.params))
	require.Equal(t, http.StatusInternalServerError, status)
	f := parseFault(t, body)
	assert.Equal(t, "2150859174", f.Detail.Code)
	assert.Contains(t, f.Reason, "This user is allowed a maximum number of 3 concurrent operations, which has been exceeded.")

	// The quota is the user's: another shell is no way out...
	other := c.createShell()
	status, _ = c.send(winrm.NewExecuteCommandRequest(c.url, other, "echo", []string{"5"}, c.params))
	require.Equal(t, http.StatusInternalServerError, status)
	// ...but deleting the used shell gives its operations back.
	c.ok(winrm.NewDeleteShellRequest(c.url, sh, c.params))
	id := c.startCommand(other, "echo", "6")
	assert.Equal(t, "6\r\n", c.output(other, id).Stdout)
}

func TestOperationTimeoutHeader(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	for _, bad := range []string{"P", "PT", "60", "PTXS", "-PT5S", "PT61S", "PT1M1S"} {
		msg, _ := envelopeOf(actionCreate, "", bad, nil, createBody(""))
		status, body, _ := c.post(msg)
		require.Equal(t, http.StatusInternalServerError, status, bad)
		f := parseFault(t, body)
		assert.Equal(t, "2150858767", f.Detail.Code, bad)
		assert.Equal(t, "The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: "+bad+". ", f.Reason)
	}
	for _, good := range []string{"PT60S", "PT60.000S", "PT1M", "P0DT0H0M30S", "PT5.5S", ""} {
		msg, _ := envelopeOf(actionCreate, "", good, nil, createBody(""))
		status, body, _ := c.post(msg)
		require.Equal(t, http.StatusOK, status, "%s: %s", good, body)
	}
}

func TestCommandLineLimit(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	fits := "echo " + strings.Repeat("x", maxCmdLine-len("echo "))
	id := c.startCommand(sh, fits)
	assert.Len(t, c.output(sh, id).Stdout, maxCmdLine-len("echo ")+2)

	tooLong := fits + "x"
	msg, _ := envelopeOf(actionCommand, sh, "PT20S", nil, commandBody(tooLong))
	status, body, _ := c.post(msg)
	require.Equal(t, http.StatusInternalServerError, status)
	f := parseFault(t, body)
	assert.Equal(t, "2147942606", f.Detail.Code)
	assert.Equal(t, "w:InternalError", f.Subcode)
	assert.Equal(t, "The filename or extension is too long. ", f.Reason)
	assert.Contains(t, f.Detail.Message, `<f:ProviderFault provider="Shell cmd plugin"`)

	// Without cmd.exe the line goes to CreateProcess, which takes it.
	msg, _ = envelopeOf(actionCommand, sh, "PT20S", map[string]string{"WINRS_SKIP_CMD_SHELL": "TRUE"}, commandBody(tooLong))
	status, body, _ = c.post(msg)
	require.Equal(t, http.StatusOK, status, body)
	id, err := winrm.ParseExecuteCommandResponse(body)
	require.NoError(t, err)
	assert.Len(t, c.output(sh, id).Stdout, maxCmdLine-len("echo ")+3)
}

func TestMalformedRequestsGetFaults(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	notXML := "this is not XML <"
	soap11 := `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header/><e:Body/></e:Envelope>`
	unknownAction, _ := envelopeOf(nsShell+"/Reboot", sh, "PT20S", nil, "")
	otherResource, _ := envelopeOf(actionCreate, "", "PT20S", nil, createBody(""))
	otherResource = strings.Replace(otherResource, resourceCmd, "http://schemas.microsoft.com/powershell/Microsoft.PowerShell", 1)
	noCommand, _ := envelopeOf(actionCommand, sh, "PT20S", nil, `<sh:CommandLine><sh:Command>  </sh:Command></sh:CommandLine>`)
	unknownCommand, _ := envelopeOf(actionReceive, sh, "PT20S", nil, receiveBody("NO-SUCH-COMMAND"))
	badStdin, _ := envelopeOf(actionSend, sh, "PT20S", nil, `<sh:Send><sh:Stream Name="stdin" CommandId="X">!!!</sh:Stream></sh:Send>`)
	tests := []struct {
		name, body, code, subcode string
	}{
		{"not XML", notXML, "2150858819", "w:SchemaValidationError"},
		{"SOAP 1.1", soap11, "2150858819", "w:SchemaValidationError"},
		{"unknown action", unknownAction, "2150858771", "a:ActionNotSupported"},
		{"other resource", otherResource, "2150858752", "w:DestinationUnreachable"},
		{"empty command", noCommand, "87", "w:InvalidParameter"},
		{"unknown command id", unknownCommand, "87", "w:InvalidParameter"},
		{"stdin for an unknown command", badStdin, "87", "w:InvalidParameter"},
	}
	for _, tt := range tests {
		status, body, resp := c.post(tt.body)
		require.Equal(t, http.StatusInternalServerError, status, tt.name)
		assert.Equal(t, soapContentType, resp.Header.Get("Content-Type"))
		f := parseFault(t, body)
		assert.Equal(t, tt.code, f.Detail.Code, tt.name)
		assert.Equal(t, tt.subcode, f.Subcode, tt.name)
	}
}

func TestHTTPLayer(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true, Quotas: Quotas{MaxEnvelopeSizeKB: 16}}, false)
	hc := &http.Client{Timeout: 10 * time.Second}
	do := func(method, url, user, pass string, body []byte) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError {
			assert.Empty(t, b, "%s %s answers %d with an empty body", method, url, resp.StatusCode)
		}
		return resp
	}
	resp := do(http.MethodGet, l.url(), testUser, testPassword, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
	assert.Equal(t, http.StatusNotFound, do(http.MethodPost, "http://"+l.addr+"/other", testUser, testPassword, nil).StatusCode)
	assert.Equal(t, http.StatusRequestEntityTooLarge, do(http.MethodPost, l.url(), testUser, testPassword, make([]byte, 40<<10)).StatusCode)
	assert.Equal(t, http.StatusOK, do(http.MethodPost, l.url(), testUser, testPassword, nil).StatusCode, "an authenticated empty body is fine")

	resp = do(http.MethodPost, l.url(), testUser, "wrong", []byte("<x/>"))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, []string{"Negotiate", `Basic realm="WSMAN"`}, resp.Header.Values("WWW-Authenticate"))
	assert.Equal(t, "Microsoft-HTTPAPI/2.0", resp.Header.Get("Server"))
	assert.Equal(t, http.StatusUnauthorized, do(http.MethodPost, l.url(), "", "", []byte("<x/>")).StatusCode)

	for _, name := range []string{"lab", "LAB", `NODE1\lab`, `.\lab`, "lab@corp.example"} {
		assert.Equal(t, http.StatusOK, do(http.MethodPost, l.url(), name, testPassword, nil).StatusCode, name)
	}
	for _, name := range []string{"other", `lab\other`, "", "@lab"} {
		assert.Equal(t, http.StatusUnauthorized, do(http.MethodPost, l.url(), name, testPassword, nil).StatusCode, name)
	}

	// Tokens that are not raw NTLMSSP (SPNEGO, Kerberos), other schemes,
	// and a type 3 without a challenge on this connection are refused.
	for _, authz := range []string{
		"Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==",
		"Kerberos YIIB", "CredSSP TlRMTVNTUAABAAAA", "Negotiate !!!",
		"NTLM " + base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00\x03\x00\x00\x00"+strings.Repeat("\x00", 60))),
	} {
		req, err := http.NewRequest(http.MethodPost, l.url(), strings.NewReader("<x/>"))
		require.NoError(t, err)
		req.Header.Set("Authorization", authz)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, authz)
	}

	basicOnly := startLab(t, Config{Basic: true, AllowUnencrypted: true}, false)
	resp = do(http.MethodPost, basicOnly.url(), testUser, "wrong", nil)
	assert.Equal(t, []string{`Basic realm="WSMAN"`}, resp.Header.Values("WWW-Authenticate"))
	ntlmOnly := startLab(t, Config{NTLM: true, AllowUnencrypted: true}, false)
	resp = do(http.MethodPost, ntlmOnly.url(), testUser, testPassword, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Basic is not offered")
	assert.Equal(t, []string{"Negotiate"}, resp.Header.Values("WWW-Authenticate"))

	// Windows' default AllowUnencrypted=false refuses Basic over http.
	strict := startLab(t, Config{}, false)
	assert.Equal(t, http.StatusUnauthorized, do(http.MethodPost, strict.url(), testUser, testPassword, nil).StatusCode)
}

func TestReceiveTimesOutAtOperationTimeout(t *testing.T) {
	t.Parallel()
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	id := c.startCommand(sh, "sleep", "5000")
	msg, rid := envelopeOf(actionReceive, sh, "PT1S", nil, receiveBody(id))
	start := time.Now()
	status, body, _ := c.post(msg)
	elapsed := time.Since(start)
	require.Equal(t, http.StatusInternalServerError, status)
	f := parseFault(t, body)
	assert.Equal(t, "2150858793", f.Detail.Code)
	assert.Equal(t, "s:Receiver", f.Code)
	assert.Equal(t, "w:TimedOut", f.Subcode)
	assert.Equal(t, "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ", f.Reason)
	assert.Equal(t, rid, f.RelatesTo)
	assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond)
	assert.Less(t, elapsed, time.Second, "never later than the OperationTimeout")
}

func TestReceiveStreamsAndChunks(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	const size = 1000000
	for _, maxEnv := range []int{153600, 20000} {
		id := c.startCommand(sh, "bigout", fmt.Sprint(size))
		var out []byte
		responses := 0
		for done := false; !done; {
			msg, _ := envelopeOf(actionReceive, sh, "PT20S", nil, receiveBody(id))
			msg = strings.Replace(msg, "<wsman:MaxEnvelopeSize>153600<", fmt.Sprintf("<wsman:MaxEnvelopeSize>%d<", maxEnv), 1)
			status, body, _ := c.post(msg)
			require.Equal(t, http.StatusOK, status)
			require.LessOrEqual(t, len(body), maxEnv, "a Receive response must fit the client's MaxEnvelopeSize")
			require.Equal(t, 1, strings.Count(body, "<rsp:CommandState "), "exactly one CommandState")
			var chunk []byte
			chunk, done = streams(t, body)
			out = append(out, chunk...)
			responses++
			if done {
				assert.Contains(t, body, `<rsp:Stream Name="stdout" CommandId="`+id+`" End="true"></rsp:Stream>`)
				assert.Contains(t, body, `<rsp:Stream Name="stderr" CommandId="`+id+`" End="true"></rsp:Stream>`)
				assert.Contains(t, body, `<rsp:ExitCode>0</rsp:ExitCode>`)
			}
		}
		assert.Equal(t, pattern(0, size), out, "MaxEnvelopeSize %d", maxEnv)
		assert.Greater(t, responses, size*4/3/maxEnv, "MaxEnvelopeSize %d", maxEnv)
	}

	// Output is handed out as it comes, not when the command ends.
	id := c.startCommand(sh, "tick", "3", "300")
	start := time.Now()
	body := c.ok(winrm.NewGetOutputRequest(c.url, sh, id, "stdout stderr", c.params))
	first, done := streams(t, body)
	assert.Equal(t, "tick 1\r\n", string(first))
	assert.False(t, done)
	assert.Contains(t, body, stateRunning)
	assert.Less(t, time.Since(start), 250*time.Millisecond)
	assert.Equal(t, "tick 2\r\ntick 3\r\n", c.output(sh, id).Stdout)
}

func TestSignalEndsPendingReceive(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	for _, tt := range []struct {
		code  string
		cause error
	}{
		{signalPrefix + "terminate", ErrTerminated},
		{strings.ToUpper(signalPrefix + "Terminate"), ErrTerminated},
		{signalPrefix + "ctrl_c", ErrCtrlC},
		{signalPrefix + "ctrl_break", ErrCtrlBreak},
	} {
		line := "sleep 20000 " + tt.code
		id := c.startCommand(sh, "sleep", "20000", tt.code)
		got := make(chan string, 1)
		go func() {
			msg, _ := envelopeOf(actionReceive, sh, "PT20S", nil, receiveBody(id))
			_, body, _ := c.post(msg)
			got <- body
		}()
		time.Sleep(100 * time.Millisecond)
		msg, mid := envelopeOf(actionSignal, sh, "PT20S", nil, signalBody(id, tt.code))
		status, body, _ := c.post(msg)
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, "<a:RelatesTo>"+mid+"</a:RelatesTo>", "pywinrm asserts RelatesTo on Signal")
		select {
		case body := <-got:
			_, done := streams(t, body)
			assert.True(t, done, "the pending Receive completes with Done")
			assert.Contains(t, body, "<rsp:ExitCode>1</rsp:ExitCode>")
		case <-time.After(2 * time.Second):
			t.Fatalf("%s did not complete the pending Receive", tt.code)
		}
		assert.ErrorIs(t, l.machine.cause(line), tt.cause)

		msg, _ = envelopeOf(actionReceive, sh, "PT20S", nil, receiveBody(id))
		status, _, _ = c.post(msg)
		if tt.cause == ErrTerminated {
			assert.Equal(t, http.StatusInternalServerError, status, "a terminated command is gone")
		} else {
			assert.Equal(t, http.StatusOK, status, "after ctrl_c the command stays until terminated")
		}
	}
}

func TestDeleteKillsProcesses(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	c.startCommand(sh, "sleep", "20000")
	m := winrm.NewDeleteShellRequest(c.url, sh, c.params)
	id := messageID(t, m)
	body := c.ok(m)
	assert.Contains(t, body, "<a:RelatesTo>"+id+"</a:RelatesTo>")
	assert.Contains(t, body, "<a:Action>"+nsTransfer+"/DeleteResponse</a:Action>")
	assert.Eventually(t, func() bool { return errors.Is(l.machine.cause("sleep 20000"), ErrShellDeleted) }, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, 0, l.srv.Shells())
}

func TestIdleShellsAreDeleted(t *testing.T) {
	t.Parallel()
	l := startLab(t, Config{AllowUnencrypted: true, Quotas: Quotas{IdleTimeout: 300 * time.Millisecond}}, false)
	c := l.raw(t)
	sh, body := c.createWith(nil, "")
	assert.Contains(t, body, "<rsp:IdleTimeOut>PT0.300S</rsp:IdleTimeOut>")
	// Use keeps it alive...
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		c.output(sh, c.startCommand(sh, "echo", "alive"))
	}
	assert.Equal(t, 1, l.srv.Shells())
	// ...idleness ends it.
	assert.Eventually(t, func() bool { return l.srv.Shells() == 0 }, 2*time.Second, 20*time.Millisecond)
	status, _ := c.send(winrm.NewExecuteCommandRequest(c.url, sh, "echo", nil, c.params))
	assert.Equal(t, http.StatusInternalServerError, status)

	// A client may ask for less than the server's idle timeout.
	l2 := startLab(t, Config{AllowUnencrypted: true}, false)
	c2 := l2.raw(t)
	_, body = c2.createWith(nil, "<IdleTimeOut>PT0.2S</IdleTimeOut>")
	assert.Contains(t, body, "<rsp:IdleTimeOut>PT0.200S</rsp:IdleTimeOut>")
	assert.Eventually(t, func() bool { return l2.srv.Shells() == 0 }, 2*time.Second, 20*time.Millisecond)
}

func TestCloseTakesHostDown(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	id := c.startCommand(sh, "sleep", "20000")
	pending := make(chan error, 1)
	go func() {
		msg, _ := envelopeOf(actionReceive, sh, "PT20S", nil, receiveBody(id))
		req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(msg))
		req.SetBasicAuth(testUser, testPassword)
		resp, err := c.hc.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("got status %d", resp.StatusCode)
		}
		pending <- err
	}()
	time.Sleep(100 * time.Millisecond)
	oldAddr := l.addr
	start := time.Now()
	require.NoError(t, l.srv.Close())
	select {
	case err := <-pending:
		assert.Error(t, err)
		assert.NotContains(t, err.Error(), "got status", "the connection breaks, no answer comes")
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(3 * time.Second):
		t.Fatal("the pending Receive survived Close")
	}
	assert.Eventually(t, func() bool { return errors.Is(l.machine.cause("sleep 20000"), ErrHostDown) }, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, 0, l.srv.Shells())
	_, err := net.DialTimeout("tcp", oldAddr, time.Second)
	assert.Error(t, err, "the listener is closed")

	// The host comes back: a new boot, empty.
	l.listen(t)
	c = l.raw(t)
	status, _ := c.send(winrm.NewExecuteCommandRequest(c.url, sh, "echo", nil, c.params))
	assert.Equal(t, http.StatusInternalServerError, status, "shells do not survive a reboot")
	sh = c.createShell()
	assert.Equal(t, "back\r\n", c.output(sh, c.startCommand(sh, "echo", "back")).Stdout)
}

// scripted is an Injector that applies one Injection to the nth request of
// an action and records every request.
type scripted struct {
	mu     sync.Mutex
	action string
	nth    int
	inj    Injection
	seen   []Request
}

func (s *scripted) Inject(r Request) Injection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r)
	if r.Action != s.action {
		return Injection{}
	}
	s.nth--
	if s.nth == 0 {
		return s.inj
	}
	return Injection{}
}

func (s *scripted) requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

func TestFaultInjection(t *testing.T) {
	t.Run("requests are described", func(t *testing.T) {
		inj := &scripted{}
		l := startLab(t, Config{AllowUnencrypted: true, Faults: inj}, false)
		c := l.raw(t)
		sh := c.createShell()
		id := c.startCommand(sh, "echo", "hi")
		c.output(sh, id)
		c.ok(winrm.NewSignalRequest(c.url, sh, id, c.params))
		c.ok(winrm.NewDeleteShellRequest(c.url, sh, c.params))
		seen := inj.requests()
		require.Len(t, seen, 5)
		assert.Equal(t, Request{Action: "Create", User: testUser}, seen[0])
		assert.Equal(t, Request{Action: "Command", ShellID: sh, CommandLine: "echo hi", User: testUser}, seen[1])
		assert.Equal(t, Request{Action: "Receive", ShellID: sh, CommandID: id, User: testUser}, seen[2])
		assert.Equal(t, Request{Action: "Signal", ShellID: sh, CommandID: id, User: testUser}, seen[3])
		assert.Equal(t, Request{Action: "Delete", ShellID: sh, User: testUser}, seen[4])
	})
	t.Run("drop", func(t *testing.T) {
		l := startLab(t, Config{AllowUnencrypted: true, Faults: &scripted{action: "Create", nth: 1, inj: Injection{Kind: Drop}}}, false)
		c := l.client(t, "basic", testUser, testPassword, "PT20S")
		_, err := c.CreateShell()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "EOF")
		assert.Equal(t, 0, l.srv.Shells(), "a dropped request does nothing")
	})
	t.Run("lose reply", func(t *testing.T) {
		l := startLab(t, Config{AllowUnencrypted: true, Faults: &scripted{action: "Command", nth: 1, inj: Injection{Kind: LoseReply}}}, false)
		c := l.client(t, "basic", testUser, testPassword, "PT20S")
		sh, err := c.CreateShell()
		require.NoError(t, err)
		_, err = sh.Execute("echo", "lost")
		require.Error(t, err)
		assert.Eventually(t, func() bool { return len(l.machine.ran()) == 1 }, time.Second, 10*time.Millisecond)
		assert.Equal(t, []string{"echo lost"}, l.machine.ran(), "the command ran although its reply was lost")
	})
	t.Run("fault 500", func(t *testing.T) {
		l := startLab(t, Config{AllowUnencrypted: true, Faults: &scripted{action: "Create", nth: 1, inj: Injection{Kind: Fault500}}}, false)
		c := l.raw(t)
		status, body := c.send(winrm.NewOpenShellRequest(c.url, c.params))
		require.Equal(t, http.StatusInternalServerError, status)
		f := parseFault(t, body)
		assert.Equal(t, "w:InternalError", f.Subcode)
		assert.Equal(t, 0, l.srv.Shells(), "a 500 fault does nothing")
		c.createShell()
	})
	t.Run("unauthorized", func(t *testing.T) {
		l := startLab(t, Config{AllowUnencrypted: true, Faults: &scripted{action: "Create", nth: 1, inj: Injection{Kind: Unauthorized}}}, false)
		c := l.raw(t)
		status, _ := c.send(winrm.NewOpenShellRequest(c.url, c.params))
		require.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, 0, l.srv.Shells())
	})
	t.Run("delay", func(t *testing.T) {
		delay := InjectorFunc(func(r Request) Injection {
			if r.Action == "Create" {
				return Injection{Delay: 300 * time.Millisecond}
			}
			return Injection{}
		})
		l := startLab(t, Config{AllowUnencrypted: true, Faults: delay}, false)
		c := l.raw(t)
		start := time.Now()
		c.createShell()
		assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	})
}

func TestShellEnvironmentAndCodepage(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh, body := c.createWith(map[string]string{"WINRS_CODEPAGE": "437"},
		`<WorkingDirectory>C:\Temp</WorkingDirectory><Environment><Variable Name="FOO">bar baz</Variable><Variable Name="X">1</Variable></Environment>`)
	assert.Contains(t, body, "<rsp:Owner>lab</rsp:Owner>")
	assert.Contains(t, body, "<rsp:ClientIP>127.0.0.1</rsp:ClientIP>")
	assert.Contains(t, body, `<w:Selector Name="ShellId">`+sh+`</w:Selector>`)
	assert.Equal(t, "bar baz\r\n", c.output(sh, c.startCommand(sh, "env", "FOO")).Stdout)
	assert.Equal(t, "1\r\n", c.output(sh, c.startCommand(sh, "env", "X")).Stdout)
	assert.Equal(t, `C:\Temp`+"\r\n", c.output(sh, c.startCommand(sh, "pwd")).Stdout)
	// é is 0x82 in CP437; ✓ has no CP437 form.
	assert.Equal(t, "caf\x82 ?\r\n", c.output(sh, c.startCommand(sh, "unicode")).Stdout)

	utf8Shell, _ := c.createWith(map[string]string{"WINRS_CODEPAGE": "65001"}, "")
	// A client that asks for no code page gets the host's OEM one.
	oem, _ := c.createWith(nil, "")
	assert.Equal(t, "caf\x82 ?\r\n", c.output(oem, c.startCommand(oem, "unicode")).Stdout, "437 by default")
	assert.Equal(t, "café ✓\r\n", c.output(utf8Shell, c.startCommand(utf8Shell, "unicode")).Stdout)

	// Old clients wrap the whole command in quotes; the line reaches the
	// machine as sent, for its cmd /c to unwrap.
	id := c.startCommand(utf8Shell, `"echo quoted"`)
	assert.Equal(t, "quoted\r\n", c.output(utf8Shell, id).Stdout)
	assert.Contains(t, l.machine.ran(), `"echo quoted"`)
}

func TestShellTakesTheHostsOEMCodepage(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true, Codepage: 850}, false)
	c := l.raw(t)
	sh, _ := c.createWith(nil, "")
	assert.Equal(t, "850\r\n", c.output(sh, c.startCommand(sh, "codepage")).Stdout)
	asked, _ := c.createWith(map[string]string{"WINRS_CODEPAGE": "65001"}, "")
	assert.Equal(t, "65001\r\n", c.output(asked, c.startCommand(asked, "codepage")).Stdout)
}

// TestNTLMIsConnectionBound checks §3.2 step 5: after NTLM the connection is
// authenticated for requests without Authorization, except an empty body,
// which starts a new handshake.
func TestNTLMIsConnectionBound(t *testing.T) {
	l := startLab(t, Config{NTLM: true, AllowUnencrypted: true}, false)
	var dials int
	var mu sync.Mutex
	transport := &http.Transport{
		MaxConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dials++
			mu.Unlock()
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	negotiator := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: transport}, Timeout: 10 * time.Second}
	plain := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	post := func(hc *http.Client, body string, basic bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, l.url(), strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", soapContentType)
		if basic {
			req.SetBasicAuth(testUser, testPassword)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	create, _ := envelopeOf(actionCreate, "", "PT20S", nil, createBody(""))
	assert.Equal(t, http.StatusUnauthorized, post(plain, create, false).StatusCode, "a new connection must authenticate")
	assert.Equal(t, http.StatusOK, post(negotiator, create, true).StatusCode)
	assert.Equal(t, http.StatusOK, post(plain, create, false).StatusCode, "the connection stays authenticated")
	assert.Equal(t, http.StatusUnauthorized, post(plain, "", false).StatusCode, "an empty body starts a new context")
	assert.Equal(t, http.StatusUnauthorized, post(plain, create, false).StatusCode, "and the old one is gone")
	assert.Equal(t, 1, dials, "all of it on one connection")

	sealed, _ := envelopeOf(actionCreate, "", "PT20S", nil, createBody(""))
	req, err := http.NewRequest(http.MethodPost, l.url(), strings.NewReader(sealed))
	require.NoError(t, err)
	req.Header.Set("Content-Type", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`)
	req.SetBasicAuth(testUser, testPassword)
	resp, err := negotiator.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "go-ntlmssp negotiates no sealing, so a 'sealed' body cannot be opened")
}

// TestNoCrashOnHostileInput throws malformed but authenticated bodies at
// the server; the Fuzz test below does the same with generated input.
func TestNoCrashOnHostileInput(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	for _, body := range append(fuzzSeeds(sh),
		deep, "<?xml version='1.0' encoding='latin1'?><x/>", "<x>&unknown;</x>", "\x00\x01\x02",
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`) {
		status, _, _ := c.post(body)
		assert.Contains(t, []int{http.StatusOK, http.StatusInternalServerError}, status)
	}
	status, _, _ := c.post(base64.StdEncoding.EncodeToString([]byte("x")))
	assert.Equal(t, http.StatusInternalServerError, status)
}

// TestOneHostTwoListeners serves one host on http and https at once, as
// 5985 and 5986: both reach the same shells, and TLS offers only HTTP/1.1,
// since NTLM over HTTP/2 would lose its connection binding.
func TestOneHostTwoListeners(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	secure := &lab{srv: l.srv, machine: l.machine, https: true}
	secure.listen(t)

	sh := l.raw(t).createShell()
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(secure.caPEM))
	for _, name := range []string{"127.0.0.1", "localhost"} {
		conn, err := tls.Dial("tcp", secure.addr, &tls.Config{RootCAs: roots, ServerName: name, NextProtos: []string{"h2", "http/1.1"}})
		require.NoError(t, err, "the certificate is valid for %s", name)
		assert.Equal(t, "http/1.1", conn.ConnectionState().NegotiatedProtocol)
		conn.Close()
	}
	c := secure.raw(t)
	c.hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	assert.Equal(t, "both\r\n", c.output(sh, c.startCommand(sh, "echo", "both")).Stdout)
	assert.Equal(t, 1, l.srv.Shells())
}

// TestWinRM2Quotas runs a host with WinRM 2.0's limits: 150 KB envelopes, 5
// shells, 15 operations.
func TestWinRM2Quotas(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true, Quotas: WinRM2Quotas()}, false)
	c := l.raw(t)
	shells := make([]string, 5)
	for i := range shells {
		shells[i] = c.createShell()
	}
	status, body := c.send(winrm.NewOpenShellRequest(c.url, c.params))
	require.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, parseFault(t, body).Reason, "maximum number of 5 concurrent shells")

	// masterzen's stdin chunks (~200 KB on the wire) do not fit 150 KB.
	id := c.startCommand(shells[0], "more")
	big := winrm.NewSendInputRequest(c.url, shells[0], id, make([]byte, 152600), false, c.params)
	status, _ = c.send(big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	for range 14 {
		c.startCommand(shells[1], "echo")
	}
	status, body = c.send(winrm.NewExecuteCommandRequest(c.url, shells[2], "echo", nil, c.params))
	require.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, parseFault(t, body).Reason, "maximum number of 15 concurrent operations")
}

// TestOutputBackpressure: a process that writes faster than the client
// receives is held back, as by a full pipe, and loses nothing.
func TestOutputBackpressure(t *testing.T) {
	l := startLab(t, Config{AllowUnencrypted: true}, false)
	c := l.raw(t)
	sh := c.createShell()
	const size = 3 * maxQueued
	id := c.startCommand(sh, "bigout", fmt.Sprint(size))
	g := l.srv.generation()
	g.mu.Lock()
	cmd := g.shells[sh].commands[id]
	g.mu.Unlock()
	queued := func() int {
		cmd.mu.Lock()
		defer cmd.mu.Unlock()
		return cmd.queued
	}
	assert.Eventually(t, func() bool { return queued() > maxQueued }, 2*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	assert.LessOrEqual(t, queued(), maxQueued+4096, "the writer waits once the queue is full")
	out := c.output(sh, id)
	assert.Equal(t, string(pattern(0, size)), out.Stdout)
}
