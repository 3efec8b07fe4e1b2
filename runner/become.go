package runner

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// Become is a task's become block: its commands run as User, in a logon
// made with the user's password, through a scheduled task (see
// modules.Become). That is how a task reaches past the host it runs on
// with full credentials (IISSYNC to another node, a copy from a UNC path),
// which a WinRM session cannot: the double hop.
//
//	task "IISSYNC from the working node" {
//	  become {}                                  # the connection's user and password
//	  iissync { target = var.rebuilt }
//	}
//	task "copy the settings from the file server" {
//	  become {
//	    user         = "CORP\\svc-deploy"
//	    password_env = "WINPLAY_BECOME_PASSWORD" # else asked on a terminal
//	  }
//	  command { ... }
//	}
//
// Without user, the task runs as the host's connection user, with the
// password in password_env's variable when that is set, else the
// inventory's password for it.
//
// Only the task's changing commands run as the user: its read-only ones
// run in the WinRM session, in a dry run and in the real run alike, so
// that a dry run creates no scheduled task and reads what the real run
// reads.
type Become struct {
	User        string
	PasswordEnv string
	DeclRange   hcl.Range

	password string
}

var becomeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "user"}, {Name: "password_env"}},
}

var becomeEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// decodeBecome reads a become block.
func decodeBecome(block *hcl.Block, ctx *hcl.EvalContext) (*Become, hcl.Diagnostics) {
	content, diags := block.Body.Content(becomeSchema)
	b := &Become{DeclRange: block.DefRange}
	if attr, ok := content.Attributes["user"]; ok {
		diags = append(diags, decodeStaticWith(attr, ctx, &b.User)...)
		if b.User != "" {
			if err := (modules.Become{User: b.User, Password: "x"}).Validate(); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid become user",
					Detail: err.Error() + ".", Subject: attr.Expr.Range().Ptr()})
			}
		}
	}
	if attr, ok := content.Attributes["password_env"]; ok {
		d := decodeStaticWith(attr, ctx, &b.PasswordEnv)
		diags = append(diags, d...)
		if !d.HasErrors() && !becomeEnvName.MatchString(b.PasswordEnv) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid password_env",
				Detail: "password_env names the environment variable that holds the password, such as \"WINPLAY_BECOME_PASSWORD\": " +
					"letters, digits and underscores, not starting with a digit. If the value is the password itself, remove it from the playbook.",
				Subject: attr.Expr.Range().Ptr()})
		}
	}
	return b, diags
}

// becomeKey groups tasks that share a become user and variable, so that
// each password is asked for once.
func (b *Become) key() string { return strings.ToLower(b.User) + "\x00" + b.PasswordEnv }

