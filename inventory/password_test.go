package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
)

// twoVariables has hosts that share one variable, one with its own, and
// one with no password_env at all.
const twoVariables = `
connection {
  user         = "CORP\\svc-winplay"
  password_env = "WINPLAY_PASSWORD"
}
host "node1" {}
host "node2" {}
host "dmz1" {
  connection {
    user         = "DMZ\\admin"
    password_env = "WINPLAY_DMZ_PASSWORD"
  }
}
`

func TestPasswordFromEnvironment(t *testing.T) {
	path := writeFile(t, twoVariables)
	prompted := false
	inv, diags := Load(path, LoadOptions{
		Getenv: env(map[string]string{"WINPLAY_PASSWORD": "corp-pw", "WINPLAY_DMZ_PASSWORD": "dmz-pw"}),
		Prompt: func(string) (string, error) { prompted = true; return "", nil },
	})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	assert.False(t, prompted, "no prompt when the environment has the passwords")
	assert.Equal(t, "corp-pw", host(t, inv, "node1").Conn.Password())
	assert.Equal(t, "corp-pw", host(t, inv, "node2").Conn.Password())
	assert.Equal(t, "dmz-pw", host(t, inv, "dmz1").Conn.Password())
}

func TestPasswordPromptOncePerVariable(t *testing.T) {
	path := writeFile(t, twoVariables)
	var prompts []string
	inv, diags := Load(path, LoadOptions{
		Getenv: env(map[string]string{"WINPLAY_DMZ_PASSWORD": "dmz-pw"}),
		Prompt: func(p string) (string, error) {
			prompts = append(prompts, p)
			return "typed-pw", nil
		},
	})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	assert.Equal(t, []string{`WINPLAY_PASSWORD is not set. Password for CORP\svc-winplay (node1, node2): `}, prompts)
	assert.Equal(t, "typed-pw", host(t, inv, "node1").Conn.Password())
	assert.Equal(t, "typed-pw", host(t, inv, "node2").Conn.Password())
	assert.Equal(t, "dmz-pw", host(t, inv, "dmz1").Conn.Password())
}

func TestPasswordPromptWithoutPasswordEnv(t *testing.T) {
	path := writeFile(t, `
connection { user = "lab" }
host "a" {}
host "b" {}
`)
	var prompts []string
	inv, diags := Load(path, LoadOptions{
		Getenv: env(nil),
		Prompt: func(p string) (string, error) { prompts = append(prompts, p); return "pw", nil },
	})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	assert.Equal(t, []string{"Password for lab (a, b): "}, prompts)
	assert.Equal(t, "pw", host(t, inv, "b").Conn.Password())
}

