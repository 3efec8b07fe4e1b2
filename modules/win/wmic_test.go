package win_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestWMIValuesOnRealSamples(t *testing.T) {
	// A 2003 R2 capture copied from a console window: LF line ends and a
	// Name= line broken at column 80, which must not break the rest.
	all := win.WMIValues(sample(t, "wmic/os-get-format-list-2003R2-x64-SP2-en-US.console-copy.txt"))
	require.Len(t, all, 1)
	os := all[0]
	assert.Equal(t, `C:\WINDOWS`, os["WindowsDirectory"])
	assert.Equal(t, "5.2.3790", os["Version"])
	boot, err := win.ParseCIMDatetime(os["LastBootUpTime"])
	require.NoError(t, err)
	assert.Equal(t, 2017, boot.Year())

	// wmic /format:csv is not /value: no Name=Value pairs.
	assert.Empty(t, win.WMIValues(sample(t, "wmic/useraccount-where-name-get-name-sid-format-csv.inspec-comment.txt")))
}

func TestLastBootUpTime(t *testing.T) {
	boot, err := win.LastBootUpTime("\r\r\n\r\r\nLastBootUpTime=20171019094424.510250+000\r\r\n\r\r\n\r\r\n")
	require.NoError(t, err)
	assert.Equal(t, "20171019094424.510250+000", boot)
	_, err = win.LastBootUpTime("LastBootUpTime=yesterday\r\r\n")
	require.Error(t, err)

	at, err := win.ParseCIMDatetime("20261125014212.500000+060")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 25, 0, 42, 12, 500000000, time.UTC), at)
	assert.Equal(t, "20261125004212.500000+000", win.CIMDatetime(at))
}
