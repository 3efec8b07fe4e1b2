package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/inventory"
)

// plainString is string; named string types (EventType, Status) are
// fixed vocabularies, not text.
var plainString = reflect.TypeOf("")

// fillStrings sets every string reachable from v (fields, slices,
// pointers, map keys and values) to s, so that a new field of Event cannot
// escape redaction unnoticed.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		if v.Type() == plainString {
			v.SetString(s)
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), s)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fillStrings(v.Index(i), s)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		fillStrings(k, s)
		fillStrings(e, s)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// collectStrings returns every string reachable from v.
func collectStrings(v reflect.Value) []string {
	var out []string
	switch v.Kind() {
	case reflect.String:
		if v.Type() == plainString {
			out = append(out, v.String())
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out = append(out, collectStrings(v.Elem())...)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				out = append(out, collectStrings(v.Field(i))...)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			out = append(out, collectStrings(v.Index(i))...)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			out = append(out, collectStrings(k)...)
			out = append(out, collectStrings(v.MapIndex(k))...)
		}
	}
	return out
}

func TestRedactorMasksEveryStringOfAnEvent(t *testing.T) {
	const secret = "Hunter2Secret"
	var ev Event
	fillStrings(reflect.ValueOf(&ev).Elem(), "before "+secret+" after")
	require.NotNil(t, ev.Diff)
	require.NotEmpty(t, ev.Phases)

	var got Event
	NewRedactor([]string{secret}).Sink(sinkFunc(func(e Event) { got = e })).Event(ev)
	strs := collectStrings(reflect.ValueOf(got))
	require.NotEmpty(t, strs)
	for _, s := range strs {
		assert.Equal(t, "before "+Mask+" after", s)
	}
	// The original event, which other sinks may still hold, is untouched.
	assert.Contains(t, ev.Diff.Before, secret)
	assert.Contains(t, ev.Phases[0].Name, secret)
}

type sinkFunc func(Event)

func (f sinkFunc) Event(ev Event) { f(ev) }

func TestRedactorMasksQuotedForms(t *testing.T) {
	r := NewRedactor([]string{`C:\pw"x`, "", "pw"})
	assert.Equal(t, "a "+Mask+" b", r.String(`a C:\pw"x b`))
	assert.Equal(t, `"`+Mask+`"`, r.String(`"C:\\pw\"x"`), "as %%q or HCL writes it")
	assert.Equal(t, "x"+Mask+"y", r.String("xpwy"))
	var nilRedactor *Redactor
	assert.Equal(t, "pw", nilRedactor.String("pw"))
}

// TestRedactorMasksASecretAClipCut: modules cut long output in error
// messages with "…"; the start of a secret the cut leaves is a secret too.
func TestRedactorMasksASecretAClipCut(t *testing.T) {
	r := NewRedactor([]string{"Hunter2Secret"})
	assert.Equal(t, "output: "+Mask+"…", r.String("output: Hunter2S…"))
	assert.Equal(t, "a "+Mask+" b "+Mask+"… c…", r.String("a Hunter2Secret b Hunt… c…"))
	assert.Equal(t, "H…", r.String("H…"), "one character says nothing")
	assert.Equal(t, "Secret…", r.String("Secret…"), "only a secret's start is its clip")
}

func TestRedactorMasksXMLAndURLForms(t *testing.T) {
	r := NewRedactor([]string{`a<b>&"c' d`})
	for _, form := range []string{
		`a&lt;b&gt;&amp;"c' d`,           // XML element text, as .NET writes it
		`a&lt;b&gt;&amp;&quot;c&apos; d`, // XML with every named entity
		`a&lt;b&gt;&amp;&#34;c&#39; d`,   // encoding/xml
		`a%3Cb%3E&%22c%27%20d`,           // a URL path
		`a%3Cb%3E%26%22c%27+d`,           // a URL query
	} {
		assert.Equal(t, "<s:Text>"+Mask+"</s:Text>", r.String("<s:Text>"+form+"</s:Text>"), form)
	}
}

func TestRedactorDiagnosticsMaskDetailAndSnippet(t *testing.T) {
	const secret = "Sup3r Secret with spaces"
	src := []byte("a = \"" + secret + "\"\nb = 1\n")
	file := &hcl.File{Bytes: src}
	rng := hcl.Range{Filename: "f.hcl", Start: hcl.Pos{Line: 1, Column: 5, Byte: 4}, End: hcl.Pos{Line: 1, Column: 31, Byte: 30}}
	diags := hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Bad " + secret,
		Detail:  strings.Repeat("word ", 18) + secret + strings.Repeat(" word", 18),
		Subject: &rng,
	}}
	var out bytes.Buffer
	require.NoError(t, NewRedactor([]string{secret}).WriteDiagnostics(&out, map[string]*hcl.File{"f.hcl": file}, diags, 100, false))
	assert.NotContains(t, out.String(), "Secret", out.String())
	assert.Contains(t, out.String(), `1: a = "`+Mask+`"`, "the source line, masked")
	assert.Contains(t, out.String(), "Error: Bad "+Mask)
	assert.Equal(t, string(src), string(file.Bytes), "the parsed file is left as it was")
}

