package modules

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// Become runs commands as User in a logon made with the user's password:
// each command runs as a scheduled task that logs on with the password
// (schtasks /ru /rp), as Packer's elevated runner does. A WinRM session's
// network logon (NTLM, Kerberos without delegation) cannot authenticate to
// other hosts, so a tool that reaches one, such as IISSYNC writing the
// rebuilt node's metabase or a copy from a UNC path, is refused there with
// access denied: the double hop. A task that logs on with a password holds
// the user's credentials (Microsoft's TASK_LOGON_PASSWORD; an S4U logon
// has "no access to the network"), whatever transport winplay used.
//
// Measured against the alternatives: Kerberos delegation works only over
// Kerberos, needs the host's computer account trusted for (unconstrained)
// delegation and, in Go, AS/TGS and KRB-CRED code gokrb5 lacks; CredSSP
// sends the password to the host too, needs CredSSP enabled on both ends,
// and has no Go implementation. A scheduled task works over any transport
// with a tool every Windows since Server 2003 has.
//
// Only changing commands run as the user; read-only ones run in the WinRM
// session, as in a dry run. For one command it writes two batch files
// under %SystemRoot%\Temp
// (the command and a wrapper that records its output and exit code),
// creates and runs a task for the wrapper, waits for the exit code, reads
// the output and deletes the task and the files: about six round trips.
// The password is on schtasks' command line, shown masked.
type Become struct {
	User, Password string
}

// Validate says why the user or password cannot be passed to schtasks.
func (b Become) Validate() error {
	if strings.TrimSpace(b.User) == "" {
		return errors.New("become needs a user")
	}
	if err := cmdline.Check(b.User); err != nil {
		return fmt.Errorf("become user %q: %w", b.User, err)
	}
	if b.Password == "" {
		return errors.New("become needs the user's password")
	}
	if err := cmdline.Check(b.Password); err != nil {
		// The message must not show the password.
		return fmt.Errorf("the become password of %s %s", b.User, strings.TrimPrefix(err.Error(), cmdline.ErrUnsafe.Error()+": "))
	}
	return nil
}

// BecomeHost returns h running every command as b.User; poll is the first
// interval at which it looks for a command's end.
func BecomeHost(h Host, b Become, poll time.Duration) Host {
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	return &becomeHost{h: h, b: b, poll: poll}
}

type becomeHost struct {
	h    Host
	b    Become
	poll time.Duration
}

func (bh *becomeHost) Name() string { return bh.h.Name() }
func (bh *becomeHost) Reset()       { bh.h.Reset() }

// becomeMaxPoll caps the wait between looks for the task's end.
const becomeMaxPoll = 2 * time.Second

