package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/internal/input"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// Mask replaces a secret in every output.
const Mask = "********"

// Redactor hides secrets (passwords, sensitive variables) in everything
// winplay prints or records: events, diagnostics with their source
// snippets, and error messages. It is the one place output is redacted; a
// nil or empty Redactor passes everything through. Secrets may be added
// while a run goes on (values computed from sensitive ones), so it is
// safe for concurrent use.
type Redactor struct {
	mu   sync.RWMutex
	seen map[string]bool
	// forms are every way a secret may be written (see secretForms),
	// longest first so that a secret holding another is hidden whole;
	// match finds any of them in any letter case.
	forms []string
	match *regexp.Regexp
}

// NewRedactor returns a Redactor for these secrets; empty ones are ignored.
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add masks these secrets too from now on.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	known := map[string]bool{}
	for _, f := range r.forms {
		known[strings.ToLower(f)] = true
	}
	added := false
	for _, s := range secrets {
		if s == "" || r.seen[s] {
			continue
		}
		r.seen[s] = true
		for _, f := range secretForms(s) {
			if f != "" && !known[strings.ToLower(f)] {
				known[strings.ToLower(f)] = true
				r.forms = append(r.forms, f)
				added = true
			}
		}
	}
	if !added {
		return
	}
	sort.SliceStable(r.forms, func(i, j int) bool { return len(r.forms[i]) > len(r.forms[j]) })
	quoted := make([]string, len(r.forms))
	for i, f := range r.forms {
		quoted[i] = regexp.QuoteMeta(f)
	}
	r.match = regexp.MustCompile("(?i)" + strings.Join(quoted, "|"))
}

// secretForms are the texts a secret may appear as: an error message may
// have quoted it with %q, a JSON message escaped it, a source file holds
// it as an HCL string literal, a WinRM fault or a command's XML output
// escaped it as XML (with named entities, as .NET writes text, or numeric
// ones, as Go does), and a URL in an error escaped it for a path or a
// query. Modules and functions write it in other spellings: a number in
// hex (reg query shows REG_DWORD 987654 as 0xf1206), bytes as hex
// (REG_BINARY, certutil), base64 and PowerShell's UTF-16LE base64 (within
// longer text, so each of the three alignments); letter case is ignored
// when matching, which covers upper(), lower() and REG_BINARY's capitals.
func secretForms(s string) []string {
	if s == "" {
		return nil
	}
	forms := []string{s, strings.Trim(strconv.Quote(s), `"`)}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, strings.Trim(string(b), `"`))
	}
	lit := string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
	forms = append(forms, strings.TrimSuffix(strings.TrimPrefix(lit, `"`), `"`))
	var xmlText strings.Builder
	_ = xml.EscapeText(&xmlText, []byte(s))
	forms = append(forms, xmlTextEscaper.Replace(s), xmlEscaper.Replace(s), xmlText.String())
	forms = append(forms, url.PathEscape(s), url.QueryEscape(s))
	forms = append(forms, numberForms(s)...)
	for _, b := range [][]byte{[]byte(s), utf16LE(s)} {
		forms = append(forms, hexForms(b)...)
		forms = append(forms, base64Cores(b)...)
	}
	return forms
}

// numberForms: a whole number in hex (0xf1206 and f1206 for 987654), and
// a hex number in decimal.
func numberForms(s string) []string {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		forms := []string{fmt.Sprintf("0x%x", n), fmt.Sprintf("0x%08x", n)}
		if h := fmt.Sprintf("%x", n); len(h) >= 4 {
			forms = append(forms, h)
		}
		return forms
	}
	if n, err := strconv.ParseUint(t, 0, 64); err == nil {
		return []string{strconv.FormatUint(n, 10)}
	}
	return nil
}

// hexForms are bytes in hex, run together and separated by blanks.
func hexForms(b []byte) []string {
	if len(b) < 3 {
		return nil
	}
	h := hex.EncodeToString(b)
	spaced := make([]string, len(b))
	for i := range b {
		spaced[i] = h[2*i : 2*i+2]
	}
	return []string{h, strings.Join(spaced, " ")}
}

