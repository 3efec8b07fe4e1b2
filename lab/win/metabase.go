package win

import (
	"bytes"
	"sort"
	"strings"
)

// The IIS metabase and the MTS catalog live in files, so IISSYNC copies
// them byte for byte and a corrupt file is just bad bytes.
const (
	metabasePath   = `\WINNT\system32\inetsrv\MetaBase.bin`
	mtsCatalogPath = `\WINNT\system32\mts\catalog.mts`
	metabaseMagic  = "IIS4 METABASE 1"
)

// metabase maps a key path (/LM/W3SVC/2) to its properties.
type metabase map[string]map[string]string

// bytes serializes the metabase deterministically.
func (mb metabase) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(metabaseMagic + "\r\n")
	for _, k := range sortedKeys(mb) {
		b.WriteString("[" + k + "]\r\n")
		for _, p := range sortedKeys(mb[k]) {
			b.WriteString(p + "=" + mb[k][p] + "\r\n")
		}
	}
	return b.Bytes()
}

// parseMetabase reads a metabase file; it reports false for a corrupt one.
func parseMetabase(data []byte) (metabase, bool) {
	lines := strings.Split(string(data), "\r\n")
	if len(lines) == 0 || lines[0] != metabaseMagic {
		return nil, false
	}
	mb := metabase{}
	var cur map[string]string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		for _, r := range l {
			if r < 0x20 || r == 0x7f || r == 0xfffd {
				return nil, false
			}
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			cur = map[string]string{}
			mb[l[1:len(l)-1]] = cur
			continue
		}
		name, value, ok := strings.Cut(l, "=")
		if !ok || cur == nil {
			return nil, false
		}
		cur[name] = value
	}
	return mb, true
}

// metabase returns this host's metabase, or false when it is missing or
// corrupt.
func (m *Machine) metabase() (metabase, bool) {
	f := m.c.get(metabasePath)
	if f == nil {
		return nil, false
	}
	// The cluster asks at every settle whether an IIS instance can run
	// here, so the parse is kept until the file changes; callers must not
	// modify the map.
	c := &m.parsedMetabase
	if c.file != f || c.writes != f.writes {
		c.mb, c.ok = parseMetabase(f.data)
		c.file, c.writes = f, f.writes
	}
	return c.mb, c.ok
}

// freshMetabase is what Option Pack setup writes: the default sites only,
// run as the host's own IUSR_ and IWAM_ accounts.
func freshMetabase(netbios string, www, ftp bool) metabase {
	mb := metabase{}
	if www {
		mb["/LM/W3SVC"] = map[string]string{"AnonymousUserName": "IUSR_" + netbios, "WAMUserName": "IWAM_" + netbios}
		mb["/LM/W3SVC/1"] = map[string]string{"ServerComment": "Default Web Site", "ServerBindings": ":80:", "Path": `C:\InetPub\wwwroot`}
	}
	if ftp {
		mb["/LM/MSFTPSVC"] = map[string]string{"AnonymousUserName": "IUSR_" + netbios}
		mb["/LM/MSFTPSVC/1"] = map[string]string{"ServerComment": "Default FTP Site", "ServerBindings": ":21:", "Path": `C:\InetPub\ftproot`}
	}
	return mb
}

// clusterMetabase is the healthy nodes' metabase: the default sites and
// the clustered instances on the Web Group's disk, run as the domain's
// cluster accounts.
func clusterMetabase() metabase {
	mb := freshMetabase("", true, true)
	mb["/LM/W3SVC"] = map[string]string{"AnonymousUserName": `CORP\IUSR_CLUSTER`, "WAMUserName": `CORP\IWAM_CLUSTER`}
	mb["/LM/MSFTPSVC"] = map[string]string{"AnonymousUserName": `CORP\IUSR_CLUSTER`}
	mb["/LM/W3SVC/2"] = map[string]string{"ServerComment": "Web Site", "ServerBindings": "WEBVS:80:", "Path": `S:\wwwroot`}
	mb["/LM/MSFTPSVC/2"] = map[string]string{"ServerComment": "FTP Site", "ServerBindings": "WEBVS:21:", "Path": `S:\ftproot`}
	return mb
}

// mtsCatalog is the MTS catalog the Option Pack installs.
func mtsCatalog() []byte {
	pkgs := []string{"IIS In-Process Applications", "IIS Utilities", "System"}
	sort.Strings(pkgs)
	var b bytes.Buffer
	b.WriteString("MTS CATALOG 1\r\n")
	for _, p := range pkgs {
		b.WriteString("Package=" + p + "\r\n")
	}
	return b.Bytes()
}

// corruptMetabase is the corrupted profile's metabase: the header, then
// garbage.
var corruptMetabase = append([]byte(metabaseMagic+"\r\n[/LM/W3SVC]\r\n"), 0x00, 0x13, 0xfe, 0x7f, 0x00, 0x00, 0x42)
