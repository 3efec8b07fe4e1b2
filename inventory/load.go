package inventory

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/winplay/winplay/internal/input"
)

// maxSettingFile bounds a file a setting names (a CA bundle, a keytab, a
// certificate): the system's CA bundle, with every root, is about 200 KB.
const maxSettingFile = 4 << 20

// LoadOptions are what Load needs from its caller besides the file.
type LoadOptions struct {
	// Getenv looks up the environment variables named by password_env.
	// Nil means os.Getenv.
	Getenv func(name string) string
	// Prompt asks for a password the environment does not supply. It
	// shows prompt and reads a line without echoing it. The CLI passes one
	// when stdin is a terminal; nil means a missing password is an error.
	Prompt func(prompt string) (string, error)
	// SkipPasswords loads the inventory without looking for passwords,
	// for commands that touch no host (validate, hosts).
	SkipPasswords bool
	// Parser, when set, parses the file, so that the caller can print
	// diagnostics with their source lines from Parser.Files(), masking
	// the values each diagnostic's Secrets names.
	Parser *hclparse.Parser
}

// The file's schema, decoded with gohcl so that HCL itself reports unknown
// arguments and blocks with its "Did you mean" suggestions. Every argument
// is taken as an *hcl.Attribute and decoded by hand, to check each value
// against its own source range. Arguments that look like a password are
// refused before gohcl sees them (see refusePasswords).

type fileBody struct {
	Connection *connectionBody `hcl:"connection,block"`
	Vars       *hcl.Attribute  `hcl:"vars,optional"`
	Hosts      []*hostBody     `hcl:"host,block"`
	Groups     []*groupBody    `hcl:"group,block"`
}

type hostBody struct {
	Name       string          `hcl:"name,label"`
	NameRange  hcl.Range       `hcl:"name,label_range"`
	DefRange   hcl.Range       `hcl:",def_range"`
	Address    *hcl.Attribute  `hcl:"address,optional"`
	Vars       *hcl.Attribute  `hcl:"vars,optional"`
	Connection *connectionBody `hcl:"connection,block"`
}

type groupBody struct {
	Name       string          `hcl:"name,label"`
	NameRange  hcl.Range       `hcl:"name,label_range"`
	DefRange   hcl.Range       `hcl:",def_range"`
	Hosts      *hcl.Attribute  `hcl:"hosts,optional"`
	Children   *hcl.Attribute  `hcl:"children,optional"`
	Vars       *hcl.Attribute  `hcl:"vars,optional"`
	Connection *connectionBody `hcl:"connection,block"`
}

type connectionBody struct {
	Transport        *hcl.Attribute `hcl:"transport,optional"`
	HTTPS            *hcl.Attribute `hcl:"https,optional"`
	Port             *hcl.Attribute `hcl:"port,optional"`
	User             *hcl.Attribute `hcl:"user,optional"`
	PasswordEnv      *hcl.Attribute `hcl:"password_env,optional"`
	CAFile           *hcl.Attribute `hcl:"ca_file,optional"`
	Insecure         *hcl.Attribute `hcl:"insecure,optional"`
	AllowUnencrypted *hcl.Attribute `hcl:"allow_unencrypted,optional"`
	ConnectTimeout   *hcl.Attribute `hcl:"connect_timeout,optional"`
	OperationTimeout *hcl.Attribute `hcl:"operation_timeout,optional"`
	SPN              *hcl.Attribute `hcl:"spn,optional"`
	Keytab           *hcl.Attribute `hcl:"keytab,optional"`
	TicketCache      *hcl.Attribute `hcl:"ticket_cache,optional"`
	Krb5Conf         *hcl.Attribute `hcl:"krb5_conf,optional"`
	CertFile         *hcl.Attribute `hcl:"cert_file,optional"`
	KeyFile          *hcl.Attribute `hcl:"key_file,optional"`
	DefRange         hcl.Range      `hcl:",def_range"`
}

