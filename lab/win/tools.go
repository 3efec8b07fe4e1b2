package win

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
)

// programDirs is where the system tools live below the Windows directory;
// the machine's file system holds a file for each tool it has, so dir and
// PATH search find them.
var programDirs = map[string]string{
	"wmic":       `\system32\wbem`,
	"powershell": `\system32\WindowsPowerShell\v1.0`,
}

// hasTool reports whether this Windows has the system tool: wmic is gone
// from Server 2025, cluster.exe from 2016 on, PowerShell from NT 4.0 and
// 2003 without WMF (the rehearsal keeps the lab's small PowerShell for
// raw clients such as Ansible's raw module).
func (m *Machine) hasTool(name string) bool {
	switch name {
	case "wmic":
		return m.os.WMIC
	case "cluster":
		return m.os.ClusterExe
	case "powershell":
		return m.os.PowerShell != "" || m.os.Runbook
	}
	return true
}
func initPrograms() {
	programs = map[string]*tool{}
	add := func(t *tool) { programs[t.name] = t }
	add(&tool{name: "sc", run: runSC, changes: changesSC, system: true})
	add(&tool{name: "net", run: runNet, changes: changesNet, system: true})
	add(&tool{name: "reg", run: runReg, changes: changesReg, system: true})
	add(&tool{name: "shutdown", run: runShutdown, changes: changesShutdown, system: true})
	add(&tool{name: "wmic", run: runWMIC, changes: changesWMIC, system: true})
	add(&tool{name: "hostname", run: runHostname, system: true})
	add(&tool{name: "chcp", run: runChcp, system: true})
	add(&tool{name: "whoami", run: runWhoami, system: true})
	add(&tool{name: "certutil", run: runCertutil, changes: changesCertutil, system: true})
	add(&tool{name: "findstr", run: runFindstr, system: true})
	add(&tool{name: "more", run: runMore, system: true})
	add(&tool{name: "cmd", run: runCmd, system: true})
	add(&tool{name: "powershell", run: runPowerShell, system: true})
	add(&tool{name: "cluster", run: runCluster, changes: changesCluster, system: true})
	add(&tool{name: "msdtc", run: runMSDTC, changes: changesAlways, system: true})
	add(&tool{name: "secedit", run: runSecedit, changes: changesSecedit, system: true})
	add(&tool{name: "schtasks", run: runSchtasks, changes: changesSchtasks, system: true})
	// These run only from where their files are: iissync.exe from
	// inetsrv once IIS is installed, setup and UPDATE.EXE from the CD.
	add(&tool{name: "iissync", run: runIISSync, changes: changesAlways})
	add(&tool{name: "setup", run: runOptionPackSetup, changes: changesAlways})
	add(&tool{name: "update", run: runServicePack, changes: changesAlways})
}

func runHostname(c *call) int {
	c.printf("%s\r\n", c.m.netbios)
	return 0
}

func runWhoami(c *call) int {
	c.printf("%s\\%s\r\n", strings.ToLower(c.m.netbios), strings.ToLower(c.s.user))
	return 0
}

