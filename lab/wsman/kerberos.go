package wsman

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/winplay/winplay/internal/krbgss"
	"github.com/winplay/winplay/internal/sealing"
)

// Kerberos is a host's Kerberos acceptor: what a domain member's WinRM
// service has in its computer account.
type Kerberos struct {
	// Keytab holds the keys of the host's HTTP/ service principals.
	Keytab *keytab.Keytab
	// ClockOffset is how far the host's clock is off the realm's. Past
	// MaxClockSkew, AP-REQs fail with KRB_AP_ERR_SKEW, as on a domain
	// member whose time drifted.
	ClockOffset time.Duration
	// MaxClockSkew is the tolerance; zero means Kerberos' five minutes.
	MaxClockSkew time.Duration
}

func (k *Kerberos) skew() time.Duration {
	if k.MaxClockSkew > 0 {
		return k.MaxClockSkew
	}
	return 5 * time.Minute
}

// kerberosToken unwraps what a client sent under "Negotiate" or
// "Kerberos": a raw Kerberos token (pywinrm, Windows' Kerberos package) or
// an SPNEGO NegTokenInit that offers Kerberos (gokrb5, browsers). spnegoWrap
// says which, to answer in kind; ok is false for anything else (NTLMSSP).
func kerberosToken(raw []byte) (apreq []byte, spnegoWrap, ok bool) {
	if krbgss.IsKerberos(raw) {
		return raw, false, true
	}
	var tok spnego.SPNEGOToken
	if err := tok.Unmarshal(raw); err != nil || !tok.Init {
		return nil, false, false
	}
	for _, oid := range tok.NegTokenInit.MechTypes {
		if oid.Equal(gssapi.OIDKRB5.OID()) || oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
			if krbgss.IsKerberos(tok.NegTokenInit.MechTokenBytes) {
				return tok.NegTokenInit.MechTokenBytes, true, true
			}
		}
	}
	return nil, false, false
}

// kerberosLeg verifies an AP-REQ and authenticates the connection. It sets
// the AP-REP on the response for mutual authentication; on failure it has
// answered 401, with the KRB-ERROR when the AP-REQ could be read.
func (h *handler) kerberosLeg(w http.ResponseWriter, cs *connState, scheme string, token []byte, spnegoWrap bool) (string, bool) {
	krb := h.srv.cfg.Kerberos
	canonical := "Negotiate"
	protocol := sealing.SPNEGO
	if strings.EqualFold(scheme, "Kerberos") {
		canonical, protocol = "Kerberos", sealing.Kerberos
	}
	cs.forget()
	_, msg, err := krbgss.ParseMechToken(token)
	if err != nil {
		h.unauthorized(w, cs)
		return "", false
	}
	var apreq messages.APReq
	if err := apreq.Unmarshal(msg); err != nil {
		h.unauthorized(w, cs)
		return "", false
	}
	user, krbErr := h.verifyAPReq(&apreq, krb)
	if krbErr != nil {
		h.refuseKerberos(w, cs, canonical, spnegoWrap, *krbErr)
		return "", false
	}
	acc, err := krbgss.Accept(&apreq)
	if err != nil {
		h.unauthorized(w, cs)
		return "", false
	}
	gssFlags, deleg, err := krbgss.ChecksumFlags(apreq.Authenticator)
	if err != nil {
		h.unauthorized(w, cs)
		return "", false
	}
	reply := acc.Token
	if spnegoWrap {
		resp := spnego.SPNEGOToken{Resp: true, NegTokenResp: spnego.NegTokenResp{
			NegState: asn1.Enumerated(spnego.NegStateAcceptCompleted), SupportedMech: gssapi.OIDKRB5.OID(), ResponseToken: acc.Token}}
		if reply, err = resp.Marshal(); err != nil {
			h.unauthorized(w, cs)
			return "", false
		}
	}
	cs.user = user
	cs.krb, cs.krbProtocol = acc.Context, protocol
	cs.logon = Logon{Method: "kerberos", NetworkCredentials: gssFlags&krbgss.FlagDeleg != 0 && validDelegation(deleg, apreq),
		Domain: apreq.Ticket.Realm}
	w.Header().Set("WWW-Authenticate", canonical+" "+base64.StdEncoding.EncodeToString(reply))
	return user, true
}

