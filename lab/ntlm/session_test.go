package ntlm

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionMatchesSpecSealing(t *testing.T) {
	client, err := NewSession(specFlags, specRandomKey, ClientSide)
	require.NoError(t, err)
	sealed, sig := client.Wrap(specPlaintext)
	assert.Equal(t, specSealed, sealed, "MS-NLMP 4.2.4.4 sealed data")
	assert.Equal(t, specSignature, sig, "MS-NLMP 4.2.4.4 signature")

	server, err := NewSession(specFlags, specRandomKey, ServerSide)
	require.NoError(t, err)
	plain, err := server.Unwrap(specSealed, specSignature)
	require.NoError(t, err)
	assert.Equal(t, specPlaintext, plain)
}

func TestSessionStreamsContinueAcrossMessages(t *testing.T) {
	key := make([]byte, 16)
	_, err := rand.Read(key)
	require.NoError(t, err)
	client, err := NewSession(specFlags, key, ClientSide)
	require.NoError(t, err)
	server, err := NewSession(specFlags, key, ServerSide)
	require.NoError(t, err)

	first, sig1 := client.Wrap([]byte("same text"))
	second, sig2 := client.Wrap([]byte("same text"))
	assert.NotEqual(t, first, second, "one RC4 stream runs across messages")
	assert.Equal(t, []byte{1, 0, 0, 0}, sig2[12:], "the second message has sequence number 1")

	// Out of order: the server expects message 0 first.
	_, err = server.Unwrap(second, sig2)
	assert.Error(t, err)

	server, err = NewSession(specFlags, key, ServerSide)
	require.NoError(t, err)
	got, err := server.Unwrap(first, sig1)
	require.NoError(t, err)
	assert.Equal(t, "same text", string(got))
	got, err = server.Unwrap(second, sig2)
	require.NoError(t, err)
	assert.Equal(t, "same text", string(got))

	// The server's own direction uses different keys: the client decrypts it,
	// and a client-keyed session cannot pass as the server.
	reply, rsig := server.Wrap([]byte("reply"))
	got, err = client.Unwrap(reply, rsig)
	require.NoError(t, err)
	assert.Equal(t, "reply", string(got))

	forged, fsig := client.Wrap([]byte("forged reply"))
	_, err = client.Unwrap(forged, fsig)
	assert.ErrorIs(t, err, ErrBadChecksum)
}

func TestSessionDetectsTampering(t *testing.T) {
	client, err := NewSession(specFlags, specRandomKey, ClientSide)
	require.NoError(t, err)
	server, err := NewSession(specFlags, specRandomKey, ServerSide)
	require.NoError(t, err)
	sealed, sig := client.Wrap([]byte("<s:Envelope/>"))
	sealed[3] ^= 0x20
	_, err = server.Unwrap(sealed, sig)
	assert.ErrorIs(t, err, ErrBadChecksum)
	_, err = server.Unwrap(sealed, sig[:8])
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestSessionNeedsESS(t *testing.T) {
	_, err := NewSession(NegotiateSeal|NegotiateSign, specRandomKey, ServerSide)
	assert.ErrorIs(t, err, ErrNoESS)
	_, err = NewSession(specFlags, specRandomKey[:8], ServerSide)
	assert.Error(t, err)
}

func TestSealKeyStrength(t *testing.T) {
	// 56- and 40-bit keys hash fewer bytes of the session key, so only the
	// first 7 or 5 bytes matter.
	a := bytes.Repeat([]byte{0x55}, 16)
	b := append(bytes.Repeat([]byte{0x55}, 7), bytes.Repeat([]byte{0xaa}, 9)...)
	ess := NegotiateExtendedSessionSecurity
	assert.Equal(t, sealKey(ess|Negotiate56, a, clientSealMagic), sealKey(ess|Negotiate56, b, clientSealMagic))
	assert.NotEqual(t, sealKey(ess|Negotiate128, a, clientSealMagic), sealKey(ess|Negotiate128, b, clientSealMagic))
	c := append(bytes.Repeat([]byte{0x55}, 5), bytes.Repeat([]byte{0xaa}, 11)...)
	assert.Equal(t, sealKey(ess, a, clientSealMagic), sealKey(ess, c, clientSealMagic))
	assert.NotEqual(t, sealKey(ess|Negotiate56, a, clientSealMagic), sealKey(ess|Negotiate56, c, clientSealMagic))
}
