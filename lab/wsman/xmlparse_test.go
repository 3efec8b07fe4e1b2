package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

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
// accepts encoding/xml accepts with the same tree; it may refuse more
// (DTDs, non-ASCII names), never less.
func agree(t *testing.T, doc string) {
	t.Helper()
	got, err := parseXML([]byte(doc))
	want, stdErr := parseXMLStd([]byte(doc))
	if err != nil {
		require.ErrorIs(t, err, errInvalidXML)
		return
	}
	require.NoError(t, stdErr, "parseXML accepted what encoding/xml refuses: %q", doc)
	require.Equal(t, dumpTree(want), dumpTree(got), doc)
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
	} {
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
