package win

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Security descriptor constants (winnt.h).
const (
	seDACLPresent      = 0x0004
	seSelfRelative     = 0x8000
	aceAccessAllowed   = 0
	aceAccessDenied    = 1
	aclRevision        = 2
	comRightsExecute   = 1
	sdHeaderLen        = 20
	aclHeaderLen       = 8
	aceHeaderAndMask   = 8
	maxSubAuthorities  = 15
	sidFixedHeaderSize = 8
)

// ace is one access control entry of a DACL.
type ace struct {
	typ   byte // aceAccessAllowed or aceAccessDenied
	flags byte
	mask  uint32
	sid   string
}

// securityDescriptor is the part of a self-relative security descriptor
// DCOM uses: owner, group and a DACL (no SACL).
type securityDescriptor struct {
	owner, group string
	dacl         []ace
}

// sidBytes encodes a SID string in its binary form.
func sidBytes(s string) ([]byte, error) {
	if !validSID(s) {
		return nil, fmt.Errorf("invalid SID %q", s)
	}
	parts := strings.Split(s, "-")[2:]
	auth, err := strconv.ParseUint(parts[0], 10, 48)
	if err != nil {
		return nil, fmt.Errorf("invalid identifier authority in SID %q", s)
	}
	subs := parts[1:]
	if len(subs) > maxSubAuthorities {
		return nil, fmt.Errorf("SID %q has more than %d sub-authorities", s, maxSubAuthorities)
	}
	b := make([]byte, sidFixedHeaderSize, sidFixedHeaderSize+4*len(subs))
	b[0] = 1
	b[1] = byte(len(subs))
	for i := 0; i < 6; i++ {
		b[2+i] = byte(auth >> (8 * (5 - i)))
	}
	for _, sub := range subs {
		v, err := strconv.ParseUint(sub, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid sub-authority %q in SID %q", sub, s)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

// parseSID decodes a binary SID at the start of b and returns it with its
// length.
func parseSID(b []byte) (string, int, error) {
	if len(b) < sidFixedHeaderSize {
		return "", 0, errors.New("SID truncated")
	}
	if b[0] != 1 {
		return "", 0, fmt.Errorf("SID revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > maxSubAuthorities {
		return "", 0, fmt.Errorf("SID has %d sub-authorities, more than %d", n, maxSubAuthorities)
	}
	size := sidFixedHeaderSize + 4*n
	if len(b) < size {
		return "", 0, errors.New("SID truncated")
	}
	var auth uint64
	for i := 0; i < 6; i++ {
		auth = auth<<8 | uint64(b[2+i])
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "S-1-%d", auth)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "-%d", binary.LittleEndian.Uint32(b[sidFixedHeaderSize+4*i:]))
	}
	return sb.String(), size, nil
}

// bytes encodes the descriptor in self-relative form: header, DACL, owner,
// group, the layout Windows writes for DefaultAccessPermission.
func (sd securityDescriptor) bytes() ([]byte, error) {
	var acl []byte
	for _, a := range sd.dacl {
		sid, err := sidBytes(a.sid)
		if err != nil {
			return nil, err
		}
		e := []byte{a.typ, a.flags, 0, 0}
		binary.LittleEndian.PutUint16(e[2:], uint16(aceHeaderAndMask+len(sid)))
		e = binary.LittleEndian.AppendUint32(e, a.mask)
		acl = append(acl, append(e, sid...)...)
	}
	aclHdr := make([]byte, aclHeaderLen)
	aclHdr[0] = aclRevision
	binary.LittleEndian.PutUint16(aclHdr[2:], uint16(aclHeaderLen+len(acl)))
	binary.LittleEndian.PutUint16(aclHdr[4:], uint16(len(sd.dacl)))
	acl = append(aclHdr, acl...)

	owner, err := sidBytes(sd.owner)
	if err != nil {
		return nil, err
	}
	group, err := sidBytes(sd.group)
	if err != nil {
		return nil, err
	}
	b := make([]byte, sdHeaderLen)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], seSelfRelative|seDACLPresent)
	binary.LittleEndian.PutUint32(b[4:], uint32(sdHeaderLen+len(acl)))
	binary.LittleEndian.PutUint32(b[8:], uint32(sdHeaderLen+len(acl)+len(owner)))
	binary.LittleEndian.PutUint32(b[16:], sdHeaderLen)
	b = append(b, acl...)
	b = append(b, owner...)
	return append(b, group...), nil
}

