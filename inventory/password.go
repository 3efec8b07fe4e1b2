package inventory

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// resolvePasswords gives each host its password: from the environment
// variable its password_env names, else from opts.Prompt, else an error
// naming the variable and the hosts. Hosts sharing a variable (or, without
// one, a user) are asked once.
func resolvePasswords(b *built, opts LoadOptions) hcl.Diagnostics {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	type need struct {
		env   string
		users []string
		hosts []*Host
		rng   hcl.Range // the password_env that applies, or the first host's block
	}
	var order []string
	needs := map[string]*need{}
	for _, h := range b.inv.hosts {
		if h.Conn.HasPassword() || !h.Conn.NeedsPassword() {
			continue
		}
		key := "env " + h.Conn.PasswordEnv
		rng := b.layers[h.Name].passwordEnv.rng
		if h.Conn.PasswordEnv == "" {
			key = "user " + h.Conn.User
			rng = b.decls[h.Name].defRange
		}
		n, ok := needs[key]
		if !ok {
			n = &need{env: h.Conn.PasswordEnv, rng: rng}
			needs[key] = n
			order = append(order, key)
		}
		n.hosts = append(n.hosts, h)
		if !slices.Contains(n.users, h.Conn.User) {
			n.users = append(n.users, h.Conn.User)
		}
	}

	var diags hcl.Diagnostics
	for _, key := range order {
		n := needs[key]
		names := make([]string, len(n.hosts))
		for i, h := range n.hosts {
			names[i] = h.Name
		}
		hosts := hostList(names)
		users := strings.Join(n.users, ", ")

		var password string
		if n.env != "" {
			// An empty variable counts as unset: no WinRM account has an
			// empty password, and `export VAR=` is a common slip.
			password = getenv(n.env)
		}
		if password == "" && opts.Prompt != nil {
			prompt := fmt.Sprintf("Password for %s (%s): ", users, strings.Join(names, ", "))
			if n.env != "" {
				prompt = fmt.Sprintf("%s is not set. %s", n.env, prompt)
			}
			answer, err := opts.Prompt(prompt)
			if err != nil {
				diags = append(diags, errorAt("Cannot read password", fmt.Sprintf(
					"Reading the password of %s for %s failed: %v.", users, hosts, err), n.rng))
				continue
			}
			if answer == "" {
				diags = append(diags, errorAt("Empty password", fmt.Sprintf(
					"The password entered for %s (%s) is empty.", users, hosts), n.rng))
				continue
			}
			password = answer
		}
		if password == "" {
			detail := fmt.Sprintf(
				"The environment variable %s, named by password_env, is not set or is empty, and there is no terminal to ask on. "+
					"It holds the password of %s for %s: set it in winplay's environment.", n.env, users, hosts)
			if n.env == "" {
				detail = fmt.Sprintf(
					"No password_env applies to %s (user %s), and there is no terminal to ask on. "+
						"Add password_env = \"WINPLAY_PASSWORD\" to a connection block and set that variable in winplay's environment.",
					hosts, users)
			}
			diags = append(diags, errorAt("Missing password", detail, n.rng))
			continue
		}
		for _, h := range n.hosts {
			h.Conn.SetPassword(password)
		}
	}
	return diags
}
