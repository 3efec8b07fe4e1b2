package sealing

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameIsWhatClientsSplit(t *testing.T) {
	body := Frame(Kerberos, Part{Header: bytes.Repeat([]byte{0xAA}, 60), Data: []byte("sealed-bytes")})
	// pywinrm splits on the boundary line and expects the header part
	// with its Length, then the octet-stream part.
	parts := bytes.Split(body, []byte("--Encrypted Boundary\r\n"))
	require.Len(t, parts, 3)
	assert.Empty(t, parts[0])
	assert.Equal(t, "\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n"+
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=12\r\n", string(parts[1]))
	assert.True(t, bytes.HasPrefix(parts[2], []byte("\tContent-Type: application/octet-stream\r\n\x3c\x00\x00\x00\xaa")))
	assert.True(t, bytes.HasSuffix(body, []byte("sealed-bytes--Encrypted Boundary--\r\n")))
}

func TestParseRoundTripsSeveralParts(t *testing.T) {
	in := []Part{
		{Header: []byte("0123456789abcdef"), Data: []byte("first")},
		{Header: []byte("fedcba9876543210"), Data: bytes.Repeat([]byte("x"), 70000), Type: "application/soap+xml;charset=UTF-16"},
	}
	got, err := Parse(Frame(SPNEGO, in...))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, in[0].Header, got[0].Header)
	assert.Equal(t, in[0].Data, got[0].Data)
	assert.Equal(t, SOAP, got[0].Type)
	assert.Equal(t, in[1].Data, got[1].Data)
	assert.Equal(t, "application/soap+xml;charset=UTF-16", got[1].Type)
}

func TestParseReadsTheDeclaredLengthNotTheBoundary(t *testing.T) {
	// Sealed bytes are random and may hold the boundary itself.
	data := []byte("a--Encrypted Boundary\r\nb--Encrypted Boundary--\r\n")
	got, err := Parse(Frame(SPNEGO, Part{Header: []byte("sig"), Data: data}))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, data, got[0].Data)
}

func TestParseRefusesMalformedBodies(t *testing.T) {
	good := Frame(SPNEGO, Part{Header: []byte("0123456789abcdef"), Data: []byte("payload")})
	for name, body := range map[string][]byte{
		"empty":            nil,
		"only the end":     []byte("--Encrypted Boundary--\r\n"),
		"no boundary":      []byte("hello"),
		"no data part":     []byte("--Encrypted Boundary\r\n\tOriginalContent: type=x;Length=3\r\n"),
		"no length":        bytes.Replace(good, []byte("Length=7"), []byte("Lenght=7"), 1),
		"bad length":       bytes.Replace(good, []byte("Length=7"), []byte("Length=-7"), 1),
		"length too large": bytes.Replace(good, []byte("Length=7"), []byte("Length=700"), 1),
		"truncated":        good[:len(good)-40],
	} {
		_, err := Parse(body)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

func TestProtocol(t *testing.T) {
	for ct, want := range map[string]string{
		ContentType(SPNEGO):   SPNEGO,
		ContentType(Kerberos): Kerberos,
		`multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"; boundary="Encrypted Boundary"`: SPNEGO,
		`multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"`:  "application/HTTP-CredSSP-session-encrypted",
	} {
		got, ok := Protocol(ct)
		assert.True(t, ok, ct)
		assert.Equal(t, want, got, ct)
	}
	_, ok := Protocol(SOAP)
	assert.False(t, ok)
}
