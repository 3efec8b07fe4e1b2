// Package krbgss is the part of the GSS-API Kerberos mechanism (RFC 4121)
// that WinRM needs beyond what gokrb5 offers: AP-REQ tokens with a
// subkey and context flags, AP-REP tokens for mutual authentication, and
// wrap tokens that seal messages, laid out as Windows and MIT's
// gss_wrap_iov lay them out for WinRM's multipart/encrypted bodies. The
// lab's acceptor and winplay's initiator share it; gokrb5 does the
// cryptography (RFC 3961 encryption types) and the ticket exchanges.
package krbgss

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Wrap token flags (RFC 4121 4.2.2).
const (
	FlagSentByAcceptor = 0x01
	FlagSealed         = 0x02
	FlagAcceptorSubkey = 0x04
)

// ErrBadToken is a wrap token that is malformed, out of sequence, from the
// wrong side or fails its integrity check.
var ErrBadToken = errors.New("bad Kerberos wrap token")

const tokenHeaderLen = 16

// Context is an established security context's sealing state on one side.
// Its methods are safe for concurrent use, but messages must be wrapped and
// unwrapped in the order they travel: each direction has a sequence
// number, checked strictly, as MIT's and Windows' are when the initiator
// asks for sequencing (pywinrm does).
type Context struct {
	key            types.EncryptionKey
	sealer         *sealer
	initiator      bool
	acceptorSubkey bool

	mu      sync.Mutex
	sendSeq uint64
	recvSeq uint64
}

// NewContext returns a context that seals with key. initiator says which
// side this is; acceptorSubkey says whether key is the subkey the
// acceptor sent in its AP-REP, which both sides then flag in every token.
// sendSeq and recvSeq are the first sequence numbers of each direction:
// the initiator's comes from its authenticator, the acceptor's from its
// AP-REP.
func NewContext(key types.EncryptionKey, initiator, acceptorSubkey bool, sendSeq, recvSeq uint64) (*Context, error) {
	if _, err := crypto.GetEtype(key.KeyType); err != nil {
		return nil, fmt.Errorf("krbgss: encryption type %d: %w", key.KeyType, err)
	}
	if !supportedEtype(key.KeyType) {
		return nil, fmt.Errorf("krbgss: encryption type %d has no RFC 4121 wrap tokens here (only AES, as AD issues)", key.KeyType)
	}
	s, err := newSealer(key.KeyType, key.KeyValue)
	if err != nil {
		return nil, err
	}
	return &Context{key: key, sealer: s, initiator: initiator, acceptorSubkey: acceptorSubkey, sendSeq: sendSeq, recvSeq: recvSeq}, nil
}

// supportedEtype reports whether wrap tokens of RFC 4121 apply: the
// RFC 3962 and RFC 8009 AES types. RC4 (RFC 4757) has tokens of its own
// layout, which Windows uses only where AES is disabled.
func supportedEtype(id int32) bool {
	switch id {
	case 17, 18, 19, 20:
		return true
	}
	return false
}