// Load reads, checks and resolves an inventory file, then finds each
// host's password (see LoadOptions). The file is winplay's HCL, or an
// Ansible INI or YAML inventory (see Format). It returns a nil Inventory
// when the diagnostics hold an error; warnings come with a usable
// Inventory. The diagnostics are in source order.
func Load(filename string, opts LoadOptions) (*Inventory, hcl.Diagnostics) {
	parser := opts.Parser
	if parser == nil {
		parser = hclparse.NewParser()
	}
	src, err := input.ReadFile(filename, input.MaxHCL)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read inventory file",
			Detail: fmt.Sprintf("%v.", err)}}
	}
	dir := filepath.Dir(filename)
	switch Format(filename, src) {
	case FormatINI, FormatYAML:
		var a *ansibleInv
		var diags hcl.Diagnostics
		if Format(filename, src) == FormatINI {
			a, diags = readAnsibleINI(src, filename)
		} else {
			a, diags = readAnsibleYAML(src, filename)
		}
		parser.AddFile(filename, &hcl.File{Bytes: src})
		if a == nil || diags.HasErrors() {
			return nil, withSecrets(sortDiags(diags), a)
		}
		d, moreDiags := a.decls(dir)
		diags = append(diags, moreDiags...)
		if diags.HasErrors() {
			return nil, withSecrets(sortDiags(diags), a)
		}
		inv, moreDiags := loadDecls(d, diags, opts)
		return inv, withSecrets(moreDiags, a)
	}
	if d := input.CheckShape(src, filename); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	f, diags := parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, markSecrets(src, filename, input.Limit(diags))
	}
	inv, moreDiags := loadFile(f, dir, opts)
	return inv, markSecrets(src, filename, append(diags, moreDiags...))
}

// withSecrets has the diagnostics about an Ansible inventory mask the
// values that may be passwords.
func withSecrets(diags hcl.Diagnostics, a *ansibleInv) hcl.Diagnostics {
	if a == nil || len(a.secrets) == 0 {
		return diags
	}
	for _, d := range diags {
		d.Extra = Secrets{Ranges: a.secrets, extra: d.Extra}
	}
	return diags
}

// loadFile is Load after parsing; dir is where relative paths start.
func loadFile(f *hcl.File, dir string, opts LoadOptions) (*Inventory, hcl.Diagnostics) {
	d, diags := decodeFile(f.Body, dir)
	if diags.HasErrors() {
		// Checking references after a decode error would report its
		// consequences (an "unknown host" whose block failed) as new errors.
		return nil, sortDiags(diags)
	}
	return loadDecls(d, diags, opts)
}

// loadDecls builds the declarations of a file and finds the passwords.
func loadDecls(d *decls, diags hcl.Diagnostics, opts LoadOptions) (*Inventory, hcl.Diagnostics) {
	b, moreDiags := build(d)
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return nil, sortDiags(diags)
	}
	if !opts.SkipPasswords {
		diags = append(diags, resolvePasswords(b, opts)...)
	}
	if diags.HasErrors() {
		return nil, sortDiags(diags)
	}
	return b.inv, sortDiags(diags)
}

