package wsman

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Namespace URIs. Clients pick their own prefixes (env: or s:, rsp: or
// none), so requests are matched by URI only.
const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr     = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
)

// Actions, resource and states of the WinRS protocol (MS-WSMV).
const (
	actionCreate  = nsTransfer + "/Create"
	actionDelete  = nsTransfer + "/Delete"
	actionCommand = nsShell + "/Command"
	actionSend    = nsShell + "/Send"
	actionReceive = nsShell + "/Receive"
	actionSignal  = nsShell + "/Signal"
	actionFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

	resourceCmd  = nsShell + "/cmd"
	anonymous    = nsAddr + "/role/anonymous"
	stateDone    = nsShell + "/CommandState/Done"
	stateRunning = nsShell + "/CommandState/Running"
	signalPrefix = nsShell + "/signal/"
)

// actionNames maps action URIs to the short names fault injection sees.
var actionNames = map[string]string{
	actionCreate:  "Create",
	actionDelete:  "Delete",
	actionCommand: "Command",
	actionSend:    "Send",
	actionReceive: "Receive",
	actionSignal:  "Signal",
}

// maxDepth bounds element nesting; real envelopes are 5 deep.
const maxDepth = 64

// element is a namespace-resolved XML element: enough DOM to read SOAP
// envelopes without binding to any client's prefixes.
type element struct {
	name     xml.Name
	attr     []xml.Attr
	text     []byte
	children []*element
}

// errInvalidXML marks request bodies that are not a SOAP 1.2 envelope.
var errInvalidXML = errors.New("invalid SOAP envelope")

func (e *element) child(space, local string) *element {
	if e == nil {
		return nil
	}
	for _, c := range e.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

func (e *element) all(space, local string) []*element {
	if e == nil {
		return nil
	}
	var out []*element
	for _, c := range e.children {
		if c.name.Space == space && c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// attrValue returns the unqualified attribute local (WS-Man attributes such
// as Name, CommandId and End carry no namespace).
func (e *element) attrValue(local string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (e *element) value() string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(string(e.text))
}

// envelope is a parsed request: the headers the server acts on and the
// first element of the body.
type envelope struct {
	action      string
	messageID   string
	to          string
	resourceURI string
	shellID     string
	// maxEnvelope is the client's w:MaxEnvelopeSize in bytes, 0 if absent.
	maxEnvelope int
	// timeoutRaw is w:OperationTimeout as sent, "" if absent.
	timeoutRaw string
	options    map[string]string
	body       *element
}

// parseEnvelope reads a SOAP 1.2 envelope. It only fails on XML that is not
// an envelope at all; a header with a bad value is judged by the operation.
func parseEnvelope(b []byte) (*envelope, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, err
	}
	if root.name.Space != nsSOAP || root.name.Local != "Envelope" {
		return nil, fmt.Errorf("%w: root element is {%s}%s, want a SOAP 1.2 Envelope", errInvalidXML, root.name.Space, root.name.Local)
	}
	h := root.child(nsSOAP, "Header")
	body := root.child(nsSOAP, "Body")
	if h == nil || body == nil {
		return nil, fmt.Errorf("%w: envelope without Header or Body", errInvalidXML)
	}
	env := &envelope{
		action:      h.child(nsAddr, "Action").value(),
		messageID:   h.child(nsAddr, "MessageID").value(),
		to:          h.child(nsAddr, "To").value(),
		resourceURI: h.child(nsWSMan, "ResourceURI").value(),
		timeoutRaw:  h.child(nsWSMan, "OperationTimeout").value(),
		options:     map[string]string{},
	}
	if v := h.child(nsWSMan, "MaxEnvelopeSize").value(); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			env.maxEnvelope = n
		}
	}
	for _, sel := range h.child(nsWSMan, "SelectorSet").all(nsWSMan, "Selector") {
		if sel.attrValue("Name") == "ShellId" {
			env.shellID = sel.value()
		}
	}
	for _, opt := range h.child(nsWSMan, "OptionSet").all(nsWSMan, "Option") {
		env.options[strings.ToUpper(opt.attrValue("Name"))] = opt.value()
	}
	if len(body.children) > 0 {
		env.body = body.children[0]
	}
	return env, nil
}