// base64Cores are the base64 characters that depend only on b's bytes,
// wherever b starts in a longer text (three alignments), in the standard
// and the URL alphabet.
func base64Cores(b []byte) []string {
	var out []string
	for k := 0; k < 3; k++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), b...))
		start, end := (8*k+5)/6, (8*k+8*len(b))/6
		if end-start < 6 {
			continue
		}
		core := enc[start:end]
		out = append(out, core, strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

// utf16LE is s as PowerShell's -EncodedCommand carries it.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return b
}

// xmlTextEscaper escapes text as XML writers do in element content;
// xmlEscaper as they do in attribute values, with named entities.
var (
	xmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	xmlEscaper     = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
)

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.match == nil {
		return s
	}
	return r.maskClipped(r.match.ReplaceAllLiteralString(s, Mask))
}

// empty reports whether r masks nothing.
func (r *Redactor) empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.match == nil
}

// clipMark ends output that modules cut short in error messages.
const clipMark = "…"

// maskClipped masks the start of a secret that a clip cut off: the text
// just before each clipMark that is the first two or more characters of
// a secret.
func (r *Redactor) maskClipped(s string) string {
	if !strings.Contains(s, clipMark) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, clipMark)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		head := s[:i]
		for _, f := range r.forms {
			if k := clippedPrefix(head, f); k > 0 {
				head = head[:len(head)-k] + Mask
				break
			}
		}
		b.WriteString(head + clipMark)
		s = s[i+len(clipMark):]
	}
}

// clippedPrefix is the length of the longest prefix of secret, two bytes
// or more, that head ends with in any letter case; 0 if none.
func clippedPrefix(head, secret string) int {
	for k := len(secret) - 1; k >= 2; k-- {
		if len(head) >= k && strings.EqualFold(head[len(head)-k:], secret[:k]) {
			return k
		}
	}
	return 0
}

// Event returns ev with every secret masked in every text it holds.
func (r *Redactor) Event(ev Event) Event {
	if r.empty() {
		return ev
	}
	for _, s := range []*string{&ev.Play, &ev.Task, &ev.Module, &ev.Host, &ev.Delegate, &ev.Msg,
		&ev.Error, &ev.Stdout, &ev.Stderr, &ev.Line, &ev.Phase} {
		*s = r.String(*s)
	}
	if ev.Inputs != nil {
		ev.Inputs = r.inputs(ev.Inputs)
	}
	if ev.Recap != nil {
		ev.Hosts, ev.Recap = r.recap(ev.Hosts, ev.Recap)
	} else if ev.Hosts != nil {
		hosts := make([]string, len(ev.Hosts))
		for i, h := range ev.Hosts {
			hosts[i] = r.String(h)
		}
		ev.Hosts = hosts
	}
	if ev.Diff != nil {
		ev.Diff = &modules.Diff{Before: r.String(ev.Diff.Before), After: r.String(ev.Diff.After)}
	}
	if ev.Phases != nil {
		phases := make([]modules.Phase, len(ev.Phases))
		for i, p := range ev.Phases {
			phases[i] = modules.Phase{Name: r.String(p.Name), Elapsed: p.Elapsed}
		}
		ev.Phases = phases
	}
	if ev.Facts != nil {
		facts := make(map[string]any, len(ev.Facts))
		for k, v := range ev.Facts {
			if s, ok := v.(string); ok {
				v = r.String(s)
			}
			facts[r.String(k)] = v
		}
		ev.Facts = facts
	}
	return ev
}