// verifyAPReq checks an AP-REQ against the keytab and the host's clock and
// returns the account it logs on, or the KRB-ERROR to answer.
func (h *handler) verifyAPReq(apreq *messages.APReq, krb *Kerberos) (string, *messages.KRBError) {
	fail := func(code int32, text string) (string, *messages.KRBError) {
		e := messages.NewKRBError(apreq.Ticket.SName, apreq.Ticket.Realm, code, text)
		return "", &e
	}
	// gokrb5 checks the clock against this machine's; the host's own
	// clock is checked below, so gokrb5's check must not fire first.
	settings := service.NewSettings(krb.Keytab, service.DecodePAC(false),
		service.MaxClockSkew(krb.skew()+absDuration(krb.ClockOffset)))
	ok, creds, err := service.VerifyAPREQ(apreq, settings)
	if err != nil || !ok {
		var ke messages.KRBError
		if errors.As(err, &ke) {
			return "", &ke
		}
		return fail(errorcode.KRB_AP_ERR_MODIFIED, fmt.Sprint(err))
	}
	ct := apreq.Authenticator.CTime.Add(time.Duration(apreq.Authenticator.Cusec) * time.Microsecond)
	if d := absDuration(time.Now().Add(krb.ClockOffset).Sub(ct)); d > krb.skew() {
		return fail(errorcode.KRB_AP_ERR_SKEW, "Clock skew too great")
	}
	acct, found := h.srv.lookup(creds.UserName())
	if !found {
		// A principal the realm knows but the host does not let in.
		return fail(errorcode.KRB_AP_ERR_BADMATCH, "no such account on this host: "+creds.UserName())
	}
	return acct.name, nil
}

// validDelegation reports whether deleg is a KRB-CRED that the session key
// opens and that holds a ticket-granting ticket: credentials the host can
// use on the user's behalf to reach other hosts.
func validDelegation(deleg []byte, apreq messages.APReq) bool {
	if len(deleg) == 0 {
		return false
	}
	var cred messages.KRBCred
	if err := cred.Unmarshal(deleg); err != nil {
		return false
	}
	keys := []func() bool{
		func() bool { return cred.DecryptEncPart(apreq.Authenticator.SubKey) == nil },
		func() bool { return cred.DecryptEncPart(apreq.Ticket.DecryptedEncPart.Key) == nil },
	}
	if cred.EncPart.EType == 0 {
		// MIT sends KRB-CREDs unencrypted (etype 0) inside the
		// authenticator, which is encrypted itself.
		keys = []func() bool{func() bool { return unencryptedCredPart(&cred) }}
	}
	for _, open := range keys {
		if open() {
			for _, t := range cred.Tickets {
				if len(t.SName.NameString) > 0 && t.SName.NameString[0] == "krbtgt" {
					return true
				}
			}
		}
	}
	return false
}

// unencryptedCredPart reads a KRB-CRED's cleartext enc-part.
func unencryptedCredPart(cred *messages.KRBCred) bool {
	var part messages.EncKrbCredPart
	return part.Unmarshal(cred.EncPart.Cipher) == nil
}

// refuseKerberos answers a refused AP-REQ with 401 and the KRB-ERROR in
// the challenge, so that the client can say why (a skewed clock, an
// account the host does not know).
func (h *handler) refuseKerberos(w http.ResponseWriter, cs *connState, scheme string, spnegoWrap bool, e messages.KRBError) {
	tok, err := krbgss.ErrorToken(e)
	if err == nil && spnegoWrap {
		resp := spnego.SPNEGOToken{Resp: true, NegTokenResp: spnego.NegTokenResp{
			NegState: asn1.Enumerated(spnego.NegStateReject), SupportedMech: gssapi.OIDKRB5.OID(), ResponseToken: tok}}
		tok, err = resp.Marshal()
	}
	if err != nil {
		h.unauthorized(w, cs)
		return
	}
	h.challenge(w, cs, scheme+" "+base64.StdEncoding.EncodeToString(tok))
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// kerberosUnseal opens a sealed request body with the connection's
// Kerberos context.
func kerberosUnseal(ctx *krbgss.Context, body []byte) ([]byte, error) {
	parts, err := sealing.Parse(body)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, p := range parts {
		msg, err := ctx.Unwrap(p.Header, p.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, msg...)
	}
	return out, nil
}

// kerberosSeal seals a reply with the connection's Kerberos context.
func kerberosSeal(ctx *krbgss.Context, protocol string, msg []byte) ([]byte, error) {
	header, data, err := ctx.Wrap(msg)
	if err != nil {
		return nil, err
	}
	return sealing.Frame(protocol, sealing.Part{Header: header, Data: data}), nil
}
