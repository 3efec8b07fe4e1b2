package win_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// corpus is testdata/windows: verbatim output of real Windows tools,
// one file per sample, SOURCES.md naming where each came from.
const corpus = "../../testdata/windows"

var (
	readMu sync.Mutex
	read   = map[string]bool{}
)

var codePage = regexp.MustCompile(`\.cp(\d+)\.`)

// sample returns a corpus file as winplay receives it over WinRM, whose
// shells run in code page 65001: a file kept in an OEM code page (named
// .cpNNN.) is decoded from it to UTF-8. Every sample read is recorded for
// TestEverySampleIsRead.
func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, name))
	require.NoError(t, err)
	readMu.Lock()
	read[name] = true
	readMu.Unlock()
	if m := codePage.FindStringSubmatch(name); m != nil {
		var cm *charmap.Charmap
		switch m[1] {
		case "850":
			cm = charmap.CodePage850
		case "437":
			cm = charmap.CodePage437
		case "866":
			cm = charmap.CodePage866
		default:
			t.Fatalf("%s: no decoder for code page %s", name, m[1])
		}
		u, err := cm.NewDecoder().Bytes(b)
		require.NoError(t, err)
		return string(u)
	}
	return string(b)
}

// factsDirs hold samples of output no module reads: facts about Windows
// generations the lab follows (systeminfo, whoami, hostname, the
// FailoverClusters and MsDtc cmdlets' tables, PowerShell's own views, the
// names of built-in groups and accounts).
// lab/win's tests read them.
var factsDirs = []string{"systeminfo/", "whoami/", "hostname/", "cluster-ps/", "msdtc-ps/",
	"powershell/psversiontable-", "powershell/get-culture-", "powershell/osversion-", "powershell/get-ciminstance-",
	"powershell/localgroups-"}

// TestMain runs the tests, then fails if a corpus sample was read by
// none of them: every real sample of output a module reads must be read
// by its reader.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flagRunAll() {
		var unread []string
		_ = filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
				return err
			}
			rel, _ := filepath.Rel(corpus, p)
			rel = filepath.ToSlash(rel)
			for _, d := range factsDirs {
				if strings.HasPrefix(rel, d) {
					return nil
				}
			}
			if !read[rel] {
				unread = append(unread, filepath.ToSlash(rel))
			}
			return nil
		})
		if len(unread) > 0 {
			sort.Strings(unread)
			os.Stderr.WriteString("FAIL: corpus samples no test reads:\n  " + strings.Join(unread, "\n  ") + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// flagRunAll reports whether the whole package runs (no -run filter), so
// that the coverage check does not fail a single test run on purpose.
func flagRunAll() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.run") {
			return false
		}
	}
	return true
}
