package win_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestRegQueryOnRealSamples(t *testing.T) {
	k, ok := win.RegFirstKey(sample(t, "reg/query-key-values-vista-plus.wine.txt"))
	require.True(t, ok)
	assert.Equal(t, `HKEY_CURRENT_USER\Software\Wine\reg_test`, k.Path)
	assert.Equal(t, []win.RegValue{{"Test1", "REG_SZ", "Hello, World"}, {"Test2", "REG_DWORD", "0x123"}}, k.Values)

	keys := win.RegQuery(sample(t, "reg/query-key-values-and-subkey-vista-plus.wine.txt"))
	require.Len(t, keys, 2)
	assert.Len(t, keys[0].Values, 3)
	assert.Equal(t, `HKEY_CURRENT_USER\Software\Wine\reg_test\subkey`, keys[1].Path)
	assert.Empty(t, keys[1].Values, "a subkey listed after the values has none of them")

	keys = win.RegQuery(sample(t, "reg/query-s-recursive-vista-plus.wine.txt"))
	require.Len(t, keys, 2)
	v, ok := keys[1].Value("test4")
	require.True(t, ok, "value names compare case-insensitively")
	assert.Equal(t, "0xabc", v.Data)

	for _, f := range []string{"reg/query-subkeys-only-vista-plus.wine.txt", "reg/query-s-subkeys-only-vista-plus.wine.txt"} {
		keys = win.RegQuery(sample(t, f))
		require.Len(t, keys, 4, f)
		for _, k := range keys {
			assert.Empty(t, k.Values, f)
		}
	}

	k, ok = win.RegFirstKey(sample(t, "reg/query-v-single-value-vista-plus.wine.txt"))
	require.True(t, ok)
	v, ok = k.Value("Test1")
	require.True(t, ok)
	assert.Equal(t, "Hello, World", v.Data)

	k, ok = win.RegFirstKey(sample(t, "reg/query-v-currentbuild-win11-25H2-de-DE.cp850.txt"))
	require.True(t, ok)
	v, _ = k.Value("CurrentBuild")
	assert.Equal(t, "26200", v.Data)

	keys = win.RegQuery(sample(t, "reg/query-key-multi-sz-binary-subkeys-win11-de-DE.cp850.txt"))
	require.Len(t, keys, 3, "the key and its two subkeys")
	v, _ = keys[0].Value("PagingFiles")
	assert.Equal(t, win.RegValue{"PagingFiles", "REG_MULTI_SZ", `?:\pagefile.sys`}, v)
	v, _ = keys[0].Value("PagefileUsage")
	assert.Equal(t, "REG_BINARY", v.Type)
	assert.Greater(t, len(v.Data), 200)
	v, _ = keys[0].Value("FeatureSettings")
	assert.Equal(t, "0x0", v.Data, "the value after the long REG_BINARY line")

	// A German host names the default value (Standard); a search ends
	// with a translated count line, which is no value.
	keys = win.RegQuery(sample(t, "reg/query-f-default-value-standard-de-DE.cp850.txt"))
	require.Len(t, keys, 3)
	for _, k := range keys {
		require.Len(t, k.Values, 2, k.Path)
		assert.Equal(t, "(Standard)", k.Values[0].Name)
	}
}

func TestRegMissingKeyIsExitCodeOne(t *testing.T) {
	// stderr of reg query for a missing key on a German host: only the
	// exit code says what happened; the text has no key to read.
	out := sample(t, "reg/query-missing-key-de-DE.cp850.txt")
	assert.Contains(t, out, "Registrierungsschlüssel")
	assert.Empty(t, win.RegQuery(out))
	assert.True(t, win.RegNotFound(1))
	assert.False(t, win.RegNotFound(0))
}

// REG.EXE 3.0 (XP, Server 2003) separates the fields by tabs after a
// version header. The Microsoft docs page quoted in real-windows.md shows
// them expanded to tab stops; both forms are read.
func TestRegQueryVersion3Layouts(t *testing.T) {
	tabs := "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n" +
		"    CSDVersion\tREG_SZ\tService Pack 2\r\n    CurrentBuildNumber\tREG_SZ\t3790\r\n\r\n"
	k, ok := win.RegFirstKey(tabs)
	require.True(t, ok)
	assert.Equal(t, []win.RegValue{{"CSDVersion", "REG_SZ", "Service Pack 2"}, {"CurrentBuildNumber", "REG_SZ", "3790"}}, k.Values)

	expanded := "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\r\n" +
		"    DevicePath  REG_EXPAND_SZ   %SystemRoot%\\inf\r\n    ProgramFilesDir     REG_SZ  C:\\Program Files\r\n"
	k, ok = win.RegFirstKey(expanded)
	require.True(t, ok)
	assert.Equal(t, []win.RegValue{{"DevicePath", "REG_EXPAND_SZ", `%SystemRoot%\inf`}, {"ProgramFilesDir", "REG_SZ", `C:\Program Files`}}, k.Values)
}

func TestRegKeyOfFindsTheKeyAskedFor(t *testing.T) {
	out := sample(t, "reg/query-subkeys-only-vista-plus.wine.txt")
	k := win.RegKeyOf(out, `HKCU\Software\Wine\reg_test`)
	assert.Equal(t, `HKEY_CURRENT_USER\Software\Wine\reg_test`, k.Path)
	assert.Empty(t, k.Values, "a key with only subkeys prints no block of its own")
	k = win.RegKeyOf(sample(t, "reg/query-key-values-and-subkey-vista-plus.wine.txt"), `hkcu\software\wine\reg_test\`)
	assert.Len(t, k.Values, 3)
	assert.Equal(t, `HKEY_LOCAL_MACHINE`, win.RegFullPath("hklm"))
}
