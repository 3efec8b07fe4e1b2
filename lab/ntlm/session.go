package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
)

// Side says which end of the connection a Session is: it picks which keys
// sign and seal outgoing messages and which verify incoming ones.
type Side int

// The two ends of an NTLM security context.
const (
	ClientSide Side = iota
	ServerSide
)

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE with extended
// session security.
const SignatureSize = 16

// Errors from Unwrap.
var (
	ErrNoESS       = errors.New("ntlm: signing and sealing need extended session security")
	ErrBadChecksum = errors.New("ntlm: message signature does not match")
	ErrSequence    = errors.New("ntlm: message out of sequence")
)

var (
	clientSignMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSignMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

// Session signs and seals messages after authentication (MS-NLMP 3.4 with
// extended session security). Each direction has its own keys, one RC4 stream
// that runs on across messages, and a sequence number from 0, so messages
// must be wrapped and unwrapped strictly in order. A Session is not safe for
// concurrent use; requests on one HTTP/1.1 connection are serial anyway.
type Session struct {
	outSignKey       []byte
	inSignKey        []byte
	outRC4, inRC4    *rc4.Cipher
	outSeq, inSeq    uint32
	sealing, keyExch bool
}

// NewSession keys a session from the negotiated flags and the exported
// session key, for the given side.
func NewSession(flags Flags, exportedSessionKey []byte, side Side) (*Session, error) {
	if !flags.Has(NegotiateExtendedSessionSecurity) {
		return nil, ErrNoESS
	}
	if len(exportedSessionKey) != 16 {
		return nil, fmt.Errorf("ntlm: session key of %d bytes, want 16", len(exportedSessionKey))
	}
	s := &Session{sealing: flags.Has(NegotiateSeal), keyExch: flags.Has(NegotiateKeyExch)}
	clientSign := md5Sum(exportedSessionKey, clientSignMagic)
	serverSign := md5Sum(exportedSessionKey, serverSignMagic)
	clientSeal := sealKey(flags, exportedSessionKey, clientSealMagic)
	serverSeal := sealKey(flags, exportedSessionKey, serverSealMagic)
	outSeal, inSeal := clientSeal, serverSeal
	s.outSignKey, s.inSignKey = clientSign, serverSign
	if side == ServerSide {
		outSeal, inSeal = serverSeal, clientSeal
		s.outSignKey, s.inSignKey = serverSign, clientSign
	}
	var err error
	if s.outRC4, err = rc4.NewCipher(outSeal); err != nil {
		return nil, fmt.Errorf("ntlm: outgoing sealing key: %w", err)
	}
	if s.inRC4, err = rc4.NewCipher(inSeal); err != nil {
		return nil, fmt.Errorf("ntlm: incoming sealing key: %w", err)
	}
	return s, nil
}

// Wrap seals msg (or leaves it as is when only signing was negotiated) and
// returns it with its 16-byte signature.
func (s *Session) Wrap(msg []byte) (sealed, sig []byte) {
	sealed = make([]byte, len(msg))
	if s.sealing {
		s.outRC4.XORKeyStream(sealed, msg)
	} else {
		copy(sealed, msg)
	}
	sig = s.mac(s.outRC4, s.outSignKey, s.outSeq, msg)
	s.outSeq++
	return sealed, sig
}

// Unwrap decrypts sealed and checks its signature and sequence number.
func (s *Session) Unwrap(sealed, sig []byte) ([]byte, error) {
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("ntlm: signature of %d bytes, want %d: %w", len(sig), SignatureSize, ErrMalformed)
	}
	msg := make([]byte, len(sealed))
	if s.sealing {
		s.inRC4.XORKeyStream(msg, sealed)
	} else {
		copy(msg, sealed)
	}
	seq := s.inSeq
	s.inSeq++
	want := s.mac(s.inRC4, s.inSignKey, seq, msg)
	if !hmac.Equal(want[4:12], sig[4:12]) {
		return nil, ErrBadChecksum
	}
	if got := binary.LittleEndian.Uint32(sig[12:]); got != seq {
		return nil, fmt.Errorf("ntlm: got sequence number %d, want %d: %w", got, seq, ErrSequence)
	}
	return msg, nil
}

// mac builds the NTLMSSP_MESSAGE_SIGNATURE of msg with extended session
// security: version 1, HMAC_MD5(signKey, seq ‖ msg)[:8] (RC4'd with the
// sealing stream under key exchange), seq.
func (s *Session) mac(handle *rc4.Cipher, signKey []byte, seq uint32, msg []byte) []byte {
	var seqb [4]byte
	binary.LittleEndian.PutUint32(seqb[:], seq)
	m := hmac.New(md5.New, signKey)
	m.Write(seqb[:])
	m.Write(msg)
	sum := m.Sum(nil)
	sig := make([]byte, SignatureSize)
	binary.LittleEndian.PutUint32(sig[0:], 1)
	if s.keyExch {
		handle.XORKeyStream(sig[4:12], sum[:8])
	} else {
		copy(sig[4:12], sum[:8])
	}
	copy(sig[12:], seqb[:])
	return sig
}

// sealKey is SEALKEY with extended session security: the key is cut to the
// negotiated strength before it is hashed with the direction's constant.
func sealKey(flags Flags, key, magic []byte) []byte {
	switch {
	case flags.Has(Negotiate128):
		key = key[:16]
	case flags.Has(Negotiate56):
		key = key[:7]
	default:
		key = key[:5]
	}
	return md5Sum(key, magic)
}

func md5Sum(parts ...[]byte) []byte {
	h := md5.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}
