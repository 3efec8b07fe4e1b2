package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseXMLStd is parseXML built on encoding/xml, as the server parsed
// envelopes before: the reference parseXML must agree with.
func parseXMLStd(b []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("nested deeper than %d elements", maxDepth)
			}
			el := &element{name: t.Name, attr: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("more than one root element")
				}
				root = el
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, el)
			}
			stack = append(stack, el)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// dumpTree renders a tree with every name, attribute and text, to compare.
func dumpTree(e *element) string {
	var b strings.Builder
	var walk func(*element)
	walk = func(e *element) {
		fmt.Fprintf(&b, "<{%s}%s", e.name.Space, e.name.Local)
		for _, a := range e.attr {
			fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
		}
		fmt.Fprintf(&b, ">%q", e.text)
		for _, c := range e.children {
			walk(c)
		}
		b.WriteString("</>")
	}
	walk(e)
	return b.String()
}

// agree checks parseXML against encoding/xml on doc: what parseXML
// accepts encoding/xml accepts with the same tree, and what encoding/xml
// accepts parseXML accepts too unless refusedOnPurpose names why not.
func agree(t *testing.T, doc string) {
	t.Helper()
	got, err := parseXML([]byte(doc))
	// encoding/xml reads a byte order mark as text before the root.
	want, stdErr := parseXMLStd([]byte(strings.TrimPrefix(doc, "\uFEFF")))
	if err != nil {
		require.ErrorIs(t, err, errInvalidXML)
		if stdErr == nil {
			require.NotEmpty(t, refusedOnPurpose(doc), "parseXML refused what encoding/xml accepts: %q: %v", doc, err)
		}
		return
	}
	require.NoError(t, stdErr, "parseXML accepted what encoding/xml refuses: %q", doc)
	require.Equal(t, dumpTree(want), dumpTree(got), doc)
}

var (
	charRefRE = regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)
	// xmlDeclRE is the XML 1.0 XMLDecl production, narrowed to what
	// encoding/xml reads without a CharsetReader.
	xmlDeclRE = regexp.MustCompile(`^<\?xml` +
		`[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*("1\.0"|'1\.0')` +
		`([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*("(?i:utf-8)"|'(?i:utf-8)'))?` +
		`([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*("(yes|no)"|'(yes|no)'))?` +
		`[ \t\r\n]*\?>$`)
)