// ResolveBecome finds the password of each become user the plan's tasks
// name: from the environment variable its password_env names, else from
// prompt (nil without a terminal), else fallback (the lab's password in a
// rehearsal; "" elsewhere). A password that cannot be found, or cannot be
// passed to schtasks, is an error naming the tasks, before any host is
// contacted.
//
// A become block without user takes the connection's user and, without
// password_env, the inventory's password for each host; a host that logs
// on without one (a keytab, a ticket cache, a certificate) is an error.
func (p *Plan) ResolveBecome(getenv func(string) string, prompt func(string) (string, error), fallback string) hcl.Diagnostics {
	type need struct {
		b     *Become
		tasks []string
	}
	needs := map[string]*need{}
	var order []string
	var diags hcl.Diagnostics
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Become == nil {
				continue
			}
			if t.Become.User == "" {
				// The connection's user: password_env when that is set,
				// else the inventory's password for each host.
				if t.Become.PasswordEnv != "" && getenv != nil {
					if pw := getenv(t.Become.PasswordEnv); pw != "" {
						if err := (modules.Become{User: "the connection's user", Password: pw}).Validate(); err != nil {
							diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unusable become password",
								Detail: err.Error() + ".", Subject: t.Become.DeclRange.Ptr()})
						}
						t.Become.password = pw
						continue
					}
				}
				for _, h := range play.hosts {
					if h.Conn.Password() == "" && fallback == "" {
						diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing become password",
							Detail: fmt.Sprintf("Task %q becomes the connection's user of %s, %s, but the inventory has no password for it (it logs on with a keytab, a ticket cache or a certificate). Name the user and set password_env in the become block, or set the variable its password_env names.",
								t.Name, h.Name, h.Conn.User),
							Subject: t.Become.DeclRange.Ptr()})
					}
				}
				continue
			}
			n, ok := needs[t.Become.key()]
			if !ok {
				n = &need{b: t.Become}
				needs[t.Become.key()] = n
				order = append(order, t.Become.key())
			}
			n.tasks = append(n.tasks, t.Name)
		}
	}
	sort.Strings(order)
	found := map[string]string{}
	for _, k := range order {
		n := needs[k]
		tasks := fmt.Sprintf("%q", n.tasks[0])
		if len(n.tasks) > 1 {
			tasks = fmt.Sprintf("%q and %d more", n.tasks[0], len(n.tasks)-1)
		}
		var pw string
		if n.b.PasswordEnv != "" && getenv != nil {
			pw = getenv(n.b.PasswordEnv)
		}
		if pw == "" && prompt != nil {
			who := n.b.User
			if who == "" {
				who = "the connection's user"
			}
			q := fmt.Sprintf("Password of %s, to become for %s: ", who, tasks)
			if n.b.PasswordEnv != "" {
				q = n.b.PasswordEnv + " is not set. " + q
			}
			answer, err := prompt(q)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read password",
					Detail: fmt.Sprintf("Reading the become password of %s failed: %v.", n.b.User, err), Subject: n.b.DeclRange.Ptr()})
				continue
			}
			pw = answer
		}
		if pw == "" {
			pw = fallback
		}
		if pw == "" {
			where := "Set password_env in the become block and that variable in winplay's environment, or run winplay on a terminal to be asked."
			if n.b.PasswordEnv != "" {
				where = fmt.Sprintf("Set %s in winplay's environment, or run winplay on a terminal to be asked.", n.b.PasswordEnv)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing become password",
				Detail: fmt.Sprintf("Task %s runs as %s, whose password is not known. %s", tasks, n.b.User, where), Subject: n.b.DeclRange.Ptr()})
			continue
		}
		user := n.b.User
		if user == "" {
			user = "the connection's user"
		}
		if err := (modules.Become{User: user, Password: pw}).Validate(); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unusable become password",
				Detail: err.Error() + ".", Subject: n.b.DeclRange.Ptr()})
			continue
		}
		found[k] = pw
	}
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Become != nil && t.Become.User != "" {
				t.Become.password = found[t.Become.key()]
			}
		}
	}
	return diags
}

// becomeSecrets are the become passwords, for the Redactor.
func (p *Plan) becomeSecrets() []string {
	var out []string
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Become != nil && t.Become.password != "" {
				out = append(out, t.Become.password)
			}
		}
	}
	return out
}

// becoming is a connection whose commands run as another user.
type becoming struct {
	Connection
	as modules.Host
}

func (b becoming) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	return b.as.Run(ctx, cmd)
}

// becomeFor returns the connection a task's module gets on h: conn
// itself, or conn running every command as the become user outside a dry
// run.
func (e *engine) becomeFor(task *Task, h *inventory.Host, conn Connection, check bool) Connection {
	if task.Become == nil || check {
		return conn
	}
	b := modules.Become{User: task.Become.User, Password: task.Become.password}
	if b.User == "" {
		b.User = h.Conn.User
		if b.Password == "" {
			b.Password = h.Conn.Password()
		}
	}
	if b.Password == "" {
		b.Password = e.opts.BecomeFallback
	}
	return becoming{conn, modules.BecomeHost(conn, b, e.opts.Timing.Poll)}
}
