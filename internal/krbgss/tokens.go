package krbgss

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Token IDs of the Kerberos mechanism's context tokens (RFC 4121 4.1).
var (
	TokenAPReq    = [2]byte{0x01, 0x00}
	TokenAPRep    = [2]byte{0x02, 0x00}
	TokenKRBError = [2]byte{0x03, 0x00}
)

// GSS-API context flags, carried in the authenticator's checksum (RFC 4121
// 4.1.1.1).
const (
	FlagDeleg    = 1
	FlagMutual   = 2
	FlagReplay   = 4
	FlagSequence = 8
	FlagConf     = 16
	FlagInteg    = 32
)

// ErrNotKerberos is a token that is not of the Kerberos mechanism.
var ErrNotKerberos = errors.New("not a Kerberos token")

// MechToken frames a Kerberos message as a GSS-API initial context token:
// [APPLICATION 0] { mech OID, token ID, message }.
func MechToken(id [2]byte, msg []byte) []byte {
	oid, _ := asn1.Marshal(gssapi.OIDKRB5.OID())
	b := make([]byte, 0, len(oid)+2+len(msg))
	b = append(b, oid...)
	b = append(b, id[:]...)
	b = append(b, msg...)
	return asn1tools.AddASNAppTag(b, 0)
}

// ParseMechToken reads a Kerberos GSS-API token: its ID and message.
// Windows' legacy Kerberos OID (1.2.840.48018.1.2.2) is taken as Kerberos.
func ParseMechToken(b []byte) ([2]byte, []byte, error) {
	var id [2]byte
	var oid asn1.ObjectIdentifier
	rest, err := asn1.UnmarshalWithParams(b, &oid, "application,explicit,tag:0")
	if err != nil {
		return id, nil, fmt.Errorf("%w: %v", ErrNotKerberos, err)
	}
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return id, nil, fmt.Errorf("%w: mechanism %s", ErrNotKerberos, oid)
	}
	if len(rest) < 2 {
		return id, nil, fmt.Errorf("%w: no token ID", ErrNotKerberos)
	}
	copy(id[:], rest[:2])
	return id, rest[2:], nil
}

// IsKerberos reports whether b is a raw Kerberos mechanism token, rather
// than SPNEGO or NTLMSSP.
func IsKerberos(b []byte) bool {
	_, _, err := ParseMechToken(b)
	return err == nil
}

// Initiation is what an initiator keeps of the AP-REQ it sent, to check
// the AP-REP and to seal.
type Initiation struct {
	Token         []byte // the GSS-API token to send
	SessionKey    types.EncryptionKey
	Authenticator types.Authenticator
}

// NewAPReq builds the AP-REQ token for tkt: an authenticator with a fresh
// subkey and sequence number, the context flags (and delegated
// credentials, when deleg holds a KRB-CRED) in its checksum, and
// mutual-required set, as Windows' and MIT's initiators send it.
func NewAPReq(tkt messages.Ticket, sessionKey types.EncryptionKey, realm string, cname types.PrincipalName, gssFlags uint32, deleg []byte) (*Initiation, error) {
	auth, err := types.NewAuthenticator(realm, cname)
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	if err := auth.GenerateSeqNumberAndSubKey(sessionKey.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: authenticatorChecksum(gssFlags, deleg)}
	apreq, err := messages.NewAPReq(tkt, sessionKey, auth)
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	types.SetFlag(&apreq.APOptions, flags.APOptionMutualRequired)
	b, err := apreq.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	return &Initiation{Token: MechToken(TokenAPReq, b), SessionKey: sessionKey, Authenticator: auth}, nil
}

// authenticatorChecksum is the 0x8003 checksum of RFC 4121 4.1.1: the
// length of the (empty) channel bindings, 16 zero bytes, the flags, and,
// with delegation, the KRB-CRED.
func authenticatorChecksum(gssFlags uint32, deleg []byte) []byte {
	b := make([]byte, 24, 28+len(deleg))
	binary.LittleEndian.PutUint32(b[:4], 16)
	if len(deleg) > 0 {
		gssFlags |= FlagDeleg
	} else {
		gssFlags &^= FlagDeleg
	}
	binary.LittleEndian.PutUint32(b[20:24], gssFlags)
	if len(deleg) > 0 {
		var opt [4]byte
		binary.LittleEndian.PutUint16(opt[:2], 1)
		binary.LittleEndian.PutUint16(opt[2:], uint16(len(deleg)))
		b = append(b, opt[:]...)
		b = append(b, deleg...)
	}
	return b
}

// ChecksumFlags reads the context flags and delegated credentials (a
// KRB-CRED, nil without delegation) from an authenticator's checksum.
func ChecksumFlags(auth types.Authenticator) (uint32, []byte, error) {
	if auth.Cksum.CksumType != chksumtype.GSSAPI {
		return 0, nil, fmt.Errorf("krbgss: authenticator checksum of type %d, not the GSS-API 0x8003", auth.Cksum.CksumType)
	}
	b := auth.Cksum.Checksum
	if len(b) < 24 || binary.LittleEndian.Uint32(b[:4]) != 16 {
		return 0, nil, errors.New("krbgss: malformed authenticator checksum")
	}
	f := binary.LittleEndian.Uint32(b[20:24])
	if f&FlagDeleg == 0 || len(b) < 28 {
		return f, nil, nil
	}
	n := int(binary.LittleEndian.Uint16(b[26:28]))
	if binary.LittleEndian.Uint16(b[24:26]) != 1 || len(b) < 28+n {
		return 0, nil, errors.New("krbgss: malformed delegation in the authenticator checksum")
	}
	return f, b[28 : 28+n], nil
}