func (c *Context) usages() (send, recv uint32) {
	if c.initiator {
		return keyusage.GSSAPI_INITIATOR_SEAL, keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	return keyusage.GSSAPI_ACCEPTOR_SEAL, keyusage.GSSAPI_INITIATOR_SEAL
}

func (c *Context) flags(fromAcceptor bool) byte {
	f := byte(FlagSealed)
	if fromAcceptor {
		f |= FlagSentByAcceptor
	}
	if c.acceptorSubkey {
		f |= FlagAcceptorSubkey
	}
	return f
}

// Wrap seals msg into a wrap token with confidentiality and returns it
// split as WinRM frames it: the header (the 16-byte token header and the
// bytes the right rotation brings in front of the encrypted message) and
// the encrypted message, which is as long as msg. That is what MIT's
// gss_wrap_iov gives for a HEADER, DATA and PADDING buffer (pywinrm's
// layout): no filler (EC 0, AES needs no padding), and a rotation count of
// the encrypted header copy plus the checksum, 28 bytes for AES-SHA1.
func (c *Context) Wrap(msg []byte) (header, data []byte, err error) {
	et := c.sealer.et
	send, _ := c.usages()
	c.mu.Lock()
	seq := c.sendSeq
	c.sendSeq++
	c.mu.Unlock()

	hdr := tokenHeader(c.flags(!c.initiator), 0, 0, seq)
	plain := make([]byte, 0, len(msg)+tokenHeaderLen)
	plain = append(plain, msg...)
	plain = append(plain, hdr...) // the encrypted header copy has RRC 0
	ct, err := c.sealer.encrypt(send, plain)
	if err != nil {
		return nil, nil, fmt.Errorf("krbgss: sealing: %w", err)
	}
	rrc := tokenHeaderLen + et.GetHMACBitLength()/8
	binary.BigEndian.PutUint16(hdr[6:8], uint16(rrc))
	token := make([]byte, 0, tokenHeaderLen+len(ct))
	token = append(token, hdr...)
	token = append(token, ct[len(ct)-rrc:]...)
	token = append(token, ct[:len(ct)-rrc]...)
	split := tokenHeaderLen + rrc + et.GetConfounderByteSize()
	return token[:split], token[split:], nil
}

// Unwrap checks and opens a wrap token given as WinRM frames it, header and
// encrypted message, and returns the message.
func (c *Context) Unwrap(header, data []byte) ([]byte, error) {
	token := make([]byte, 0, len(header)+len(data))
	token = append(token, header...)
	token = append(token, data...)
	if len(token) < tokenHeaderLen || token[0] != 0x05 || token[1] != 0x04 || token[3] != 0xFF {
		return nil, fmt.Errorf("%w: not a wrap token", ErrBadToken)
	}
	flags := token[2]
	ec := int(binary.BigEndian.Uint16(token[4:6]))
	rrc := int(binary.BigEndian.Uint16(token[6:8]))
	seq := binary.BigEndian.Uint64(token[8:16])
	switch {
	case flags&FlagSealed == 0:
		// WinRM seals; an integrity-only token would leave the message in
		// clear text on the wire.
		return nil, fmt.Errorf("%w: the message is not encrypted", ErrBadToken)
	case (flags&FlagSentByAcceptor != 0) != c.initiator:
		return nil, fmt.Errorf("%w: sent by the wrong side", ErrBadToken)
	case (flags&FlagAcceptorSubkey != 0) != c.acceptorSubkey:
		return nil, fmt.Errorf("%w: acceptor subkey flag is %v, want %v", ErrBadToken, flags&FlagAcceptorSubkey != 0, c.acceptorSubkey)
	}
	body := token[tokenHeaderLen:]
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadToken)
	}
	rrc %= len(body)
	ct := make([]byte, 0, len(body))
	ct = append(ct, body[rrc:]...)
	ct = append(ct, body[:rrc]...)
	_, recv := c.usages()
	plain, err := c.sealer.decrypt(recv, ct)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if len(plain) < ec+tokenHeaderLen {
		return nil, fmt.Errorf("%w: too short", ErrBadToken)
	}
	copyHdr := plain[len(plain)-tokenHeaderLen:]
	want := tokenHeader(flags, uint16(ec), 0, seq)
	if !bytes.Equal(copyHdr, want) {
		return nil, fmt.Errorf("%w: the encrypted header does not match the token's", ErrBadToken)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq != c.recvSeq {
		return nil, fmt.Errorf("%w: sequence number %d, want %d", ErrBadToken, seq, c.recvSeq)
	}
	c.recvSeq++
	return plain[:len(plain)-tokenHeaderLen-ec], nil
}

func tokenHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, tokenHeaderLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xFF
	binary.BigEndian.PutUint16(h[4:6], ec)
	binary.BigEndian.PutUint16(h[6:8], rrc)
	binary.BigEndian.PutUint64(h[8:16], seq)
	return h
}
