package runner

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// Mask replaces a secret in every output.
const Mask = "********"

// Redactor hides secrets (passwords, sensitive variables) in everything
// winplay prints or records: events, diagnostics with their source
// snippets, and error messages. It is the one place output is redacted; a
// nil or empty Redactor passes everything through.
type Redactor struct {
	// forms are every way a secret may be written (as is, and escaped as
	// Go, JSON, HCL, XML and URLs write it), longest first so that a
	// secret holding another is hidden whole.
	forms   []string
	replace *strings.Replacer
}

// NewRedactor returns a Redactor for these secrets; empty ones are ignored.
func NewRedactor(secrets []string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	r := &Redactor{forms: forms}
	if len(forms) == 0 {
		return r
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	r.replace = strings.NewReplacer(pairs...)
	return r
}

// secretForms are the texts a secret may appear as: an error message may
// have quoted it with %q, a JSON message escaped it, a source file holds
// it as an HCL string literal, a WinRM fault or a command's XML output
// escaped it as XML (with named entities, as .NET writes text, or numeric
// ones, as Go does), and a URL in an error escaped it for a path or a
// query.
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
	return append(forms, url.PathEscape(s), url.QueryEscape(s))
}

// xmlTextEscaper escapes text as XML writers do in element content;
// xmlEscaper as they do in attribute values, with named entities.
var (
	xmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	xmlEscaper     = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
)

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r == nil || r.replace == nil {
		return s
	}
	return r.maskClipped(r.replace.Replace(s))
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
// or more, that head ends with; 0 if none.
func clippedPrefix(head, secret string) int {
	for k := len(secret) - 1; k >= 2; k-- {
		if strings.HasSuffix(head, secret[:k]) {
			return k
		}
	}
	return 0
}

// Event returns ev with every secret masked in every text it holds.
func (r *Redactor) Event(ev Event) Event {
	if r == nil || r.replace == nil {
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
	if r == nil || r.replace == nil {
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
// source lines they point at, and every secret masked: in the summary, the
// detail, the source snippet and the values HCL shows beside it. The
// snippets are masked, too, where a diagnostic's Extra says a secret is
// (see secretSource); a nil Redactor masks only those.
func (r *Redactor) WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	if len(diags) == 0 {
		return nil
	}
	hidden := map[string][]hcl.Range{}
	for _, d := range diags {
		if s, ok := hcl.DiagnosticExtra[secretSource](d); ok {
			for _, rng := range s.SecretRanges() {
				hidden[rng.Filename] = append(hidden[rng.Filename], rng)
			}
		}
	}
	if (r == nil || r.replace == nil) && len(hidden) == 0 {
		return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
	}
	masked := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f == nil {
			continue
		}
		src := bytes.Clone(f.Bytes)
		if r != nil {
			for _, form := range r.forms {
				for at := 0; ; {
					i := bytes.Index(src[at:], []byte(form))
					if i < 0 {
						break
					}
					hide(src, at+i, at+i+len(form))
					at += i + len(form)
				}
			}
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
// rejected), and the resolved value, each leaf of a collection on its own.
func (p *Plan) Secrets() []string {
	var out []string
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