// TestSensitiveValuesAreMarked: HCL's diagnostics leave marked values out,
// so even without the redactor the value is not shown beside an
// expression.
func TestSensitiveValuesAreMarked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
variable "pw" { sensitive = true }
variable "name" { default = "visible" }
play "p" {
  hosts = "node1"
  task "t" {
    when = var.pw > 1 || var.name > 1
    command { argv = ["hostname", var.pw] }
  }
}`), 0o600))
	plan, diags := Load(path, LoadOptions{Vars: []string{"pw=Hunter2Secret"}})
	require.False(t, diags.HasErrors(), diags.Error())
	diags = plan.Bind(testInventory(t), nil)
	require.True(t, diags.HasErrors())
	var out bytes.Buffer
	require.NoError(t, hcl.NewDiagnosticTextWriter(&out, plan.Files, 0, false).WriteDiagnostics(diags))
	assert.NotContains(t, out.String(), "Hunter2Secret")
	assert.Contains(t, plan.Secrets(), "Hunter2Secret")
}

func TestSecretsIncludeNumbersAndRejectedValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
variable "pin" {
  type      = number
  sensitive = true
}
variable "keys" {
  type      = map(string)
  sensitive = true
  default   = { alice = "k1-secret" }
}
variable "open" { default = "not secret" }
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname"] }
  }
}`), 0o600))
	plan, diags := Load(path, LoadOptions{Vars: []string{"pin=4711"}})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Subset(t, plan.Secrets(), []string{"4711", "alice", "k1-secret"})
	assert.NotContains(t, plan.Secrets(), "not secret")

	plan, diags = Load(path, LoadOptions{Vars: []string{"pin=not-a-number"}})
	require.True(t, diags.HasErrors())
	assert.NotContains(t, diags.Error(), "not-a-number")
	assert.Contains(t, diags.Error(), "it is sensitive, so it is not shown")
	assert.Contains(t, plan.Secrets(), "not-a-number")
}

func TestSecretsOfAPlanAndAnInventory(t *testing.T) {
	// Run masks the inventory's passwords and the plan's sensitive values
	// when no Options.Redactor is given.
	path := filepath.Join(t.TempDir(), "p.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
variable "pw" {
  sensitive = true
  default   = "Hunter2Secret"
}
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname"] }
  }
}`), 0o600))
	plan, diags := Load(path, LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Subset(t, Secrets(plan, testInventory(t)), []string{"Lab-Pass1", "Hunter2Secret"})
}

// TestVarFileSecretsAreValuesNotSyntax: the values of a var file are
// secrets, the syntax around them is not. A sensitive list written over
// lines once made every "[" of every output a secret.
func TestVarFileSecretsAreValuesNotSyntax(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "p.hcl")
	require.NoError(t, os.WriteFile(pb, []byte(`
