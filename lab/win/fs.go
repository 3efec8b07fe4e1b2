package win

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// drive is one volume of the simulated file system. Paths inside it are
// kept without the drive letter, starting with a backslash; lookups are
// case-insensitive and names keep the case they were created with.
type drive struct {
	letter   byte
	label    string
	serial   string
	readOnly bool
	files    map[string]*file
}

// file is a file or directory. Program names the tool a file runs when it
// is executed (system tools, setup.exe on the CD); copying the file keeps
// it, so a copied setup.exe still runs.
type file struct {
	path    string // display path inside the drive, e.g. `\WINNT\Temp\a.txt`
	dir     bool
	data    []byte
	version string
	program string
	mod     time.Time
	// writes counts changes to data, so a cache of what data says (the
	// parsed metabase) knows when to read it again.
	writes int
}

func (f *file) name() string {
	if f.path == `\` {
		return `\`
	}
	return f.path[strings.LastIndexByte(f.path, '\\')+1:]
}

// Errors of file operations carry the Win32 code cmd.exe reports.
var (
	errNoPath   = winError(errPathNotFound)
	errNoFile   = winError(errFileNotFound)
	errReadOnly = winError(errAccessDenied)
	errExists   = winError(errFileExists)
)

// winError is an error that stands for a Win32 code; its text is the
// message Windows prints.
type winError int

func (e winError) Error() string { return winMessage(int(e)) }

// errorCode returns the Win32 code of err, or 1 when it has none.
func errorCode(err error) int {
	var w winError
	if errors.As(err, &w) {
		return int(w)
	}
	return 1
}

func newDrive(letter byte, label, serial string, readOnly bool, now time.Time) *drive {
	d := &drive{letter: letter, label: label, serial: serial, readOnly: readOnly, files: map[string]*file{}}
	d.files[`\`] = &file{path: `\`, dir: true, mod: now}
	return d
}

func key(p string) string { return strings.ToUpper(p) }

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '\\')
	if i <= 0 {
		return `\`
	}
	return p[:i]
}

func (d *drive) get(p string) *file { return d.files[key(p)] }

// mkdirAll creates p and its missing parents, as mkdir with command
// extensions does.
func (d *drive) mkdirAll(p string, now time.Time) error {
	if f := d.get(p); f != nil {
		if f.dir {
			return nil
		}
		return errExists
	}
	if d.readOnly {
		return errReadOnly
	}
	if err := d.mkdirAll(parentOf(p), now); err != nil {
		return err
	}
	parent := d.get(parentOf(p))
	d.files[key(p)] = &file{path: joinPath(parent.path, baseName(p)), dir: true, mod: now}
	return nil
}

// mkdir creates p when its parent exists.
func (d *drive) mkdir(p string, now time.Time) error {
	if d.get(p) != nil {
		return errExists
	}
	parent := d.get(parentOf(p))
	if parent == nil || !parent.dir {
		return errNoPath
	}
	if d.readOnly {
		return errReadOnly
	}
	d.files[key(p)] = &file{path: joinPath(parent.path, baseName(p)), dir: true, mod: now}
	return nil
}

// write creates or replaces the file p, or appends to it.
func (d *drive) write(p string, data []byte, appendTo bool, now time.Time) (*file, error) {
	parent := d.get(parentOf(p))
	if parent == nil || !parent.dir {
		return nil, errNoPath
	}
	if d.readOnly {
		return nil, errReadOnly
	}
	f := d.get(p)
	if f != nil && f.dir {
		return nil, errReadOnly
	}
	if f == nil {
		f = &file{path: joinPath(parent.path, baseName(p))}
		d.files[key(p)] = f
	} else if !appendTo {
		f.data = nil
		f.version = ""
		f.program = ""
	}
	f.data = append(f.data, data...)
	f.mod = now
	f.writes++
	return f, nil
}

// remove deletes a file or an empty directory.
func (d *drive) remove(p string) error {
	f := d.get(p)
	if f == nil {
		return errNoFile
	}
	if d.readOnly {
		return errReadOnly
	}
	if f.dir && len(d.children(p)) > 0 {
		return winError(145) // ERROR_DIR_NOT_EMPTY
	}
	delete(d.files, key(p))
	return nil
}

// removeTree deletes p and everything under it.
func (d *drive) removeTree(p string) error {
	if d.readOnly {
		return errReadOnly
	}
	k := key(p)
	for fk := range d.files {
		if fk == k || strings.HasPrefix(fk, k+`\`) {
			delete(d.files, fk)
		}
	}
	return nil
}

// children lists the entries directly under the directory p, sorted by
// name as NTFS returns them.
func (d *drive) children(p string) []*file {
	k := key(p)
	prefix := k + `\`
	if k == `\` {
		prefix = `\`
	}
	var out []*file
	for fk, f := range d.files {
		if fk != `\` && strings.HasPrefix(fk, prefix) && !strings.Contains(fk[len(prefix):], `\`) {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].path) < key(out[j].path) })
	return out
}

// clone copies the drive, for a machine's own copy of a template.
func (d *drive) clone() *drive {
	c := *d
	c.files = make(map[string]*file, len(d.files))
	for k, f := range d.files {
		cf := *f
		cf.data = append([]byte(nil), f.data...)
		c.files[k] = &cf
	}
	return &c
}

func joinPath(dir, name string) string {
	if dir == `\` {
		return `\` + name
	}
	return dir + `\` + name
}

func baseName(p string) string {
	return p[strings.LastIndexAny(p, `\/:`)+1:]
}

// winPath is a resolved absolute path: a drive letter and a path inside it.
type winPath struct {
	drive byte
	path  string
}

func (p winPath) String() string {
	return string(p.drive) + ":" + p.path
}

// device returns "NUL" or "CON" when p names that device, which exists in
// every directory, and "" otherwise.
func (p winPath) device() string {
	b := strings.ToUpper(baseName(p.path))
	if i := strings.IndexByte(b, '.'); i >= 0 {
		b = b[:i]
	}
	switch b {
	case "NUL", "CON":
		return b
	}
	return ""
}

// resolvePath makes name absolute against the current directory cwd
// (itself absolute) and normalizes . and .. components. Forward slashes
// count as backslashes, as the Windows file APIs take them.
func resolvePath(cwd winPath, name string) (winPath, bool) {
	name = strings.ReplaceAll(name, "/", `\`)
	if name == "" || strings.HasPrefix(name, `\\`) {
		return winPath{}, false
	}
	drv := cwd.drive
	rest := name
	if len(name) >= 2 && name[1] == ':' {
		c := name[0] &^ 0x20
		if c < 'A' || c > 'Z' {
			return winPath{}, false
		}
		drv = c
		rest = name[2:]
		if !strings.HasPrefix(rest, `\`) {
			if drv == cwd.drive {
				rest = cwd.path + `\` + rest
			} else {
				rest = `\` + rest
			}
		}
	} else if !strings.HasPrefix(rest, `\`) {
		rest = cwd.path + `\` + rest
	}
	var parts []string
	for _, c := range strings.Split(rest, `\`) {
		switch c {
		case "", ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			// Wildcards survive resolution: the tools that take them
			// expand the last component themselves.
			if strings.ContainsAny(c, `<>:"|`) {
				return winPath{}, false
			}
			parts = append(parts, c)
		}
	}
	return winPath{drive: drv, path: `\` + strings.Join(parts, `\`)}, true
}

// matchWild matches name against a pattern with * and ?, case-insensitively.
// As on Windows, a trailing ".*" also matches a name without an extension,
// so *.* matches everything.
func matchWild(pattern, name string) bool {
	if base, ok := strings.CutSuffix(pattern, ".*"); ok && !strings.Contains(name, ".") && matchWild(base, name) {
		return true
	}
	p, n := []rune(strings.ToUpper(pattern)), []rune(strings.ToUpper(name))
	// ok[j] reports whether the pattern so far matches the first j runes.
	ok := make([]bool, len(n)+1)
	ok[0] = true
	for _, c := range p {
		next := make([]bool, len(n)+1)
		for j := 0; j <= len(n); j++ {
			switch {
			case c == '*':
				next[j] = ok[j] || (j > 0 && next[j-1])
			case j > 0 && (c == '?' || c == n[j-1]):
				next[j] = ok[j-1]
			}
		}
		ok = next
	}
	return ok[len(n)]
}

// drive returns the volume a drive letter names on this host, or nil: C:
// is the host's own disk, D: the CD with the setup media, and the cluster
// disks (S:, Q:) exist on the node that owns their group.
func (m *Machine) drive(letter byte) *drive {
	switch letter {
	case 'C':
		return m.c
	case 'D':
		return m.net.media
	}
	return m.net.cluster.disk(m, letter)
}

// fileAt returns the file or directory at p, or nil.
func (m *Machine) fileAt(p winPath) *file {
	d := m.drive(p.drive)
	if d == nil {
		return nil
	}
	return d.get(p.path)
}

// removeFile deletes the file or empty directory at p, or with tree the
// directory and everything under it; read-only media refuse both.
func (m *Machine) removeFile(p winPath, tree bool) error {
	d := m.drive(p.drive)
	if d == nil {
		return errNoPath
	}
	if tree {
		return d.removeTree(p.path)
	}
	return d.remove(p.path)
}

func (m *Machine) isDir(p winPath) bool {
	f := m.fileAt(p)
	return f != nil && f.dir
}
