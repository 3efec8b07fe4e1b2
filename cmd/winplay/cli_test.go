package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/runner"
)

const cycle = "../../playbooks/cluster-service-cycle.hcl"

// requireProgram finds a program a test runs: a loud skip without it on a
// developer's machine, a failure in CI (.ci/run installs it).
func requireProgram(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "" && os.Getenv("WINPLAY_REQUIRE_REAL_CLIENTS") == "" {
		t.Skipf("SKIPPING: %s is not installed (apt-get install %s); CI fails instead", name, pkg)
	}
	t.Fatalf("%s is not installed: apt-get install %s", name, pkg)
	return ""
}

// labAnsibleFiles writes the Ansible fixtures of the lab with the lab's
// ports in place: the INI an admin writes, and the YAML and JSON
// ansible-inventory wrote from it.
func labAnsibleFiles(t *testing.T, l *lab.Lab) (ini, yml, js string) {
	t.Helper()
	dir := t.TempDir()
	ports := strings.NewReplacer("PORT1", strconv.Itoa(l.Host("node1").Port()), "PORT2", strconv.Itoa(l.Host("node2").Port()))
	quotedPorts := strings.NewReplacer(`"PORT1"`, strconv.Itoa(l.Host("node1").Port()), `"PORT2"`, strconv.Itoa(l.Host("node2").Port()))
	for _, f := range []struct {
		src, dst string
		r        *strings.Replacer
	}{
		{"lab.ini", "hosts", ports}, // Ansible's default name, no extension
		{"lab.list.yml", "hosts.yml", ports},
		{"lab.ini.list.json", "inventory.json", quotedPorts},
	} {
		b, err := os.ReadFile(filepath.Join("../../testdata/inventory/ansible", f.src))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.dst), []byte(f.r.Replace(string(b))), 0o600))
	}
	return filepath.Join(dir, "hosts"), filepath.Join(dir, "hosts.yml"), filepath.Join(dir, "inventory.json")
}

// TestAnsibleInventoriesRunTheSmallExample: an admin's Ansible INI, and
// the YAML and JSON ansible-inventory writes from it, run the small
// example against lab hosts as winplay's own inventory does; and the
// HCL winplay inventory convert writes from them does too.
func TestAnsibleInventoriesRunTheSmallExample(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	ini, yml, js := labAnsibleFiles(t, l)
	converted := filepath.Join(t.TempDir(), "converted.hcl")
	r := winplay(t, nil, "inventory", "convert", yml, "-o", converted)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	for _, inv := range []string{ini, yml, js, converted} {
		r := winplay(t, labEnv, "run", cycle, "-i", inv)
		require.Equal(t, runner.ExitOK, r.code, "%s:\n%s%s", inv, r.out, r.err)
		assert.Equal(t, []string{
			"node1                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
			"node2                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
		}, recapLines(t, r.out), inv)
		assert.NotContains(t, r.out+r.err, lab.DefaultPassword)
	}
	text, err := os.ReadFile(converted)
	require.NoError(t, err)
	assert.Contains(t, string(text), `password_env = "WINPLAY_PASSWORD"`)
	assert.Contains(t, string(text), `group "windows"`)
	assert.Contains(t, string(text), `children = ["cluster"]`)

	// ansible-inventory itself writes the YAML and JSON that winplay reads.
	ai := requireProgram(t, "ansible-inventory", "ansible")
	for _, format := range [][]string{{"--list", "--yaml"}, {"--list"}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, ai, append([]string{"-i", ini}, format...)...).Output()
		cancel()
		require.NoError(t, err)
		written := filepath.Join(t.TempDir(), "from-ansible-inventory.yml")
		require.NoError(t, os.WriteFile(written, out, 0o600))
		r := winplay(t, labEnv, "run", cycle, "-i", written, "--check")
		assert.Equal(t, runner.ExitOK, r.code, "%v:\n%s\n%s%s", format, out, r.out, r.err)
	}
}

