package ntlm

import (
	"fmt"

	"github.com/winplay/winplay/internal/sealing"
)

// EncryptedProtocol is the protocol parameter of a sealed WinRM message.
const EncryptedProtocol = sealing.SPNEGO

// EncryptedContentType is the Content-Type of a sealed WinRM message, byte for
// byte as pywinrm and masterzen send it and as Windows answers.
var EncryptedContentType = sealing.ContentType(sealing.SPNEGO)

// IsEncrypted reports whether a request's Content-Type says its body is an
// NTLM-sealed multipart/encrypted message.
func IsEncrypted(contentType string) bool {
	p, ok := sealing.Protocol(contentType)
	return ok && p == sealing.SPNEGO
}

// Encrypt seals msg with s and frames it as WinRM's multipart/encrypted body.
// originalType is the Content-Type of msg, e.g. application/soap+xml;charset=UTF-8.
func Encrypt(s *Session, msg []byte, originalType string) []byte {
	sealed, sig := s.Wrap(msg)
	return sealing.Frame(EncryptedProtocol, sealing.Part{Header: sig, Data: sealed, Type: originalType})
}

// Decrypt parses a multipart/encrypted body and unwraps every part with s,
// returning the concatenated plaintext.
func Decrypt(s *Session, body []byte) ([]byte, error) {
	parts, err := sealing.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w: %w", ErrMalformed, err)
	}
	var out []byte
	for i, p := range parts {
		if len(p.Header) != SignatureSize {
			return nil, fmt.Errorf("decrypt part %d: %d-byte signature: %w", i, len(p.Header), ErrMalformed)
		}
		msg, err := s.Unwrap(p.Data, p.Header)
		if err != nil {
			return nil, fmt.Errorf("decrypt part %d: %w", i, err)
		}
		out = append(out, msg...)
	}
	return out, nil
}