// parseSD decodes a self-relative security descriptor. It checks every
// offset, so any bytes written with reg add can be read back safely.
func parseSD(b []byte) (securityDescriptor, error) {
	var sd securityDescriptor
	if len(b) < sdHeaderLen {
		return sd, errors.New("security descriptor shorter than its header")
	}
	if b[0] != 1 {
		return sd, fmt.Errorf("security descriptor revision %d, want 1", b[0])
	}
	control := binary.LittleEndian.Uint16(b[2:])
	if control&seSelfRelative == 0 {
		return sd, errors.New("security descriptor is not self-relative")
	}
	sidAt := func(off uint32, what string) (string, error) {
		if off == 0 {
			return "", nil
		}
		if uint64(off) >= uint64(len(b)) {
			return "", fmt.Errorf("%s offset %d outside the descriptor", what, off)
		}
		s, _, err := parseSID(b[off:])
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return s, nil
	}
	var err error
	if sd.owner, err = sidAt(binary.LittleEndian.Uint32(b[4:]), "owner"); err != nil {
		return sd, err
	}
	if sd.group, err = sidAt(binary.LittleEndian.Uint32(b[8:]), "group"); err != nil {
		return sd, err
	}
	daclOff := binary.LittleEndian.Uint32(b[16:])
	if control&seDACLPresent == 0 || daclOff == 0 {
		return sd, nil
	}
	if uint64(daclOff)+aclHeaderLen > uint64(len(b)) {
		return sd, fmt.Errorf("DACL offset %d outside the descriptor", daclOff)
	}
	acl := b[daclOff:]
	size := int(binary.LittleEndian.Uint16(acl[2:]))
	count := int(binary.LittleEndian.Uint16(acl[4:]))
	if size < aclHeaderLen || size > len(acl) {
		return sd, fmt.Errorf("DACL size %d does not fit the descriptor", size)
	}
	acl = acl[:size]
	pos := aclHeaderLen
	for i := 0; i < count; i++ {
		if pos+aceHeaderAndMask > len(acl) {
			return sd, fmt.Errorf("ACE %d truncated", i)
		}
		aceSize := int(binary.LittleEndian.Uint16(acl[pos+2:]))
		if aceSize < aceHeaderAndMask || pos+aceSize > len(acl) {
			return sd, fmt.Errorf("ACE %d size %d does not fit the DACL", i, aceSize)
		}
		typ := acl[pos]
		if typ != aceAccessAllowed && typ != aceAccessDenied {
			return sd, fmt.Errorf("ACE %d has type %d; only allowed (0) and denied (1) are supported", i, typ)
		}
		sid, _, err := parseSID(acl[pos+aceHeaderAndMask : pos+aceSize])
		if err != nil {
			return sd, fmt.Errorf("ACE %d: %w", i, err)
		}
		sd.dacl = append(sd.dacl, ace{typ: typ, flags: acl[pos+1], mask: binary.LittleEndian.Uint32(acl[pos+4:]), sid: sid})
		pos += aceSize
	}
	return sd, nil
}

// dcomDefault is the DCOM default descriptor granting COM_RIGHTS_EXECUTE to
// sids, owned by Administrators with group SYSTEM.
func dcomDefault(sids ...string) ([]byte, error) {
	sd := securityDescriptor{owner: sidAdministrators, group: sidSystem}
	for _, s := range sids {
		sd.dacl = append(sd.dacl, ace{typ: aceAccessAllowed, mask: comRightsExecute, sid: s})
	}
	return sd.bytes()
}
