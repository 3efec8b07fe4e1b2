package wsman

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winplay/winplay/internal/krbgss"
	"github.com/winplay/winplay/internal/sealing"
	"github.com/winplay/winplay/lab/ntlm"
)

const soapContentType = "application/soap+xml;charset=UTF-8"

// encryptionSlack is what NTLM sealing's multipart framing may add to an
// envelope before the body counts as too large.
const encryptionSlack = 16 << 10

// maxDrain bounds how much of an oversized body is read and discarded to
// keep the connection (and its NTLM context) usable after a 413.
const maxDrain = 32 << 20

// connState is what a TCP connection carries between requests: NTLM is
// bound to the connection, not to a request.
type connState struct {
	conn net.Conn
	tls  bool

	mu        sync.Mutex
	challenge *ntlm.Challenge // sent, awaiting the type 3
	user      string          // authenticated on this connection
	logon     Logon           // how user logged on
	session   *ntlm.Session   // NTLM sealing keys, when the client negotiated SEAL
	// krb seals with the Kerberos context the connection authenticated
	// with, under krbProtocol (which depends on the scheme it used).
	krb         *krbgss.Context
	krbProtocol string
}

func (cs *connState) forget() {
	cs.challenge, cs.user, cs.session, cs.krb, cs.krbProtocol, cs.logon = nil, "", nil, nil, "", Logon{}
}

