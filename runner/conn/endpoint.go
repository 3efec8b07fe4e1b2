package conn

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// errNotWinRM is an endpoint that answered, but not as a WinRM listener
// does: a web server, a proxy's login page, another service on the port.
// Asking again gets the same answer, and calling it rejected credentials
// sends the admin looking for the wrong thing.
var errNotWinRM = errors.New("not a WinRM endpoint")

// offersWinRMAuth reports whether a 401 offers what WinRM's listener
// offers. Windows' HTTP.sys answers a WinRM request without credentials
// with one WWW-Authenticate header per scheme the service allows, from
// Negotiate, Kerberos, Basic realm="WSMAN" and CredSSP (verbatim sample:
// testdata/winrm-401.txt).
func offersWinRMAuth(h http.Header) bool {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, params, _ := strings.Cut(strings.TrimSpace(v), " ")
		switch strings.ToLower(scheme) {
		case "negotiate", "kerberos", "credssp", "ntlm",
			// What Windows offers over HTTPS when it takes certificates.
			"http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual":
			return true
		case "basic":
			if strings.Contains(strings.ToUpper(params), `REALM="WSMAN"`) {
				return true
			}
		}
	}
	return false
}

// notWinRM describes a reply that no WinRM listener gives.
func notWinRM(url string, resp *http.Response, what string) error {
	offered := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
	if offered == "" {
		offered = "nothing"
	}
	detail := fmt.Sprintf("HTTP %d", resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		detail += fmt.Sprintf(" offering %s, where WinRM offers Negotiate (and Basic realm=\"WSMAN\" when allowed)", offered)
	case resp.Header.Get("Content-Type") != "":
		detail += ", " + resp.Header.Get("Content-Type")
	}
	if s := resp.Header.Get("Server"); s != "" {
		detail += ", Server: " + s
	}
	return fmt.Errorf("%w: %s answered %s with %s; check the host's address, port and scheme (WinRM listens on 5985 for HTTP and 5986 for HTTPS, at /wsman)",
		errNotWinRM, url, what, detail)
}

// soapReply reports whether a 200 reply carries WS-Management: SOAP, or
// a sealed multipart/encrypted body.
func soapReply(resp *http.Response) bool {
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	return ct == "" || strings.Contains(ct, "soap+xml") || strings.Contains(ct, "multipart/encrypted")
}

// isTimeout reports whether err is a request that got no answer in time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