func TestPasswordMissing(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		env     map[string]string
		prompt  func(string) (string, error)
		summary string
		line    int
		detail  []string
	}{
		{
			name:    "unset variable without a terminal",
			src:     twoVariables,
			env:     map[string]string{"WINPLAY_DMZ_PASSWORD": "dmz-pw"},
			summary: "Missing password",
			line:    4,
			detail:  []string{"WINPLAY_PASSWORD", `hosts "node1", "node2"`, `CORP\svc-winplay`},
		},
		{
			name:    "empty variable counts as unset",
			src:     twoVariables,
			env:     map[string]string{"WINPLAY_PASSWORD": "", "WINPLAY_DMZ_PASSWORD": "dmz-pw"},
			summary: "Missing password",
			line:    4,
			detail:  []string{"WINPLAY_PASSWORD", `hosts "node1", "node2"`},
		},
		{
			name:    "host-level variable",
			src:     twoVariables,
			env:     map[string]string{"WINPLAY_PASSWORD": "corp-pw"},
			summary: "Missing password",
			line:    11,
			detail:  []string{"WINPLAY_DMZ_PASSWORD", `host "dmz1"`},
		},
		{
			name:    "no password_env",
			src:     "connection { user = \"lab\" }\nhost \"a\" {}\n",
			summary: "Missing password",
			line:    2,
			detail:  []string{`No password_env applies to host "a"`, `password_env = "WINPLAY_PASSWORD"`},
		},
		{
			name:    "prompt fails",
			src:     twoVariables,
			env:     map[string]string{"WINPLAY_DMZ_PASSWORD": "dmz-pw"},
			prompt:  func(string) (string, error) { return "", errors.New("EOF") },
			summary: "Cannot read password",
			line:    4,
			detail:  []string{`hosts "node1", "node2"`, "EOF"},
		},
		{
			name:    "empty answer",
			src:     twoVariables,
			env:     map[string]string{"WINPLAY_DMZ_PASSWORD": "dmz-pw"},
			prompt:  func(string) (string, error) { return "", nil },
			summary: "Empty password",
			line:    4,
			detail:  []string{`hosts "node1", "node2"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, diags := Load(writeFile(t, tt.src), LoadOptions{Getenv: env(tt.env), Prompt: tt.prompt})
			assert.Nil(t, inv)
			require.Len(t, diags, 1, "%s", diags.Error())
			assert.Equal(t, tt.summary, diags[0].Summary)
			for _, part := range tt.detail {
				assert.Contains(t, diags[0].Detail, part)
			}
			require.NotNil(t, diags[0].Subject)
			assert.Equal(t, tt.line, diags[0].Subject.Start.Line)
		})
	}
}

func TestSkipPasswords(t *testing.T) {
	inv, diags := Load(writeFile(t, twoVariables), LoadOptions{
		Getenv:        env(nil),
		Prompt:        func(string) (string, error) { panic("no prompt when skipping passwords") },
		SkipPasswords: true,
	})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	assert.False(t, host(t, inv, "node1").Conn.HasPassword())
}

func TestNoPromptForInvalidFile(t *testing.T) {
	_, diags := Load(filepath.Join(fixtures, "invalid", "bad_transport.hcl"), LoadOptions{
		Getenv: env(nil),
		Prompt: func(string) (string, error) { panic("no prompt for a file that is refused anyway") },
	})
	assert.True(t, diags.HasErrors())
}

// TestPasswordNeverLeaks formats every type of the package, and the
// diagnostics and errors it returns, and looks for the password.
func TestPasswordNeverLeaks(t *testing.T) {
	const password = "Tr0ub4dor&3-leak-canary"
	inv := load(t, "prod.hcl")
	node1 := host(t, inv, "node1")
	node1.Conn.SetPassword(password)

	lab := &Host{Name: "lab1", Address: "127.0.0.1", Conn: Connection{Transport: "ntlm", Port: 55985, User: "lab"}}
	lab.Conn.SetPassword(password)
	spec := Spec{Hosts: []*Host{lab}, Vars: map[string]cty.Value{"x": cty.True}}
	built, err := New(spec)
	require.NoError(t, err)

	// Errors and diagnostics produced while a password is known.
	_, newErr := New(Spec{Hosts: []*Host{lab}, Groups: []*Group{{Name: "g", Hosts: []string{"nope"}}}})
	require.Error(t, newErr)
	_, diags := Load(writeFile(t, twoVariables), LoadOptions{Getenv: env(map[string]string{"WINPLAY_PASSWORD": password})})
	require.True(t, diags.HasErrors())
	_, selErr := built.Select("lab2")
	require.Error(t, selErr)

	values := map[string]any{
		"Inventory":    *inv,
		"*Inventory":   inv,
		"built":        built,
		"Host":         *node1,
		"*Host":        node1,
		"[]*Host":      inv.Hosts(),
		"lab Host":     lab,
		"Connection":   node1.Conn,
		"*Connection":  &node1.Conn,
		"Spec":         spec,
		"Group":        inv.Groups()[0],
		"LoadOptions":  LoadOptions{Getenv: testEnv},
		"secret":       node1.Conn.password,
		"New error":    newErr,
		"diagnostics":  diags,
		"Select error": selErr,
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, password, "%s formatted with %s", name, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", password), "%s formatted with %s", name, verb)
		}
		if _, isErr := v.(error); isErr {
			continue
		}
		if _, isDiags := v.(hcl.Diagnostics); isDiags {
			continue
		}
		if name == "LoadOptions" {
			continue // holds funcs, which encoding/json refuses
		}
		data, err := json.Marshal(v)
		require.NoError(t, err, name)
		assert.NotContains(t, string(data), password, "%s as JSON", name)
	}

	var buf bytes.Buffer
	require.NoError(t, Write(&buf, built))
	assert.NotContains(t, buf.String(), password, "written inventory")

	// Code that asks the secret for its text directly gets no more.
	assert.Equal(t, redacted, fmt.Stringer(node1.Conn.password).String())
	assert.Equal(t, redacted, fmt.GoStringer(node1.Conn.password).GoString())

	// The password is still there for the runner.
	assert.Equal(t, password, node1.Conn.Password())
	assert.Equal(t, password, built.Hosts()[0].Conn.Password())
	assert.True(t, strings.Contains(node1.Conn.String(), "password from $WINPLAY_PASSWORD"))
}

func TestConnectionJSON(t *testing.T) {
	h := host(t, load(t, "minimal.hcl"), "node1")
	data, err := json.Marshal(h)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"name": "node1",
		"address": "node1",
		"groups": ["all", "ungrouped"],
		"vars": {},
		"connection": {
			"transport": "ntlm",
			"https": false,
			"insecure": false,
			"port": 5985,
			"user": "lab",
			"password_env": "WINPLAY_LAB_PASSWORD",
			"password_set": true,
			"connect_timeout": "10s",
			"operation_timeout": "60s"
		}
	}`, string(data))
}
