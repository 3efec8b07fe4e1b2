package win

import (
	"fmt"
	"sort"
	"strings"
)

// Registry value types as reg.exe names them.
const (
	regSZ       = "REG_SZ"
	regExpandSZ = "REG_EXPAND_SZ"
	regMultiSZ  = "REG_MULTI_SZ"
	regDWORD    = "REG_DWORD"
	regQWORD    = "REG_QWORD"
	regBinary   = "REG_BINARY"
	regNone     = "REG_NONE"
)

// regValue is one named value. Only the field its type uses is set.
type regValue struct {
	name  string // "" is the key's default value
	typ   string
	str   string
	multi []string
	bin   []byte
	num   uint64
}

// data renders the value as reg.exe query prints it.
func (v *regValue) data() string {
	switch v.typ {
	case regSZ, regExpandSZ:
		return v.str
	case regMultiSZ:
		return strings.Join(v.multi, `\0`)
	case regDWORD, regQWORD:
		return fmt.Sprintf("0x%x", v.num)
	default:
		return fmt.Sprintf("%X", v.bin)
	}
}

func (v *regValue) displayName() string {
	if v.name == "" {
		return "(Default)"
	}
	return v.name
}

func (v *regValue) clone() *regValue {
	c := *v
	c.multi = append([]string(nil), v.multi...)
	c.bin = append([]byte(nil), v.bin...)
	return &c
}

// regKey is one key; subkeys are indexed by upper-case name and values
// keep their creation order, as RegEnumValue returns them.
type regKey struct {
	path    string // full display path, e.g. HKEY_LOCAL_MACHINE\SOFTWARE
	subkeys map[string]*regKey
	values  []*regValue
}

func newRegKey(path string) *regKey {
	return &regKey{path: path, subkeys: map[string]*regKey{}}
}

func (k *regKey) value(name string) *regValue {
	for _, v := range k.values {
		if strings.EqualFold(v.name, name) {
			return v
		}
	}
	return nil
}

func (k *regKey) set(v *regValue) {
	for i, old := range k.values {
		if strings.EqualFold(old.name, v.name) {
			v.name = old.name
			k.values[i] = v
			return
		}
	}
	k.values = append(k.values, v)
}

func (k *regKey) deleteValue(name string) bool {
	for i, v := range k.values {
		if strings.EqualFold(v.name, name) {
			k.values = append(k.values[:i], k.values[i+1:]...)
			return true
		}
	}
	return false
}

// sortedSubkeys lists subkeys alphabetically, as the registry keeps them.
func (k *regKey) sortedSubkeys() []*regKey {
	out := make([]*regKey, 0, len(k.subkeys))
	for _, s := range k.subkeys {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].path) < key(out[j].path) })
	return out
}

func (k *regKey) clone() *regKey {
	c := newRegKey(k.path)
	for n, s := range k.subkeys {
		c.subkeys[n] = s.clone()
	}
	for _, v := range k.values {
		c.values = append(c.values, v.clone())
	}
	return c
}

// registry holds the hives by their full root names.
type registry struct {
	roots map[string]*regKey
}

var regRootNames = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
	"HKCU": "HKEY_CURRENT_USER", "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
	"HKCR": "HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKEY_USERS": "HKEY_USERS",
	"HKCC": "HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
}

func newRegistry() *registry {
	r := &registry{roots: map[string]*regKey{}}
	for _, full := range regRootNames {
		r.roots[full] = newRegKey(full)
	}
	return r
}

func (r *registry) clone() *registry {
	c := &registry{roots: map[string]*regKey{}}
	for n, k := range r.roots {
		c.roots[n] = k.clone()
	}
	return c
}

// splitKeyPath parses `HKLM\SOFTWARE\X` into the root's full name and the
// subkey names. It reports false for an unknown root or an empty name.
func splitKeyPath(p string) (string, []string, bool) {
	p = strings.TrimRight(p, `\`)
	parts := strings.Split(p, `\`)
	root, ok := regRootNames[strings.ToUpper(parts[0])]
	if !ok {
		return "", nil, false
	}
	for _, s := range parts[1:] {
		if s == "" {
			return "", nil, false
		}
	}
	return root, parts[1:], true
}

// open returns the key at p, or nil.
func (r *registry) open(p string) *regKey {
	root, parts, ok := splitKeyPath(p)
	if !ok {
		return nil
	}
	k := r.roots[root]
	for _, s := range parts {
		if k = k.subkeys[key(s)]; k == nil {
			return nil
		}
	}
	return k
}

// create returns the key at p, creating it and its parents; nil if p is
// not a valid key name.
func (r *registry) create(p string) *regKey {
	root, parts, ok := splitKeyPath(p)
	if !ok {
		return nil
	}
	k := r.roots[root]
	for _, s := range parts {
		next := k.subkeys[key(s)]
		if next == nil {
			next = newRegKey(k.path + `\` + s)
			k.subkeys[key(s)] = next
		}
		k = next
	}
	return k
}

// deleteKey removes the key at p with its subkeys; roots cannot be deleted.
func (r *registry) deleteKey(p string) bool {
	root, parts, ok := splitKeyPath(p)
	if !ok || len(parts) == 0 {
		return false
	}
	k := r.roots[root]
	for _, s := range parts[:len(parts)-1] {
		if k = k.subkeys[key(s)]; k == nil {
			return false
		}
	}
	last := key(parts[len(parts)-1])
	if k.subkeys[last] == nil {
		return false
	}
	delete(k.subkeys, last)
	return true
}

func (r *registry) setSZ(p, name, s string) {
	r.create(p).set(&regValue{name: name, typ: regSZ, str: s})
}

func (r *registry) setExpandSZ(p, name, s string) {
	r.create(p).set(&regValue{name: name, typ: regExpandSZ, str: s})
}

func (r *registry) setDWORD(p, name string, n uint32) {
	r.create(p).set(&regValue{name: name, typ: regDWORD, num: uint64(n)})
}

func (r *registry) setBinary(p, name string, b []byte) {
	r.create(p).set(&regValue{name: name, typ: regBinary, bin: append([]byte(nil), b...)})
}

func (r *registry) setMulti(p, name string, items []string) {
	r.create(p).set(&regValue{name: name, typ: regMultiSZ, multi: append([]string(nil), items...)})
}

// get returns the value name of key p, or nil.
func (r *registry) get(p, name string) *regValue {
	k := r.open(p)
	if k == nil {
		return nil
	}
	return k.value(name)
}

// dword returns a REG_DWORD value and whether it exists with that type.
func (r *registry) dword(p, name string) (uint32, bool) {
	v := r.get(p, name)
	if v == nil || v.typ != regDWORD {
		return 0, false
	}
	return uint32(v.num), true
}

// sz returns a string value, "" when it is missing.
func (r *registry) sz(p, name string) string {
	v := r.get(p, name)
	if v == nil || (v.typ != regSZ && v.typ != regExpandSZ) {
		return ""
	}
	return v.str
}

func (r *registry) deleteValue(p, name string) {
	if k := r.open(p); k != nil {
		k.deleteValue(name)
	}
}

// walk visits every key under k, depth first in registry order.
func (k *regKey) walk(visit func(*regKey)) {
	visit(k)
	for _, s := range k.sortedSubkeys() {
		s.walk(visit)
	}
}