// inputs masks every text of a run's inputs, in a copy.
func (r *Redactor) inputs(in *Inputs) *Inputs {
	out := *in
	for _, s := range []*string{&out.Playbook, &out.Inventory, &out.Limit, &out.StartAt, &out.Winplay, &out.User} {
		*s = r.String(*s)
	}
	out.Tags, out.SkipTags = r.strings(in.Tags), r.strings(in.SkipTags)
	if in.Vars != nil {
		out.Vars = map[string]string{}
		for k, v := range in.Vars {
			out.Vars[r.String(k)] = r.String(v)
		}
	}
	return &out
}

func (r *Redactor) strings(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = r.String(s)
	}
	return out
}

// recap masks the host names of a recap. Two names that differ only by a
// secret would mask alike, and one host's stats would be lost under the
// other's key, so the second gets a number: "web-******** (2)", which
// tells nothing of the secret ('*' is in no valid host name, so no real
// name is taken).
func (r *Redactor) recap(hosts []string, stats map[string]*Stats) ([]string, map[string]*Stats) {
	shown, used := map[string]string{}, map[string]bool{}
	show := func(h string) string {
		if name, ok := shown[h]; ok {
			return name
		}
		name := r.String(h)
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s (%d)", r.String(h), n)
		}
		shown[h], used[name] = name, true
		return name
	}
	var names []string
	if hosts != nil {
		names = make([]string, len(hosts))
		for i, h := range hosts {
			names[i] = show(h)
		}
	}
	keys := make([]string, 0, len(stats))
	for h := range stats {
		keys = append(keys, h)
	}
	sort.Strings(keys)
	masked := make(map[string]*Stats, len(stats))
	for _, h := range keys {
		masked[show(h)] = stats[h]
	}
	return names, masked
}

// Sink returns a sink that masks secrets in each event before next sees
// it.
func (r *Redactor) Sink(next Sink) Sink {
	if r == nil {
		return next
	}
	return redactingSink{r, next}
}

type redactingSink struct {
	r    *Redactor
	next Sink
}

func (s redactingSink) Event(ev Event) { s.next.Event(s.r.Event(ev)) }

// sentinel stands for each byte of a secret in a source file while the
// diagnostic printer runs: it keeps every byte offset of the file (which
// the diagnostics' ranges count in) and is collapsed into Mask afterwards.
// Line breaks are kept, so that a secret written over several lines still
// leaves every line where the printer counts it.
const sentinel = 0

var sentinelRun = regexp.MustCompile("\x00+")

// secretSource is what a diagnostic's Extra offers when its file holds
// text that may be a secret the Redactor cannot know by value, such as a
// password refused in an inventory file (inventory.Secrets): where it is.
type secretSource interface{ SecretRanges() []hcl.Range }

// WriteDiagnostics prints diags as HCL's text writer does, with the
// source lines they point at (the first input.MaxDiagnostics of them, and
// how many more there are), and every secret masked: in the summary, the
// detail, the source snippet and the values HCL shows beside it. The
// snippets are masked, too, where a diagnostic's Extra says a secret is
// (see secretSource); a nil Redactor masks only those.
func (r *Redactor) WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	if len(diags) == 0 {
		return nil
	}
	// Each diagnostic's source line is found by scanning its file: a few
	// dozen say all there is to say, thousands would take hours.
	diags = input.Limit(diags)
	hidden := map[string][]hcl.Range{}
	for _, d := range diags {
		if s, ok := hcl.DiagnosticExtra[secretSource](d); ok {
			for _, rng := range s.SecretRanges() {
				hidden[rng.Filename] = append(hidden[rng.Filename], rng)
			}
		}
	}
	files = snippetFiles(files)
	if r.empty() && len(hidden) == 0 {
		return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
	}
	masked := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		src := bytes.Clone(f.Bytes)
		if !r.empty() {
			r.mu.RLock()
			for _, at := range r.match.FindAllIndex(src, -1) {
				hide(src, at[0], at[1])
			}
			r.mu.RUnlock()
		}
		for _, rng := range hidden[name] {
			hide(src, rng.Start.Byte, rng.End.Byte)
		}
		masked[name] = &hcl.File{Body: f.Body, Bytes: src, Nav: f.Nav}
	}
	clean := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = r.String(d.Summary), r.String(d.Detail)
		if names := sensitiveRefs(d); len(names) > 0 {
			c.Detail = strings.TrimSpace(c.Detail + " (" + strings.Join(names, ", ") + ": sensitive value, not shown.)")
		}
		clean[i] = &c
	}
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, masked, width, color).WriteDiagnostics(clean); err != nil {
		return err
	}
	out := sentinelRun.ReplaceAllLiteralString(buf.String(), Mask)
	_, err := io.WriteString(w, r.String(out))
	return err
}

