// Package ntlm is the server side of NTLMv2 (MS-NLMP) as a lab Windows host
// speaks it over HTTP: it parses the client's NEGOTIATE message, builds the
// CHALLENGE, verifies the AUTHENTICATE message against a known password and
// derives the exported session key, then seals and signs messages with it
// (Session) in the multipart/encrypted framing WinRM uses (Encrypt, Decrypt).
//
// Only NTLMv2 is accepted, as on a hardened Windows host; NTLMv1 responses
// are refused.
package ntlm

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// Flags are the NTLMSSP negotiate flags (MS-NLMP 2.2.2.5).
type Flags uint32

// Negotiate flags the server looks at or sets.
const (
	NegotiateUnicode                 Flags = 1 << 0
	NegotiateOEM                     Flags = 1 << 1
	RequestTarget                    Flags = 1 << 2
	NegotiateSign                    Flags = 1 << 4
	NegotiateSeal                    Flags = 1 << 5
	NegotiateDatagram                Flags = 1 << 6
	NegotiateLMKey                   Flags = 1 << 7
	NegotiateNTLM                    Flags = 1 << 9
	NegotiateAnonymous               Flags = 1 << 11
	NegotiateAlwaysSign              Flags = 1 << 15
	TargetTypeDomain                 Flags = 1 << 16
	TargetTypeServer                 Flags = 1 << 17
	NegotiateExtendedSessionSecurity Flags = 1 << 19
	NegotiateTargetInfo              Flags = 1 << 23
	NegotiateVersion                 Flags = 1 << 25
	Negotiate128                     Flags = 1 << 29
	NegotiateKeyExch                 Flags = 1 << 30
	Negotiate56                      Flags = 1 << 31
)

// Has reports whether every flag of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// serverFlags are always offered in a CHALLENGE, as a Windows server does.
const serverFlags = NegotiateUnicode | RequestTarget | NegotiateNTLM | NegotiateAlwaysSign |
	TargetTypeServer | NegotiateTargetInfo | NegotiateVersion

// echoedFlags are offered only when the client asked for them: go-ntlmssp
// (masterzen's ClientNTLM) refuses a challenge that carries KEY_EXCH it did
// not request, and LM_KEY or DATAGRAM are never offered at all.
const echoedFlags = NegotiateExtendedSessionSecurity | NegotiateSign | NegotiateSeal |
	NegotiateKeyExch | Negotiate128 | Negotiate56

var signature = []byte("NTLMSSP\x00")

// Message types of the NTLMSSP header.
const (
	typeNegotiate    = 1
	typeChallenge    = 2
	typeAuthenticate = 3
)

// Errors returned by Verify and the parsers. ErrAuthFailed is the only one a
// correct client with a wrong password produces; the others mean the client
// spoke something this server does not accept.
var (
	ErrNotNTLM    = errors.New("ntlm: not an NTLMSSP message")
	ErrMalformed  = errors.New("ntlm: malformed message")
	ErrNTLMv1     = errors.New("ntlm: NTLMv1 response refused, only NTLMv2 is accepted")
	ErrAnonymous  = errors.New("ntlm: anonymous authentication refused")
	ErrAuthFailed = errors.New("ntlm: wrong password or user")
)

// IsNTLM reports whether b starts like an NTLMSSP message (and not, say, a
// SPNEGO or Kerberos token sent in a Negotiate header).
func IsNTLM(b []byte) bool { return bytes.HasPrefix(b, signature) && len(b) >= 12 }

// MessageType returns the NTLMSSP message type of b (1, 2 or 3), or 0 when b
// is not an NTLMSSP message.
func MessageType(b []byte) int {
	if !IsNTLM(b) {
		return 0
	}
	return int(binary.LittleEndian.Uint32(b[8:12]))
}

// Negotiate is a parsed NEGOTIATE_MESSAGE (type 1).
type Negotiate struct {
	Flags Flags
}

// ParseNegotiate parses a NEGOTIATE_MESSAGE; only the flags matter to a server.
func ParseNegotiate(b []byte) (Negotiate, error) {
	if MessageType(b) != typeNegotiate {
		return Negotiate{}, fmt.Errorf("parse negotiate message: %w", ErrNotNTLM)
	}
	if len(b) < 16 {
		return Negotiate{}, fmt.Errorf("parse negotiate message of %d bytes: %w", len(b), ErrMalformed)
	}
	return Negotiate{Flags: Flags(binary.LittleEndian.Uint32(b[12:16]))}, nil
}

