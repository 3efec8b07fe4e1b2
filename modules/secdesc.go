package modules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Security descriptor constants from winnt.h.
const (
	seDACLPresent  = 0x0004
	seSACLPresent  = 0x0010
	seSelfRelative = 0x8000

	sdHeaderSize  = 20
	aclHeaderSize = 8
	// aceFixedSize is the ACE header (type, flags, size) and the mask
	// that precede the SID of an ACCESS_ALLOWED or ACCESS_DENIED ACE.
	aceFixedSize = 8

	sidHeaderSize     = 8
	maxSubAuthorities = 15
	defaultACLRev     = 2
)

// ACEType is the type byte of an ACE. Only the two types DCOM descriptors
// use are understood; a descriptor holding others is not edited.
type ACEType byte

// The ACE types a DCOM default descriptor holds.
const (
	ACEAllow ACEType = 0 // ACCESS_ALLOWED_ACE_TYPE
	ACEDeny  ACEType = 1 // ACCESS_DENIED_ACE_TYPE
)

func (t ACEType) String() string {
	switch t {
	case ACEAllow:
		return "allow"
	case ACEDeny:
		return "deny"
	}
	return "type" + strconv.Itoa(int(t))
}

// ACE is one access control entry of a DACL.
type ACE struct {
	Type  ACEType
	Flags byte
	Mask  uint32
	SID   string
}

// SecurityDescriptor is a self-relative security descriptor as Windows
// stores it in REG_BINARY values such as DCOM's DefaultAccessPermission:
// owner, group and a DACL. A SACL, which DCOM defaults do not have, is
// kept as it was read so that writing the descriptor back loses nothing.
type SecurityDescriptor struct {
	// Control is the control word; Bytes always sets SE_SELF_RELATIVE.
	Control uint16
	// RMControl is the resource manager byte (Sbz1), kept as read.
	RMControl byte
	Owner     string // SID, "" when the descriptor has none
	Group     string // SID, "" when the descriptor has none
	// DACL is nil with HasDACL false when no DACL is present, which
	// Windows reads as "everyone is allowed".
	HasDACL bool
	DACLRev byte
	DACL    []ACE
	// sacl is the raw SACL (header included), nil when absent.
	sacl []byte
}

// ParseSecurityDescriptor decodes a self-relative security descriptor. It
// checks every offset and size against b, so arbitrary bytes return an
// error, never a panic.
func ParseSecurityDescriptor(b []byte) (*SecurityDescriptor, error) {
	if len(b) < sdHeaderSize {
		return nil, fmt.Errorf("security descriptor is %d bytes, shorter than its %d-byte header", len(b), sdHeaderSize)
	}
	if b[0] != 1 {
		return nil, fmt.Errorf("security descriptor revision %d, want 1", b[0])
	}
	sd := &SecurityDescriptor{RMControl: b[1], Control: binary.LittleEndian.Uint16(b[2:])}
	if sd.Control&seSelfRelative == 0 {
		return nil, errors.New("security descriptor is not self-relative")
	}
	ownerOff := binary.LittleEndian.Uint32(b[4:])
	groupOff := binary.LittleEndian.Uint32(b[8:])
	saclOff := binary.LittleEndian.Uint32(b[12:])
	daclOff := binary.LittleEndian.Uint32(b[16:])
	var err error
	if sd.Owner, err = sidAtOffset(b, ownerOff, "owner"); err != nil {
		return nil, err
	}
	if sd.Group, err = sidAtOffset(b, groupOff, "group"); err != nil {
		return nil, err
	}
	if sd.Control&seSACLPresent != 0 && saclOff != 0 {
		acl, err := aclAtOffset(b, saclOff, "SACL")
		if err != nil {
			return nil, err
		}
		sd.sacl = append([]byte(nil), acl...)
	}
	if sd.Control&seDACLPresent == 0 || daclOff == 0 {
		return sd, nil
	}
	acl, err := aclAtOffset(b, daclOff, "DACL")
	if err != nil {
		return nil, err
	}
	sd.HasDACL = true
	sd.DACLRev = acl[0]
	sd.DACL, err = parseACEs(acl)
	if err != nil {
		return nil, err
	}
	return sd, nil
}