func decodeFile(body hcl.Body, dir string) (*decls, hcl.Diagnostics) {
	refused, diags := refusePasswords(body)
	var fb fileBody
	for _, d := range gohcl.DecodeBody(body, nil, &fb) {
		// HCL's "Unsupported argument" for a refused password would show
		// its line; the refusal says it better.
		if d.Subject == nil || !refused[*d.Subject] {
			diags = append(diags, d)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	d := &decls{}
	var ds hcl.Diagnostics
	d.vars, ds = decodeVars(fb.Vars)
	diags = append(diags, ds...)
	d.conn, ds = decodeConnection(fb.Connection, dir)
	diags = append(diags, ds...)
	for _, hb := range fb.Hosts {
		hd := &hostDecl{name: hb.Name, nameRange: hb.NameRange, defRange: hb.DefRange}
		hd.address, ds = decodeValue[string](hb.Address)
		diags = append(diags, ds...)
		hd.vars, ds = decodeVars(hb.Vars)
		diags = append(diags, ds...)
		hd.conn, ds = decodeConnection(hb.Connection, dir)
		diags = append(diags, ds...)
		d.hosts = append(d.hosts, hd)
	}
	for _, gb := range fb.Groups {
		gd := &groupDecl{name: gb.Name, nameRange: gb.NameRange, defRange: gb.DefRange}
		gd.hosts, ds = decodeNames(gb.Hosts, "hosts")
		diags = append(diags, ds...)
		gd.children, ds = decodeNames(gb.Children, "children")
		diags = append(diags, ds...)
		gd.vars, ds = decodeVars(gb.Vars)
		diags = append(diags, ds...)
		gd.conn, ds = decodeConnection(gb.Connection, dir)
		diags = append(diags, ds...)
		d.groups = append(d.groups, gd)
	}
	return d, diags
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func decodeConnection(cb *connectionBody, dir string) (connLayer, hcl.Diagnostics) {
	var l connLayer
	if cb == nil {
		return l, nil
	}
	var ds, diags hcl.Diagnostics
	l.transport, ds = decodeValue[string](cb.Transport)
	diags = append(diags, ds...)
	l.https, ds = decodeValue[bool](cb.HTTPS)
	diags = append(diags, ds...)
	l.insecure, ds = decodeValue[bool](cb.Insecure)
	diags = append(diags, ds...)
	l.allowUnencrypted, ds = decodeValue[bool](cb.AllowUnencrypted)
	diags = append(diags, ds...)
	l.port, ds = decodeValue[int](cb.Port)
	diags = append(diags, ds...)
	l.user, ds = decodeValue[string](cb.User)
	diags = append(diags, ds...)
	l.passwordEnv, ds = decodeValue[string](cb.PasswordEnv)
	diags = append(diags, ds...)
	if l.passwordEnv.set && !envName.MatchString(l.passwordEnv.val) {
		// The value may be the password itself, put in the wrong place:
		// it is not echoed, and markSecrets has its source masked.
		diags = append(diags, errorAt("Invalid password_env",
			"password_env must name the environment variable that holds the password, such as \"WINPLAY_PASSWORD\": "+
				"letters, digits and underscores, not starting with a digit. The value given is not a variable name; "+
				"if it is the password itself, remove it from the file.",
			l.passwordEnv.rng))
	}
	l.connectTimeout, ds = decodeDuration(cb.ConnectTimeout)
	diags = append(diags, ds...)
	l.operationTimeout, ds = decodeDuration(cb.OperationTimeout)
	diags = append(diags, ds...)
	caFile, ds := decodeValue[string](cb.CAFile)
	diags = append(diags, ds...)
	if caFile.set {
		ca, ds := readCA(caFile.val, dir, caFile.rng)
		diags = append(diags, ds...)
		l.ca = setting[caBundle]{val: ca, set: true, rng: caFile.rng}
	}
	ds = decodeLogon(cb, dir, &l)
	return l, append(diags, ds...)
}

// decodeLogon decodes the settings of Kerberos and client certificates.
func decodeLogon(cb *connectionBody, dir string, l *connLayer) hcl.Diagnostics {
	var diags, ds hcl.Diagnostics
	l.spn, ds = decodeValue[string](cb.SPN)
	diags = append(diags, ds...)
	if l.spn.set && !validSPN(l.spn.val) {
		diags = append(diags, errorAt("Invalid spn",
			fmt.Sprintf("spn = %q is not a service principal: write the service class and the host's DNS name, such as \"HTTP/node1.corp.example.com\" (a realm may follow after @).", l.spn.val),
			l.spn.rng))
	}
	l.ticketCache, ds = decodeValue[bool](cb.TicketCache)
	diags = append(diags, ds...)
	for _, f := range []struct {
		attr  *hcl.Attribute
		dst   *setting[string]
		check func([]byte) string
	}{
		{cb.Keytab, &l.keytab, checkKeytab},
		{cb.Krb5Conf, &l.krb5Conf, checkKrb5Conf},
		{cb.CertFile, &l.certFile, checkCertPEM},
		{cb.KeyFile, &l.keyFile, checkKeyPEM},
	} {
		v, ds := decodeValue[string](f.attr)
		diags = append(diags, ds...)
		if !v.set {
			continue
		}
		path, ds := readFileSetting(f.attr.Name, v.val, dir, v.rng, f.check)
		diags = append(diags, ds...)
		*f.dst = setting[string]{val: path, set: true, rng: v.rng}
	}
	return diags
}

// validSPN accepts service/host[@REALM].
func validSPN(s string) bool {
	svc, host, ok := strings.Cut(s, "/")
	return ok && svc != "" && host != "" && !strings.ContainsAny(s, " \t\r\n\\") && !strings.HasPrefix(host, "/")
}

// readFileSetting resolves a file argument relative to dir (as ca_file
// is), and checks that the file exists and that check finds nothing wrong
// with its contents.
func readFileSetting(name, path, dir string, rng hcl.Range, check func([]byte) string) (string, hcl.Diagnostics) {
	full := path
	if !filepath.IsAbs(full) && dir != "" {
		full = filepath.Join(dir, full)
	}
	if abs, err := filepath.Abs(full); err == nil {
		full = abs
	}
	data, err := input.ReadFile(full, maxSettingFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", hcl.Diagnostics{errorAt("File not found",
			fmt.Sprintf("%s = %q: %s does not exist. A relative path is relative to the inventory file's directory.", name, path, full), rng)}
	case err != nil:
		return "", hcl.Diagnostics{errorAt("Cannot read file", fmt.Sprintf("%s = %q: %v.", name, path, err), rng)}
	}
	if problem := check(data); problem != "" {
		return "", hcl.Diagnostics{errorAt("Invalid "+name, fmt.Sprintf("%s = %q: %s %s.", name, path, full, problem), rng)}
	}
	return full, nil
}

// checkKeytab looks for the keytab format's version bytes (MIT's and
// Windows' ktpass write version 2).
func checkKeytab(data []byte) string {
	if len(data) < 2 || data[0] != 5 || (data[1] != 1 && data[1] != 2) {
		return "is not a keytab (it should start with the bytes 05 02, as ktutil and ktpass write one)"
	}
	return ""
}

// checkKrb5Conf wants a [realms] or [libdefaults] section, which every
// krb5.conf that names a KDC has.
func checkKrb5Conf(data []byte) string {
	if !bytes.Contains(data, []byte("[realms]")) && !bytes.Contains(data, []byte("[libdefaults]")) {
		return "is not a krb5.conf (it has no [libdefaults] or [realms] section)"
	}
	return ""
}

func checkCertPEM(data []byte) string {
	if !validPEM(data) {
		return "holds no PEM-encoded certificate (a block starting with -----BEGIN CERTIFICATE-----)"
	}
	return ""
}

func checkKeyPEM(data []byte) string {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return "holds no PEM-encoded private key (a block such as -----BEGIN PRIVATE KEY-----)"
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck // only to refuse it
				return "holds an encrypted private key; winplay needs it unencrypted (openssl pkey -in key.pem -out plain.pem), readable only by you"
			}
			return ""
		}
	}
}