// winplay hosts --graph draws what ansible-inventory --graph draws.
func TestHostsGraphAsAnsibleInventoryDrawsIt(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	ini, _, _ := labAnsibleFiles(t, l)
	want := "@all:\n  |--@ungrouped:\n  |--@windows:\n  |  |--@cluster:\n  |  |  |--node1\n  |  |  |--node2\n"
	r := winplay(t, nil, "hosts", "-i", ini, "--graph")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, want, r.out)

	r = winplay(t, nil, "hosts", "-i", ini, "--output", "json")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	var listed struct {
		Hosts []struct {
			Name       string         `json:"name"`
			Groups     []string       `json:"groups"`
			Connection map[string]any `json:"connection"`
		} `json:"hosts"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &listed), r.out)
	require.Len(t, listed.Hosts, 2)
	assert.Equal(t, []string{"all", "windows", "cluster"}, listed.Hosts[0].Groups)
	assert.Equal(t, "ntlm", listed.Hosts[0].Connection["transport"])
	assert.NotContains(t, r.out, lab.DefaultPassword)

	ai := requireProgram(t, "ansible-inventory", "ansible")
	out, err := exec.Command(ai, "-i", ini, "--graph").Output()
	require.NoError(t, err)
	graph := winplay(t, nil, "hosts", "-i", ini, "--graph")
	assert.Equal(t, string(out), graph.out)
}

func TestHostsGraphVarsAndPattern(t *testing.T) {
	t.Parallel()
	inv := filepath.Join(t.TempDir(), "inv.hcl")
	require.NoError(t, os.WriteFile(inv, []byte(`
connection { user = "a" }
vars = { site = "lon" }
host "node1" { vars = { role = "primary" } }
host "node2" {}
host "dc1" {}
group "cluster" {
  hosts = ["node1", "node2"]
  vars  = { cluster_name = "C1" }
}
`), 0o600))
	r := winplay(t, nil, "hosts", "-i", inv, "--graph", "--vars")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, `@all:
  |--@cluster:
  |  |--node1
  |  |  |--{cluster_name = C1}
  |  |  |--{role = primary}
  |  |  |--{site = lon}
  |  |--node2
  |  |  |--{cluster_name = C1}
  |  |  |--{site = lon}
  |  |--{cluster_name = C1}
  |--@ungrouped:
  |  |--dc1
  |  |  |--{site = lon}
  |--{site = lon}
`, r.out)
	r = winplay(t, nil, "hosts", "-i", inv, "cluster:!node1", "--vars")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Regexp(t, `^node2 +http://node2:5985/wsman  groups: all, cluster\n +cluster_name = C1\n +site = lon\n$`, r.out)
	r = winplay(t, nil, "hosts", "-i", inv, "--graph", "clustr")
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, `no group named "clustr" (did you mean "cluster"?)`)
}

// Variables come from -e @file (HCL or JSON), a JSON -e and JSON var files.
func TestVariablesFromJSONAndFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pb := writePlaybook(t, `
variable "nodes" { type = list(string) }
variable "note" { default = "x" }
play "p" {
  hosts = var.nodes
  task "t" {
    command { argv = ["echo", var.note] }
  }
}`)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	jsonFile := write("vars.json", `{"nodes": ["node1"], "note": "from json"}`)
	hclFile := write("vars.hcl", `nodes = ["node2"]`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-e", "@" + jsonFile}, "1 plays, 1 tasks: valid"},
		{[]string{"-e", "@" + hclFile}, "valid"},
		{[]string{"--var-file", jsonFile}, "valid"},
		{[]string{"-e", `{"nodes": ["node1", "node2"]}`}, "valid"},
		{[]string{"-e", `nodes=["node1"]`}, "valid"},
	} {
		r := winplay(t, nil, append([]string{"validate", pb, "--lab"}, tc.args...)...)
		assert.Equal(t, runner.ExitOK, r.code, "%v: %s", tc.args, r.err)
		assert.Contains(t, r.out, tc.want, tc.args)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-e", "@" + filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"-e", `{"nodes": ["node1"], "nodez": 1}`}, `declares no variable named "nodez"`},
		{[]string{"-e", `{"nodes": `}, "-e"},
		{[]string{"--var-file", write("bad.json", `{"nodes": 3}`)}, "Invalid value for variable"},
	} {
		r := winplay(t, nil, append([]string{"validate", pb, "--lab"}, tc.args...)...)
		assert.Equal(t, runner.ExitInvalid, r.code, "%v: %s", tc.args, r.err)
		assert.Contains(t, r.err, tc.want, tc.args)
	}
}