// encAPRepPart is messages.EncAPRepPart for marshalling, which gokrb5
// only unmarshals.
type encAPRepPart struct {
	CTime          time.Time           `asn1:"generalized,explicit,tag:0"`
	Cusec          int                 `asn1:"explicit,tag:1"`
	Subkey         types.EncryptionKey `asn1:"optional,explicit,tag:2"`
	SequenceNumber int64               `asn1:"optional,explicit,tag:3"`
}

// Acceptance is what an acceptor answers an AP-REQ with.
type Acceptance struct {
	Token   []byte // the AP-REP token to send
	Context *Context
}

// Accept answers a verified AP-REQ (gokrb5's service.VerifyAPREQ has
// decrypted its ticket and authenticator) with an AP-REP that carries a
// subkey of the acceptor's and its first sequence number, as Windows does,
// and returns the acceptor's sealing context.
func Accept(apreq *messages.APReq) (*Acceptance, error) {
	sessionKey := apreq.Ticket.DecryptedEncPart.Key
	auth := apreq.Authenticator
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	subkey := types.EncryptionKey{KeyType: sessionKey.KeyType, KeyValue: make([]byte, et.GetKeyByteSize())}
	if _, err := rand.Read(subkey.KeyValue); err != nil {
		return nil, err
	}
	seq, err := rand.Int(rand.Reader, big.NewInt(math.MaxInt32))
	if err != nil {
		return nil, err
	}
	part := encAPRepPart{CTime: auth.CTime, Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: seq.Int64() + 1}
	pb, err := asn1.Marshal(part)
	if err != nil {
		return nil, fmt.Errorf("krbgss: marshalling the AP-REP: %w", err)
	}
	pb = asn1tools.AddASNAppTag(pb, asnAppTag.EncAPRepPart)
	enc, err := crypto.GetEncryptedData(pb, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, fmt.Errorf("krbgss: encrypting the AP-REP: %w", err)
	}
	rb, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: enc})
	if err != nil {
		return nil, fmt.Errorf("krbgss: marshalling the AP-REP: %w", err)
	}
	rb = asn1tools.AddASNAppTag(rb, asnAppTag.APREP)
	ctx, err := NewContext(subkey, false, true, uint64(part.SequenceNumber), uint64(auth.SeqNumber))
	if err != nil {
		return nil, err
	}
	return &Acceptance{Token: MechToken(TokenAPRep, rb), Context: ctx}, nil
}

// KRBError is a Kerberos error an acceptor answered with.
type KRBError = messages.KRBError

// ErrorToken frames a KRB-ERROR as a GSS-API token, as an acceptor sends
// it back when it refuses an AP-REQ (a skewed clock, a ticket it cannot
// decrypt).
func ErrorToken(e messages.KRBError) ([]byte, error) {
	b, err := e.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	return MechToken(TokenKRBError, b), nil
}

// Complete checks the acceptor's AP-REP token against what the AP-REQ
// sent and returns the initiator's sealing context: keyed with the
// acceptor's subkey when it sent one, else the authenticator's. A
// KRB-ERROR token comes back as a *KRBError.
func (in *Initiation) Complete(token []byte) (*Context, error) {
	id, msg, err := ParseMechToken(token)
	if err != nil {
		return nil, err
	}
	switch id {
	case TokenKRBError:
		var e messages.KRBError
		if err := e.Unmarshal(msg); err != nil {
			return nil, fmt.Errorf("krbgss: the acceptor's error: %w", err)
		}
		return nil, &e
	case TokenAPRep:
	default:
		return nil, fmt.Errorf("krbgss: token %x where an AP-REP belongs", id)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	pb, err := crypto.DecryptEncPart(rep.EncPart, in.SessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("krbgss: the AP-REP does not decrypt with the session key (mutual authentication failed): %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(pb); err != nil {
		return nil, fmt.Errorf("krbgss: %w", err)
	}
	if !part.CTime.Equal(in.Authenticator.CTime.Truncate(time.Second)) || part.Cusec != in.Authenticator.Cusec {
		return nil, errors.New("krbgss: the AP-REP answers another authenticator (mutual authentication failed)")
	}
	key, acceptorKey := in.Authenticator.SubKey, false
	if len(part.Subkey.KeyValue) > 0 {
		key, acceptorKey = part.Subkey, true
	}
	if len(key.KeyValue) == 0 {
		key = in.SessionKey
	}
	recv := uint64(in.Authenticator.SeqNumber)
	if part.SequenceNumber != 0 {
		recv = uint64(part.SequenceNumber)
	}
	return NewContext(key, true, acceptorKey, uint64(in.Authenticator.SeqNumber), recv)
}