variable "pins" {
  type      = list(string)
  sensitive = true
}
variable "keys" {
  type      = map(string)
  sensitive = true
}
variable "script" { sensitive = true }
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname"] }
  }
}`), 0o600))
	vars := filepath.Join(dir, "vars.hcl")
	require.NoError(t, os.WriteFile(vars, []byte(`pins = [
  "1234-5678",
]
keys = {
  alice = "k1-secret"
}
script = <<EOT
Hunter2Secret
EOT
`), 0o600))
	plan, diags := Load(pb, LoadOptions{VarFiles: []string{vars}})
	require.False(t, diags.HasErrors(), diags.Error())
	r := NewRedactor(plan.Secrets())
	for _, text := range []string{"[x] {y}", "<<EOT", "]", "}", "EOT"} {
		assert.Equal(t, text, r.String(text))
	}
	assert.Equal(t, "pin "+Mask+", key "+Mask+" of "+Mask+", "+Mask, r.String("pin 1234-5678, key k1-secret of alice, Hunter2Secret"))

	// A var file HCL cannot parse is shown without its lines: where a
	// value it could not read ends is unknown, so it cannot be masked.
	for _, src := range []string{"pins = [\n  \"Hunter2Secret\",\n", "script = \"Hunter2Secret\n", "keys = { alice = \"Hunter2Secret }\n"} {
		require.NoError(t, os.WriteFile(vars, []byte(src), 0o600))
		plan, diags := Load(pb, LoadOptions{VarFiles: []string{vars}})
		require.True(t, diags.HasErrors(), src)
		r := NewRedactor(plan.Secrets())
		var out bytes.Buffer
		require.NoError(t, r.WriteDiagnostics(&out, plan.Files, diags, 100, false))
		assert.NotContains(t, out.String(), "Hunter2Secret", out.String())
		assert.NotContains(t, out.String(), Mask, "nothing was taken for a secret")
		assert.Contains(t, out.String(), "the line is not shown", out.String())
		assert.Equal(t, "[x] {y}", r.String("[x] {y}"))
	}
}

// TestRedactorKeepsEveryHostOfARecap: two host names that differ only by
// a secret mask alike; each keeps its own stats.
func TestRedactorKeepsEveryHostOfARecap(t *testing.T) {
	r := NewRedactor([]string{"S3cret1", "S3cret2"})
	ev := r.Event(Event{Type: EventRecap, Hosts: []string{"node1", "web-S3cret1", "web-S3cret2"}, Recap: map[string]*Stats{
		"node1": {OK: 3}, "web-S3cret1": {OK: 1}, "web-S3cret2": {Failed: 1},
	}})
	second := "web-" + Mask + " (2)"
	assert.Equal(t, []string{"node1", "web-" + Mask, second}, ev.Hosts)
	assert.Equal(t, map[string]*Stats{"node1": {OK: 3}, "web-" + Mask: {OK: 1}, second: {Failed: 1}}, ev.Recap)

	var out bytes.Buffer
	Text(&out, TextOptions{}).Event(ev)
	assert.Contains(t, out.String(), "\nweb-"+Mask+strings.Repeat(" ", 26-12)+" : ok=1 changed=0 unreachable=0 failed=0")
	assert.Contains(t, out.String(), "\n"+second+strings.Repeat(" ", 26-16)+" : ok=0 changed=0 unreachable=0 failed=1")
	assert.NotContains(t, out.String(), "S3cret")
}

// TestRedactorMasksWhatInventoryDiagnosticsMark: a password refused in an
// inventory file is known as a secret only by where it is; its line is
// shown with the value masked, by a nil Redactor too.
func TestRedactorMasksWhatInventoryDiagnosticsMark(t *testing.T) {
	for _, r := range []*Redactor{nil, NewRedactor([]string{"other"})} {
		parser := hclparse.NewParser()
		_, diags := inventory.Load("../testdata/inventory/invalid/password_one_line.hcl", inventory.LoadOptions{Parser: parser})
		require.True(t, diags.HasErrors())
		var out bytes.Buffer
		require.NoError(t, r.WriteDiagnostics(&out, parser.Files(), diags, 100, false))
		assert.Contains(t, out.String(), `7: host "node1" { password = `+Mask+` }`, out.String())
		assert.NotContains(t, out.String(), "Sup3rSecret!")
		assert.False(t, strings.ContainsRune(out.String(), 0), "the mask's placeholder leaked")
	}
}

// TestRedactorMasksEverySpelling: the forms modules and functions write a
// secret in, as the issue found them shown: a REG_DWORD in hex, REG_BINARY
// upper-cased, upper() and lower(), and base64, plain and UTF-16LE as
// PowerShell's -EncodedCommand carries a script, at every alignment.
func TestRedactorMasksEverySpelling(t *testing.T) {
	r := NewRedactor([]string{"987654", "Hunter2Secret", "deadbeef01"})
	for _, shown := range []string{
		"0xf1206", "0xF1206", "0x000f1206", "F1206",
		"HUNTER2SECRET", "hunter2secret", "hUnTeR2sEcReT",
		"DEADBEEF01",
		hex.EncodeToString([]byte("Hunter2Secret")), "48 75 6e 74 65 72 32 53 65 63 72 65 74",
	} {
		assert.NotContains(t, r.String("value: "+shown+"."), shown, shown)
	}
	for _, prefix := range []string{"", "a", "ab", "abc"} {
		text := prefix + "pw=Hunter2Secret;rest"
		for _, enc := range []string{
			base64.StdEncoding.EncodeToString([]byte(text)),
			base64.StdEncoding.EncodeToString(utf16LE(text)),
		} {
			masked := r.String("powershell -EncodedCommand " + enc)
			assert.Contains(t, masked, Mask, "%q", text)
			core := base64Cores([]byte("Hunter2Secret"))
			for _, c := range core {
				assert.NotContains(t, masked, c)
			}
		}
	}
	assert.Equal(t, "a hex value 0x1234 stays", r.String("a hex value 0x1234 stays"))
}

// Secrets added during a run are masked from then on, by the same
// Redactor the CLI prints with.
func TestRedactorLearnsSecretsWhileARunGoesOn(t *testing.T) {
	r := NewRedactor(nil)
	assert.Equal(t, "x PW y", r.String("x PW y"))
	r.Add("pw", "pw")
	assert.Equal(t, "x "+Mask+" y", r.String("x PW y"))
}