func TestValidateWithoutInventoryOrWithTheLab(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "validate", "../../playbooks/iis-cluster-node-rebuild.hcl")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "valid (syntax only; give -i INVENTORY or --lab to check it against hosts)")

	r = winplay(t, nil, "validate", "../../playbooks/iis-cluster-node-rebuild.hcl", "--lab", "-e", "rebuilt=node2", "-e", "healthy=node1")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Regexp(t, `: \d+ plays, \d+ tasks: valid\n$`, r.out)

	// Bound to the lab, a host the lab does not have is an error.
	r = winplay(t, nil, "validate", "../../playbooks/iis-cluster-node-rebuild.hcl", "--lab", "-e", "rebuilt=node3", "-e", "healthy=node1")
	assert.Equal(t, runner.ExitInvalid, r.code, r.out)

	// Every mistake that needs no inventory is found without one: all the
	// invalid playbooks but those about hosts and a missing value.
	needHosts := []string{"missing-variable-value.hcl", "unknown-host-in-hosts.hcl", "unknown-host-in-on.hcl", "unknown-host-reference.hcl"}
	files, err := filepath.Glob("../../testdata/playbooks/invalid/*.hcl")
	require.NoError(t, err)
	for _, f := range files {
		r := winplay(t, nil, "validate", f)
		if slices.Contains(needHosts, filepath.Base(f)) {
			assert.Equal(t, runner.ExitOK, r.code, "%s needs hosts to be found invalid: %s", f, r.err)
			continue
		}
		assert.Equal(t, runner.ExitInvalid, r.code, f)
		assert.Regexp(t, regexpQuote(filepath.Base(f))+` line \d+`, r.err, f)
	}

	r = winplay(t, nil, "validate", cycle, "--limit", "node1")
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "--limit needs an inventory")
}

// --list-tasks, --list-hosts and --list-tags print what ansible-playbook
// prints, and contact no host.
func TestListTasksHostsAndTags(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	pb := writePlaybook(t, `
play "first" {
  hosts = "cluster"
  tags  = ["maint"]
  task "stop it" {
    command { argv = ["hostname"] }
    tags = ["stop"]
  }
  task "start it" {
    command { argv = ["hostname"] }
    tags = ["start", "always"]
  }
}
play "second" {
  hosts = "node2"
  task "check it" {
    command { argv = ["hostname"] }
  }
}`)
	r := winplay(t, labEnv, "run", pb, "-i", inv, "--list-tasks", "--list-hosts")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, "\nplaybook: "+pb+"\n\n"+
		"  play #1 (cluster): first\tTAGS: [maint]\n"+
		"    pattern: ['cluster']\n    hosts (2):\n      node1\n      node2\n"+
		"    tasks:\n      stop it\tTAGS: [maint, stop]\n      start it\tTAGS: [always, maint, start]\n\n"+
		"\n  play #2 (node2): second\tTAGS: []\n"+
		"    pattern: ['node2']\n    hosts (1):\n      node2\n"+
		"    tasks:\n      check it\tTAGS: []\n\n", r.out)

	r = winplay(t, labEnv, "run", pb, "-i", inv, "--list-tags", "--tags", "stop")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, "\nplaybook: "+pb+"\n\n"+
		"  play #1 (cluster): first\tTAGS: [maint]\n      TASK TAGS: [always, maint, start, stop]\n\n"+
		"\n  play #2 (node2): second\tTAGS: []\n      TASK TAGS: []\n\n", r.out)
	for _, h := range l.Hosts() {
		assert.Empty(t, h.Log(), "listing contacted %s", h.Name())
	}
}

// A --tags or --skip-tags no task has is an error, not a run of nothing.
func TestTagsThatMatchNothingAreAnError(t *testing.T) {
	t.Parallel()
	pb := writePlaybook(t, `
play "p" {
  hosts = "cluster"
  task "a" {
    command { argv = ["hostname"] }
    tags = ["restart"]
  }
}`)
	for _, args := range [][]string{{"--tags", "restrat"}, {"--skip-tags", "restrat"}, {"--tags", "restart,nope"}, {"--list-tasks", "--tags", "restrat"}} {
		r := winplay(t, nil, append([]string{"run", pb, "--lab"}, args...)...)
		assert.Equal(t, runner.ExitInvalid, r.code, args)
		assert.Contains(t, r.err, "no task is tagged", args)
		assert.NotContains(t, r.out, "TASK [", args)
	}
	r := winplay(t, nil, "run", pb, "--lab", "--tags", "restrat")
	assert.Contains(t, r.err, `Did you mean "restart"?`)
	r = winplay(t, nil, "run", pb, "--lab", "--tags", "all")
	assert.Equal(t, runner.ExitOK, r.code, r.err)
}