// runCmd is a nested cmd.exe: cmd [/s] [/q] [/d] … /c|/k line.
func runCmd(c *call) int {
	rest := strings.TrimLeft(c.cmdline, " \t,;=")
	rest = rest[len(programToken(rest)):]
	slashS := false
	for {
		rest = strings.TrimLeft(rest, " \t")
		if len(rest) < 2 || rest[0] != '/' {
			c.printf("Microsoft(R) Windows NT(TM)\r\n(C) Copyright 1985-1996 Microsoft Corp.\r\n\r\n")
			return 0
		}
		sw := strings.ToLower(rest[:2])
		if sw == "/c" || sw == "/k" {
			rest = rest[2:]
			break
		}
		if sw == "/s" {
			slashS = true
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		// Switches may be glued: /s/c"…".
		if next := strings.IndexByte(rest[1:], '/'); next >= 0 && next+1 < end {
			end = next + 1
		}
		rest = rest[end:]
	}
	if c.s.depth >= maxNesting {
		c.errorf("The lab's cmd.exe nests at most %d levels.\r\n", maxNesting)
		return 1
	}
	child := c.s.child()
	child.out, child.errs = &termSink{w: c.stdout}, &termSink{w: c.stderr}
	child.line = strings.TrimLeft(rest, " \t")
	code := child.runCmdLine(child.line, slashS)
	child.flush()
	return code
}

// runMore copies its input (a file or stdin) to its output.
func runMore(c *call) int {
	args := nonSwitches(c.argv[1:])
	if len(args) == 0 {
		c.stdout.Write(c.stdin)
		return 0
	}
	for _, a := range args {
		p, ok := c.path(a)
		f := c.m.fileAt(p)
		if !ok || f == nil || f.dir {
			c.errorf("Cannot access file %s\r\n", p)
			return 1
		}
		c.stdout.Write(f.data)
	}
	return 0
}

// runFindstr is a small findstr: literal strings (any of the words, or
// one /c:"string"), with /i, /v, /b, /e, /x; reading files or stdin.
func runFindstr(c *call) int {
	var ignoreCase, invert, begin, end, exact bool
	var patterns, files []string
	for _, a := range c.argv[1:] {
		la := strings.ToLower(a)
		switch {
		case strings.HasPrefix(la, "/c:"):
			patterns = append(patterns, a[3:])
		case la == "/i":
			ignoreCase = true
		case la == "/v":
			invert = true
		case la == "/b":
			begin = true
		case la == "/e":
			end = true
		case la == "/x":
			exact = true
		case la == "/l" || la == "/r":
			// Patterns are matched literally either way.
		case strings.HasPrefix(la, "/"):
			c.errorf("FINDSTR: /%s ignored\r\n", a[1:])
		case patterns == nil:
			patterns = strings.Fields(a)
		default:
			files = append(files, a)
		}
	}
	if len(patterns) == 0 {
		c.errorf("FINDSTR: Bad command line\r\n")
		return 2
	}
	var inputs [][]byte
	if len(files) == 0 {
		inputs = [][]byte{c.stdin}
	}
	for _, name := range files {
		p, ok := c.path(name)
		f := c.m.fileAt(p)
		if !ok || f == nil || f.dir {
			c.errorf("FINDSTR: Cannot open %s\r\n", name)
			continue
		}
		inputs = append(inputs, decodeText(f.data))
	}
	found := false
	for _, in := range inputs {
		sc := bufio.NewScanner(bytes.NewReader(in))
		sc.Buffer(make([]byte, 0, 64*1024), len(in)+1)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			hit := false
			for _, p := range patterns {
				l, q := line, p
				if ignoreCase {
					l, q = strings.ToLower(l), strings.ToLower(q)
				}
				switch {
				case exact:
					hit = hit || l == q
				case begin && end:
					hit = hit || (strings.HasPrefix(l, q) && strings.HasSuffix(l, q))
				case begin:
					hit = hit || strings.HasPrefix(l, q)
				case end:
					hit = hit || strings.HasSuffix(l, q)
				default:
					hit = hit || strings.Contains(l, q)
				}
			}
			if hit != invert {
				found = true
				c.printf("%s\r\n", line)
			}
		}
	}
	if !found {
		return 1
	}
	return 0
}

// certutil: -decode, -encode (with -f to overwrite) and -hashfile.

// hresult is how certutil reports a failure: its exit code is the
// HRESULT, as an unsigned 32-bit value.
type hresult struct {
	code uint32
	name string
	msg  string
}

var (
	hrFileNotFound = hresult{0x80070002, "WIN32: 2 ERROR_FILE_NOT_FOUND", "The system cannot find the file specified."}
	hrPathNotFound = hresult{0x80070003, "WIN32: 3 ERROR_PATH_NOT_FOUND", "The system cannot find the path specified."}
	hrAccessDenied = hresult{0x80070005, "WIN32: 5 ERROR_ACCESS_DENIED", "Access is denied."}
	hrFileExists   = hresult{0x80070050, "WIN32: 80 ERROR_FILE_EXISTS", "The file exists."}
	hrBadData      = hresult{0x80090005, "-2146893819 NTE_BAD_DATA", "Bad Data."}
	hrBadAlgID     = hresult{0x80090008, "-2146893816 NTE_BAD_ALGID", "Invalid algorithm specified."}
	hrBadArgs      = hresult{0x800700a0, "WIN32: 160 ERROR_BAD_ARGUMENTS", "One or more arguments are not correct."}
)

