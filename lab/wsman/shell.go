package wsman

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Context causes a Machine can read with context.Cause to tell why its
// process was stopped (ErrHostDown when the host went down).
var (
	ErrTerminated   = errors.New("wsman: command terminated by the client")
	ErrCtrlC        = errors.New("wsman: ctrl_c signal")
	ErrCtrlBreak    = errors.New("wsman: ctrl_break signal")
	ErrShellDeleted = errors.New("wsman: shell deleted")
	ErrShellIdle    = errors.New("wsman: shell deleted after its idle timeout")
	errFinished     = errors.New("wsman: command finished")
)

// maxCmdLine is cmd.exe's command line limit in UTF-16 characters.
const maxCmdLine = 8191

// maxQueued bounds output waiting for Receives; a process that writes more
// blocks until the client catches up, as a pipe would.
const maxQueued = 4 << 20

// shell is one rsp:Shell. Fields after idle are guarded by generation.mu.
type shell struct {
	id, owner   string
	logon       Logon // how the owner logged on when the shell was created
	env         map[string]string
	dir         string
	codepage    int
	idleTimeout time.Duration
	ctx         context.Context
	cancel      context.CancelCauseFunc
	idle        *time.Timer

	commands map[string]*command
	started  int // commands started: the operations this shell holds
	busy     int // requests in progress
	lastUse  time.Time
}

// command is one process of a shell and the output it has not yet handed to
// a Receive.
type command struct {
	id     string
	ctx    context.Context
	cancel context.CancelCauseFunc
	stdin  *inputPipe
	stdout *streamWriter
	stderr *streamWriter

	mu      sync.Mutex
	segs    []segment
	queued  int
	done    bool
	exit    int
	changed chan struct{} // closed and replaced on every change
}

type segment struct {
	stream string
	data   []byte
}

func (c *command) broadcast() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// appendOutput queues data; c.mu must be held.
func (c *command) appendOutput(stream string, data []byte) {
	if len(data) == 0 || c.done {
		return
	}
	if n := len(c.segs); n > 0 && c.segs[n-1].stream == stream {
		c.segs[n-1].data = append(c.segs[n-1].data, data...)
	} else {
		c.segs = append(c.segs, segment{stream: stream, data: data})
	}
	c.queued += len(data)
	c.broadcast()
}

// finish records the exit code once Exec returned.
func (c *command) finish(code int) {
	c.mu.Lock()
	c.appendOutput("stdout", c.stdout.enc.encode(nil, true))
	c.appendOutput("stderr", c.stderr.enc.encode(nil, true))
	c.done = true
	c.exit = code
	c.broadcast()
	c.mu.Unlock()
	c.cancel(errFinished)
}

// take removes queued output for one Receive response of at most budget
// bytes of envelope; c.mu must be held.
func (c *command) take(budget int) []segment {
	var out []segment
	perStream := len(`<rsp:Stream Name="stdout" CommandId=""></rsp:Stream>`) + len(esc(c.id))
	for len(c.segs) > 0 {
		room := (budget - perStream) / 4 * 3
		if room <= 0 {
			break
		}
		s := &c.segs[0]
		n := min(room, len(s.data))
		out = append(out, segment{stream: s.stream, data: s.data[:n]})
		budget -= perStream + base64.StdEncoding.EncodedLen(n)
		c.queued -= n
		if n == len(s.data) {
			c.segs = c.segs[1:]
		} else {
			s.data = s.data[n:]
		}
	}
	if len(out) > 0 {
		c.broadcast() // wake writers held back by maxQueued
	}
	return out
}

// streamWriter is a Process's Stdout or Stderr.
type streamWriter struct {
	cmd    *command
	stream string
	enc    encoder // guarded by cmd.mu
}