func TestFmtLikeTerraform(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ugly := "play \"p\" {\nhosts = \"all\"\n  task \"t\" {\n    command { argv = [\"hostname\"] }\n  }\n}\n"
	pretty := "play \"p\" {\n  hosts = \"all\"\n  task \"t\" {\n    command { argv = [\"hostname\"] }\n  }\n}\n"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub", ".hidden"), 0o755))
	for _, p := range []string{"a.hcl", "sub/b.hcl", "sub/.hidden/c.hcl", "notes.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(ugly), 0o600))
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		require.NoError(t, err)
		return string(b)
	}

	// -check and -diff, terraform's spelling: nothing written, exit 4.
	r := winplay(t, nil, "fmt", "-check", "-diff", "-recursive", dir)
	assert.Equal(t, runner.ExitInvalid, r.code, r.err)
	assert.Contains(t, r.out, filepath.Join(dir, "a.hcl")+"\n")
	assert.Contains(t, r.out, filepath.Join(dir, "sub", "b.hcl")+"\n")
	assert.Contains(t, r.out, "--- old/"+filepath.Join(dir, "a.hcl")+"\n+++ new/")
	assert.Contains(t, r.out, "@@ -1,5 +1,5 @@\n play \"p\" {\n-hosts = \"all\"\n+  hosts = \"all\"\n")
	assert.NotContains(t, r.out, ".hidden")
	assert.Equal(t, ugly, read("a.hcl"), "-check writes nothing")

	// A directory without -recursive: its own files only.
	r = winplay(t, nil, "fmt", dir)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, filepath.Join(dir, "a.hcl")+"\n", r.out)
	assert.Equal(t, pretty, read("a.hcl"))
	assert.Equal(t, ugly, read("sub/b.hcl"))

	r = winplay(t, nil, "fmt", "--recursive", dir)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, pretty, read("sub/b.hcl"))
	assert.Equal(t, ugly, read("sub/.hidden/c.hcl"), "hidden directories are left alone")
	assert.Equal(t, ugly, read("notes.txt"))
	r = winplay(t, nil, "fmt", "-check", "-recursive", dir)
	assert.Equal(t, runner.ExitOK, r.code, "all formatted now: %s", r.out)

	// Standard input to standard output.
	r = winplayIn(t, nil, ugly, "fmt", "-")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Equal(t, pretty, r.out)
	r = winplayIn(t, nil, ugly, "fmt", "-check", "-")
	assert.Equal(t, runner.ExitInvalid, r.code)

	// A syntax error is shown with its line; a missing file is an error.
	r = winplayIn(t, nil, "play \"p\" {\n", "fmt", "-")
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "<stdin>")
	r = winplay(t, nil, "fmt", filepath.Join(dir, "nope.hcl"))
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "no such file or directory")
}

// --connect-timeout gives up on a host that does not answer; a default
// run would wait its inventory's connect_timeout, not minutes.
func TestConnectTimeoutGivesUpOnASilentHost(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	l.Host("node2").Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		return wsman.Injection{Delay: time.Minute}
	}))
	r := winplay(t, labEnv, "run", cycle, "-i", writeInventory(t, l), "--connect-timeout", "300ms", "--output", "json")
	assert.Equal(t, runner.ExitUnreachable, r.code, r.out+r.err)
	assert.Contains(t, r.out, `"status":"unreachable"`)
	assert.Contains(t, r.out, "twice the connect timeout of 300ms")
}

// --timeout bounds a task that hangs.
func TestTimeoutBoundsATaskThatHangs(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	pb := writePlaybook(t, `
play "p" {
  hosts = "node1"
  task "first" {
    command { argv = ["hostname"] }
  }
  task "hangs" {
    command { argv = ["hostname"] }
  }
}`)
	receives := 0
	l.Host("node1").Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Receive" {
			receives++
			// The first Receive is the facts command's, the second the
			// first task's.
			if receives > 2 {
				return wsman.Injection{Delay: time.Minute}
			}
		}
		return wsman.Injection{}
	}))
	r := winplay(t, labEnv, "run", pb, "-i", writeInventory(t, l), "--timeout", "500ms")
	assert.Equal(t, runner.ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.out, "changed: [node1]", "the first task ran")
	assert.Contains(t, r.out, "failed: [node1] task timeout of 500ms reached")
}