// Run runs a changing command as the user; a read-only one runs in the
// WinRM session, as it does in a dry run, so that what a dry run reads is
// what the real run reads.
func (bh *becomeHost) Run(ctx context.Context, cmd Command) (Output, error) {
	if !cmd.Changes {
		return bh.h.Run(ctx, cmd)
	}
	if err := bh.b.Validate(); err != nil {
		return Output{}, err
	}
	if cmd.err != nil {
		return Output{}, cmd.err
	}
	id := randomHex(6)
	name := "winplay-become-" + id
	base := `%SystemRoot%\Temp\` + name
	t := &Task{Host: bh.h}

	// The command gets a file of its own and runs in a cmd.exe of its
	// own, so that neither its & nor an exit in it ends the wrapper
	// before the exit code is written.
	wrapper := "@echo off\r\n" +
		"cmd /d /c " + base + ".run.cmd > " + base + ".out 2> " + base + ".err\r\n" +
		">" + base + ".rc echo %ERRORLEVEL%\r\n"
	if err := writeBatch(ctx, t, base, cmd.Line+"\r\n", wrapper); err != nil {
		return Output{}, err
	}
	defer bh.cleanup(ctx, name, base)

	create := cmdline.NewRaw("schtasks /create /tn "+name+` /tr "cmd.exe /d /c `+base+`.cmd" /sc once /st 00:00`).
		Arg("/ru", bh.b.User)
	shown := cmdline.NewRaw(create.MustLine() + " /rp ******** /rl highest /f && schtasks /run /tn " + name)
	create.Arg("/rp", bh.b.Password).Raw("/rl highest /f && schtasks /run /tn " + name)
	start := Command{Changes: cmd.Changes, Display: shown.MustLine()}
	start.Line, start.err = create.Line()
	out, err := t.Run(ctx, start)
	if err != nil {
		return out, err
	}
	if out.ExitCode != 0 {
		return out, Failed(bh.h.Name(), start, out, "schtasks could not run the command as "+bh.b.User)
	}

	code, err := bh.wait(ctx, t, base, cmd)
	if err != nil {
		return Output{}, err
	}
	read := Read(cmdline.NewRaw("type " + base + ".out & type " + base + ".err 1>&2"))
	res, err := t.Run(ctx, read)
	if err != nil {
		return Output{}, err
	}
	return Output{Stdout: res.Stdout, Stderr: strings.TrimPrefix(res.Stderr, "\r\n"), ExitCode: code}, nil
}

// wait polls for the exit code the wrapper writes when the command ends.
func (bh *becomeHost) wait(ctx context.Context, t *Task, base string, cmd Command) (int, error) {
	poll := Read(cmdline.NewRaw("type " + base + ".rc"))
	interval := bh.poll
	for {
		out, err := t.Run(ctx, poll)
		if err != nil {
			if ctx.Err() != nil && cmd.Changes {
				return 0, fmt.Errorf("%w: the scheduled task running %s as %s did not end before the deadline: %w", ErrOutcomeUnknown, cmd.Shown(), bh.b.User, err)
			}
			return 0, err
		}
		if out.ExitCode == 0 {
			if code, err := strconv.Atoi(strings.TrimSpace(out.Stdout)); err == nil {
				return code, nil
			}
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("the scheduled task running %s as %s did not end: %w (Task Scheduler's history says why a task did not start)", cmd.Shown(), bh.b.User, ctx.Err())
			if cmd.Changes {
				err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
			}
			return 0, err
		case <-time.After(interval):
		}
		interval = min(interval*2, becomeMaxPoll)
	}
}

// cleanup deletes the task and its files, best effort: they are scratch.
func (bh *becomeHost) cleanup(ctx context.Context, name, base string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var files []string
	for _, ext := range []string{".run.b64", ".b64", ".run.cmd", ".cmd", ".out", ".err", ".rc"} {
		files = append(files, base+ext)
	}
	del := Change(cmdline.NewRaw("schtasks /delete /tn " + name + " /f & del /q " + strings.Join(files, " ")))
	_, _ = (&Task{Host: bh.h}).Run(ctx, del)
}

// writeBatch writes the command file and the wrapper, base64-decoded with
// certutil: one command when both fit in a command line, else each in
// chunks as Upload sends them.
func writeBatch(ctx context.Context, t *Task, base, command, wrapper string) error {
	run64 := base64.StdEncoding.EncodeToString([]byte(command))
	wrap64 := base64.StdEncoding.EncodeToString([]byte(wrapper))
	if len(run64)+len(wrap64)+4*len(base) < cmdline.MaxLine-512 {
		line := "echo " + run64 + " > " + base + ".run.b64 && echo " + wrap64 + " > " + base + ".b64 && " +
			"certutil -f -decode " + base + ".run.b64 " + base + ".run.cmd >nul && certutil -f -decode " + base + ".b64 " + base + ".cmd >nul"
		cmd := Change(cmdline.NewRaw(line))
		cmd.Display = fmt.Sprintf("echo <%d base64 characters> > %s.run.b64 && echo <%d base64 characters> > %s.b64 && certutil -f -decode ...",
			len(run64), base, len(wrap64), base)
		out, err := t.Run(ctx, cmd)
		if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
			return err
		}
		if err == nil && out.ExitCode != 0 {
			return Failed(t.Host.Name(), cmd, out, "writing the scheduled task's batch files: "+win.HRESULT(out.ExitCode))
		}
		return nil
	}
	if err := copyDecode(ctx, t, run64, base+".run.b64", base+".run.cmd"); err != nil {
		return err
	}
	return copyDecode(ctx, t, wrap64, base+".b64", base+".cmd")
}
