package ntlm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// EncryptedProtocol is the protocol parameter of a sealed WinRM message.
const EncryptedProtocol = "application/HTTP-SPNEGO-session-encrypted"

// EncryptedContentType is the Content-Type of a sealed WinRM message, byte for
// byte as pywinrm and masterzen send it and as Windows answers.
const EncryptedContentType = `multipart/encrypted;protocol="` + EncryptedProtocol + `";boundary="Encrypted Boundary"`

const (
	boundary    = "--Encrypted Boundary"
	partStart   = boundary + "\r\n"
	bodyEnd     = boundary + "--\r\n"
	octetHeader = "\tContent-Type: application/octet-stream\r\n"
)

// IsEncrypted reports whether a request's Content-Type says its body is an
// NTLM-sealed multipart/encrypted message.
func IsEncrypted(contentType string) bool {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Clients send exactly EncryptedContentType; a lenient fallback
		// keeps odd spacing from turning a sealed body into a SOAP parse.
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/encrypted")
	}
	return media == "multipart/encrypted" && strings.EqualFold(params["protocol"], EncryptedProtocol)
}

// Encrypt seals msg with s and frames it as WinRM's multipart/encrypted body.
// originalType is the Content-Type of msg, e.g. application/soap+xml;charset=UTF-8.
// The framing has literal tabs that Go's mime/multipart cannot produce.
func Encrypt(s *Session, msg []byte, originalType string) []byte {
	sealed, sig := s.Wrap(msg)
	var b bytes.Buffer
	b.Grow(len(msg) + 256)
	b.WriteString(partStart)
	b.WriteString("\tContent-Type: " + EncryptedProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + originalType + ";Length=" + strconv.Itoa(len(msg)) + "\r\n")
	b.WriteString(partStart)
	b.WriteString(octetHeader)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(sig)))
	b.Write(n[:])
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(bodyEnd)
	return b.Bytes()
}

// Decrypt parses a multipart/encrypted body and unwraps every part with s,
// returning the concatenated plaintext. It reads the parts in sequence, using
// the declared Length to find the end of the sealed bytes, so sealed data that
// happens to contain the boundary cannot confuse it.
func Decrypt(s *Session, body []byte) ([]byte, error) {
	var out []byte
	rest := body
	for parts := 0; ; parts++ {
		if bytes.HasPrefix(rest, []byte(bodyEnd)) || (parts > 0 && len(bytes.TrimSpace(rest)) == 0) {
			return out, nil
		}
		if !bytes.HasPrefix(rest, []byte(partStart)) {
			return nil, fmt.Errorf("decrypt part %d: no boundary: %w", parts, ErrMalformed)
		}
		rest = rest[len(partStart):]
		end := bytes.Index(rest, []byte(partStart))
		if end < 0 {
			return nil, fmt.Errorf("decrypt part %d: no data part after the header: %w", parts, ErrMalformed)
		}
		length, err := originalLength(rest[:end])
		if err != nil {
			return nil, fmt.Errorf("decrypt part %d: %w", parts, err)
		}
		rest = rest[end+len(partStart):]
		rest = bytes.TrimPrefix(rest, []byte(octetHeader))
		if len(rest) < 4 {
			return nil, fmt.Errorf("decrypt part %d: truncated signature length: %w", parts, ErrMalformed)
		}
		sigLen := int(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if sigLen != SignatureSize || len(rest) < sigLen+length {
			return nil, fmt.Errorf("decrypt part %d: %d-byte signature and %d-byte message in %d bytes: %w",
				parts, sigLen, length, len(rest), ErrMalformed)
		}
		msg, err := s.Unwrap(rest[sigLen:sigLen+length], rest[:sigLen])
		if err != nil {
			return nil, fmt.Errorf("decrypt part %d: %w", parts, err)
		}
		out = append(out, msg...)
		rest = rest[sigLen+length:]
	}
}

// originalLength finds Length=N in a part header.
func originalLength(header []byte) (int, error) {
	i := bytes.Index(header, []byte("Length="))
	if i < 0 {
		return 0, fmt.Errorf("part header without Length: %w", ErrMalformed)
	}
	digits := header[i+len("Length="):]
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	length, err := strconv.Atoi(string(digits[:n]))
	if err != nil || n > 10 {
		return 0, fmt.Errorf("part header Length %q: %w", digits[:n], ErrMalformed)
	}
	return length, nil
}