func (w *streamWriter) Write(p []byte) (int, error) {
	c := w.cmd
	c.mu.Lock()
	for c.queued > maxQueued && !c.done {
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
			return 0, io.ErrClosedPipe
		}
		c.mu.Lock()
	}
	c.appendOutput(w.stream, w.enc.encode(p, false))
	c.mu.Unlock()
	return len(p), nil
}

// inputPipe is a Process's Stdin: what Send delivers, EOF after End="true".
// It buffers, so a Send never waits for the process to read.
type inputPipe struct {
	done <-chan struct{}

	mu      sync.Mutex
	buf     []byte
	eof     bool
	changed chan struct{}
}

func newInputPipe(done <-chan struct{}) *inputPipe {
	return &inputPipe{done: done, changed: make(chan struct{})}
}

func (p *inputPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		}
		if p.eof {
			p.mu.Unlock()
			return 0, io.EOF
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-p.done:
			return 0, io.EOF
		}
	}
}

func (p *inputPipe) write(data []byte, end bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eof {
		return
	}
	p.buf = append(p.buf, data...)
	p.eof = end
	close(p.changed)
	p.changed = make(chan struct{})
}

// acquire finds shell id of user and marks it busy, so the idle reaper
// leaves it alone while a request (a long Receive, say) is in progress.
// Shells of other users are not found, as their ids are not theirs to use.
func (g *generation) acquire(id, user string) (*shell, *fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	sh := g.shells[id]
	if sh == nil || sh.owner != user {
		return nil, faultShellNotFound(id)
	}
	sh.busy++
	sh.lastUse = time.Now()
	return sh, nil
}

func (g *generation) release(sh *shell) {
	g.mu.Lock()
	defer g.mu.Unlock()
	sh.busy--
	sh.lastUse = time.Now()
	if sh.busy == 0 && g.shells[sh.id] == sh {
		sh.idle.Reset(sh.idleTimeout)
	}
}

// reapIdle deletes sh if nobody used it for its idle timeout.
func (g *generation) reapIdle(sh *shell) {
	g.mu.Lock()
	if g.shells[sh.id] != sh || sh.busy > 0 {
		g.mu.Unlock()
		return
	}
	if left := sh.idleTimeout - time.Since(sh.lastUse); left > 0 {
		sh.idle.Reset(left)
		g.mu.Unlock()
		return
	}
	delete(g.shells, sh.id)
	g.mu.Unlock()
	sh.cancel(ErrShellIdle)
}

func (g *generation) lookupCommand(sh *shell, id string) *command {
	g.mu.Lock()
	defer g.mu.Unlock()
	return sh.commands[id]
}

