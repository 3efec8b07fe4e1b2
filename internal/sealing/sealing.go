// Package sealing frames sealed WinRM messages: the multipart/encrypted
// body of MS-WSMV 2.2.9.1 in which Windows and its clients carry SOAP
// sealed with the connection's NTLM or Kerberos security context over
// plain HTTP. The lab's server and winplay's client share it; what seals
// the bytes (an NTLM session, a Kerberos wrap token) is the caller's.
//
// A body is one or more parts, each a header part and a data part:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<n>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE header length><security header><sealed bytes>
//	--Encrypted Boundary--\r\n
//
// The security header is NTLM's 16-byte signature, or the RFC 4121 wrap
// token's header (its 16-byte token header followed by the part of the
// encrypted confounder, header copy and checksum that its right rotation
// moved to the front). Length is the length of the sealed bytes that
// follow the header: the plaintext's length, plus the padding some
// Kerberos encryption types add (none for AES). The header lines begin with
// a literal tab, which Go's mime/multipart cannot write or read.
package sealing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// Protocols of a sealed body, by how the connection authenticated
// (MS-WSMV 2.2.9.1.1 and 2.2.9.1.2).
const (
	// SPNEGO is for a context made under "Authorization: Negotiate",
	// NTLM or Kerberos.
	SPNEGO = "application/HTTP-SPNEGO-session-encrypted"
	// Kerberos is for a context made under "Authorization: Kerberos".
	Kerberos = "application/HTTP-Kerberos-session-encrypted"
)

// ContentType is the Content-Type of a body sealed under protocol, byte for
// byte as pywinrm and masterzen send it and Windows answers.
func ContentType(protocol string) string {
	return `multipart/encrypted;protocol="` + protocol + `";boundary="Encrypted Boundary"`
}

// SOAP is the original content type of the messages WinRM seals.
const SOAP = "application/soap+xml;charset=UTF-8"

const (
	partStart   = "--Encrypted Boundary\r\n"
	bodyEnd     = "--Encrypted Boundary--\r\n"
	octetHeader = "\tContent-Type: application/octet-stream\r\n"
)

// ErrMalformed is a body that is not multipart/encrypted as WinRM frames
// it.
var ErrMalformed = errors.New("malformed sealed message")

// Protocol returns the protocol of a Content-Type that says the body is
// sealed, and false for any other.
func Protocol(contentType string) (string, bool) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Clients send exactly ContentType; a lenient reading keeps odd
		// spacing from turning a sealed body into a SOAP parse error.
		lower := strings.ToLower(contentType)
		if !strings.HasPrefix(strings.TrimSpace(lower), "multipart/encrypted") {
			return "", false
		}
		for _, p := range []string{SPNEGO, Kerberos} {
			if strings.Contains(lower, strings.ToLower(p)) {
				return p, true
			}
		}
		return "", true
	}
	if media != "multipart/encrypted" && media != "multipart/x-multi-encrypted" {
		return "", false
	}
	for _, p := range []string{SPNEGO, Kerberos} {
		if strings.EqualFold(params["protocol"], p) {
			return p, true
		}
	}
	return params["protocol"], true
}

// Part is one sealed message.
type Part struct {
	// Header is the security header: NTLM's signature, or the front of a
	// Kerberos wrap token.
	Header []byte
	// Data is the sealed bytes.
	Data []byte
	// Type is the content type of the plaintext; SOAP when empty.
	Type string
}

// Frame writes parts as one multipart/encrypted body under protocol.
func Frame(protocol string, parts ...Part) []byte {
	n := len(bodyEnd)
	for _, p := range parts {
		n += len(p.Header) + len(p.Data) + 200
	}
	var b bytes.Buffer
	b.Grow(n)
	for _, p := range parts {
		typ := p.Type
		if typ == "" {
			typ = SOAP
		}
		b.WriteString(partStart)
		b.WriteString("\tContent-Type: " + protocol + "\r\n")
		b.WriteString("\tOriginalContent: type=" + typ + ";Length=" + strconv.Itoa(len(p.Data)) + "\r\n")
		b.WriteString(partStart)
		b.WriteString(octetHeader)
		var l [4]byte
		binary.LittleEndian.PutUint32(l[:], uint32(len(p.Header)))
		b.Write(l[:])
		b.Write(p.Header)
		b.Write(p.Data)
	}
	b.WriteString(bodyEnd)
	return b.Bytes()
}

// maxHeader bounds a security header: a Kerberos AES header is 60 bytes,
// NTLM's 16.
const maxHeader = 1024

// Parse reads every part of a multipart/encrypted body. It reads the parts
// in sequence and finds the end of each part's sealed bytes from its
// declared Length, since sealed bytes may hold anything, the boundary
// included.
func Parse(body []byte) ([]Part, error) {
	var parts []Part
	rest := body
	for i := 0; ; i++ {
		if bytes.HasPrefix(rest, []byte(bodyEnd)) || (i > 0 && len(bytes.TrimSpace(rest)) == 0) {
			if i == 0 {
				return nil, fmt.Errorf("no parts: %w", ErrMalformed)
			}
			return parts, nil
		}
		header, ok := bytes.CutPrefix(rest, []byte(partStart))
		if !ok {
			return nil, fmt.Errorf("part %d: no boundary: %w", i, ErrMalformed)
		}
		end := bytes.Index(header, []byte(partStart))
		if end < 0 {
			return nil, fmt.Errorf("part %d: no data part after the header: %w", i, ErrMalformed)
		}
		typ, length, err := originalContent(header[:end])
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i, err)
		}
		rest = bytes.TrimPrefix(header[end+len(partStart):], []byte(octetHeader))
		if len(rest) < 4 {
			return nil, fmt.Errorf("part %d: truncated header length: %w", i, ErrMalformed)
		}
		hlen := int(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if hlen > maxHeader || len(rest) < hlen+length {
			return nil, fmt.Errorf("part %d: %d-byte header and %d-byte message in %d bytes: %w", i, hlen, length, len(rest), ErrMalformed)
		}
		parts = append(parts, Part{Header: rest[:hlen], Data: rest[hlen : hlen+length], Type: typ})
		rest = rest[hlen+length:]
	}
}

// originalContent reads "OriginalContent: type=T;Length=N" from a part
// header.
func originalContent(header []byte) (string, int, error) {
	_, after, ok := bytes.Cut(header, []byte("OriginalContent:"))
	if !ok {
		return "", 0, fmt.Errorf("part header without OriginalContent: %w", ErrMalformed)
	}
	line, _, _ := bytes.Cut(after, []byte("\r\n"))
	value := strings.TrimSpace(string(line))
	i := strings.LastIndex(value, "Length=")
	if i < 0 {
		return "", 0, fmt.Errorf("part header without Length: %w", ErrMalformed)
	}
	digits := strings.TrimSpace(value[i+len("Length="):])
	length, err := strconv.Atoi(digits)
	if err != nil || length < 0 || len(digits) > 10 {
		return "", 0, fmt.Errorf("part header Length %q: %w", digits, ErrMalformed)
	}
	typ := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(value[:i]), "type="), ";")
	return typ, length, nil
}
