package krbgss

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/kdc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kdc.StopShared()
	os.Exit(code)
}

// handshake runs an AP-REQ/AP-REP exchange against the shared realm and
// returns both sides' contexts.
func handshake(t *testing.T, gssFlags uint32) (initiator, acceptor *Context, apreq *messages.APReq) {
	t.Helper()
	k, err := kdc.Shared()
	require.NoError(t, err)
	require.NoError(t, k.AddUser("gss", "Gss-Pass1"))
	require.NoError(t, k.AddService("HTTP/gss.corp.test"))
	cfg, err := config.Load(k.Krb5ConfPath())
	require.NoError(t, err)
	cl := client.NewWithPassword("gss", k.Realm(), "Gss-Pass1", cfg, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	tkt, key, err := cl.GetServiceTicket("HTTP/gss.corp.test")
	require.NoError(t, err)

	in, err := NewAPReq(tkt, key, cl.Credentials.Domain(), cl.Credentials.CName(), FlagMutual|FlagSequence|gssFlags, nil)
	require.NoError(t, err)
	id, msg, err := ParseMechToken(in.Token)
	require.NoError(t, err)
	require.Equal(t, TokenAPReq, id)

	// The acceptor's side, as the lab does it.
	kt, err := k.Keytab()
	require.NoError(t, err)
	apreq = &messages.APReq{}
	require.NoError(t, apreq.Unmarshal(msg))
	ok, _, err := service.VerifyAPREQ(apreq, service.NewSettings(kt, service.DecodePAC(false)))
	require.NoError(t, err)
	require.True(t, ok)
	acc, err := Accept(apreq)
	require.NoError(t, err)

	initiator, err = in.Complete(acc.Token)
	require.NoError(t, err)
	return initiator, acc.Context, apreq
}

func TestWrapRoundTripsBothWaysInOrder(t *testing.T) {
	ini, acc, apreq := handshake(t, 0)
	f, deleg, err := ChecksumFlags(apreq.Authenticator)
	require.NoError(t, err)
	assert.Equal(t, uint32(FlagMutual|FlagSequence), f)
	assert.Nil(t, deleg)

	for i, text := range []string{"<s:Envelope>one</s:Envelope>", strings.Repeat("two ", 40000), ""} {
		header, data, err := ini.Wrap([]byte(text))
		require.NoError(t, err)
		assert.Len(t, header, 60, "AES: token header, rotated header copy and checksum, confounder")
		assert.Len(t, data, len(text), "the encrypted message is as long as the message")
		assert.Equal(t, []byte{0x05, 0x04, FlagSealed | FlagAcceptorSubkey, 0xFF, 0, 0, 0, 28}, header[:8])
		if len(text) > 16 {
			assert.NotContains(t, string(data), text[:16], "sealed")
		}
		got, err := acc.Unwrap(header, data)
		require.NoError(t, err, "message %d", i)
		assert.Equal(t, text, string(got))

		reply := "reply " + text
		header, data, err = acc.Wrap([]byte(reply))
		require.NoError(t, err)
		assert.Equal(t, byte(FlagSentByAcceptor|FlagSealed|FlagAcceptorSubkey), header[2])
		got, err = ini.Unwrap(header, data)
		require.NoError(t, err)
		assert.Equal(t, reply, string(got))
	}
}

func TestUnwrapRefusesTamperingReplayAndTheWrongSide(t *testing.T) {
	ini, acc, _ := handshake(t, 0)
	header, data, err := ini.Wrap([]byte("sc stop W3SVC"))
	require.NoError(t, err)

	bad := bytes.Clone(data)
	bad[0] ^= 1
	_, err = acc.Unwrap(header, bad)
	assert.ErrorIs(t, err, ErrBadToken, "a flipped bit fails the checksum")

	_, err = ini.Unwrap(header, data)
	assert.ErrorIs(t, err, ErrBadToken, "the initiator does not take its own tokens")

	got, err := acc.Unwrap(header, data)
	require.NoError(t, err)
	assert.Equal(t, "sc stop W3SVC", string(got))
	_, err = acc.Unwrap(header, data)
	assert.ErrorIs(t, err, ErrBadToken, "a replayed token is out of sequence")

	// Skipping a message is refused too: the sequence must be strict.
	_, _, err = ini.Wrap([]byte("lost"))
	require.NoError(t, err)
	h3, d3, err := ini.Wrap([]byte("third"))
	require.NoError(t, err)
	_, err = acc.Unwrap(h3, d3)
	assert.ErrorIs(t, err, ErrBadToken)
}

func TestCompleteRefusesAnAPRepForAnotherAuthenticator(t *testing.T) {
	k, err := kdc.Shared()
	require.NoError(t, err)
	require.NoError(t, k.AddUser("gss", "Gss-Pass1"))
	require.NoError(t, k.AddService("HTTP/gss.corp.test"))
	cfg, err := config.Load(k.Krb5ConfPath())
	require.NoError(t, err)
	cl := client.NewWithPassword("gss", k.Realm(), "Gss-Pass1", cfg, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	tkt, key, err := cl.GetServiceTicket("HTTP/gss.corp.test")
	require.NoError(t, err)
	first, err := NewAPReq(tkt, key, cl.Credentials.Domain(), cl.Credentials.CName(), FlagMutual, nil)
	require.NoError(t, err)
	second, err := NewAPReq(tkt, key, cl.Credentials.Domain(), cl.Credentials.CName(), FlagMutual, nil)
	require.NoError(t, err)
	second.Authenticator.Cusec = (first.Authenticator.Cusec + 1) % 1000000

	kt, err := k.Keytab()
	require.NoError(t, err)
	_, msg, err := ParseMechToken(first.Token)
	require.NoError(t, err)
	var apreq messages.APReq
	require.NoError(t, apreq.Unmarshal(msg))
	ok, _, err := service.VerifyAPREQ(&apreq, service.NewSettings(kt, service.DecodePAC(false)))
	require.NoError(t, err)
	require.True(t, ok)
	acc, err := Accept(&apreq)
	require.NoError(t, err)
	_, err = second.Complete(acc.Token)
	assert.ErrorContains(t, err, "mutual authentication failed")
}

func TestDelegationTravelsInTheChecksum(t *testing.T) {
	cred := []byte("\x76\x03KRB-CRED stand-in")
	sum := authenticatorChecksum(FlagMutual, cred)
	auth := messages.APReq{}.Authenticator
	auth.Cksum.CksumType = 0x8003
	auth.Cksum.Checksum = sum
	f, got, err := ChecksumFlags(auth)
	require.NoError(t, err)
	assert.Equal(t, uint32(FlagMutual|FlagDeleg), f)
	assert.Equal(t, cred, got)

	auth.Cksum.Checksum = authenticatorChecksum(FlagMutual|FlagDeleg, nil)
	f, got, err = ChecksumFlags(auth)
	require.NoError(t, err)
	assert.Equal(t, uint32(FlagMutual), f, "no delegation flag without credentials")
	assert.Nil(t, got)
}

func TestParseMechTokenRefusesOtherMechanisms(t *testing.T) {
	_, _, err := ParseMechToken([]byte("NTLMSSP\x00\x01\x00\x00\x00"))
	assert.ErrorIs(t, err, ErrNotKerberos)
	// SPNEGO's OID 1.3.6.1.5.5.2 in the same framing.
	_, _, err = ParseMechToken([]byte{0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02})
	assert.ErrorIs(t, err, ErrNotKerberos)
	assert.False(t, IsKerberos(nil))
	assert.True(t, IsKerberos(MechToken(TokenAPRep, []byte{1})))
}
