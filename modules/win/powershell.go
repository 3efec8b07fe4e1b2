package win

import (
	"embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The fixed PowerShell scripts modules send where a legacy tool is gone
// (wmic on Server 2025, cluster.exe on 2016 and later). Each one takes its
// data as variables set before it (see Script.Line), never spliced into
// its text, prints one line of JSON and catches the failures it expects.
//
//go:embed ps/*.ps1
var scriptFiles embed.FS

// Script is one fixed PowerShell script.
type Script struct {
	Name string
	Body string
}

// LoadScript returns the script ps/NAME.ps1. The scripts are part of the
// build, so a missing one is a bug.
func LoadScript(name string) Script {
	b, err := scriptFiles.ReadFile("ps/" + name + ".ps1")
	if err != nil {
		panic("win: no PowerShell script " + name)
	}
	return Script{Name: name, Body: strings.ReplaceAll(string(b), "\r\n", "\n")}
}

// ScriptNames lists the scripts, for the test that holds the lab to them.
func ScriptNames() []string {
	entries, _ := scriptFiles.ReadDir("ps")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".ps1"))
	}
	return names
}

// Arg is one input of a script: a variable the prologue sets.
type Arg struct{ Name, Value string }

var argName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// ScriptPrologue is what every script runs first: errors stop it, progress
// records (which PowerShell would serialise to stderr as CLIXML) are not
// written, and each argument is set from base64 of its UTF-8 bytes, an
// alphabet that cannot end a PowerShell string.
func ScriptPrologue(args ...Arg) (string, error) {
	var b strings.Builder
	b.WriteString("$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n")
	for _, a := range args {
		if !argName.MatchString(a.Name) {
			return "", fmt.Errorf("PowerShell argument name %q is not a variable name", a.Name)
		}
		fmt.Fprintf(&b, "$%s = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('%s'))\n",
			a.Name, base64.StdEncoding.EncodeToString([]byte(a.Value)))
	}
	return b.String(), nil
}

// Text is the whole script as powershell.exe runs it: the prologue and the
// body.
func (s Script) Text(args ...Arg) (string, error) {
	pro, err := ScriptPrologue(args...)
	if err != nil {
		return "", err
	}
	return pro + s.Body, nil
}

// PowerShellProgram is how the scripts are started: no profile, no
// prompts, whatever the execution policy says about script files (an
// encoded command is not a file, but a profile could be).
const PowerShellProgram = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

// Line is the cmd.exe command line that runs the script with args.
func (s Script) Line(args ...Arg) (string, error) {
	text, err := s.Text(args...)
	if err != nil {
		return "", err
	}
	return PowerShellProgram + EncodeCommand(text), nil
}

// EncodeCommand is text as -EncodedCommand takes it: base64 of UTF-16LE.
func EncodeCommand(text string) string {
	units := utf16.Encode([]rune(text))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeCommand reverses EncodeCommand.
func DecodeCommand(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", err
	}
	if len(raw)%2 != 0 {
		return "", fmt.Errorf("an encoded command has an even number of bytes")
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// ScriptResult reads a script's JSON line into v.
func ScriptResult(stdout string, v any) error {
	text := strings.TrimSpace(stdout)
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = strings.TrimSpace(text[i+1:]) // only the last line is the result
	}
	if text == "" {
		return fmt.Errorf("the script printed no result")
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("the script's result %q is not its JSON: %w", Clip(text), err)
	}
	return nil
}

// clixmlEscape is how PowerShell's serializer writes characters XML cannot
// hold (_x000D__x000A_ for CR LF; a literal _x as _x005F_x).
var clixmlEscape = regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`)

// CLIXML turns PowerShell's stderr into readable text. Over WinRM,
// powershell.exe writes its error stream as `#< CLIXML` and serialised
// objects: progress records, and the error text as <S S="Error"> strings,
// one per console line. Only the error strings are kept. Text that is not
// CLIXML is returned as it is.
func CLIXML(stderr string) string {
	i := strings.Index(stderr, "#< CLIXML")
	if i < 0 {
		return stderr
	}
	d := xml.NewDecoder(strings.NewReader(stderr[i+len("#< CLIXML"):]))
	var b strings.Builder
	inError := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			break // keep what was read before the stream broke
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inError = t.Name.Local == "S" && attr(t, "S") == "Error"
		case xml.EndElement:
			inError = false
		case xml.CharData:
			if inError {
				b.WriteString(clixmlEscape.ReplaceAllStringFunc(string(t), func(m string) string {
					n, _ := strconv.ParseUint(m[2:6], 16, 16)
					return string(rune(n))
				}))
			}
		}
	}
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "\r\n", "\n"))
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

var errorID = regexp.MustCompile(`FullyQualifiedErrorId\s*:\s*([^\s,]+)`)

// PSErrorID is the FullyQualifiedErrorId of a PowerShell error record
// (CommandNotFoundException, UnauthorizedAccess): the record's label and
// its value are not translated, where its message and category are.
func PSErrorID(text string) string {
	if m := errorID.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}