// create opens a shell (Create).
func (g *generation) create(env *envelope, user string, logon Logon, clientIP, address string) ([]byte, *fault) {
	q := g.srv.cfg.Quotas
	spec := env.body
	if spec != nil && (spec.name.Space != nsShell || spec.name.Local != "Shell") {
		return nil, faultInvalidParameter()
	}
	idle := q.IdleTimeout
	if v := spec.child(nsShell, "IdleTimeOut").value(); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, faultInvalidParameter()
		}
		idle = min(idle, d)
	}
	vars := map[string]string{}
	for _, v := range spec.child(nsShell, "Environment").all(nsShell, "Variable") {
		if name := v.attrValue("Name"); name != "" {
			vars[name] = string(v.text)
		}
	}
	codepage := CodepageOEM
	if g.srv.cfg.Codepage != 0 {
		codepage = g.srv.cfg.Codepage
	}
	if v := env.options["WINRS_CODEPAGE"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, faultInvalidParameter()
		}
		codepage = n
	}

	ctx, cancel := context.WithCancelCause(g.ctx)
	sh := &shell{
		id: newUUID(), owner: user, logon: logon, env: vars, dir: spec.child(nsShell, "WorkingDirectory").value(),
		codepage: codepage, idleTimeout: idle, ctx: ctx, cancel: cancel,
		commands: map[string]*command{}, lastUse: time.Now(),
	}
	g.mu.Lock()
	open := 0
	for _, other := range g.shells {
		if other.owner == user {
			open++
		}
	}
	if open >= q.MaxShellsPerUser {
		g.mu.Unlock()
		cancel(nil)
		return nil, faultMaxShells(q.MaxShellsPerUser)
	}
	g.shells[sh.id] = sh
	sh.idle = time.AfterFunc(idle, func() { g.reapIdle(sh) })
	g.mu.Unlock()

	id := esc(sh.id)
	body := `<x:ResourceCreated><a:Address>` + esc(address) + `</a:Address><a:ReferenceParameters>` +
		`<w:ResourceURI>` + resourceCmd + `</w:ResourceURI>` +
		`<w:SelectorSet><w:Selector Name="ShellId">` + id + `</w:Selector></w:SelectorSet>` +
		`</a:ReferenceParameters></x:ResourceCreated>` +
		`<rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>` + id + `</rsp:ShellId>` +
		`<rsp:ResourceUri>` + resourceCmd + `</rsp:ResourceUri>` +
		`<rsp:Owner>` + esc(user) + `</rsp:Owner><rsp:ClientIP>` + esc(clientIP) + `</rsp:ClientIP>` +
		`<rsp:IdleTimeOut>` + formatDuration(idle) + `</rsp:IdleTimeOut>` +
		`<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
		`<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`
	return response(nsTransfer+"/CreateResponse", env.messageID, body), nil
}

// commandLine joins rsp:Command and each rsp:Arguments with single spaces,
// as MS-WSMV 3.1.4.11 builds the line for cmd.exe /c.
func commandLine(body *element) (string, bool) {
	if body == nil || body.name.Space != nsShell || body.name.Local != "CommandLine" {
		return "", false
	}
	cmd := body.child(nsShell, "Command").value()
	if cmd == "" {
		return "", false
	}
	var b strings.Builder
	b.WriteString(cmd)
	for _, a := range body.all(nsShell, "Arguments") {
		b.WriteByte(' ')
		b.Write(a.text)
	}
	return b.String(), true
}

// command starts a process (Command).
func (g *generation) command(env *envelope, user string) ([]byte, *fault) {
	q := g.srv.cfg.Quotas
	line, ok := commandLine(env.body)
	if !ok {
		return nil, faultInvalidParameter()
	}
	sh, f := g.acquire(env.shellID, user)
	if f != nil {
		return nil, f
	}
	defer g.release(sh)
	skipCmd := strings.EqualFold(env.options["WINRS_SKIP_CMD_SHELL"], "TRUE")
	if !skipCmd && len(utf16.Encode([]rune(line))) > maxCmdLine {
		return nil, faultCmdTooLong()
	}
	machine := g.srv.cfg.Machine
	if machine == nil {
		return nil, faultInternal()
	}

	ctx, cancel := context.WithCancelCause(sh.ctx)
	c := &command{id: newUUID(), ctx: ctx, cancel: cancel, changed: make(chan struct{})}
	if want := env.body.attrValue("CommandId"); want != "" {
		// MS-WSMV lets the client choose the id (PowerShell does).
		c.id = want
	}
	c.stdin = newInputPipe(ctx.Done())
	c.stdout = &streamWriter{cmd: c, stream: "stdout", enc: newEncoder(sh.codepage)}
	c.stderr = &streamWriter{cmd: c, stream: "stderr", enc: newEncoder(sh.codepage)}

	g.mu.Lock()
	ops := 0
	for _, other := range g.shells {
		if other.owner == user {
			ops += other.started
		}
	}
	if ops >= q.MaxConcurrentOperationsPerUser {
		g.mu.Unlock()
		cancel(nil)
		return nil, faultMaxOperations(q.MaxConcurrentOperationsPerUser)
	}
	if _, dup := sh.commands[c.id]; dup {
		g.mu.Unlock()
		cancel(nil)
		return nil, faultInvalidParameter()
	}
	sh.started++
	sh.commands[c.id] = c
	g.mu.Unlock()

	vars := make(map[string]string, len(sh.env))
	for k, v := range sh.env {
		vars[k] = v
	}
	p := &Process{
		Line: line, SkipCmdShell: skipCmd, Env: vars, Dir: sh.dir, Codepage: sh.codepage, User: user, Logon: sh.logon,
		ConsoleStdin: !strings.EqualFold(env.options["WINRS_CONSOLEMODE_STDIN"], "FALSE"),
		Stdin:        c.stdin, Stdout: c.stdout, Stderr: c.stderr,
	}
	go func() { c.finish(machine.Exec(ctx, p)) }()

	body := `<rsp:CommandResponse><rsp:CommandId>` + esc(c.id) + `</rsp:CommandId></rsp:CommandResponse>`
	return response(nsShell+"/CommandResponse", env.messageID, body), nil
}

// send delivers stdin (Send).
func (g *generation) send(env *envelope, user string) ([]byte, *fault) {
	if env.body == nil || env.body.name.Space != nsShell || env.body.name.Local != "Send" {
		return nil, faultInvalidParameter()
	}
	sh, f := g.acquire(env.shellID, user)
	if f != nil {
		return nil, f
	}
	defer g.release(sh)
	type input struct {
		c    *command
		data []byte
		end  bool
	}
	var inputs []input
	for _, s := range env.body.all(nsShell, "Stream") {
		c := g.lookupCommand(sh, s.attrValue("CommandId"))
		if c == nil {
			return nil, faultInvalidParameter()
		}
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(s.text)), ""))
		if err != nil {
			return nil, faultInvalidParameter()
		}
		inputs = append(inputs, input{c: c, data: data, end: strings.EqualFold(s.attrValue("End"), "true")})
	}
	for _, in := range inputs {
		in.c.stdin.write(in.data, in.end)
	}
	return response(nsShell+"/SendResponse", env.messageID, `<rsp:SendResponse/>`), nil
}

// errClientGone ends a long-poll whose client or host went away: there is
// nobody to answer.
var errClientGone = errors.New("wsman: client went away")

// receive long-polls for output (Receive): it answers as soon as there is
// output or the command ended, and with w:TimedOut when timeout passes first.
func (g *generation) receive(ctx context.Context, env *envelope, user string, timeout time.Duration) ([]byte, *fault, error) {
	desired := env.body.child(nsShell, "DesiredStream")
	if env.body == nil || env.body.name.Space != nsShell || env.body.name.Local != "Receive" || desired == nil {
		return nil, faultInvalidParameter(), nil
	}
	sh, f := g.acquire(env.shellID, user)
	if f != nil {
		return nil, f, nil
	}
	defer g.release(sh)
	c := g.lookupCommand(sh, desired.attrValue("CommandId"))
	if c == nil {
		return nil, faultInvalidParameter(), nil
	}
	// Answer a little before the client's own deadline, never after it:
	// clients set their socket timeouts to OperationTimeout.
	deadline := time.NewTimer(timeout - min(timeout/20, time.Second))
	defer deadline.Stop()
	budget := envelopeBudget(env, g.srv.cfg.Quotas)
	for {
		c.mu.Lock()
		if len(c.segs) > 0 || c.done {
			segs := c.take(budget)
			finished := c.done && len(c.segs) == 0
			exit := c.exit
			c.mu.Unlock()
			return receiveResponse(env.messageID, c.id, segs, finished, exit), nil, nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return nil, faultTimedOut(), nil
		case <-ctx.Done():
			return nil, nil, errClientGone
		case <-g.ctx.Done():
			return nil, nil, errClientGone
		}
	}
}

// envelopeBudget is how much Stream content fits in one Receive response:
// the client's MaxEnvelopeSize (clamped to sane bounds) less the envelope
// around the streams.
func envelopeBudget(env *envelope, q Quotas) int {
	size := env.maxEnvelope
	switch {
	case size == 0:
		size = 153600 // what masterzen and pywinrm ask for
	case size < 8192:
		size = 8192
	case size > q.MaxEnvelopeSizeKB*1024:
		size = q.MaxEnvelopeSizeKB * 1024
	}
	overhead := len(responseOpen) + 1024 + 2*len(esc(env.messageID))
	return size - overhead
}

func receiveResponse(relatesTo, id string, segs []segment, finished bool, exit int) []byte {
	var b strings.Builder
	cid := esc(id)
	b.WriteString(`<rsp:ReceiveResponse>`)
	for _, s := range segs {
		b.WriteString(`<rsp:Stream Name="` + s.stream + `" CommandId="` + cid + `">`)
		b.WriteString(base64.StdEncoding.EncodeToString(s.data))
		b.WriteString(`</rsp:Stream>`)
	}
	if finished {
		// Windows closes both streams with empty End="true" elements and
		// reports Done with the exit code (pywinrm needs the ExitCode).
		b.WriteString(`<rsp:Stream Name="stdout" CommandId="` + cid + `" End="true"></rsp:Stream>`)
		b.WriteString(`<rsp:Stream Name="stderr" CommandId="` + cid + `" End="true"></rsp:Stream>`)
		b.WriteString(`<rsp:CommandState CommandId="` + cid + `" State="` + stateDone + `"><rsp:ExitCode>`)
		b.WriteString(strconv.Itoa(exit))
		b.WriteString(`</rsp:ExitCode></rsp:CommandState>`)
	} else {
		b.WriteString(`<rsp:CommandState CommandId="` + cid + `" State="` + stateRunning + `"></rsp:CommandState>`)
	}
	b.WriteString(`</rsp:ReceiveResponse>`)
	return response(nsShell+"/ReceiveResponse", relatesTo, b.String())
}

// signal handles Signal: terminate ends the command and forgets it (its
// operation slot stays taken, as in Windows' cmd shell); ctrl_c and
// ctrl_break stop it and leave its Done for the next Receive.
func (g *generation) signal(env *envelope, user string) ([]byte, *fault) {
	if env.body == nil || env.body.name.Space != nsShell || env.body.name.Local != "Signal" {
		return nil, faultInvalidParameter()
	}
	code := strings.ToLower(env.body.child(nsShell, "Code").value())
	name, ok := strings.CutPrefix(code, strings.ToLower(signalPrefix))
	if !ok {
		return nil, faultInvalidParameter()
	}
	sh, f := g.acquire(env.shellID, user)
	if f != nil {
		return nil, f
	}
	defer g.release(sh)
	id := env.body.attrValue("CommandId")
	c := g.lookupCommand(sh, id)
	if c == nil {
		return nil, faultInvalidParameter()
	}
	switch name {
	case "terminate":
		c.cancel(ErrTerminated)
		g.mu.Lock()
		delete(sh.commands, id)
		g.mu.Unlock()
	case "ctrl_c":
		c.cancel(ErrCtrlC)
	case "ctrl_break":
		c.cancel(ErrCtrlBreak)
	default:
		return nil, faultInvalidParameter()
	}
	return response(nsShell+"/SignalResponse", env.messageID, `<rsp:SignalResponse/>`), nil
}

// delete closes a shell and kills its processes (Delete).
func (g *generation) delete(env *envelope, user string) ([]byte, *fault) {
	g.mu.Lock()
	sh := g.shells[env.shellID]
	if sh == nil || sh.owner != user {
		g.mu.Unlock()
		return nil, faultShellNotFound(env.shellID)
	}
	delete(g.shells, sh.id)
	sh.idle.Stop()
	g.mu.Unlock()
	sh.cancel(ErrShellDeleted)
	return response(nsTransfer+"/DeleteResponse", env.messageID, ""), nil
}