// refusePasswords reports every argument, at any level of the file, whose
// name looks like a password (password, pasword, passwd, pwd, secret, …):
// secrets never live in the inventory file. It returns the name ranges of
// the refused arguments; markSecrets has their values masked wherever a
// diagnostic shows their line.
func refusePasswords(body hcl.Body) (map[hcl.Range]bool, hcl.Diagnostics) {
	refused := map[hcl.Range]bool{}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return refused, nil
	}
	var diags hcl.Diagnostics
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for _, attr := range b.Attributes {
			if !passwordLike(attr.Name) {
				continue
			}
			refused[attr.NameRange] = true
			hint := ""
			if attr.Name != "password" {
				hint = fmt.Sprintf(" (%q looks like a password argument)", attr.Name)
				if levenshtein.Distance(attr.Name, "password_env", nil) <= 2 {
					hint = fmt.Sprintf(" (if %q is a misspelt password_env, spell it password_env)", attr.Name)
				}
			}
			diags = append(diags, errorAt("Password in inventory file", fmt.Sprintf(
				"The %s argument is refused%s: secrets never live in the inventory file, which is shared, committed and printed. "+
					"Name an environment variable that holds the password instead, such as password_env = \"WINPLAY_PASSWORD\" in a connection block; "+
					"when it is not set, winplay asks for the password on a terminal.", attr.Name, hint),
				attr.NameRange))
		}
		for _, blk := range b.Blocks {
			walk(blk.Body)
		}
	}
	walk(sb)
	return refused, diags
}

