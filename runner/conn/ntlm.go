package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bodgit/ntlmssp"

	"github.com/winplay/winplay/internal/sealing"
)

// ntlmMechanism logs on with NTLM: the handshake with empty bodies leaves
// the connection authenticated and yields the sealing keys.
type ntlmMechanism struct {
	user, domain, password string
}

func newNTLM(user, password string) *ntlmMechanism {
	m := &ntlmMechanism{user: user, password: password}
	if u, d, ok := strings.Cut(user, "@"); ok {
		m.user, m.domain = u, d
	} else if d, u, ok := strings.Cut(user, `\`); ok {
		m.user, m.domain = u, d
	}
	return m
}

func (m *ntlmMechanism) protocol() string { return sealing.SPNEGO }

func (m *ntlmMechanism) login(ctx context.Context, hc *http.Client, url string) (securityContext, error) {
	client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(m.user, m.password), ntlmssp.SetDomain(m.domain),
		ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return nil, err
	}
	negotiate, err := client.Authenticate(nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := authLeg(ctx, hc, url, "Negotiate", negotiate)
	if err != nil {
		return nil, err
	}
	drain(resp)
	challenge, ok := schemeToken(resp.Header, "Negotiate")
	if resp.StatusCode != http.StatusUnauthorized || !ok && !offersWinRMAuth(resp.Header) {
		return nil, notWinRM(url, resp, "the NTLM negotiate message")
	}
	if !ok {
		return nil, fmt.Errorf("%w: NTLM not offered (HTTP %d to the negotiate message)", errUnauthorized, resp.StatusCode)
	}
	authenticate, err := client.Authenticate(challenge, nil)
	if err != nil {
		return nil, fmt.Errorf("NTLM challenge: %w", err)
	}
	resp, err = authLeg(ctx, hc, url, "Negotiate", authenticate)
	if err != nil {
		return nil, err
	}
	drain(resp)
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, errUnauthorized
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d to the NTLM authenticate message", resp.StatusCode)
	}
	session := client.SecuritySession()
	if session == nil {
		return nil, errors.New("the host did not agree to seal messages")
	}
	return ntlmContext{session}, nil
}

// ntlmContext adapts bodgit's session, whose signature comes second.
type ntlmContext struct{ s *ntlmssp.SecuritySession }

func (c ntlmContext) Wrap(msg []byte) ([]byte, []byte, error) {
	sealed, sig, err := c.s.Wrap(msg)
	return sig, sealed, err
}

func (c ntlmContext) Unwrap(header, sealed []byte) ([]byte, error) {
	return c.s.Unwrap(sealed, header)
}