func sidAtOffset(b []byte, off uint32, what string) (string, error) {
	if off == 0 {
		return "", nil
	}
	if uint64(off) >= uint64(len(b)) {
		return "", fmt.Errorf("%s offset %d is outside the %d-byte descriptor", what, off, len(b))
	}
	sid, _, err := ParseSID(b[off:])
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return sid, nil
}

// aclAtOffset returns the ACL at off, cut to the size its header states.
func aclAtOffset(b []byte, off uint32, what string) ([]byte, error) {
	if uint64(off)+aclHeaderSize > uint64(len(b)) {
		return nil, fmt.Errorf("%s offset %d is outside the %d-byte descriptor", what, off, len(b))
	}
	acl := b[off:]
	if rev := acl[0]; rev != 2 && rev != 4 {
		return nil, fmt.Errorf("%s revision %d, want 2 or 4", what, rev)
	}
	size := int(binary.LittleEndian.Uint16(acl[2:]))
	if size < aclHeaderSize || size > len(acl) {
		return nil, fmt.Errorf("%s size %d does not fit the descriptor", what, size)
	}
	return acl[:size], nil
}

func parseACEs(acl []byte) ([]ACE, error) {
	count := int(binary.LittleEndian.Uint16(acl[4:]))
	aces := []ACE{}
	pos := aclHeaderSize
	for i := 0; i < count; i++ {
		if pos+aceFixedSize > len(acl) {
			return nil, fmt.Errorf("DACL says %d ACEs but ACE %d is cut off", count, i)
		}
		size := int(binary.LittleEndian.Uint16(acl[pos+2:]))
		if size < aceFixedSize || pos+size > len(acl) {
			return nil, fmt.Errorf("ACE %d has size %d, which does not fit the DACL", i, size)
		}
		typ := ACEType(acl[pos])
		if typ != ACEAllow && typ != ACEDeny {
			return nil, fmt.Errorf("ACE %d has type %d; only access-allowed (0) and access-denied (1) ACEs are understood", i, typ)
		}
		sid, n, err := ParseSID(acl[pos+aceFixedSize : pos+size])
		if err != nil {
			return nil, fmt.Errorf("ACE %d: %w", i, err)
		}
		if aceFixedSize+n != size {
			return nil, fmt.Errorf("ACE %d has size %d but its SID ends at %d", i, size, aceFixedSize+n)
		}
		aces = append(aces, ACE{Type: typ, Flags: acl[pos+1], Mask: binary.LittleEndian.Uint32(acl[pos+4:]), SID: sid})
		pos += size
	}
	return aces, nil
}

// Bytes encodes the descriptor in self-relative form, in the layout
// Windows writes for DCOM defaults: header, SACL, DACL, owner, group.
func (sd *SecurityDescriptor) Bytes() ([]byte, error) {
	var body []byte
	var saclOff, daclOff, ownerOff, groupOff uint32
	control := sd.Control | seSelfRelative
	control &^= seSACLPresent | seDACLPresent
	if sd.sacl != nil {
		saclOff = sdHeaderSize + uint32(len(body))
		body = append(body, sd.sacl...)
		control |= seSACLPresent
	}
	if sd.HasDACL {
		acl, err := encodeACL(sd.DACLRev, sd.DACL)
		if err != nil {
			return nil, err
		}
		daclOff = sdHeaderSize + uint32(len(body))
		body = append(body, acl...)
		control |= seDACLPresent
	}
	for _, s := range []struct {
		sid string
		off *uint32
		who string
	}{{sd.Owner, &ownerOff, "owner"}, {sd.Group, &groupOff, "group"}} {
		if s.sid == "" {
			continue
		}
		b, err := SIDBytes(s.sid)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.who, err)
		}
		*s.off = sdHeaderSize + uint32(len(body))
		body = append(body, b...)
	}
	out := make([]byte, sdHeaderSize, sdHeaderSize+len(body))
	out[0] = 1
	out[1] = sd.RMControl
	binary.LittleEndian.PutUint16(out[2:], control)
	binary.LittleEndian.PutUint32(out[4:], ownerOff)
	binary.LittleEndian.PutUint32(out[8:], groupOff)
	binary.LittleEndian.PutUint32(out[12:], saclOff)
	binary.LittleEndian.PutUint32(out[16:], daclOff)
	return append(out, body...), nil
}