// newUUID returns a random UUID in the upper case Windows uses for ShellId,
// CommandId and MessageID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+).
		panic(fmt.Sprintf("wsman: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// esc escapes text for element content and attribute values.
func esc(s string) string {
	var b strings.Builder
	// xml.EscapeText only fails when the writer does.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// The namespace declarations of every response, as Windows writes them.
const (
	responseOpen = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
		`xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" ` +
		`xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" ` +
		`xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" ` +
		`xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">`
	faultOpen = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
		`xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" ` +
		`xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" ` +
		`xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" ` +
		`xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" ` +
		`xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">`
)

// writeHeader writes the response header every client expects: the action,
// a new MessageID, the anonymous To and RelatesTo the request's MessageID
// (pywinrm asserts it on Signal and Delete).
func writeHeader(b *strings.Builder, action, relatesTo string) {
	b.WriteString(`<s:Header><a:Action>`)
	b.WriteString(action)
	b.WriteString(`</a:Action><a:MessageID>uuid:`)
	b.WriteString(newUUID())
	b.WriteString(`</a:MessageID><a:To>` + anonymous + `</a:To>`)
	if relatesTo != "" {
		b.WriteString(`<a:RelatesTo>`)
		b.WriteString(esc(relatesTo))
		b.WriteString(`</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header>`)
}

// response renders a successful envelope around body (already XML).
func response(action, relatesTo, body string) []byte {
	var b strings.Builder
	b.Grow(len(responseOpen) + 400 + len(body))
	b.WriteString(responseOpen)
	writeHeader(&b, action, relatesTo)
	b.WriteString(`<s:Body>`)
	b.WriteString(body)
	b.WriteString(`</s:Body></s:Envelope>`)
	return []byte(b.String())
}

// formatDuration writes d the way Windows reports IdleTimeOut: PT7200.000S.
func formatDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}

// errDuration marks an xs:duration that does not parse.
var errDuration = errors.New("invalid xs:duration")

// parseDuration parses an xs:duration as clients send OperationTimeout and
// IdleTimeOut: PT60S, PT60.000S, PT1M, PT5M0S, P0DT0H1M0S, PT1H2M3.5S. Years
// and months count as 365 and 30 days; negative durations are refused.
func parseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "P")
	if !ok || rest == "" || strings.HasSuffix(rest, "T") {
		return 0, fmt.Errorf("%w: %q", errDuration, s)
	}
	const day = 24 * time.Hour
	dateUnits := map[byte]time.Duration{'Y': 365 * day, 'M': 30 * day, 'W': 7 * day, 'D': day}
	timeUnits := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	units := dateUnits
	var total time.Duration
	components, inTime := 0, false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("%w: %q has two T", errDuration, s)
			}
			inTime, units = true, timeUnits
			rest = rest[1:]
			continue
		}
		n := 0
		for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.') {
			n++
		}
		if n == 0 || n == len(rest) || n > 18 {
			return 0, fmt.Errorf("%w: %q", errDuration, s)
		}
		unit, known := units[rest[n]]
		if !known {
			return 0, fmt.Errorf("%w: %q has unit %q here", errDuration, s, rest[n])
		}
		num := rest[:n]
		if strings.Contains(num, ".") && rest[n] != 'S' {
			return 0, fmt.Errorf("%w: %q has a fraction outside seconds", errDuration, s)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: %w", errDuration, s, err)
		}
		part := v * float64(unit)
		if part > float64(100*365*day) {
			return 0, fmt.Errorf("%w: %q is too long", errDuration, s)
		}
		total += time.Duration(part)
		components++
		rest = rest[n+1:]
	}
	if components == 0 || total > 100*365*day {
		return 0, fmt.Errorf("%w: %q", errDuration, s)
	}
	return total, nil
}