// handler serves /wsman for one generation of the host.
type handler struct {
	srv *Server
	gen *generation
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Microsoft-HTTPAPI/2.0")
	cs, _ := r.Context().Value(connKey{}).(*connState)
	if cs == nil {
		cs = &connState{}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()

	limit := h.srv.cfg.Quotas.MaxEnvelopeSizeKB * 1024
	// Read the whole body before answering anything, 401s included: net/http
	// closes a connection whose unread body exceeds 256 KiB, and that would
	// throw away the NTLM challenge sent on it.
	body, tooLarge := readBody(r.Body, r.ContentLength, limit+encryptionSlack)
	switch {
	case !strings.EqualFold(r.URL.Path, "/wsman"):
		emptyReply(w, http.StatusNotFound)
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		emptyReply(w, http.StatusMethodNotAllowed)
		return
	case tooLarge:
		// The rest of a sealed message is lost, so its RC4 stream is too.
		cs.forget()
		emptyReply(w, http.StatusRequestEntityTooLarge)
		return
	}

	user, ok := h.authenticate(w, r, cs, body)
	if !ok {
		return
	}
	protocol, sealed := sealing.Protocol(r.Header.Get("Content-Type"))
	if sealed {
		var plain []byte
		var err error
		switch {
		case cs.krb != nil && protocol != cs.krbProtocol:
			// Windows binds the protocol to the scheme the connection
			// authenticated with: Kerberos-session-encrypted after
			// Negotiate is refused (pywinrm issue #6 saw 415).
			emptyReply(w, http.StatusUnsupportedMediaType)
			return
		case cs.krb != nil:
			plain, err = kerberosUnseal(cs.krb, body)
		case cs.session != nil && protocol == sealing.SPNEGO:
			plain, err = ntlm.Decrypt(cs.session, body)
		default:
			emptyReply(w, http.StatusBadRequest)
			return
		}
		if err != nil {
			// Windows answers 400 to a message it cannot unseal; the
			// connection's keys are out of step from here on.
			cs.forget()
			emptyReply(w, http.StatusBadRequest)
			return
		}
		body = plain
	} else if len(body) > 0 && !cs.tls && !h.srv.cfg.AllowUnencrypted {
		if cs.krb != nil {
			// After Kerberos, Windows answers plaintext with 500 and logs
			// that unencrypted traffic is refused (pywinrm issue #129,
			// ansible issue #33385; no capture of the body exists).
			emptyReply(w, http.StatusInternalServerError)
			return
		}
		h.unauthorized(w, cs)
		return
	}
	if len(body) == 0 {
		// NTLM clients finish the handshake with an empty body (pywinrm's
		// encryption setup, masterzen's Encryption) and expect 200.
		emptyReply(w, http.StatusOK)
		return
	}
	if len(body) > limit {
		emptyReply(w, http.StatusRequestEntityTooLarge)
		return
	}

	out, status := h.handle(w, r, cs, body, user)
	if out == nil {
		return // the connection was dropped or the client is gone
	}
	switch {
	case sealed && cs.krb != nil:
		sealedOut, err := kerberosSeal(cs.krb, cs.krbProtocol, out)
		if err != nil {
			cs.forget()
			emptyReply(w, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", sealing.ContentType(cs.krbProtocol))
		out = sealedOut
	case sealed:
		w.Header().Set("Content-Type", ntlm.EncryptedContentType)
		out = ntlm.Encrypt(cs.session, out, soapContentType)
	default:
		w.Header().Set("Content-Type", soapContentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// handle parses and runs one SOAP request and returns the envelope to send,
// or nil when there is nothing to send.
func (h *handler) handle(w http.ResponseWriter, r *http.Request, cs *connState, body []byte, user string) ([]byte, int) {
	machine := h.srv.cfg.ComputerName
	env, err := parseEnvelope(body)
	if err != nil {
		return faultInvalidXML().render("", machine), faultStatus
	}
	req := Request{Action: env.action, ShellID: env.shellID, User: user}
	if name, ok := actionNames[env.action]; ok {
		req.Action = name
	}
	switch env.action {
	case actionCommand:
		req.CommandLine, _ = commandLine(env.body)
	case actionSend:
		req.CommandID = env.body.child(nsShell, "Stream").attrValue("CommandId")
	case actionReceive:
		req.CommandID = env.body.child(nsShell, "DesiredStream").attrValue("CommandId")
	case actionSignal:
		req.CommandID = env.body.attrValue("CommandId")
	}

	var inj Injection
	if h.srv.cfg.Faults != nil {
		inj = h.srv.cfg.Faults.Inject(req)
	}
	if inj.Delay > 0 && !h.sleep(r.Context(), inj.Delay) {
		return nil, 0
	}
	switch inj.Kind {
	case Drop:
		dropConnection(w, cs)
		return nil, 0
	case Fault500:
		return faultInternal().render(env.messageID, machine), faultStatus
	case Unauthorized:
		h.unauthorized(w, cs)
		return nil, 0
	}

	out, f, err := h.dispatch(r, env, user, cs.logon)
	if errors.Is(err, errClientGone) {
		return nil, 0
	}
	if inj.Kind == LoseReply {
		dropConnection(w, cs)
		return nil, 0
	}
	if f != nil {
		return f.render(env.messageID, machine), faultStatus
	}
	return out, http.StatusOK
}

func (h *handler) dispatch(r *http.Request, env *envelope, user string, logon Logon) ([]byte, *fault, error) {
	if _, ok := actionNames[env.action]; !ok {
		return nil, faultActionNotSupported(), nil
	}
	if !strings.EqualFold(env.resourceURI, resourceCmd) {
		return nil, faultResourceNotFound(env.resourceURI), nil
	}
	timeout := h.srv.cfg.Quotas.MaxTimeout
	if env.timeoutRaw != "" {
		d, err := parseDuration(env.timeoutRaw)
		if err != nil || d <= 0 || d > h.srv.cfg.Quotas.MaxTimeout {
			return nil, faultBadTimeout(env.timeoutRaw), nil
		}
		timeout = d
	}
	g := h.gen
	var out []byte
	var f *fault
	switch env.action {
	case actionCreate:
		out, f = g.create(env, user, logon, remoteIP(r), h.address(r, env))
	case actionCommand:
		out, f = g.command(env, user)
	case actionSend:
		out, f = g.send(env, user)
	case actionReceive:
		return g.receive(r.Context(), env, user, timeout)
	case actionSignal:
		out, f = g.signal(env, user)
	case actionDelete:
		out, f = g.delete(env, user)
	}
	return out, f, nil
}

// address is the endpoint reported in ResourceCreated: the client's a:To,
// or the URL it posted to.
func (h *handler) address(r *http.Request, env *envelope) string {
	if env.to != "" {
		return env.to
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/wsman"
}

// sleep waits d unless the client or the host goes away first.
func (h *handler) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-h.gen.ctx.Done():
		return false
	}
}

// authenticate checks the request's credentials. When it returns false it
// has written the response (a 401, possibly carrying an NTLM challenge).
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request, cs *connState, body []byte) (string, bool) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		// After NTLM the connection stays authenticated; but an empty body
		// means the client starts a new context (masterzen's Encryption does
		// for every message) and must be challenged.
		if cs.user != "" && len(body) > 0 {
			return cs.user, true
		}
		h.unauthorized(w, cs)
		return "", false
	}
	user, ok := h.logOn(w, r, cs, authz)
	if ok && !h.srv.admits(user, cs.logon) {
		// The credentials were right, but the token they give may not use
		// WinRM (see Authorizer): Windows answers as for wrong ones.
		h.unauthorized(w, cs)
		return "", false
	}
	return user, ok
}

// logOn checks the credentials of an Authorization header. When it returns
// false it has written the response (a 401, possibly carrying a
// challenge).
func (h *handler) logOn(w http.ResponseWriter, r *http.Request, cs *connState, authz string) (string, bool) {
	cfg := &h.srv.cfg
	if strings.EqualFold(strings.TrimSpace(authz), MutualAuthorization) && len(cfg.CertMappings) > 0 && r.TLS != nil {
		if user, ok := h.srv.certificateLogon(r.TLS.PeerCertificates); ok {
			cs.user, cs.logon = user, Logon{Method: "certificate"}
			return user, true
		}
		h.unauthorized(w, cs)
		return "", false
	}
	scheme, token, _ := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	negotiate := strings.EqualFold(scheme, "Negotiate")
	switch {
	case strings.EqualFold(scheme, "Basic") && cfg.Basic:
		// Windows refuses Basic over http unless AllowUnencrypted.
		if !cs.tls && !cfg.AllowUnencrypted {
			break
		}
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			break
		}
		name, password, _ := strings.Cut(string(raw), ":")
		acct, found := h.srv.lookup(name)
		if found && subtle.ConstantTimeCompare([]byte(password), []byte(acct.password)) == 1 {
			cs.logon = Logon{Method: "basic", Domain: domainOf(name)}
			return acct.name, true
		}
	case (negotiate || strings.EqualFold(scheme, "Kerberos")) && cfg.Kerberos != nil:
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			break
		}
		if apreq, spnegoWrap, ok := kerberosToken(raw); ok {
			return h.kerberosLeg(w, cs, scheme, apreq, spnegoWrap)
		}
		if negotiate && cfg.NTLM {
			return h.ntlmLeg(w, cs, scheme, token)
		}
	case (negotiate || strings.EqualFold(scheme, "NTLM")) && cfg.NTLM:
		return h.ntlmLeg(w, cs, scheme, token)
	}
	h.unauthorized(w, cs)
	return "", false
}