// passwordLike reports whether an argument name looks like a password
// or a misspelling of one.
func passwordLike(name string) bool {
	n := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
	if n == "passwordenv" {
		return false
	}
	for _, part := range []string{"pass", "pwd", "secret", "token", "credential"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return n == "pw" || n == "psw" || n == "pswd" || levenshtein.Distance(n, "password", nil) <= 2
}

// Secrets is the Extra of every diagnostic Load returns about a file
// that holds values which may be passwords: arguments and object keys
// whose name looks like a password, and a password_env that names no
// variable (it may be the password itself). A printer of the diagnostics'
// source lines masks these ranges in them, as runner.Redactor does: the
// values are not known as secrets anywhere else.
type Secrets struct {
	Ranges []hcl.Range
	extra  any // the diagnostic's own Extra
}

// SecretRanges returns where the values are.
func (s Secrets) SecretRanges() []hcl.Range { return s.Ranges }

// UnwrapDiagnosticExtra returns the diagnostic's own Extra, for
// hcl.DiagnosticExtra.
func (s Secrets) UnwrapDiagnosticExtra() any { return s.extra }

// markSecrets gives every diagnostic the ranges of src's values that may
// be passwords (see Secrets).
func markSecrets(src []byte, filename string, diags hcl.Diagnostics) hcl.Diagnostics {
	ranges := secretRanges(src, filename)
	if len(ranges) == 0 {
		return diags
	}
	for _, d := range diags {
		d.Extra = Secrets{Ranges: ranges, extra: d.Extra}
	}
	return diags
}

// secretRanges finds the values of src that may be passwords. It reads
// HCL's tokens, which a file HCL cannot parse has too: an argument or an
// object key, then = or :, then the value, up to the end of its line (or a
// comma or a closing bracket) outside any brackets, quotes or heredoc. An
// unclosed quote ends at its line.
func secretRanges(src []byte, filename string) []hcl.Range {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	var out []hcl.Range
	for i := 0; i+1 < len(toks); i++ {
		if toks[i+1].Type != hclsyntax.TokenEqual && toks[i+1].Type != hclsyntax.TokenColon {
			continue
		}
		name := ""
		switch {
		case toks[i].Type == hclsyntax.TokenIdent:
			name = string(toks[i].Bytes)
		case toks[i].Type == hclsyntax.TokenCQuote && i >= 2 && toks[i-1].Type == hclsyntax.TokenQuotedLit && toks[i-2].Type == hclsyntax.TokenOQuote:
			name = string(toks[i-1].Bytes)
		default:
			continue
		}
		if !passwordLike(name) && name != "password_env" {
			continue
		}
		value := valueTokens(toks[i+2:])
		if len(value) == 0 || name == "password_env" && isEnvName(value) {
			continue
		}
		out = append(out, hcl.RangeBetween(value[0].Range, value[len(value)-1].Range))
	}
	return out
}

// valueTokens returns the tokens of the value toks start with.
func valueTokens(toks hclsyntax.Tokens) hclsyntax.Tokens {
	depth := 0
	for i, tok := range toks {
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if depth == 0 {
				return toks[:i]
			}
			depth--
		case hclsyntax.TokenQuotedNewline:
			return toks[:i]
		case hclsyntax.TokenNewline, hclsyntax.TokenComma, hclsyntax.TokenEOF:
			if depth == 0 {
				return toks[:i]
			}
		}
	}
	return toks
}