// AV pair ids (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avTimestamp       = 7
)

// version is what the server announces: Windows Server 2019 (10.0.17763),
// NTLMSSP revision 15.
var version = [8]byte{10, 0, 0x63, 0x45, 0, 0, 0, 15}

// Challenge is the server's CHALLENGE_MESSAGE (type 2) and the state needed to
// verify the AUTHENTICATE message that answers it. Keep one per connection:
// NTLM over HTTP is bound to the TCP connection.
type Challenge struct {
	// Flags are the flags offered to the client.
	Flags Flags
	// ServerChallenge is the 8-byte nonce the client must answer.
	ServerChallenge [8]byte
	// TargetName is the NetBIOS name the server announces; clients that were
	// given a bare user name hash it in as the domain.
	TargetName string
	// Timestamp goes into MsvAvTimestamp; its presence makes modern clients
	// send a MIC and zeroed LMv2 responses, as against real Windows.
	Timestamp time.Time
}

// NewChallenge answers neg with a fresh random challenge for the NetBIOS name
// targetName. rand supplies the 8-byte server challenge.
func NewChallenge(neg Negotiate, targetName string, now time.Time, rand io.Reader) (*Challenge, error) {
	c := &Challenge{
		Flags:      serverFlags | neg.Flags&echoedFlags,
		TargetName: strings.ToUpper(targetName),
		Timestamp:  now,
	}
	if _, err := io.ReadFull(rand, c.ServerChallenge[:]); err != nil {
		return nil, fmt.Errorf("generate server challenge: %w", err)
	}
	return c, nil
}

// Marshal encodes the CHALLENGE_MESSAGE.
func (c *Challenge) Marshal() []byte {
	name := utf16le(c.TargetName)
	var info bytes.Buffer
	dns := utf16le(strings.ToLower(c.TargetName))
	putAV(&info, avNbDomainName, name)
	putAV(&info, avNbComputerName, name)
	putAV(&info, avDNSDomainName, dns)
	putAV(&info, avDNSComputerName, dns)
	var ts [8]byte
	binary.LittleEndian.PutUint64(ts[:], filetime(c.Timestamp))
	putAV(&info, avTimestamp, ts[:])
	putAV(&info, avEOL, nil)

	const header = 56
	b := make([]byte, header, header+len(name)+info.Len())
	copy(b, signature)
	binary.LittleEndian.PutUint32(b[8:], typeChallenge)
	putField(b[12:], len(name), header)
	binary.LittleEndian.PutUint32(b[20:], uint32(c.Flags))
	copy(b[24:32], c.ServerChallenge[:])
	putField(b[40:], info.Len(), header+len(name))
	copy(b[48:56], version[:])
	b = append(b, name...)
	return append(b, info.Bytes()...)
}

// Authenticate is a parsed AUTHENTICATE_MESSAGE (type 3).
type Authenticate struct {
	Flags                     Flags
	LmChallengeResponse       []byte
	NtChallengeResponse       []byte
	Domain                    string
	User                      string
	Workstation               string
	EncryptedRandomSessionKey []byte
}

// ParseAuthenticate parses an AUTHENTICATE_MESSAGE. Every field is bounds
// checked: the message comes straight from the network.
func ParseAuthenticate(b []byte) (*Authenticate, error) {
	if MessageType(b) != typeAuthenticate {
		return nil, fmt.Errorf("parse authenticate message: %w", ErrNotNTLM)
	}
	if len(b) < 64 {
		return nil, fmt.Errorf("parse authenticate message of %d bytes: %w", len(b), ErrMalformed)
	}
	a := &Authenticate{Flags: Flags(binary.LittleEndian.Uint32(b[60:64]))}
	var fields [6][]byte
	for i := range fields {
		f, err := field(b, 12+8*i)
		if err != nil {
			return nil, fmt.Errorf("parse authenticate message field %d: %w", i, err)
		}
		fields[i] = f
	}
	a.LmChallengeResponse = fields[0]
	a.NtChallengeResponse = fields[1]
	a.EncryptedRandomSessionKey = fields[5]
	for i, dst := range []*string{&a.Domain, &a.User, &a.Workstation} {
		s, err := decodeString(fields[2+i], a.Flags)
		if err != nil {
			return nil, fmt.Errorf("parse authenticate message string %d: %w", i, err)
		}
		*dst = s
	}
	return a, nil
}