// ntlmLeg handles a type 1 (answering the challenge) or a type 3 (verifying
// it and authenticating the connection).
func (h *handler) ntlmLeg(w http.ResponseWriter, cs *connState, scheme, token string) (string, bool) {
	canonical := "Negotiate"
	if strings.EqualFold(scheme, "NTLM") {
		canonical = "NTLM"
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		h.unauthorized(w, cs)
		return "", false
	}
	switch ntlm.MessageType(raw) {
	case 1:
		neg, err := ntlm.ParseNegotiate(raw)
		if err != nil {
			break
		}
		c, err := ntlm.NewChallenge(neg, h.srv.cfg.ComputerName, time.Now(), rand.Reader)
		if err != nil {
			break
		}
		cs.forget()
		cs.challenge = c
		w.Header().Set("WWW-Authenticate", canonical+" "+base64.StdEncoding.EncodeToString(c.Marshal()))
		emptyReply(w, http.StatusUnauthorized)
		return "", false
	case 3:
		c := cs.challenge
		cs.forget()
		if c == nil {
			break
		}
		a, err := ntlm.ParseAuthenticate(raw)
		if err != nil {
			break
		}
		acct, found := h.srv.lookup(a.User)
		if !found {
			break
		}
		res, err := c.Verify(a, acct.password)
		if err != nil {
			break
		}
		cs.user = acct.name
		cs.logon = Logon{Method: "ntlm", Domain: a.Domain}
		if res.Flags.Has(ntlm.NegotiateSeal) {
			// Without extended session security there are no keys to
			// seal with; the client then cannot send sealed messages.
			cs.session, _ = ntlm.NewSession(res.Flags, res.SessionKey, ntlm.ServerSide)
		}
		return acct.name, true
	}
	h.unauthorized(w, cs)
	return "", false
}

// unauthorized answers 401 with the schemes on offer and an empty body, as
// Windows does for bad credentials, and forgets the connection's
// authentication.
func (h *handler) unauthorized(w http.ResponseWriter, cs *connState) {
	h.challenge(w, cs, "")
}

// challenge is unauthorized with the first WWW-Authenticate carrying a
// token (a Kerberos error) instead of the bare scheme it names.
func (h *handler) challenge(w http.ResponseWriter, cs *connState, first string) {
	cs.forget()
	cfg := &h.srv.cfg
	offered := []string{}
	if cfg.NTLM || cfg.Kerberos != nil {
		offered = append(offered, "Negotiate")
	}
	if cfg.Kerberos != nil {
		offered = append(offered, "Kerberos")
	}
	if cfg.Basic {
		offered = append(offered, `Basic realm="WSMAN"`)
	}
	if len(cfg.CertMappings) > 0 && cs.tls {
		offered = append(offered, MutualAuthorization)
	}
	w.Header().Del("WWW-Authenticate")
	if first != "" {
		w.Header().Add("WWW-Authenticate", first)
	}
	firstScheme, _, _ := strings.Cut(first, " ")
	for _, o := range offered {
		if first == "" || !strings.EqualFold(o, firstScheme) {
			w.Header().Add("WWW-Authenticate", o)
		}
	}
	emptyReply(w, http.StatusUnauthorized)
}

func emptyReply(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// dropConnection closes the TCP connection under the request without a
// response.
func dropConnection(w http.ResponseWriter, cs *connState) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
		return
	}
	if cs.conn != nil {
		cs.conn.Close()
	}
}

// readBody reads r, whose length is size (-1 if unknown), up to limit
// bytes; beyond that it reports tooLarge and discards (a bounded amount
// of) the rest.
func readBody(r io.Reader, size int64, limit int) (body []byte, tooLarge bool) {
	if size >= 0 && size <= int64(limit) {
		// One allocation of the right size: net/http stops the body at
		// its Content-Length.
		body = make([]byte, size)
		n, _ := io.ReadFull(r, body)
		return body[:n], false
	}
	var buf bytes.Buffer
	// A read error means the client cut the body short: serve what
	// arrived, and the SOAP parser refuses it if it is incomplete.
	n, _ := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if n > int64(limit) {
		_, _ = io.CopyN(io.Discard, r, maxDrain)
		return nil, true
	}
	return buf.Bytes(), false
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
