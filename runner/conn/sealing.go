package conn

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/winplay/winplay/internal/sealing"
)

// securityContext seals the messages of one authenticated connection.
type securityContext interface {
	Wrap(msg []byte) (header, sealed []byte, err error)
	Unwrap(header, sealed []byte) ([]byte, error)
}

// mechanism is an authentication that leaves a connection with a
// security context: NTLM or Kerberos.
type mechanism interface {
	// login authenticates the connection hc will use, with requests whose
	// bodies are empty, and returns its security context.
	login(ctx context.Context, hc *http.Client, url string) (securityContext, error)
	// protocol is the sealed body's protocol under this authentication.
	protocol() string
}

// sealedClient authenticates each connection with a mechanism and seals
// every message with its security context (MS-WSMV 2.2.9.1), as Windows
// requires over plain HTTP by default (AllowUnencrypted=false) and as
// pywinrm and Ansible do. Over HTTPS (seal false) the login only
// authenticates the connection, and messages travel as plain SOAP inside
// TLS.
//
// The security context belongs to one TCP connection, so the transport
// must keep at most one. A request that lands on a new connection is
// answered 401 before the host reads it; that is the cue to authenticate
// again and resend it, which is safe for the same reason.
//
// This layer only frames and seals bodies; it knows nothing of the
// envelopes inside them.
type sealedClient struct {
	hc   *http.Client
	mech mechanism
	seal bool

	mu  sync.Mutex
	ctx securityContext
}

// forget drops the security context, for when the connection is dropped.
func (s *sealedClient) forget() {
	s.mu.Lock()
	s.ctx = nil
	s.mu.Unlock()
}

// Do sends req's body, sealed when s seals, and returns the reply
// unsealed.
func (s *sealedClient) Do(req *http.Request) (*http.Response, error) {
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
	for attempt := 0; ; attempt++ {
		if s.ctx == nil {
			// The message itself has not been sent (or was refused with a
			// 401) when the login fails.
			sc, err := s.mech.login(req.Context(), s.hc, req.URL.String())
			if err != nil {
				if errors.Is(err, errUnauthorized) || isUndelivered(err) {
					return nil, err
				}
				return nil, &undeliveredError{cleanURLError(err)}
			}
			s.ctx = sc
		}
		out := req.Clone(req.Context())
		out.Header.Del("Authorization")
		body := plain
		if s.seal {
			header, sealed, err := s.ctx.Wrap(plain)
			if err != nil {
				return nil, err
			}
			body = sealing.Frame(s.mech.protocol(), sealing.Part{Header: header, Data: sealed})
			out.Header.Set("Content-Type", sealing.ContentType(s.mech.protocol()))
		}
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		out.GetBody = nil
		resp, err := s.hc.Do(out)
		if err != nil {
			// The sealing states of both sides are out of step now.
			s.ctx = nil
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			s.ctx = nil
			if attempt == 0 {
				drain(resp)
				continue
			}
			return resp, nil
		case http.StatusBadRequest:
			// The host could not unseal the message.
			s.ctx = nil
			return resp, nil
		}
		if _, ok := sealing.Protocol(resp.Header.Get("Content-Type")); !ok {
			return resp, nil
		}
		payload, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			s.ctx = nil
			return nil, fmt.Errorf("reading the sealed reply: %w", err)
		}
		msg, err := unseal(s.ctx, payload)
		if err != nil {
			s.ctx = nil
			return nil, fmt.Errorf("unsealing the reply: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(msg))
		resp.ContentLength = int64(len(msg))
		resp.Header.Set("Content-Type", sealing.SOAP)
		return resp, nil
	}
}

func unseal(sc securityContext, body []byte) ([]byte, error) {
	parts, err := sealing.Parse(body)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i, p := range parts {
		msg, err := sc.Unwrap(p.Header, p.Data)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i, err)
		}
		out = append(out, msg...)
	}
	return out, nil
}

func isUndelivered(err error) bool {
	var u *undeliveredError
	return errors.As(err, &u)
}

// authLeg posts an empty body with an Authorization header.
func authLeg(ctx context.Context, hc *http.Client, url, scheme string, token []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
	req.Header.Set("Content-Type", sealing.SOAP)
	return hc.Do(req)
}

// schemeToken returns the token of a "WWW-Authenticate: scheme x" header.
func schemeToken(h http.Header, scheme string) ([]byte, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		s, token, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(s, scheme) {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		return b, err == nil
	}
	return nil, false
}

// drain reads and closes a reply the caller does not use, so that its
// connection, which carries the security context, can be used again.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