func encodeACL(rev byte, aces []ACE) ([]byte, error) {
	if rev == 0 {
		rev = defaultACLRev
	}
	acl := make([]byte, aclHeaderSize)
	acl[0] = rev
	for i, a := range aces {
		if a.Type != ACEAllow && a.Type != ACEDeny {
			return nil, fmt.Errorf("ACE %d has type %d, which cannot be written", i, a.Type)
		}
		sid, err := SIDBytes(a.SID)
		if err != nil {
			return nil, fmt.Errorf("ACE %d: %w", i, err)
		}
		e := make([]byte, aceFixedSize, aceFixedSize+len(sid))
		e[0], e[1] = byte(a.Type), a.Flags
		binary.LittleEndian.PutUint16(e[2:], uint16(aceFixedSize+len(sid)))
		binary.LittleEndian.PutUint32(e[4:], a.Mask)
		acl = append(acl, append(e, sid...)...)
	}
	if len(acl) > 0xffff || len(aces) > 0xffff {
		return nil, fmt.Errorf("DACL of %d ACEs is too large (%d bytes)", len(aces), len(acl))
	}
	binary.LittleEndian.PutUint16(acl[2:], uint16(len(acl)))
	binary.LittleEndian.PutUint16(acl[4:], uint16(len(aces)))
	return acl, nil
}

// ParseSID decodes the binary SID at the start of b and returns it in
// S-1-… form with its length in bytes.
func ParseSID(b []byte) (string, int, error) {
	if len(b) < sidHeaderSize {
		return "", 0, fmt.Errorf("SID is cut off: %d bytes", len(b))
	}
	if b[0] != 1 {
		return "", 0, fmt.Errorf("SID revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > maxSubAuthorities {
		return "", 0, fmt.Errorf("SID has %d sub-authorities, more than %d", n, maxSubAuthorities)
	}
	size := sidHeaderSize + 4*n
	if len(b) < size {
		return "", 0, fmt.Errorf("SID of %d sub-authorities is cut off", n)
	}
	var auth uint64
	for i := 0; i < 6; i++ {
		auth = auth<<8 | uint64(b[2+i])
	}
	var sb strings.Builder
	// ConvertSidToStringSid writes authorities of 2^32 and above in hex.
	if auth >= 1<<32 {
		fmt.Fprintf(&sb, "S-1-0x%012X", auth)
	} else {
		fmt.Fprintf(&sb, "S-1-%d", auth)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "-%d", binary.LittleEndian.Uint32(b[sidHeaderSize+4*i:]))
	}
	return sb.String(), size, nil
}

// SIDBytes encodes a SID given in S-1-… form.
func SIDBytes(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || parts[1] != "1" {
		return nil, fmt.Errorf("%q is not a SID of the form S-1-5-…", s)
	}
	var auth uint64
	var err error
	if a := parts[2]; len(a) > 2 && strings.EqualFold(a[:2], "0x") {
		auth, err = strconv.ParseUint(a[2:], 16, 48)
	} else {
		auth, err = parseDecimal(a, 32)
	}
	if err != nil {
		return nil, fmt.Errorf("SID %q: bad identifier authority %q", s, parts[2])
	}
	subs := parts[3:]
	if len(subs) > maxSubAuthorities {
		return nil, fmt.Errorf("SID %q has %d sub-authorities, more than %d", s, len(subs), maxSubAuthorities)
	}
	b := make([]byte, sidHeaderSize, sidHeaderSize+4*len(subs))
	b[0], b[1] = 1, byte(len(subs))
	for i := 0; i < 6; i++ {
		b[2+i] = byte(auth >> (8 * (5 - i)))
	}
	for _, sub := range subs {
		v, err := parseDecimal(sub, 32)
		if err != nil {
			return nil, fmt.Errorf("SID %q: bad sub-authority %q", s, sub)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

// parseDecimal accepts only digits, unlike strconv, which takes a sign.
func parseDecimal(s string, bits int) (uint64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return strconv.ParseUint(s, 10, bits)
}

// IsSID reports whether s is a SID in S-1-… form.
func IsSID(s string) bool {
	_, err := SIDBytes(s)
	return err == nil
}