// refusedOnPurpose says which construct in doc, a document encoding/xml
// accepts, parseXML refuses by design, or "" if none. The list:
//   - characters XML forbids outside text and attribute values, where
//     encoding/xml does not look;
//   - character references to surrogates, which encoding/xml reads as U+FFFD;
//   - DTDs and other <! directives, which SOAP 1.2 forbids;
//   - non-ASCII names, which no WS-Management message uses;
//   - an XML declaration off the XML 1.0 grammar or not at the start, and
//     other targets spelled xml, where encoding/xml only looks for
//     version= and encoding=;
//   - a processing instruction target not followed by white space.
func refusedOnPurpose(doc string) string {
	for i, r := range doc {
		if r == utf8.RuneError && !strings.HasPrefix(doc[i:], "\uFFFD") ||
			r != 0x09 && r != 0x0A && r != 0x0D && (r < 0x20 || r == 0xFFFE || r == 0xFFFF) {
			return "a character XML forbids"
		}
	}
	for _, m := range charRefRE.FindAllStringSubmatch(doc, -1) {
		num, base := m[1], 10
		if hex, ok := strings.CutPrefix(num, "x"); ok {
			num, base = hex, 16
		}
		if n, err := strconv.ParseUint(num, base, 64); err == nil && n >= 0xD800 && n <= 0xDFFF {
			return "a character reference to a surrogate"
		}
	}
	body := strings.TrimPrefix(doc, "\uFEFF")
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			return ""
		}
		switch tok := tok.(type) {
		case xml.Directive:
			return "a directive"
		case xml.StartElement:
			if !isASCII(tok.Name.Space + tok.Name.Local) {
				return "a non-ASCII name"
			}
			for _, a := range tok.Attr {
				if !isASCII(a.Name.Space + a.Name.Local) {
					return "a non-ASCII name"
				}
			}
		case xml.ProcInst:
			raw := body[start:d.InputOffset()]
			after := raw[2+len(tok.Target):]
			switch {
			case !isASCII(tok.Target):
				return "a non-ASCII name"
			case strings.EqualFold(tok.Target, "xml") && (tok.Target != "xml" || start != 0 || !xmlDeclRE.MatchString(raw)):
				return "an XML declaration off the XML 1.0 grammar"
			case after != "?>" && !strings.ContainsAny(after[:1], " \t\r\n"):
				return "no white space after a processing instruction target"
			}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestParseXMLAgreesWithEncodingXML(t *testing.T) {
	docs := fuzzSeeds("4B4E4A53-B2C2-4D6C-8C31-9A1D7C0A1F00")
	docs = append(docs,
		`<?xml version="1.0" encoding="utf-8"?><a xmlns="urn:d" xmlns:p="urn:p" p:x="1" y='2'><p:b>t&lt;&amp;&#65;&#x42;&quot;&apos;&gt;</p:b><c/><!-- note --><d><![CDATA[<raw & "x">]]></d></a>`,
		"<a>line\r\nnext\rlast</a>",
		`<a x="1&#13;2"><b xmlns:q="urn:q"><q:c/></b><q:d/></a>`,
		`<s:E xmlns:s="urn:s"><s:H xmlns:s="urn:other"><s:I/></s:H><s:B/></s:E>`,
		`<a xml:lang="en"><u:b xmlns:u=""/><:c/><d:/></a>`,
		"\n<a></a >\n",
		`<?xml version = "1.0"?><a/>`,
		"<?xml\tversion='1.0'\rencoding\n=\t'UTF-8' standalone=\"no\" ?><a/>",
		"<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"s\"?><a><?pi\tdata?><?pi?></a>",
		"\uFEFF<?xml version=\"1.0\"?><a>\uFEFF</a>",
		"\uFEFF<a/>",
		`<a x="]]>">]]&gt;]]<![CDATA[]]>]]&gt;</a>`,
	)
	for _, doc := range docs {
		agree(t, doc)
		_, err := parseXML([]byte(doc))
		assert.NoError(t, err, doc)
	}
	for _, bad := range []string{
		"", "<", "<a>", "<a></b>", "</a>", "<a/><b/>", "text", "<a>&bogus;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>",
		`<a x=1/>`, `<a x/>`, `<a x="<"/>`, "<a>\x00</a>", "<a>\xff</a>", "<!DOCTYPE a><a/>", "<a><!-- a -- b --></a>",
		`<?xml version="1.1"?><a/>`, `<?xml version="1.0" encoding="latin1"?><a/>`, "<a:b:c/>", "<1a/>", "<a><![CDATA[x</a>",
		"<a>" + strings.Repeat("<b>", maxDepth) + strings.Repeat("</b>", maxDepth) + "</a>",
		"<a>]]></a>", "<a>x]]>y</a>", `<?xml version = "1.1"?><a/>`, `<?xml encoding="utf-8"?><a/>`, `<?xml?><a/>`,
		`<?xml version="1.0" junk="x"?><a/>`, `<?xml encoding="utf-8" version="1.0"?><a/>`, `<?xml version="1.0"encoding="utf-8"?><a/>`,
		`<?xml version="1.0" standalone="maybe"?><a/>`, ` <?xml version="1.0"?><a/>`, `<a><?xml version="1.0"?></a>`,
		`<a><?XML x?></a>`, `<a><?pi"x"?></a>`, "\uFEFF\uFEFF<a/>",
	} {
		agree(t, bad)
		_, err := parseXML([]byte(bad))
		assert.ErrorIs(t, err, errInvalidXML, "%q", bad)
	}
}

func FuzzParseXML(f *testing.F) {
	for _, s := range fuzzSeeds("4B4E4A53-B2C2-4D6C-8C31-9A1D7C0A1F00") {
		f.Add(s)
	}
	f.Add(`<a xmlns="urn:d" xmlns:p="urn:p" p:x="1"><p:b>t&lt;&#65;</p:b><![CDATA[x]]><!--c--></a>`)
	f.Fuzz(agree)
}

func BenchmarkParseEnvelope(b *testing.B) {
	seeds := fuzzSeeds("4B4E4A53-B2C2-4D6C-8C31-9A1D7C0A1F00")
	doc := []byte(seeds[len(seeds)-1])
	for _, s := range seeds {
		if strings.Contains(s, "Receive") {
			doc = []byte(s)
		}
	}
	for _, p := range []struct {
		name  string
		parse func([]byte) (*element, error)
	}{{"scanner", parseXML}, {"encoding-xml", parseXMLStd}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