// isEnvName reports whether a value's tokens are one quoted environment
// variable name.
func isEnvName(value hclsyntax.Tokens) bool {
	return len(value) == 3 && value[0].Type == hclsyntax.TokenOQuote && value[1].Type == hclsyntax.TokenQuotedLit &&
		value[2].Type == hclsyntax.TokenCQuote && envName.Match(value[1].Bytes)
}

// decodeValue decodes an optional attribute into a Go value; an absent
// attribute is an unset setting.
func decodeValue[T any](attr *hcl.Attribute) (setting[T], hcl.Diagnostics) {
	if attr == nil {
		return setting[T]{}, nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return setting[T]{}, diags
	}
	if err := checkValue(val); err != nil {
		return setting[T]{}, hcl.Diagnostics{errorAt("Invalid value",
			fmt.Sprintf("The value of %s %s.", attr.Name, err), attr.Expr.Range())}
	}
	if val.IsNull() {
		// Null would otherwise mean "the zero value", which is never what
		// was meant; leaving the argument out is how to inherit.
		return setting[T]{}, hcl.Diagnostics{errorAt("Invalid value",
			fmt.Sprintf("%s must not be null; leave it out to inherit the value from a lower level.", attr.Name),
			attr.Expr.Range())}
	}
	var v T
	ty, err := gocty.ImpliedType(&v)
	if err != nil {
		return setting[T]{}, hcl.Diagnostics{errorAt("Invalid value", fmt.Sprintf("%s: %s.", attr.Name, err), attr.Expr.Range())}
	}
	converted, err := convert.Convert(val, ty)
	if err != nil {
		return setting[T]{}, hcl.Diagnostics{errorAt("Invalid value",
			fmt.Sprintf("%s must be a %s, not a %s.", attr.Name, ty.FriendlyName(), val.Type().FriendlyName()),
			attr.Expr.Range())}
	}
	if err := gocty.FromCtyValue(converted, &v); err != nil {
		return setting[T]{}, hcl.Diagnostics{errorAt("Invalid value", fmt.Sprintf("%s: %s.", attr.Name, err), attr.Expr.Range())}
	}
	return setting[T]{val: v, set: true, rng: attr.Expr.Range()}, nil
}

func decodeDuration(attr *hcl.Attribute) (setting[time.Duration], hcl.Diagnostics) {
	s, diags := decodeValue[string](attr)
	if !s.set {
		return setting[time.Duration]{}, diags
	}
	d, err := time.ParseDuration(s.val)
	if err != nil {
		return setting[time.Duration]{}, hcl.Diagnostics{errorAt("Invalid duration",
			fmt.Sprintf("%s = %q is not a duration: write a number with a unit, such as \"30s\" or \"2m\".", attr.Name, s.val),
			s.rng)}
	}
	return setting[time.Duration]{val: d, set: true, rng: s.rng}, nil
}