// Result is a verified authentication.
type Result struct {
	User, Domain, Workstation string
	// Flags are the flags both sides agreed on: those the server offered and
	// the client kept in its AUTHENTICATE message.
	Flags Flags
	// SessionKey is the ExportedSessionKey that keys signing and sealing.
	SessionKey []byte
}

// Verify checks a's NTLMv2 response against password and derives the exported
// session key. The domain is hashed exactly as the client sent it, because
// that is what the client hashed.
func (c *Challenge) Verify(a *Authenticate, password string) (*Result, error) {
	nt := a.NtChallengeResponse
	if len(nt) == 0 && a.User == "" {
		return nil, ErrAnonymous
	}
	// An NTLMv2 response is a 16-byte proof plus a blob of at least 28 bytes;
	// 24 bytes is the NTLMv1 (or NTLM2 session) response.
	if len(nt) <= 24 {
		return nil, ErrNTLMv1
	}
	key := NTOWFv2(password, a.User, a.Domain)
	proof := ntProofStr(key, c.ServerChallenge[:], nt[16:])
	if subtle.ConstantTimeCompare(proof, nt[:16]) != 1 {
		return nil, ErrAuthFailed
	}
	flags := a.Flags & c.Flags
	sessionBaseKey := hmacMD5(key, proof)
	exported := sessionBaseKey // KeyExchangeKey = SessionBaseKey for NTLMv2
	if flags.Has(NegotiateKeyExch) {
		if len(a.EncryptedRandomSessionKey) != 16 {
			return nil, fmt.Errorf("key exchange with a %d-byte session key: %w", len(a.EncryptedRandomSessionKey), ErrMalformed)
		}
		exported = rc4Once(sessionBaseKey, a.EncryptedRandomSessionKey)
	}
	return &Result{User: a.User, Domain: a.Domain, Workstation: a.Workstation, Flags: flags, SessionKey: exported}, nil
}

// NTOWFv2 is MS-NLMP's NTLMv2 one-way function of the password:
// HMAC_MD5(MD4(UTF16LE(password)), UTF16LE(UPPER(user) + domain)).
func NTOWFv2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(utf16le(password))
	return hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
}

// ntProofStr is HMAC_MD5(NTOWFv2, ServerChallenge ‖ blob), the first 16 bytes
// of an NTLMv2 response.
func ntProofStr(ntowf, serverChallenge, blob []byte) []byte {
	m := hmac.New(md5.New, ntowf)
	m.Write(serverChallenge)
	m.Write(blob)
	return m.Sum(nil)
}

func hmacMD5(key, data []byte) []byte {
	m := hmac.New(md5.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// rc4Once encrypts data with a fresh RC4 keyed by key.
func rc4Once(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		// Only a key of 0 or more than 256 bytes fails; keys here are 16 bytes.
		panic(fmt.Sprintf("ntlm: rc4 with a %d-byte key: %v", len(key), err))
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return b
}

func decodeString(b []byte, flags Flags) (string, error) {
	if !flags.Has(NegotiateUnicode) {
		// OEM strings: every client of interest sends Unicode; treat the
		// bytes as Latin-1 rather than guess a code page.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", fmt.Errorf("odd-length UTF-16 string: %w", ErrMalformed)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// field reads the (len, maxlen, offset) triple at off and returns its bytes.
func field(b []byte, off int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(b[off:]))
	start := int(binary.LittleEndian.Uint32(b[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if start < 0 || start > len(b) || n > len(b)-start {
		return nil, fmt.Errorf("field of %d bytes at offset %d outside a %d-byte message: %w", n, start, len(b), ErrMalformed)
	}
	return b[start : start+n], nil
}

func putField(b []byte, n, offset int) {
	binary.LittleEndian.PutUint16(b[0:], uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}

func putAV(w *bytes.Buffer, id uint16, v []byte) {
	var h [4]byte
	binary.LittleEndian.PutUint16(h[0:], id)
	binary.LittleEndian.PutUint16(h[2:], uint16(len(v)))
	w.Write(h[:])
	w.Write(v)
}

// filetime converts t to Windows FILETIME: 100 ns ticks since 1601-01-01 UTC.
func filetime(t time.Time) uint64 {
	const epochDelta = 116444736000000000 // 1601 → 1970 in 100 ns ticks
	return uint64(t.UnixNano()/100) + epochDelta
}
