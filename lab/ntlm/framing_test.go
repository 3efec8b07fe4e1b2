package ntlm

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const soapType = "application/soap+xml;charset=UTF-8"

func sessionPair(t *testing.T) (client, server *Session) {
	t.Helper()
	client, err := NewSession(specFlags, specRandomKey, ClientSide)
	require.NoError(t, err)
	server, err = NewSession(specFlags, specRandomKey, ServerSide)
	require.NoError(t, err)
	return client, server
}

func TestEncryptFramingIsWhatClientsSplit(t *testing.T) {
	client, _ := sessionPair(t)
	msg := []byte("<s:Envelope>hello</s:Envelope>")
	body := Encrypt(client, msg, soapType)

	// pywinrm and masterzen split on the boundary line, expect the header
	// part with a Length, then the octet-stream part.
	parts := bytes.Split(body, []byte("--Encrypted Boundary\r\n"))
	require.Len(t, parts, 3)
	assert.Empty(t, parts[0])
	assert.Equal(t, "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"+
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=30\r\n", string(parts[1]))
	assert.True(t, bytes.HasPrefix(parts[2], []byte("\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00")))
	assert.True(t, bytes.HasSuffix(body, []byte("--Encrypted Boundary--\r\n")))
	assert.NotContains(t, string(body), "hello", "the SOAP text is sealed")
}

func TestDecryptRoundTripsInOrder(t *testing.T) {
	client, server := sessionPair(t)
	for _, text := range []string{"one", strings.Repeat("two ", 5000), "three"} {
		body := Encrypt(client, []byte(text), soapType)
		got, err := Decrypt(server, body)
		require.NoError(t, err)
		assert.Equal(t, text, string(got))
	}
}

func TestDecryptSurvivesBoundaryInSealedBytes(t *testing.T) {
	// Sealed bytes are random; build a body whose payload is followed by a
	// stray boundary to make sure the declared Length, not a search, ends it.
	client, server := sessionPair(t)
	body := Encrypt(client, []byte("payload"), soapType)
	body = bytes.TrimSuffix(body, []byte("--Encrypted Boundary--\r\n"))
	body = append(body, []byte("--Encrypted Boundary--\r\n--Encrypted Boundary--\r\n")...)
	got, err := Decrypt(server, body)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(got))
}

func TestDecryptRejectsMalformedBodies(t *testing.T) {
	client, _ := sessionPair(t)
	good := Encrypt(client, []byte("payload"), soapType)
	tests := map[string][]byte{
		"empty":            nil,
		"no boundary":      []byte("<s:Envelope/>"),
		"no data part":     []byte("--Encrypted Boundary\r\n\tOriginalContent: type=x;Length=5\r\n"),
		"no length":        []byte("--Encrypted Boundary\r\n\tContent-Type: x\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00"),
		"length too large": bytes.Replace(good, []byte("Length=7"), []byte("Length=70"), 1),
		"huge length":      bytes.Replace(good, []byte("Length=7"), []byte("Length=99999999999999999999"), 1),
		"truncated":        good[:len(good)-40],
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			_, server := sessionPair(t)
			_, err := Decrypt(server, body)
			assert.Error(t, err)
		})
	}
}

func TestIsEncrypted(t *testing.T) {
	assert.True(t, IsEncrypted(EncryptedContentType))
	assert.True(t, IsEncrypted(`multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"; boundary="Encrypted Boundary"`))
	assert.False(t, IsEncrypted("application/soap+xml;charset=UTF-8"))
	assert.False(t, IsEncrypted(`multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted"`))
	assert.False(t, IsEncrypted(""))
}

func FuzzDecrypt(f *testing.F) {
	client, err := NewSession(specFlags, specRandomKey, ClientSide)
	require.NoError(f, err)
	f.Add(Encrypt(client, []byte("<s:Envelope/>"), soapType))
	f.Add([]byte("--Encrypted Boundary\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"))
	f.Add([]byte("--Encrypted Boundary--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		server, err := NewSession(specFlags, specRandomKey, ServerSide)
		require.NoError(t, err)
		_, _ = Decrypt(server, body)
	})
}

func FuzzParseAuthenticate(f *testing.F) {
	f.Add(authenticateMessage(specFlags, specLMv2Response, append(append([]byte{}, specNTProofStr...), specBlob...),
		"Domain", "User", "COMPUTER", specEncryptedKey))
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		a, err := ParseAuthenticate(msg)
		if err != nil {
			return
		}
		_, _ = specChallenge().Verify(a, "Password")
	})
}
