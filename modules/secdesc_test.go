package modules_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules"
)

// secdescSample is a DefaultAccessPermission as Windows writes it:
// Administrators owner and group, a DACL allowing 7 to Administrators,
// SELF and SYSTEM.
const secdescSample = "01000480" + "5c000000" + "6c000000" + "00000000" + "14000000" +
	"02004800" + "03000000" +
	"00001800" + "07000000" + "010200000000000520000000" + "20020000" +
	"00001400" + "07000000" + "0101000000000005" + "0a000000" +
	"00001400" + "07000000" + "0101000000000005" + "12000000" +
	"010200000000000520000000" + "20020000" +
	"010200000000000520000000" + "20020000"

func secdescBytes(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	require.NoError(t, err)
	return b
}

func TestSecurityDescriptorDecodesWindowsSample(t *testing.T) {
	raw := secdescBytes(t, secdescSample)
	sd, err := modules.ParseSecurityDescriptor(raw)
	require.NoError(t, err)
	assert.Equal(t, "S-1-5-32-544", sd.Owner)
	assert.Equal(t, "S-1-5-32-544", sd.Group)
	assert.True(t, sd.HasDACL)
	assert.Equal(t, []modules.ACE{
		{Type: modules.ACEAllow, Mask: 7, SID: "S-1-5-32-544"},
		{Type: modules.ACEAllow, Mask: 7, SID: "S-1-5-10"},
		{Type: modules.ACEAllow, Mask: 7, SID: "S-1-5-18"},
	}, sd.DACL)

	out, err := sd.Bytes()
	require.NoError(t, err)
	assert.Equal(t, raw, out, "an unedited descriptor is written back byte for byte")
}

func TestSecurityDescriptorEditRoundTrips(t *testing.T) {
	sd, err := modules.ParseSecurityDescriptor(secdescBytes(t, secdescSample))
	require.NoError(t, err)
	sd.DACL = append([]modules.ACE{{Type: modules.ACEDeny, Mask: 1, SID: "S-1-5-21-1004336348-1177238915-682003330-1105"}}, sd.DACL...)
	b, err := sd.Bytes()
	require.NoError(t, err)
	again, err := modules.ParseSecurityDescriptor(b)
	require.NoError(t, err)
	assert.Equal(t, sd.DACL, again.DACL)
	assert.Equal(t, sd.Owner, again.Owner)
}

func TestSIDForms(t *testing.T) {
	for _, s := range []string{"S-1-1-0", "S-1-5-32-544", "S-1-5-21-1004336348-1177238915-682003330-1105", "S-1-5", "S-1-0x00FFFFFFFF00-1"} {
		b, err := modules.SIDBytes(s)
		require.NoError(t, err, s)
		back, n, err := modules.ParseSID(b)
		require.NoError(t, err, s)
		assert.Equal(t, len(b), n)
		assert.Equal(t, s, back)
	}
	for _, s := range []string{"", "S-1", "S-2-5", "S-1-5-x", "S-1--5", "S-1-5-+3", "S-1-5-4294967296", "X-1-5-32",
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		_, err := modules.SIDBytes(s)
		assert.Error(t, err, s)
	}
}

func TestSecurityDescriptorRejectsBadInput(t *testing.T) {
	good := secdescBytes(t, secdescSample)
	for name, mutate := range map[string]func([]byte) []byte{
		"short":            func(b []byte) []byte { return b[:10] },
		"revision":         func(b []byte) []byte { b[0] = 2; return b },
		"absolute":         func(b []byte) []byte { b[3] = 0; return b },
		"owner outside":    func(b []byte) []byte { b[4] = 0xff; return b },
		"dacl outside":     func(b []byte) []byte { b[16] = 0xf0; return b },
		"acl size":         func(b []byte) []byte { b[22] = 0xff; return b },
		"ace count":        func(b []byte) []byte { b[24] = 9; return b },
		"ace type":         func(b []byte) []byte { b[28] = 5; return b },
		"ace size":         func(b []byte) []byte { b[30] = 0x30; return b },
		"sid subauthority": func(b []byte) []byte { b[37] = 0x20; return b },
	} {
		b := mutate(append([]byte(nil), good...))
		_, err := modules.ParseSecurityDescriptor(b)
		assert.Error(t, err, name)
	}
	_, err := modules.ParseSecurityDescriptor(nil)
	assert.ErrorContains(t, err, "shorter than its")
}

// FuzzParseSecurityDescriptor: no input panics, and whatever decodes
// encodes to a fixed point that decodes to the same descriptor.
func FuzzParseSecurityDescriptor(f *testing.F) {
	sample, _ := hex.DecodeString(secdescSample)
	f.Add(sample)
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Add([]byte(strings.Repeat("\x01\x00\x14\x80", 12)))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := modules.ParseSecurityDescriptor(b)
		if err != nil {
			return
		}
		out, err := sd.Bytes()
		if err != nil {
			t.Fatalf("decoded descriptor does not encode: %v", err)
		}
		again, err := modules.ParseSecurityDescriptor(out)
		if err != nil {
			t.Fatalf("encoded descriptor does not decode: %v", err)
		}
		if again.Owner != sd.Owner || again.Group != sd.Group || again.HasDACL != sd.HasDACL || len(again.DACL) != len(sd.DACL) {
			t.Fatalf("round trip changed the descriptor: %+v → %+v", sd, again)
		}
		for i := range sd.DACL {
			if sd.DACL[i] != again.DACL[i] {
				t.Fatalf("ACE %d changed: %+v → %+v", i, sd.DACL[i], again.DACL[i])
			}
		}
		out2, err := again.Bytes()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("encoding is not a fixed point: %x → %x (%v)", out, out2, err)
		}
	})
}
