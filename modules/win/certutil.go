package win

import (
	"fmt"
	"regexp"
	"strings"
)

// hashDigits are the 32 bytes of a SHA-256 in hex: together (Windows 8
// and later, lower case) or a space apart (Windows 7), on a line of their
// own or, in text that lost its line ends, between blanks.
var hashDigits = regexp.MustCompile(`(?:^|\s)((?:[0-9a-fA-F]{2}[ \t]?){31}[0-9a-fA-F]{2}|(?:[0-9a-fA-F]{2}\s){31}[0-9a-fA-F]{2})(?:\s|$)`)

// Hashfile reads the SHA-256 from `certutil -hashfile FILE SHA256`. The
// lines around the digits are translated and not read.
func Hashfile(out string) (string, error) {
	m := hashDigits.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no SHA-256 in certutil -hashfile output %q", Clip(out))
	}
	return strings.ToLower(strings.Join(strings.Fields(m[1]), "")), nil
}

// certutil's exit code is an HRESULT; these say the file is not there.
const (
	hrFileNotFound = 0x80070002
	hrPathNotFound = 0x80070003
)

// HashfileMissing reports whether certutil's exit code says the file or
// its directory does not exist. WinRM may report the HRESULT signed or
// unsigned; both compare equal as 32 bits.
func HashfileMissing(exitCode int) bool {
	hr := uint32(exitCode)
	return hr == hrFileNotFound || hr == hrPathNotFound
}

// HRESULT explains certutil's exit code.
func HRESULT(exitCode int) string {
	hr := uint32(exitCode)
	if hr&0xFFFF0000 == 0x80070000 {
		return fmt.Sprintf("HRESULT 0x%08x: %s", hr, Win32Message(int(hr&0xFFFF)))
	}
	return fmt.Sprintf("HRESULT 0x%08x", hr)
}