// maxSnippetFile bounds the files whose source lines diagnostics show:
// HCL's printer scans a file from its start for each diagnostic, which on
// a file of megabytes takes seconds and gigabytes each. A diagnostic about
// a larger file says where, without the line.
const maxSnippetFile = 256 << 10

// snippetFiles are the files small enough to show source lines from.
func snippetFiles(files map[string]*hcl.File) map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f != nil && len(f.Bytes) <= maxSnippetFile {
			out[name] = f
		}
	}
	return out
}

// hide overwrites src[start:end] with sentinels, line breaks excepted.
func hide(src []byte, start, end int) {
	for i := max(start, 0); i < min(end, len(src)); i++ {
		if src[i] != '\n' && src[i] != '\r' {
			src[i] = sentinel
		}
	}
}

// sensitiveRefs names the references of a diagnostic's expression whose
// values are marked sensitive: HCL leaves them out of the "with x as y"
// lines it writes, and says nothing; Terraform says "(sensitive value)".
func sensitiveRefs(d *hcl.Diagnostic) []string {
	if d.Expression == nil || d.EvalContext == nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, tr := range d.Expression.Variables() {
		val, diags := tr.TraverseAbs(d.EvalContext)
		if diags.HasErrors() || !val.IsMarked() {
			continue
		}
		name := string(hclwrite.TokensForTraversal(tr).Bytes())
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// Secrets lists what no output of running plan on inv may show: every
// host's password and every form of every sensitive variable's value.
func Secrets(plan *Plan, inv *inventory.Inventory) []string {
	var out []string
	if inv != nil {
		for _, h := range inv.Hosts() {
			if p := h.Conn.Password(); p != "" {
				out = append(out, p)
			}
		}
	}
	if plan != nil {
		out = append(out, plan.Secrets()...)
		out = append(out, plan.becomeSecrets()...)
	}
	return out
}

// Secrets returns the text of every sensitive variable's value: the
// default, each value given with -e or in a --var-file (even one that was
// rejected), and the resolved value, each leaf of a collection on its own;
// and, after Bind, every module argument computed from one.
func (p *Plan) Secrets() []string {
	out := append([]string(nil), p.derived...)
	for _, v := range p.Variables {
		if !v.Sensitive {
			continue
		}
		out = append(out, v.given...)
		out = append(out, leafTexts(v.Default)...)
		out = append(out, leafTexts(v.Value)...)
	}
	return out
}

// leafTexts returns the strings and numbers in v as text. Bools are left
// out: masking every "true" would hide nothing and garble the output.
func leafTexts(v cty.Value) []string {
	if v == cty.NilVal {
		return nil
	}
	v, _ = v.UnmarkDeep()
	var out []string
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if v.IsNull() || !v.IsKnown() {
			return false, nil
		}
		switch ty := v.Type(); {
		case ty == cty.String:
			// A heredoc's value ends in a line break that output which
			// quotes it need not have.
			out = append(out, v.AsString(), strings.TrimRight(v.AsString(), "\r\n"))
		case ty == cty.Number:
			out = append(out, v.AsBigFloat().Text('f', -1))
		case ty.IsMapType() || ty.IsObjectType():
			// The keys of a sensitive map are as secret as its values.
			for it := v.ElementIterator(); it.Next(); {
				k, _ := it.Element()
				out = append(out, k.AsString())
			}
		}
		return true, nil
	})
	return out
}
