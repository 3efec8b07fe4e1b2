package conn

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/bodgit/ntlmssp"
)

// sealedNTLM authenticates with NTLM and seals every message (MS-WSMV
// 2.2.9.1), as Windows requires over plain HTTP by default
// (AllowUnencrypted=false) and as pywinrm and Ansible do.
//
// The security context belongs to one TCP connection, so the transport
// must keep at most one. A sealed request that lands on a new connection
// is answered 401 before the host reads it; that is the cue to
// authenticate again and resend it, which is safe for the same reason.
type sealedNTLM struct {
	hc                     *http.Client
	user, domain, password string

	mu      sync.Mutex
	session *ntlmssp.SecuritySession
}

const (
	sealedProtocol    = "application/HTTP-SPNEGO-session-encrypted"
	sealedContentType = `multipart/encrypted;protocol="` + sealedProtocol + `";boundary="Encrypted Boundary"`
	sealedPart        = "--Encrypted Boundary\r\n"
	sealedEnd         = "--Encrypted Boundary--\r\n"
	sealedOctets      = "\tContent-Type: application/octet-stream\r\n"
)

func newSealedNTLM(hc *http.Client, user, password string) *sealedNTLM {
	s := &sealedNTLM{hc: hc, user: user, password: password}
	if u, d, ok := strings.Cut(user, "@"); ok {
		s.user, s.domain = u, d
	} else if d, u, ok := strings.Cut(user, `\`); ok {
		s.user, s.domain = u, d
	}
	return s
}

// forget drops the security context, for when the connection is dropped.
func (s *sealedNTLM) forget() {
	s.mu.Lock()
	s.session = nil
	s.mu.Unlock()
}

// Do sends req's body sealed and returns the reply unsealed.
func (s *sealedNTLM) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var plain []byte
	if req.Body != nil {
		var err error
		if plain, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	contentType := req.Header.Get("Content-Type")
	for attempt := 0; ; attempt++ {
		if s.session == nil {
			// The message itself has not been sent (or was refused with a
			// 401) when the handshake fails.
			if err := s.authenticate(req.Context(), req.URL.String()); err != nil {
				if errors.Is(err, errUnauthorized) {
					return nil, err
				}
				return nil, &undeliveredError{cleanURLError(err)}
			}
		}
		body, err := s.seal(plain, contentType)
		if err != nil {
			return nil, err
		}
		sealed := req.Clone(req.Context())
		sealed.Header.Del("Authorization")
		sealed.Header.Set("Content-Type", sealedContentType)
		sealed.Body = io.NopCloser(bytes.NewReader(body))
		sealed.ContentLength = int64(len(body))
		sealed.GetBody = nil
		resp, err := s.hc.Do(sealed)
		if err != nil {
			// The RC4 streams of both sides are out of step now.
			s.session = nil
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			s.session = nil
			if attempt == 0 {
				drain(resp)
				continue
			}
			return resp, nil
		case http.StatusBadRequest:
			// The host could not unseal the message.
			s.session = nil
			return resp, nil
		}
		if !strings.HasPrefix(strings.ToLower(resp.Header.Get("Content-Type")), "multipart/encrypted") {
			return resp, nil
		}
		payload, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			s.session = nil
			return nil, fmt.Errorf("reading the sealed reply: %w", err)
		}
		msg, err := s.unseal(payload)
		if err != nil {
			s.session = nil
			return nil, fmt.Errorf("unsealing the reply: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(msg))
		resp.ContentLength = int64(len(msg))
		resp.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		return resp, nil
	}
}

// authenticate runs the NTLM handshake with empty bodies, which leaves the
// connection authenticated and yields the sealing keys.
func (s *sealedNTLM) authenticate(ctx context.Context, url string) error {
	client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(s.user, s.password), ntlmssp.SetDomain(s.domain),
		ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return err
	}
	negotiate, err := client.Authenticate(nil, nil)
	if err != nil {
		return err
	}
	resp, err := s.leg(ctx, url, negotiate)
	if err != nil {
		return err
	}
	drain(resp)
	challenge, ok := negotiateToken(resp.Header)
	if resp.StatusCode != http.StatusUnauthorized || !ok && !offersWinRMAuth(resp.Header) {
		return notWinRM(url, resp, "the NTLM negotiate message")
	}
	if !ok {
		return fmt.Errorf("%w: NTLM not offered (HTTP %d to the negotiate message)", errUnauthorized, resp.StatusCode)
	}
	authenticate, err := client.Authenticate(challenge, nil)
	if err != nil {
		return fmt.Errorf("NTLM challenge: %w", err)
	}
	resp, err = s.leg(ctx, url, authenticate)
	if err != nil {
		return err
	}
	drain(resp)
	if resp.StatusCode == http.StatusUnauthorized {
		return errUnauthorized
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d to the NTLM authenticate message", resp.StatusCode)
	}
	if s.session = client.SecuritySession(); s.session == nil {
		return errors.New("the host did not agree to seal messages")
	}
	return nil
}

func (s *sealedNTLM) leg(ctx context.Context, url string, token []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	return s.hc.Do(req)
}

// negotiateToken returns the token of a "WWW-Authenticate: Negotiate x"
// header.
func negotiateToken(h http.Header) ([]byte, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, token, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Negotiate") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		return b, err == nil
	}
	return nil, false
}

// seal frames msg as WinRM's multipart/encrypted body, whose header lines
// start with a tab, which Go's mime/multipart cannot write.
func (s *sealedNTLM) seal(msg []byte, contentType string) ([]byte, error) {
	sealed, sig, err := s.session.Wrap(msg)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(sealedPart)
	b.WriteString("\tContent-Type: " + sealedProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + contentType + ";Length=" + strconv.Itoa(len(msg)) + "\r\n")
	b.WriteString(sealedPart)
	b.WriteString(sealedOctets)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(sig)))
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(sealedEnd)
	return b.Bytes(), nil
}

// unseal reads every part of a multipart/encrypted body. It finds the end
// of the sealed bytes from the declared Length, since they may hold
// anything, the boundary included.
func (s *sealedNTLM) unseal(body []byte) ([]byte, error) {
	var out []byte
	rest := body
	for part := 0; ; part++ {
		if bytes.HasPrefix(rest, []byte(sealedEnd)) || (part > 0 && len(bytes.TrimSpace(rest)) == 0) {
			return out, nil
		}
		header, ok := bytes.CutPrefix(rest, []byte(sealedPart))
		if !ok {
			return nil, fmt.Errorf("part %d: no boundary", part)
		}
		end := bytes.Index(header, []byte(sealedPart))
		if end < 0 {
			return nil, fmt.Errorf("part %d: no data after the header", part)
		}
		_, lengthText, ok := bytes.Cut(header[:end], []byte("Length="))
		if !ok {
			return nil, fmt.Errorf("part %d: no Length in the header", part)
		}
		length, err := strconv.Atoi(string(bytes.TrimSpace(lengthText)))
		if err != nil || length < 0 {
			return nil, fmt.Errorf("part %d: bad Length %q", part, bytes.TrimSpace(lengthText))
		}
		rest = bytes.TrimPrefix(header[end+len(sealedPart):], []byte(sealedOctets))
		if len(rest) < 4 {
			return nil, fmt.Errorf("part %d: truncated", part)
		}
		sigLen := int(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if sigLen > 64 || len(rest) < sigLen+length {
			return nil, fmt.Errorf("part %d: %d-byte signature and %d-byte message in %d bytes", part, sigLen, length, len(rest))
		}
		msg, err := s.session.Unwrap(rest[sigLen:sigLen+length], rest[:sigLen])
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", part, err)
		}
		out = append(out, msg...)
		rest = rest[sigLen+length:]
	}
}

// drain reads and closes a reply the caller does not use, so that its
// connection, which carries the NTLM context, can be used again.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