func certFail(c *call, verb string, h hresult) int {
	c.printf("CertUtil: %s command FAILED: 0x%08x (%s)\r\nCertUtil: %s\r\n", verb, h.code, h.name, h.msg)
	return int(h.code)
}

func certArgs(c *call) (verb string, force bool, rest []string) {
	for _, a := range c.argv[1:] {
		la := strings.ToLower(a)
		switch {
		case la == "-f" || la == "/f":
			force = true
		case verb == "" && (strings.HasPrefix(a, "-") || strings.HasPrefix(a, "/")):
			verb = "-" + la[1:]
		default:
			rest = append(rest, a)
		}
	}
	return verb, force, rest
}

func changesCertutil(c *call) bool {
	verb, _, rest := certArgs(c)
	switch verb {
	case "-decode", "-encode":
		return len(rest) < 2 || changesPaths(c, rest[1:2])
	}
	return false
}

func runCertutil(c *call) int {
	verb, force, rest := certArgs(c)
	switch verb {
	case "-decode", "-encode":
		if len(rest) != 2 {
			return certFail(c, verb, hrBadArgs)
		}
		return certTransform(c, verb, force, rest[0], rest[1])
	case "-hashfile":
		if len(rest) < 1 || len(rest) > 2 {
			return certFail(c, verb, hrBadArgs)
		}
		alg := "SHA1"
		if len(rest) == 2 {
			alg = strings.ToUpper(rest[1])
		}
		var h hash.Hash
		switch alg {
		case "SHA1":
			h = sha1.New()
		case "SHA256":
			h = sha256.New()
		case "MD5":
			h = md5.New()
		default:
			return certFail(c, verb, hrBadAlgID)
		}
		p, ok := c.path(rest[0])
		f := c.m.fileAt(p)
		if !ok || f == nil || f.dir {
			return certFail(c, verb, hrFileNotFound)
		}
		h.Write(f.data)
		c.printf("%s hash of %s:\r\n%x\r\nCertUtil: -hashfile command completed successfully.\r\n", alg, rest[0], h.Sum(nil))
		return 0
	}
	c.printf("CertUtil: Unknown arg: %s\r\n", verb)
	return int(hrBadArgs.code)
}

func certTransform(c *call, verb string, force bool, in, out string) int {
	ip, ok := c.path(in)
	f := c.m.fileAt(ip)
	if !ok || f == nil || f.dir {
		return certFail(c, verb, hrFileNotFound)
	}
	op, ok := c.path(out)
	d := c.m.drive(op.drive)
	if !ok || d == nil {
		return certFail(c, verb, hrPathNotFound)
	}
	if d.get(op.path) != nil && !force {
		return certFail(c, verb, hrFileExists)
	}
	var result []byte
	if verb == "-decode" {
		b, err := decodeBase64Armor(f.data)
		if err != nil {
			return certFail(c, verb, hrBadData)
		}
		result = b
	} else {
		result = encodeBase64Armor(f.data)
	}
	if _, err := d.write(op.path, result, false, c.m.net.now()); err != nil {
		switch errorCode(err) {
		case errAccessDenied:
			return certFail(c, verb, hrAccessDenied)
		default:
			return certFail(c, verb, hrPathNotFound)
		}
	}
	c.printf("Input Length = %d\r\nOutput Length = %d\r\nCertUtil: %s command completed successfully.\r\n", len(f.data), len(result), verb)
	return 0
}

// decodeBase64Armor decodes base64 text, with or without the BEGIN/END
// lines certutil -encode writes.
func decodeBase64Armor(b []byte) ([]byte, error) {
	var text strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") {
			continue
		}
		text.WriteString(line)
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, text.String())
	if out, err := base64.StdEncoding.DecodeString(s); err == nil {
		return out, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

func encodeBase64Armor(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	out.WriteString("-----BEGIN CERTIFICATE-----\r\n")
	for len(enc) > 64 {
		out.WriteString(enc[:64] + "\r\n")
		enc = enc[64:]
	}
	if enc != "" {
		out.WriteString(enc + "\r\n")
	}
	out.WriteString("-----END CERTIFICATE-----\r\n")
	return []byte(out.String())
}