// An endpoint that answers HTTP but is not WinRM says so.
func TestNonWinRMEndpointIsReportedAsSuch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	inv := filepath.Join(t.TempDir(), "inv.hcl")
	require.NoError(t, os.WriteFile(inv, []byte(`
host "web1" {
  address = "127.0.0.1"
  connection {
    port         = `+u.Port()+`
    user         = "u"
    password_env = "PW"
  }
}
`), 0o600))
	pb := writePlaybook(t, "play \"p\" {\n  hosts = \"web1\"\n  task \"t\" {\n    command { argv = [\"hostname\"] }\n  }\n}\n")
	r := winplay(t, map[string]string{"PW": "x"}, "run", pb, "-i", inv)
	assert.Equal(t, runner.ExitUnreachable, r.code, r.out+r.err)
	assert.Contains(t, r.out, "not a WinRM endpoint")
	assert.Contains(t, r.out, "HTTP 404")
	assert.NotContains(t, r.out, "credentials were rejected")
}

func TestMissingInventorySaysNoSuchFile(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "run", cycle, "-i", "nowhere.ini")
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "open nowhere.ini: no such file or directory")
}

// A one-host lab names the cluster partner it does not serve as such.
func TestOneHostLabSaysItsPartnerIsNotServed(t *testing.T) {
	t.Parallel()
	out, errb := startServedLab(t, 1, "--hosts", "web1", "--addr", "127.0.0.1:0")
	assert.Regexp(t, `^web1 http://127\.0\.0\.1:\d+/wsman\n$`, out)
	assert.Contains(t, errb.String(), "cluster nodes: web1, node2 (node2 is not served")
}

// Completion scripts for each shell, and completions of modules, hosts,
// groups and tags through cobra's __complete.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, mark := range map[string]string{
		"bash": "__start_winplay", "zsh": "#compdef winplay", "fish": "complete -c winplay", "powershell": "Register-ArgumentCompleter",
	} {
		r := winplay(t, nil, "completion", shell)
		require.Equal(t, runner.ExitOK, r.code, shell+r.err)
		assert.Contains(t, r.out, mark, shell)
		if shell == "bash" {
			if bash, err := exec.LookPath("bash"); err == nil {
				script := filepath.Join(t.TempDir(), "winplay.bash")
				require.NoError(t, os.WriteFile(script, []byte(r.out), 0o600))
				out, err := exec.Command(bash, "-n", script).CombinedOutput()
				assert.NoError(t, err, "the bash script does not parse: %s", out)
			}
		}
	}
	complete := func(args ...string) []string {
		r := winplay(t, labEnv, append([]string{"__complete"}, args...)...)
		require.Equal(t, runner.ExitOK, r.code, r.err)
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
			if !strings.HasPrefix(line, ":") {
				name, _, _ := strings.Cut(line, "\t")
				out = append(out, name)
			}
		}
		return out
	}
	assert.Equal(t, []string{"service", "service_pack"}, complete("doc", "serv"))
	assert.Contains(t, complete("doc", "inv"), "inventory")
	assert.Contains(t, complete("help", "inv"), "inventory")

	l := labtest.Start(t)
	ini, _, _ := labAnsibleFiles(t, l)
	assert.Equal(t, []string{"node1", "node2"}, complete("run", cycle, "-i", ini, "--limit", "node"))
	assert.Equal(t, []string{"all", "cluster", "windows", "node1", "node2"}, complete("hosts", "-i", ini, ""))
	assert.Equal(t, []string{"all:!node1", "all:!node2"}, complete("run", cycle, "-i", ini, "--limit", "all:!no"))
	pb := writePlaybook(t, "play \"p\" {\n  hosts = \"all\"\n  task \"t\" {\n    command { argv = [\"hostname\"] }\n    tags = [\"restart\", \"stop\"]\n  }\n}\n")
	assert.Equal(t, []string{"restart"}, complete("run", pb, "--tags", "re"))
	assert.Equal(t, []string{"stop,restart"}, complete("run", pb, "--tags", "stop,"))
	assert.Equal(t, []string{"t"}, complete("run", pb, "--start-at-task", ""))
	assert.Contains(t, complete("lab", "--profile", "node2="), "node2=rebuilt")
}