func decodeVars(attr *hcl.Attribute) (map[string]cty.Value, hcl.Diagnostics) {
	if attr == nil {
		return nil, nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	ty := val.Type()
	if val.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		what := "null"
		if !val.IsNull() {
			what = "a " + ty.FriendlyName()
		}
		return nil, hcl.Diagnostics{errorAt("Invalid vars",
			fmt.Sprintf("vars must be an object of variables, such as vars = { role = \"primary\" }, not %s.", what),
			attr.Expr.Range())}
	}
	vars := val.AsValueMap()
	if err := checkVars(vars); err != nil {
		return nil, hcl.Diagnostics{errorAt("Invalid vars", capitalize(err.Error())+".", attr.Expr.Range())}
	}
	return vars, nil
}

// decodeNames decodes a list of host or group names, keeping each
// element's range so that a bad reference is shown where it is written.
func decodeNames(attr *hcl.Attribute, what string) ([]ref, hcl.Diagnostics) {
	if attr == nil {
		return nil, nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	if err := checkValue(val); err != nil {
		return nil, hcl.Diagnostics{errorAt("Invalid "+what,
			fmt.Sprintf("The value of %s %s.", what, err), attr.Expr.Range())}
	}
	list, err := convert.Convert(val, cty.List(cty.String))
	if err != nil || list.IsNull() {
		return nil, hcl.Diagnostics{errorAt("Invalid "+what,
			fmt.Sprintf("%s must be a list of names, such as %s = [\"node1\", \"node2\"].", what, what),
			attr.Expr.Range())}
	}
	// An empty list is no static list expression to HCL; it has no
	// elements to place anyway.
	exprs, exprDiags := hcl.ExprList(attr.Expr)
	exact := !exprDiags.HasErrors() && len(exprs) == list.LengthInt()
	var refs []ref
	for i, v := range list.AsValueSlice() {
		rng := attr.Expr.Range()
		if exact {
			rng = exprs[i].Range()
		}
		if v.IsNull() {
			diags = append(diags, errorAt("Invalid "+what,
				fmt.Sprintf("Element %d of %s is null; write a name.", i+1, what), rng))
			continue
		}
		refs = append(refs, ref{name: v.AsString(), rng: rng})
	}
	return refs, diags
}

// readCA reads a CA bundle; a relative path is relative to dir, the
// inventory file's directory (the working directory when dir is ""). The
// bundle keeps the absolute path, so that a written inventory reads the
// same file wherever it is saved. An empty path clears an inherited one.
func readCA(path, dir string, rng hcl.Range) (caBundle, hcl.Diagnostics) {
	if path == "" {
		return caBundle{}, nil
	}
	full := path
	if !filepath.IsAbs(full) && dir != "" {
		full = filepath.Join(dir, full)
	}
	if abs, err := filepath.Abs(full); err == nil {
		full = abs
	}
	relTo := "the inventory file's directory"
	if dir == "" {
		relTo = "the working directory"
	}
	data, err := input.ReadFile(full, maxSettingFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return caBundle{}, hcl.Diagnostics{errorAt("CA file not found",
			fmt.Sprintf("ca_file = %q: %s does not exist. A relative ca_file is relative to %s.", path, full, relTo), rng)}
	case err != nil:
		return caBundle{}, hcl.Diagnostics{errorAt("Cannot read CA file",
			fmt.Sprintf("ca_file = %q: %v.", path, err), rng)}
	case !validPEM(data):
		return caBundle{}, hcl.Diagnostics{errorAt("Invalid CA file",
			fmt.Sprintf("ca_file = %q: %s holds no PEM-encoded certificate (a block starting with -----BEGIN CERTIFICATE-----).", path, full), rng)}
	}
	return caBundle{path: full, pem: data}, nil
}

func validPEM(data []byte) bool {
	return x509.NewCertPool().AppendCertsFromPEM(data)
}

// sortDiags puts diagnostics in source order, so that a file's problems
// read from top to bottom; those without a location come last.
func sortDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return 1
		case b.Subject == nil:
			return -1
		}
		if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
			return c
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	return diags
}
