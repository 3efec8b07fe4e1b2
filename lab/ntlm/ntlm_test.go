package ntlm

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values of MS-NLMP 4.2.1 (common) and 4.2.4 (NTLMv2 authentication).
var (
	specServerChallenge = unhex("0123456789abcdef")
	specRandomKey       = bytes.Repeat([]byte{0x55}, 16)
	specFlags           = Flags(0xe28a8233)
	// specBlob is 4.2.4.1.3's temp: version, zero timestamp, client challenge
	// aaaa…, and the AV pairs NbDomainName "Domain", NbComputerName "Server".
	specBlob = unhex("0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000" +
		"02000c00" + hex.EncodeToString(utf16le("Domain")) +
		"01000c00" + hex.EncodeToString(utf16le("Server")) +
		"00000000" + "00000000")
	specNTOWFv2        = unhex("0c868a403bfd7a93a3001ef22ef02e3f")
	specNTProofStr     = unhex("68cd0ab851e51c96aabc927bebef6a1c")
	specSessionBaseKey = unhex("8de40ccadbc14a82f15cb0ad0de95ca3")
	specEncryptedKey   = unhex("c5dad2544fc9799094ce1ce90bc9d03e")
	specLMv2Response   = unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
	// 4.2.4.4: "Plaintext" in UTF-16LE, sealed by the client, and its signature.
	specPlaintext = utf16le("Plaintext")
	specSealed    = unhex("54e50165bf1936dc996020c1811b0f06fb5f")
	specSignature = unhex("010000007fb38ec5c55d497600000000")
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestNTOWFv2MatchesSpec(t *testing.T) {
	assert.Equal(t, specNTOWFv2, NTOWFv2("Password", "User", "Domain"))
	// The user is upper-cased but the domain is hashed as given.
	assert.Equal(t, specNTOWFv2, NTOWFv2("Password", "user", "Domain"))
	assert.NotEqual(t, specNTOWFv2, NTOWFv2("Password", "User", "DOMAIN"))
	assert.Equal(t, specNTProofStr, ntProofStr(specNTOWFv2, specServerChallenge, specBlob))
	assert.Equal(t, specSessionBaseKey, hmacMD5(specNTOWFv2, specNTProofStr))
	assert.Equal(t, specLMv2Response[:16], hmacMD5(specNTOWFv2, append(append([]byte{}, specServerChallenge...), specLMv2Response[16:]...)))
}

// authenticateMessage encodes a type 3 the way a client lays it out.
func authenticateMessage(flags Flags, lm, nt []byte, domain, user, workstation string, key []byte) []byte {
	payload := [][]byte{lm, nt, utf16le(domain), utf16le(user), utf16le(workstation), key}
	const header = 88 // with version and MIC, as modern clients send
	b := make([]byte, header)
	copy(b, signature)
	binary.LittleEndian.PutUint32(b[8:], typeAuthenticate)
	off := header
	for i, p := range payload {
		putField(b[12+8*i:], len(p), off)
		off += len(p)
	}
	binary.LittleEndian.PutUint32(b[60:], uint32(flags))
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func specChallenge() *Challenge {
	c := &Challenge{Flags: specFlags, TargetName: "SERVER"}
	copy(c.ServerChallenge[:], specServerChallenge)
	return c
}

func TestVerifySpecAuthenticateMessage(t *testing.T) {
	nt := append(append([]byte{}, specNTProofStr...), specBlob...)
	msg := authenticateMessage(specFlags, specLMv2Response, nt, "Domain", "User", "COMPUTER", specEncryptedKey)
	a, err := ParseAuthenticate(msg)
	require.NoError(t, err)
	assert.Equal(t, "User", a.User)
	assert.Equal(t, "Domain", a.Domain)
	assert.Equal(t, "COMPUTER", a.Workstation)

	res, err := specChallenge().Verify(a, "Password")
	require.NoError(t, err)
	assert.Equal(t, specRandomKey, res.SessionKey, "KEY_EXCH must RC4-decrypt the random session key with the SessionBaseKey")
	assert.Equal(t, specFlags, res.Flags)

	_, err = specChallenge().Verify(a, "password")
	assert.ErrorIs(t, err, ErrAuthFailed)

	other := specChallenge()
	other.ServerChallenge[0] ^= 1
	_, err = other.Verify(a, "Password")
	assert.ErrorIs(t, err, ErrAuthFailed, "a response to another challenge must not verify")

	tampered := *a
	tampered.NtChallengeResponse = append([]byte{}, nt...)
	tampered.NtChallengeResponse[len(nt)-9] ^= 1
	_, err = specChallenge().Verify(&tampered, "Password")
	assert.ErrorIs(t, err, ErrAuthFailed, "the blob is covered by the proof")

	// Without KEY_EXCH the exported key is the SessionBaseKey itself.
	noKX := specChallenge()
	noKX.Flags &^= NegotiateKeyExch
	res, err = noKX.Verify(a, "Password")
	require.NoError(t, err)
	assert.Equal(t, specSessionBaseKey, res.SessionKey)
}

func TestVerifyRefusesNTLMv1AndAnonymous(t *testing.T) {
	v1 := authenticateMessage(NegotiateUnicode|NegotiateNTLM, make([]byte, 24), make([]byte, 24), "Domain", "User", "WS", nil)
	a, err := ParseAuthenticate(v1)
	require.NoError(t, err)
	_, err = specChallenge().Verify(a, "Password")
	assert.ErrorIs(t, err, ErrNTLMv1)

	anon := authenticateMessage(NegotiateUnicode|NegotiateAnonymous, []byte{0}, nil, "", "", "", nil)
	a, err = ParseAuthenticate(anon)
	require.NoError(t, err)
	_, err = specChallenge().Verify(a, "")
	assert.ErrorIs(t, err, ErrAnonymous)
}

func TestParseAuthenticateRejectsBadFields(t *testing.T) {
	good := authenticateMessage(specFlags, nil, make([]byte, 48), "D", "U", "W", make([]byte, 16))
	_, err := ParseAuthenticate(good)
	require.NoError(t, err)

	outside := append([]byte{}, good...)
	binary.LittleEndian.PutUint32(outside[20+4:], uint32(len(good)-10)) // NT response runs past the end
	_, err = ParseAuthenticate(outside)
	assert.ErrorIs(t, err, ErrMalformed)

	odd := authenticateMessage(specFlags, nil, make([]byte, 48), "D", "U", "W", nil)
	binary.LittleEndian.PutUint16(odd[36:], 3) // user name of 3 bytes in UTF-16
	_, err = ParseAuthenticate(odd)
	assert.ErrorIs(t, err, ErrMalformed)

	_, err = ParseAuthenticate(good[:40])
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = ParseAuthenticate([]byte("TlRMTVNTUAAB"))
	assert.ErrorIs(t, err, ErrNotNTLM)
}

func TestChallengeEchoesOnlyRequestedFlags(t *testing.T) {
	tests := []struct {
		name   string
		client Flags
		want   Flags
		absent Flags
	}{
		{
			name: "go-ntlmssp asks no signing and must not get KEY_EXCH",
			client: NegotiateUnicode | NegotiateNTLM | NegotiateTargetInfo | Negotiate56 | Negotiate128 |
				NegotiateExtendedSessionSecurity,
			want:   NegotiateExtendedSessionSecurity | Negotiate128 | Negotiate56 | NegotiateTargetInfo | NegotiateVersion,
			absent: NegotiateKeyExch | NegotiateSeal | NegotiateSign | NegotiateLMKey | NegotiateDatagram,
		},
		{
			name: "pywinrm asks sealing with key exchange",
			client: NegotiateKeyExch | NegotiateSign | NegotiateSeal | NegotiateAlwaysSign | Negotiate128 | Negotiate56 |
				NegotiateUnicode | NegotiateVersion | NegotiateTargetInfo | NegotiateExtendedSessionSecurity,
			want:   NegotiateKeyExch | NegotiateSign | NegotiateSeal | Negotiate128 | NegotiateExtendedSessionSecurity,
			absent: NegotiateLMKey | NegotiateDatagram,
		},
		{
			name:   "LM_KEY and DATAGRAM are never offered",
			client: NegotiateUnicode | NegotiateLMKey | NegotiateDatagram,
			want:   NegotiateUnicode | NegotiateNTLM | TargetTypeServer,
			absent: NegotiateLMKey | NegotiateDatagram | NegotiateExtendedSessionSecurity,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type1 := make([]byte, 32)
			copy(type1, signature)
			binary.LittleEndian.PutUint32(type1[8:], typeNegotiate)
			binary.LittleEndian.PutUint32(type1[12:], uint32(tt.client))
			neg, err := ParseNegotiate(type1)
			require.NoError(t, err)
			c, err := NewChallenge(neg, "node1", time.Unix(1700000000, 0), rand.Reader)
			require.NoError(t, err)
			msg := c.Marshal()
			got := Flags(binary.LittleEndian.Uint32(msg[20:]))
			assert.True(t, got.Has(tt.want), "flags %#x lack %#x", got, tt.want)
			assert.Zero(t, got&tt.absent, "flags %#x carry %#x", got, got&tt.absent)
			assert.Equal(t, c.ServerChallenge[:], msg[24:32])
			name, err := field(msg, 12)
			require.NoError(t, err)
			assert.Equal(t, utf16le("NODE1"), name)
			info, err := field(msg, 40)
			require.NoError(t, err)
			assert.Equal(t, map[uint16]bool{1: true, 2: true, 3: true, 4: true, 7: true, 0: true}, avIDs(t, info))
		})
	}
}

func avIDs(t *testing.T, info []byte) map[uint16]bool {
	ids := map[uint16]bool{}
	for len(info) >= 4 {
		id := binary.LittleEndian.Uint16(info)
		n := int(binary.LittleEndian.Uint16(info[2:]))
		require.LessOrEqual(t, 4+n, len(info))
		ids[id] = true
		info = info[4+n:]
		if id == avEOL {
			assert.Empty(t, info, "nothing after MsvAvEOL")
		}
	}
	return ids
}

// TestBodgitClientAgainstServer runs the whole exchange with bodgit/ntlmssp,
// the client masterzen's NTLM encryption uses: its type 3 must verify, and
// both ends must derive the same keys (messages wrap and unwrap both ways).
func TestBodgitClientAgainstServer(t *testing.T) {
	for _, domain := range []string{"", "CORP"} {
		t.Run("domain="+domain, func(t *testing.T) {
			client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo("lab", "Secr3t!"), ntlmssp.SetDomain(domain),
				ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
			require.NoError(t, err)
			type1, err := client.Authenticate(nil, nil)
			require.NoError(t, err)
			neg, err := ParseNegotiate(type1)
			require.NoError(t, err)
			c, err := NewChallenge(neg, "NODE1", time.Now(), rand.Reader)
			require.NoError(t, err)
			type3, err := client.Authenticate(c.Marshal(), nil)
			require.NoError(t, err)
			a, err := ParseAuthenticate(type3)
			require.NoError(t, err)
			assert.Equal(t, "lab", a.User)
			assert.Equal(t, domain, a.Domain)

			_, err = c.Verify(a, "wrong")
			require.ErrorIs(t, err, ErrAuthFailed)
			res, err := c.Verify(a, "Secr3t!")
			require.NoError(t, err)
			require.True(t, res.Flags.Has(NegotiateSeal|NegotiateKeyExch))

			server, err := NewSession(res.Flags, res.SessionKey, ServerSide)
			require.NoError(t, err)
			cs := client.SecuritySession()
			for i, text := range []string{"first request", "second, longer request body", ""} {
				sealed, sig, err := cs.Wrap([]byte(text))
				require.NoError(t, err)
				got, err := server.Unwrap(sealed, sig)
				require.NoError(t, err, "message %d client→server", i)
				assert.Equal(t, text, string(got))

				reply := "reply " + text
				sealed, sig = server.Wrap([]byte(reply))
				back, err := cs.Unwrap(sealed, sig)
				require.NoError(t, err, "message %d server→client", i)
				assert.Equal(t, reply, string(back))
			}
		})
	}
}

func TestParseNegotiateRejectsOthers(t *testing.T) {
	_, err := ParseNegotiate([]byte{0x60, 0x82, 0x01})
	assert.ErrorIs(t, err, ErrNotNTLM, "a SPNEGO token is not NTLMSSP")
	_, err = ParseNegotiate(append(append([]byte{}, signature...), 1, 0, 0, 0))
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, 0, MessageType(nil))
}
