package win

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/winplay/winplay/lab/wsman"
)

// schtasks /create, /run, /delete and /query /tn: the Task Scheduler as a
// runner of one-off tasks needs it, such as winplay's become (and Packer's
// elevated runner, which uses its COM API). What it prints comes from
// real output (lab/win/testdata/SOURCES): "SUCCESS: The scheduled task
// "X" has successfully been created.", "SUCCESS: Attempted to run the
// scheduled task "X".", "SUCCESS: The scheduled task "X" was successfully
// deleted.", "WARNING: Task may not run because /ST is earlier than
// current time." on stderr, "ERROR: The user name or password is
// incorrect." and "ERROR: The system cannot find the file specified.".

// scheduledTask is a registered task.
type scheduledTask struct {
	name     string
	run      string // the /tr command line
	user     string // bare account name; "" for SYSTEM
	password bool   // logs on with a stored password (TASK_LOGON_PASSWORD)
	running  bool
}

// changesSchtasks: every subcommand but /query changes the scheduler.
func changesSchtasks(c *call) bool {
	for _, a := range c.argv[1:] {
		if strings.EqualFold(a, "/query") {
			return false
		}
	}
	return true
}

// schtasksArgs reads schtasks' switches: /name value pairs, and the
// switches that take none.
func schtasksArgs(argv []string) (verb string, opts map[string]string, bad string) {
	opts = map[string]string{}
	flags := map[string]bool{"/f": true, "/v": true, "/nh": true, "/it": true, "/np": true, "/z": true, "/hresult": true}
	for i := 0; i < len(argv); i++ {
		a := strings.ToLower(argv[i])
		switch {
		case a == "/create" || a == "/run" || a == "/delete" || a == "/query" || a == "/end" || a == "/change":
			if verb != "" {
				return "", nil, argv[i]
			}
			verb = a
		case flags[a]:
			opts[a] = ""
		case strings.HasPrefix(a, "/") && i+1 < len(argv):
			opts[a] = argv[i+1]
			i++
		default:
			return "", nil, argv[i]
		}
	}
	return verb, opts, ""
}

func runSchtasks(c *call) int {
	verb, opts, bad := schtasksArgs(c.argv[1:])
	if bad != "" || verb == "" {
		c.errorf("ERROR: Invalid argument/option - '%s'.\r\nType \"SCHTASKS /?\" for usage.\r\n", bad)
		return 1
	}
	name, hasName := opts["/tn"]
	if !hasName && verb != "/query" {
		c.errorf("ERROR: Invalid syntax. Mandatory option '/tn' is missing.\r\nType \"SCHTASKS %s /?\" for usage.\r\n", strings.ToUpper(verb))
		return 1
	}
	if c.m.tasks == nil {
		c.m.tasks = map[string]*scheduledTask{}
	}
	t := c.m.tasks[strings.ToLower(name)]
	switch verb {
	case "/create":
		return c.createTask(name, opts)
	case "/run":
		if t == nil {
			c.errorf("ERROR: The system cannot find the file specified.\r\n")
			return 1
		}
		c.printf("SUCCESS: Attempted to run the scheduled task %q.\r\n", t.name)
		t.running = true
		go c.m.runTask(t)
		return 0
	case "/delete":
		if t == nil {
			c.errorf("ERROR: The system cannot find the file specified.\r\n")
			return 1
		}
		delete(c.m.tasks, strings.ToLower(name))
		c.printf("SUCCESS: The scheduled task %q was successfully deleted.\r\n", t.name)
		return 0
	case "/query":
		if hasName && t == nil {
			c.errorf("ERROR: The system cannot find the file specified.\r\n")
			return 1
		}
		for _, q := range c.m.tasks {
			if !hasName || q == t {
				status := "Ready"
				if q.running {
					status = "Running"
				}
				c.printf("%q,\"N/A\",%q\r\n", `\`+q.name, status)
			}
		}
		return 0
	}
	c.errorf("ERROR: The lab's schtasks does not simulate %s.\r\n", verb)
	return 1
}

func (c *call) createTask(name string, opts map[string]string) int {
	for _, required := range []string{"/sc", "/tr"} {
		if _, ok := opts[required]; !ok {
			c.errorf("ERROR: Invalid syntax. Mandatory option '%s' is missing.\r\nType \"SCHTASKS /CREATE /?\" for usage.\r\n", required)
			return 1
		}
	}
	if _, exists := c.m.tasks[strings.ToLower(name)]; exists {
		if _, force := opts["/f"]; !force {
			// schtasks asks whether to replace it; nobody answers. No
			// real capture of the unattended answer exists.
			c.errorf("ERROR: Cannot create a file when that file already exists.\r\n")
			return 1
		}
	}
	t := &scheduledTask{name: name, run: opts["/tr"]}
	if ru, ok := opts["/ru"]; ok && !strings.EqualFold(ru, "SYSTEM") && !strings.EqualFold(ru, `NT AUTHORITY\SYSTEM`) && ru != "" {
		pw, hasPW := opts["/rp"]
		if !c.m.checkPassword(ru, pw) || !hasPW {
			c.errorf("ERROR: The user name or password is incorrect.\r\n")
			return 1
		}
		t.user, t.password = bareUser(ru), true
	}
	if st, ok := opts["/st"]; ok {
		if at, err := time.Parse("15:04", st); err == nil {
			now := c.m.net.now()
			if at.Hour()*60+at.Minute() < now.Hour()*60+now.Minute() {
				c.errorf("WARNING: Task may not run because /ST is earlier than current time.\r\n")
			}
		}
	}
	c.m.tasks[strings.ToLower(name)] = t
	c.printf("SUCCESS: The scheduled task %q has successfully been created.\r\n", name)
	return 0
}

// checkPassword reports whether password is the password of the account
// user names (DOMAIN\user, user@realm or user): the lab's login user is
// the account with a password the lab knows.
func (m *Machine) checkPassword(user, password string) bool {
	return strings.EqualFold(bareUser(user), m.login) && m.loginPW != "" && password == m.loginPW
}

func bareUser(name string) string {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	return name
}

// runTask runs a task's command line in a logon of its own, after the
// schtasks that started it has returned: the task logs on with the stored
// password, so it holds the user's credentials.
func (m *Machine) runTask(t *scheduledTask) {
	user := t.user
	if user == "" {
		user = "SYSTEM"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	m.Exec(ctx, &wsman.Process{
		Line: t.run, User: user, Logon: wsman.Logon{Method: "task", NetworkCredentials: t.password},
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
	})
	m.net.mu.Lock()
	t.running = false
	m.net.mu.Unlock()
}
