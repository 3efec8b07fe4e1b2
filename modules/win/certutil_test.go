package win_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

// The two forms real-windows.md records (Win10: lower-case hex; Win7:
// upper case, bytes apart); their captures are not in the corpus yet.
func TestHashfileForms(t *testing.T) {
	const want = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	h, err := win.Hashfile("SHA256 hash of C:\\a.txt:\r\n" + want + "\r\nCertUtil: -hashfile command completed successfully.\r\n")
	require.NoError(t, err)
	assert.Equal(t, want, h)
	spaced := "SHA256 hash of file C:\\a.txt:\r\n9F 86 D0 81 88 4C 7D 65 9A 2F EA A0 C5 5A D0 15 A3 BF 4F 1B 2B 0B 82 2C D1 5D 6C 15 B0 F0 0A 08\r\nCertUtil: -hashfile command completed successfully.\r\n"
	h, err = win.Hashfile(spaced)
	require.NoError(t, err)
	assert.Equal(t, want, h)
	_, err = win.Hashfile("CertUtil: -hashfile command FAILED: 0x80070002")
	assert.Error(t, err)

	assert.True(t, win.HashfileMissing(int(int32(-2147024894))), "0x80070002 reported signed")
	assert.True(t, win.HashfileMissing(0x80070003))
	assert.False(t, win.HashfileMissing(0x80070005))
	assert.Contains(t, win.HRESULT(0x80070005), "Access is denied")
}
