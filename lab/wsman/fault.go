package wsman

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// fault is a WS-Management SOAP fault as Windows sends it: HTTP 500, a SOAP
// 1.2 code and subcode, a reason, and a WSManFault detail whose Code is the
// decimal HRESULT clients key on (pywinrm, Ansible) and whose Machine names
// the host.
type fault struct {
	code    string // s:Sender or s:Receiver
	subcode string // e.g. w:TimedOut
	wsman   uint32 // WSManFault Code
	message string // Reason and Message text, with Windows' trailing space
	// provider wraps the message in the cmd plugin's ProviderFault, as
	// Windows reports errors from winrscmd.dll.
	provider bool
}

// render writes the fault envelope.
func (f *fault) render(relatesTo, machine string) []byte {
	var b strings.Builder
	b.WriteString(faultOpen)
	writeHeader(&b, actionFault, relatesTo)
	b.WriteString(`<s:Body><s:Fault><s:Code><s:Value>`)
	b.WriteString(f.code)
	b.WriteString(`</s:Value><s:Subcode><s:Value>`)
	b.WriteString(f.subcode)
	b.WriteString(`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="`)
	if !f.provider {
		b.WriteString("en-US")
	}
	b.WriteString(`">`)
	b.WriteString(esc(f.message))
	b.WriteString(`</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="`)
	b.WriteString(strconv.FormatUint(uint64(f.wsman), 10))
	b.WriteString(`" Machine="`)
	b.WriteString(esc(machine))
	b.WriteString(`"><f:Message>`)
	if f.provider {
		b.WriteString(`<f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">`)
		b.WriteString(esc(f.message))
		b.WriteString(`</f:ProviderFault>`)
	} else {
		b.WriteString(esc(f.message))
	}
	b.WriteString(`</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`)
	return []byte(b.String())
}

const faultStatus = http.StatusInternalServerError

// Fault codes (decimal HRESULTs) the server sends.
const (
	codeTimedOut       = 2150858793 // 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT
	codeShellNotFound  = 2150858843 // 0x8033805B, the shell plugin's "shell was not found"
	codeMaxShells      = 2150859173 // 0x803381A5
	codeMaxOperations  = 2150859174 // 0x803381A6
	codeInvalidHeader  = 2150858767 // 0x8033800F, sent for a bad OperationTimeout
	codeCmdTooLong     = 2147942606 // 0x800700CE ERROR_FILENAME_EXCED_RANGE
	codeInvalidXML     = 2150858819 // 0x80338043 ERROR_WSMAN_INVALID_XML
	codeActionNotSupp  = 2150858771 // 0x80338013 ERROR_WSMAN_ACTION_NOT_SUPPORTED
	codeResourceAbsent = 2150858752 // 0x80338000 ERROR_WSMAN_RESOURCE_NOT_FOUND
	codeInvalidParam   = 87         // ERROR_INVALID_PARAMETER
	codeUnspecified    = 2147500037 // 0x80004005 E_FAIL
)

// faultTimedOut ends a Receive long-poll with no output; every client
// re-issues the Receive on this code. The two trailing spaces are Windows'.
func faultTimedOut() *fault {
	return &fault{code: "s:Receiver", subcode: "w:TimedOut", wsman: codeTimedOut,
		message: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "}
}

func faultShellNotFound(shellID string) *fault {
	return &fault{code: "s:Sender", subcode: "w:InvalidSelectors", wsman: codeShellNotFound,
		message: "The request for the Windows Remote Shell with ShellId " + shellID + " failed because the shell was not found on the server. " +
			"Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. " +
			"Provide the correct ShellId or create a new shell and retry the operation. "}
}

func faultMaxShells(limit int) *fault {
	return &fault{code: "s:Receiver", subcode: "w:InternalError", wsman: codeMaxShells,
		message: fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, "+
			"which has been exceeded. Close existing shells or raise the quota for this user. ", limit)}
}

func faultMaxOperations(limit int) *fault {
	return &fault{code: "s:Receiver", subcode: "w:InternalError", wsman: codeMaxOperations,
		message: fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent operations, "+
			"which has been exceeded. Close existing operations for this user, or raise the quota for this user. ", limit)}
}

// faultBadTimeout answers an OperationTimeout that does not parse, or one
// above MaxTimeout. Windows' text quotes the value as sent.
func faultBadTimeout(raw string) *fault {
	return &fault{code: "s:Sender", subcode: "a:InvalidMessageInformationHeader", wsman: codeInvalidHeader,
		message: "The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: " + raw + ". "}
}

// faultCmdTooLong is cmd.exe's 8191-character limit, as captured from a real
// host in masterzen/winrm's fixtures.
func faultCmdTooLong() *fault {
	return &fault{code: "s:Receiver", subcode: "w:InternalError", wsman: codeCmdTooLong,
		message: "The filename or extension is too long. ", provider: true}
}

// faultInvalidXML answers a body that is not a SOAP 1.2 envelope: WinRM's
// ERROR_WSMAN_INVALID_XML, with the SchemaValidationError subcode WS-Man
// defines for a message that does not match the schema.
func faultInvalidXML() *fault {
	return &fault{code: "s:Sender", subcode: "w:SchemaValidationError", wsman: codeInvalidXML,
		message: "The WS-Management service cannot process the request because the XML is invalid. "}
}

// faultActionNotSupported answers an a:Action the shell resource does not
// have (ERROR_WSMAN_ACTION_NOT_SUPPORTED, WS-Addressing ActionNotSupported).
func faultActionNotSupported() *fault {
	return &fault{code: "s:Sender", subcode: "a:ActionNotSupported", wsman: codeActionNotSupp,
		message: "The WS-Management service does not support the action specified in the request. "}
}

// faultResourceNotFound answers a ResourceURI other than the cmd shell, with
// the text Windows prints for an unknown plugin URI.
func faultResourceNotFound(uri string) *fault {
	return &fault{code: "s:Sender", subcode: "w:DestinationUnreachable", wsman: codeResourceAbsent,
		message: "The WS-Management service cannot process the request. The resource URI (" + uri + ") was not found in the WS-Management catalog. " +
			"The catalog contains the metadata that describes resources, or logical endpoints. "}
}

// faultInvalidParameter is what Windows answers a Command without a command
// (masterzen/winrm#80); the lab also uses it for an unknown CommandId, a
// missing body element or stdin that is not base64.
func faultInvalidParameter() *fault {
	return &fault{code: "s:Sender", subcode: "w:InvalidParameter", wsman: codeInvalidParam,
		message: "The parameter is incorrect. "}
}

// faultInternal is the fault injected by Fault500.
func faultInternal() *fault {
	return &fault{code: "s:Receiver", subcode: "w:InternalError", wsman: codeUnspecified,
		message: "The WS-Management service cannot process the request. Unspecified error "}
}
