package wsman

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/masterzen/winrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/krbgss"
	"github.com/winplay/winplay/internal/sealing"
	"github.com/winplay/winplay/lab/kdc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kdc.StopShared()
	os.Exit(code)
}

// kerberosLab serves a host whose acceptor knows HTTP/127.0.0.1 and
// refuses plaintext over HTTP, and returns an AP-REQ maker for the lab
// user.
func kerberosLab(t *testing.T, offset time.Duration) (*lab, func() *krbgss.Initiation) {
	t.Helper()
	k, err := kdc.Shared()
	require.NoError(t, err)
	require.NoError(t, k.AddUser(testUser, testPassword))
	require.NoError(t, k.AddService("HTTP/127.0.0.1"))
	kt, err := k.Keytab()
	require.NoError(t, err)
	l := startLab(t, Config{Kerberos: &Kerberos{Keytab: kt, ClockOffset: offset}}, false)
	kc, err := config.Load(k.Krb5ConfPath())
	require.NoError(t, err)
	cl := client.NewWithPassword(testUser, k.Realm(), testPassword, kc, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	return l, func() *krbgss.Initiation {
		tkt, key, err := cl.GetServiceTicket("HTTP/127.0.0.1")
		require.NoError(t, err)
		in, err := krbgss.NewAPReq(tkt, key, cl.Credentials.Domain(), cl.Credentials.CName(), krbgss.FlagMutual|krbgss.FlagSequence, nil)
		require.NoError(t, err)
		return in
	}
}

func post(t *testing.T, hc *http.Client, url string, header http.Header, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := hc.Do(req)
	require.NoError(t, err)
	return resp
}

func authHeader(scheme string, token []byte) http.Header {
	h := http.Header{}
	h.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
	h.Set("Content-Type", soapContentType)
	return h
}

func TestKerberosMutualAuthenticationAndSealing(t *testing.T) {
	l, apreq := kerberosLab(t, 0)
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	in := apreq()
	resp := post(t, hc, l.url(), authHeader("Kerberos", in.Token), nil)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	scheme, token, ok := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	require.True(t, ok, "the AP-REP comes back for mutual authentication")
	assert.Equal(t, "Kerberos", scheme)
	raw, err := base64.StdEncoding.DecodeString(token)
	require.NoError(t, err)
	ctx, err := in.Complete(raw)
	require.NoError(t, err)

	open := []byte(winrm.NewOpenShellRequest(l.url(), winrm.DefaultParameters).String())
	// Plaintext after Kerberos on a listener that refuses it: 500.
	resp = post(t, hc, l.url(), http.Header{"Content-Type": {soapContentType}}, open)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)

	// The other scheme's protocol: 415, and the connection stays usable.
	header, data, err := ctx.Wrap(open)
	require.NoError(t, err)
	resp = post(t, hc, l.url(), http.Header{"Content-Type": {sealing.ContentType(sealing.SPNEGO)}},
		sealing.Frame(sealing.SPNEGO, sealing.Part{Header: header, Data: data}))
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
}

func TestKerberosSealedRoundTrip(t *testing.T) {
	l, apreq := kerberosLab(t, 0)
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	in := apreq()
	resp := post(t, hc, l.url(), authHeader("Kerberos", in.Token), nil)
	resp.Body.Close()
	_, token, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	raw, _ := base64.StdEncoding.DecodeString(token)
	ctx, err := in.Complete(raw)
	require.NoError(t, err)

	header, data, err := ctx.Wrap([]byte(winrm.NewOpenShellRequest(l.url(), winrm.DefaultParameters).String()))
	require.NoError(t, err)
	resp = post(t, hc, l.url(), http.Header{"Content-Type": {sealing.ContentType(sealing.Kerberos)}},
		sealing.Frame(sealing.Kerberos, sealing.Part{Header: header, Data: data}))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, sealing.ContentType(sealing.Kerberos), resp.Header.Get("Content-Type"))
	parts, err := sealing.Parse(body)
	require.NoError(t, err)
	reply, err := ctx.Unwrap(parts[0].Header, parts[0].Data)
	require.NoError(t, err)
	id, err := winrm.ParseOpenShellResponse(string(reply))
	require.NoError(t, err)
	assert.NotEmpty(t, id)
}

// A client that wraps its AP-REQ in SPNEGO (gokrb5, browsers) gets the
// AP-REP in a NegTokenResp; a host whose clock is off refuses with
// KRB_AP_ERR_SKEW in the challenge.
func TestKerberosSPNEGOAndClockSkew(t *testing.T) {
	l, apreq := kerberosLab(t, 0)
	in := apreq()
	init := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes: []asn1.ObjectIdentifier{gssapi.OIDKRB5.OID()}, MechTokenBytes: in.Token}}
	tok, err := init.Marshal()
	require.NoError(t, err)
	resp := post(t, http.DefaultClient, l.url(), authHeader("Negotiate", tok), nil)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, token, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	raw, err := base64.StdEncoding.DecodeString(token)
	require.NoError(t, err)
	var sp spnego.SPNEGOToken
	require.NoError(t, sp.Unmarshal(raw))
	require.True(t, sp.Resp)
	_, err = in.Complete(sp.NegTokenResp.ResponseToken)
	require.NoError(t, err)

	skewed, apreq2 := kerberosLab(t, 10*time.Minute)
	in = apreq2()
	resp = post(t, http.DefaultClient, skewed.url(), authHeader("Kerberos", in.Token), nil)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_, token, _ = strings.Cut(resp.Header.Values("WWW-Authenticate")[0], " ")
	raw, err = base64.StdEncoding.DecodeString(token)
	require.NoError(t, err)
	_, err = in.Complete(raw)
	var ke *krbgss.KRBError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, int32(37), ke.ErrorCode, "KRB_AP_ERR_SKEW")
}
