package krbgss

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/aescts/v2"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
)

// sealer encrypts wrap tokens' payloads as RFC 3961 does for an
// encryption type: E(confounder | plaintext) | HMAC. For the RFC 3962 AES
// types (17 and 18, AD's) it keeps the keys derived for each usage, which
// gokrb5's EncryptMessage derives again for every message (about a tenth
// of a sealed command's CPU, both sides counted); other types go through
// gokrb5.
type sealer struct {
	et  etype.EType
	key []byte

	mu      sync.Mutex
	derived map[uint32][2][]byte // usage → Ke, Ki
}

func newSealer(id int32, key []byte) (*sealer, error) {
	et, err := crypto.GetEtype(id)
	if err != nil {
		return nil, err
	}
	return &sealer{et: et, key: key, derived: map[uint32][2][]byte{}}, nil
}

func (s *sealer) fast() bool {
	id := s.et.GetETypeID()
	return id == 17 || id == 18
}

func (s *sealer) keys(usage uint32) ([2][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.derived[usage]; ok {
		return k, nil
	}
	ke, err := s.et.DeriveKey(s.key, common.GetUsageKe(usage))
	if err != nil {
		return [2][]byte{}, err
	}
	ki, err := s.et.DeriveKey(s.key, common.GetUsageKi(usage))
	if err != nil {
		return [2][]byte{}, err
	}
	k := [2][]byte{ke, ki}
	s.derived[usage] = k
	return k, nil
}

func (s *sealer) mac(ki, plain []byte) []byte {
	m := hmac.New(s.et.GetHashFunc(), ki)
	m.Write(plain)
	return m.Sum(nil)[:s.et.GetHMACBitLength()/8]
}

// encrypt returns the ciphertext and its checksum, as EncryptMessage does.
func (s *sealer) encrypt(usage uint32, msg []byte) ([]byte, error) {
	if !s.fast() {
		_, ct, err := s.et.EncryptMessage(s.key, msg, usage)
		return ct, err
	}
	k, err := s.keys(usage)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, s.et.GetConfounderByteSize(), s.et.GetConfounderByteSize()+len(msg))
	if _, err := rand.Read(plain); err != nil {
		return nil, err
	}
	plain = append(plain, msg...)
	_, ct, err := aescts.Encrypt(k[0], make([]byte, s.et.GetCypherBlockBitLength()/8), plain)
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	return append(ct, s.mac(k[1], plain)...), nil
}

// decrypt checks the checksum and returns the plaintext without the
// confounder, as DecryptMessage does.
func (s *sealer) decrypt(usage uint32, ct []byte) ([]byte, error) {
	if !s.fast() {
		return s.et.DecryptMessage(s.key, ct, usage)
	}
	k, err := s.keys(usage)
	if err != nil {
		return nil, err
	}
	n := s.et.GetHMACBitLength() / 8
	if len(ct) < n+s.et.GetConfounderByteSize() {
		return nil, errors.New("ciphertext too short")
	}
	plain, err := aescts.Decrypt(k[0], make([]byte, s.et.GetCypherBlockBitLength()/8), ct[:len(ct)-n])
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(s.mac(k[1], plain), ct[len(ct)-n:]) {
		return nil, errors.New("integrity verification failed")
	}
	return plain[s.et.GetConfounderByteSize():], nil
}
