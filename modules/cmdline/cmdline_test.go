package cmdline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ClusSvc", "ClusSvc"},
		{`CORP\IUSR_CLUSTER`, `CORP\IUSR_CLUSTER`},
		{"", `""`},
		{"Web Group", `"Web Group"`},
		{"a&b", `"a&b"`},
		{"a|b", `"a|b"`},
		{"x>y", `"x>y"`},
		{"a^b", `"a^b"`},
		{"(x)", `"(x)"`},
		{`C:\Program Files\`, `"C:\Program Files\\"`},
		{`C:\a b\\`, `"C:\a b\\\\"`},
		{"start=", `"start="`},
	} {
		got, err := Quote(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestCheckRejectsWhatCannotBeQuoted(t *testing.T) {
	for _, in := range []string{`a"b`, "%PATH%", "50%", "a\nb", "a\rb", "a\x00b", "\x1b[31m", "a\xffb", "\xc3", "\uffff", "\ufffe"} {
		err := Check(in)
		require.Error(t, err, "%q", in)
		assert.ErrorIs(t, err, ErrUnsafe)
		_, err = Quote(in)
		assert.ErrorIs(t, err, ErrUnsafe)
	}
	// The replacement character itself is text like any other.
	assert.NoError(t, Check("a\ufffdb"))
}

func TestBuilder(t *testing.T) {
	line, err := New("sc.exe").Arg("config", "ClusSvc").Raw("start=").Arg("demand").Line()
	require.NoError(t, err)
	assert.Equal(t, "sc.exe config ClusSvc start= demand", line)

	line, err = New(`D:\NTOPTPAK\EN\X86\SETUP.EXE`).Flag("/u:", `C:\WINNT\Temp\unattend file.txt`).Line()
	require.NoError(t, err)
	assert.Equal(t, `D:\NTOPTPAK\EN\X86\SETUP.EXE /u:"C:\WINNT\Temp\unattend file.txt"`, line)

	// A line that starts with a quote gets one more pair for cmd.exe /c
	// to strip.
	line, err = New(`C:\Program Files\x\tool.exe`).Arg("a b").Line()
	require.NoError(t, err)
	assert.Equal(t, `""C:\Program Files\x\tool.exe" "a b""`, line)

	line, err = NewRaw("echo").Raw("QUJD").AppendTo(`C:\WINNT\Temp\f.b64`).Line()
	require.NoError(t, err)
	assert.Equal(t, `echo QUJD>>"C:\WINNT\Temp\f.b64"`, line)

	line, err = New("wmic").Arg("os", "get", "lastbootuptime", "/value").InputFromNul().Line()
	require.NoError(t, err)
	assert.Equal(t, `wmic os get lastbootuptime /value < nul`, line)

	_, err = New("net.exe").Arg("localgroup", `Guests"&del x`).Line()
	assert.ErrorIs(t, err, ErrUnsafe)
	assert.Contains(t, err.Error(), `Guests\"&del x`)

	_, err = NewRaw("echo x").WriteTo("%TEMP%\\x").Line()
	assert.ErrorIs(t, err, ErrUnsafe)

	_, err = New("echo").Arg(strings.Repeat("a", MaxLine)).Line()
	assert.ErrorContains(t, err, "8191")
}

func TestDataIsNeverASwitch(t *testing.T) {
	for _, v := range []string{"/add", "-remove", "/", "-"} {
		assert.ErrorIs(t, CheckData(v), ErrUnsafe, v)
		_, err := New("net").Arg("localgroup").Data(v).Line()
		assert.ErrorIs(t, err, ErrUnsafe, v)
	}
	line, err := New("net").Arg("localgroup").Data("Web Admins", `a/b`, "x-y").Arg("/add").Line()
	assert.NoError(t, err)
	assert.Equal(t, `net localgroup "Web Admins" a/b x-y /add`, line)
}
