package modules

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "installer",
		Summary: "Run an unattended setup program unless a detection rule (registry, file, service) says it is installed.",
		New:     func() Module { return &Installer{} },
	})
}

// Installer runs a setup program once. Whether it is needed comes from a
// detection rule, never from having run before, so a second run is ok and
// check mode can predict the change without running anything.
//
// Exit codes: 0 and the task's success_codes mean installed; 3010 means
// installed, reboot required (the task's `reboot = "if_required"` then
// reboots); 1641 means installed and the installer has already started a
// reboot, which the module waits for. Anything else fails. After the run
// the detection rule must hold, except after 3010: some setups finish at
// the next boot, and the next run checks the rule again.
type Installer struct {
	// Path is the setup program, e.g. D:\TOOLS\SETUP.EXE.
	Path string `hcl:"path"`
	// Arguments are passed to it, each quoted for cmd.exe on its own.
	Arguments []string `hcl:"arguments,optional"`
	// SuccessCodes are exit codes that mean success besides 0, 3010 and 1641.
	SuccessCodes []int `hcl:"success_codes,optional"`

	// The detection rule: every condition given must hold for the
	// software to count as installed (at least one is required).

	// DetectPath is a file or directory that exists once installed.
	DetectPath string `hcl:"detect_path,optional"`
	// DetectVersion is the lowest file version of DetectPath that counts.
	DetectVersion string `hcl:"detect_version,optional"`
	// DetectService is a service that exists once installed.
	DetectService string `hcl:"detect_service,optional"`
	// DetectRegistry is a registry key (HKLM\…) that exists once installed.
	DetectRegistry string `hcl:"detect_registry,optional"`
	// DetectRegistryValue is a value under DetectRegistry that must exist.
	DetectRegistryValue string `hcl:"detect_registry_value,optional"`
	// DetectRegistryData is the data the value must hold, as reg query
	// prints it (REG_DWORD as 0x4; compared case-insensitively).
	DetectRegistryData string `hcl:"detect_registry_data,optional"`

	// Timeout bounds the wait for the installation to show when the
	// reply of the setup program was lost; default 30m.
	Timeout string `hcl:"timeout,optional"`
	// ExpectReboot says the setup needs a restart once it has installed
	// (it exits 3010, or 1641 and restarts the host itself), so that check
	// mode predicts the reboot. The real run goes by the exit code.
	ExpectReboot bool `hcl:"expect_reboot,optional"`
}

// Exit codes every installer shares (ERROR_SUCCESS_REBOOT_REQUIRED and
// ERROR_SUCCESS_REBOOT_INITIATED).
const (
	exitRebootRequired  = 3010
	exitRebootInitiated = 1641
)

var detectRegRoots = []string{"HKLM", "HKCU", "HKCR", "HKU", "HKCC",
	"HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_CLASSES_ROOT", "HKEY_USERS", "HKEY_CURRENT_CONFIG"}

// Validate checks the arguments.
func (in *Installer) Validate() []FieldError {
	var errs []FieldError
	if in.Path == "" {
		errs = append(errs, FieldError{"path", "must not be empty"})
	} else if err := cmdline.CheckData(in.Path); err != nil {
		errs = append(errs, FieldError{"path", err.Error()})
	}
	if _, err := cmdline.New(in.Path).Arg(in.Arguments...).Line(); in.Path != "" && cmdline.CheckData(in.Path) == nil && err != nil {
		errs = append(errs, FieldError{"arguments", err.Error()})
	}
	for _, c := range in.SuccessCodes {
		if c == 0 || c == exitRebootRequired || c == exitRebootInitiated {
			errs = append(errs, FieldError{"success_codes", fmt.Sprintf("%d is always a success; list only other codes", c)})
		}
	}
	errs = append(errs, in.rule().validate()...)
	if _, err := durationOr(in.Timeout, 0); err != nil {
		errs = append(errs, FieldError{"timeout", err.Error()})
	}
	return errs
}

func (in *Installer) rule() detectRule {
	return detectRule{
		path: in.DetectPath, version: in.DetectVersion, service: in.DetectService,
		regKey: in.DetectRegistry, regValue: in.DetectRegistryValue, regData: in.DetectRegistryData,
	}
}

// Keys name what the setup program installs, by the program's path.
func (in *Installer) Keys() []string { return []string{"installer:" + strings.ToLower(in.Path)} }

// RebootsWhenChanged is what the task declares with expect_reboot.
func (in *Installer) RebootsWhenChanged() bool { return in.ExpectReboot }

// Run detects, reports and installs.
func (in *Installer) Run(ctx context.Context, t *Task) (*Result, error) {
	rule := in.rule()
	before, err := rule.detect(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &Result{Facts: map[string]any{"installed": before.installed, "path": in.Path}}
	if t.Diff {
		res.Diff = &Diff{Before: before.lines(), After: rule.want()}
	}
	if before.installed {
		res.Msg = fmt.Sprintf("%s: installed (%s)", in.Path, before.summary())
		if res.Diff != nil {
			res.Diff.After = res.Diff.Before
		}
		return res, nil
	}
	res.Changed = true
	res.Msg = fmt.Sprintf("%s: not installed (%s); would run it", in.Path, before.summary())
	if t.Check {
		if in.ExpectReboot {
			res.RebootRequired = true
			res.Msg += "; it needs a reboot afterwards"
		}
		return res, nil
	}
	timeout, _ := durationOr(in.Timeout, 30*time.Minute)
	cmd := Change(cmdline.New(in.Path).Arg(in.Arguments...))
	outcome, err := runInstall(ctx, t, installStep{
		cmd: cmd, codes: in.SuccessCodes, wait: timeout, what: in.Path, lenient: true,
		detect: func(ctx context.Context) (bool, error) {
			st, err := rule.detect(ctx, t)
			return st.installed, err
		},
	})
	if err != nil {
		return nil, err
	}
	outcome.apply(res)
	res.Facts["installed"] = outcome.pending == ""
	res.Msg = fmt.Sprintf("%s: installed (exit %d)%s", in.Path, outcome.out.ExitCode, outcome.note())
	return res, nil
}

// installStep is one run of a setup program.
type installStep struct {
	cmd Command
	// codes are success codes besides 0, 3010 and 1641.
	codes []int
	// detect reports whether the result of the setup is in place; it is
	// read after the run, and instead of the exit code when the reply
	// was lost.
	detect func(context.Context) (bool, error)
	// wait bounds the wait for detect after a lost reply.
	wait time.Duration
	// what names the setup in messages.
	what string
	// lenient accepts a detection that still fails after 3010: some
	// setups finish their work at the next boot.
	lenient bool
}

// installOutcome is how a setup run ended.
type installOutcome struct {
	out            Output
	rebootRequired bool
	rebooted       bool
	lost           bool
	phases         []Phase
	pending        string
}

func (o installOutcome) apply(res *Result) {
	res.Changed = true
	res.RebootRequired = o.rebootRequired
	res.Rebooted = o.rebooted
	res.Phases = o.phases
	out := o.out
	res.Output = &out
}

func (o installOutcome) note() string {
	var parts []string
	switch {
	case o.rebooted:
		parts = append(parts, "the installer rebooted the host; waited until it was back and stable")
	case o.rebootRequired:
		parts = append(parts, "reboot required")
	}
	if o.lost {
		parts = append(parts, "the reply was lost; the detection rule confirmed the installation")
	}
	if o.pending != "" {
		parts = append(parts, o.pending)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// runInstall runs a setup program and interprets its exit code. The boot
// time is read first, so that a 1641 (the installer started a reboot) or a
// reply lost because the host went down can be told from a host that did
// not reboot, and waited for.
func runInstall(ctx context.Context, t *Task, s installStep) (installOutcome, error) {
	host := t.Host.Name()
	boot, err := BootFingerprint(ctx, t)
	if err != nil {
		return installOutcome{}, fmt.Errorf("reading the boot time before running %s: %w", s.what, err)
	}
	t.Progressf("running %s", s.cmd.Line)
	t.StartPhase("install", "running "+s.what, 0)
	out, err := t.Run(ctx, s.cmd)
	if errors.Is(err, ErrOutcomeUnknown) {
		// Never resend a setup program: it may still be running, or have
		// finished. Watch the detection rule (and the boot time) instead.
		return recoverInstall(ctx, t, s, boot, err)
	}
	if err != nil {
		return installOutcome{}, err
	}
	o := installOutcome{out: out}
	switch code := out.ExitCode; {
	case code == 0 || slices.Contains(s.codes, code):
	case code == exitRebootRequired:
		o.rebootRequired = true
	case code == exitRebootInitiated:
		t.Progressf("%s exited 1641: it started a reboot; waiting for it", s.what)
		r, err := AwaitReboot(ctx, t, boot)
		if err != nil {
			return o, fmt.Errorf("%s: `%s` exited 1641 (reboot initiated), but the reboot did not complete: %w", host, s.cmd.Line, err)
		}
		o.rebooted, o.phases = true, r.Phases
	default:
		meaning := win.Win32Message(code)
		if code == 1603 || code == 1618 {
			meaning += " (see the setup's log)"
		}
		return o, Failed(host, s.cmd, out, meaning)
	}
	done, err := s.detect(ctx)
	if err != nil {
		return o, fmt.Errorf("%s: after `%s`: %w", host, s.cmd.Line, err)
	}
	if !done {
		if o.rebootRequired && s.lenient {
			o.pending = "the detection rule will hold only after the reboot"
			return o, nil
		}
		return o, Failed(host, s.cmd, out, fmt.Sprintf("it exited %d, but the detection rule still says not installed", out.ExitCode))
	}
	return o, nil
}

// recoverInstall decides what happened to a setup program whose reply was
// lost: it polls the boot time and the detection rule until either the
// host rebooted (then it waits for it, as for 1641) or the installation
// shows. Whether a reboot is still needed then comes from Windows' pending
// file renames.
func recoverInstall(ctx context.Context, t *Task, s installStep, boot string, lost error) (installOutcome, error) {
	host := t.Host.Name()
	t.Progressf("reply to `%s` was lost; watching the boot time and the detection rule", s.cmd.Line)
	o := installOutcome{lost: true, out: Output{ExitCode: -1}}
	rebooted := false
	// Lenient: the host may have rebooted and come back unseen while the
	// reply was lost; a boot time that only drifts is still no reboot.
	watch := newBootWatch(t, bootReading{raw: boot, at: time.Now()}, true)
	err := Poll(ctx, t, s.wait, s.what+" to finish", func(ctx context.Context) (bool, error) {
		now, err := readBoot(ctx, t)
		if err != nil {
			watch.failed = true
			t.Host.Reset()
			return false, err
		}
		if watch.next(now) == nil {
			rebooted = true
			return true, nil
		}
		return s.detect(ctx)
	})
	if err != nil {
		return o, fmt.Errorf("%s: `%s`: %w; then %v", host, s.cmd.Line, lost, err)
	}
	if rebooted {
		r, err := AwaitReboot(ctx, t, boot)
		if err != nil {
			return o, fmt.Errorf("%s: `%s`: %w; the host rebooted, but: %v", host, s.cmd.Line, lost, err)
		}
		o.rebooted, o.phases = true, r.Phases
		done, err := s.detect(ctx)
		if err != nil {
			return o, err
		}
		if !done {
			return o, fmt.Errorf("%s: `%s`: %w; the host rebooted and the detection rule still says not installed", host, s.cmd.Line, lost)
		}
		return o, nil
	}
	pending, err := detectPendingReboot(ctx, t)
	if err != nil {
		return o, err
	}
	o.rebootRequired = pending
	return o, nil
}

const detectSessionManagerKey = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`

// detectPendingReboot reports whether Windows has file renames queued for the
// next boot, the sign that a setup needs a reboot.
func detectPendingReboot(ctx context.Context, t *Task) (bool, error) {
	k, found, err := queryRegKey(ctx, t, detectSessionManagerKey)
	if err != nil || !found {
		return false, err
	}
	v, ok := k.Value("PendingFileRenameOperations")
	return ok && strings.Trim(v.Data, `\0 `) != "", nil
}

// detectRule is a detection rule: conditions that all hold once some
// software is installed.
type detectRule struct {
	path, version, service, regKey, regValue, regData string
}

func (r detectRule) validate() []FieldError {
	var errs []FieldError
	if r.path == "" && r.service == "" && r.regKey == "" {
		errs = append(errs, FieldError{"", "a detection rule is required (detect_path, detect_service or detect_registry), so that a second run changes nothing"})
	}
	for _, f := range []struct{ name, v string }{
		{"detect_path", r.path}, {"detect_service", r.service},
		{"detect_registry", r.regKey}, {"detect_registry_value", r.regValue},
	} {
		if err := cmdline.CheckData(f.v); err != nil {
			errs = append(errs, FieldError{f.name, err.Error()})
		}
	}
	if r.path != "" && strings.ContainsAny(r.path, "'*?") {
		errs = append(errs, FieldError{"detect_path", "must not contain ' * or ?"})
	}
	if r.version != "" {
		if r.path == "" {
			errs = append(errs, FieldError{"detect_version", "needs detect_path"})
		}
		if _, ok := parseDottedVersion(r.version); !ok {
			errs = append(errs, FieldError{"detect_version", fmt.Sprintf("%q is not a version such as 4.2.739.1", r.version)})
		}
	}
	if r.regKey != "" {
		root, _, _ := strings.Cut(r.regKey, `\`)
		if !slices.ContainsFunc(detectRegRoots, func(s string) bool { return strings.EqualFold(s, root) }) {
			errs = append(errs, FieldError{"detect_registry", fmt.Sprintf("must start with a root such as HKLM\\, not %q", root)})
		}
	}
	if r.regValue != "" && r.regKey == "" {
		errs = append(errs, FieldError{"detect_registry_value", "needs detect_registry"})
	}
	if r.regData != "" && r.regValue == "" {
		errs = append(errs, FieldError{"detect_registry_data", "needs detect_registry_value"})
	}
	return errs
}

// detected is what a detection rule found.
type detected struct {
	installed bool
	// facts are the observations, one line each, for the diff.
	facts map[string]string
	// missing says which condition failed.
	missing string
}

func (d detected) lines() string { return Lines(d.facts) }

func (d detected) summary() string {
	if d.missing != "" {
		return d.missing
	}
	parts := make([]string, 0, len(d.facts))
	for _, k := range slices.Sorted(maps.Keys(d.facts)) {
		parts = append(parts, k+"="+d.facts[k])
	}
	return strings.Join(parts, ", ")
}

// want renders the state the rule asks for, as a diff's after side.
func (r detectRule) want() string {
	kv := map[string]string{}
	if r.path != "" {
		kv["path "+r.path] = "present"
		if r.version != "" {
			kv["path "+r.path] = "version >= " + r.version
		}
	}
	if r.service != "" {
		kv["service "+r.service] = "present"
	}
	if r.regKey != "" {
		switch {
		case r.regData != "":
			kv[`registry `+r.regKey+`\`+r.regValue] = r.regData
		case r.regValue != "":
			kv[`registry `+r.regKey+`\`+r.regValue] = "present"
		default:
			kv["registry "+r.regKey] = "present"
		}
	}
	return Lines(kv)
}

// detect evaluates the rule with read-only commands. Every condition is
// read, so that the diff shows all of them.
func (r detectRule) detect(ctx context.Context, t *Task) (detected, error) {
	d := detected{installed: true, facts: map[string]string{}}
	fail := func(why string) {
		if d.installed {
			d.installed, d.missing = false, why
		}
	}
	if r.path != "" {
		key := "path " + r.path
		if r.version != "" {
			v, exists, err := detectFileVersion(ctx, t, r.path)
			switch {
			case err != nil:
				return d, err
			case !exists:
				d.facts[key] = "absent"
				fail(r.path + " does not exist")
			default:
				d.facts[key] = "version " + v
				if dottedVersionLess(v, r.version) {
					fail(fmt.Sprintf("%s is version %q, older than %s", r.path, v, r.version))
				}
			}
		} else {
			exists, err := PathExists(ctx, t, r.path)
			if err != nil {
				return d, err
			}
			d.facts[key] = detectPresence(exists)
			if !exists {
				fail(r.path + " does not exist")
			}
		}
	}
	if r.service != "" {
		_, err := queryState(ctx, t, r.service)
		switch {
		case errors.Is(err, ErrNoService):
			d.facts["service "+r.service] = "absent"
			fail("service " + r.service + " does not exist")
		case err != nil:
			return d, err
		default:
			d.facts["service "+r.service] = "present"
		}
	}
	if r.regKey != "" {
		k, found, err := queryRegKey(ctx, t, r.regKey)
		if err != nil {
			return d, err
		}
		switch {
		case !found:
			key := "registry " + r.regKey
			if r.regValue != "" {
				key += `\` + r.regValue
			}
			d.facts[key] = "absent"
			fail(r.regKey + " does not exist")
		case r.regValue == "":
			d.facts["registry "+r.regKey] = "present"
		default:
			key := `registry ` + r.regKey + `\` + r.regValue
			v, ok := k.Value(r.regValue)
			switch {
			case !ok:
				d.facts[key] = "absent"
				fail(fmt.Sprintf("%s has no value %s", r.regKey, r.regValue))
			case r.regData != "" && !strings.EqualFold(v.Data, r.regData):
				d.facts[key] = v.Data
				fail(fmt.Sprintf(`%s\%s is %q, not %q`, r.regKey, r.regValue, v.Data, r.regData))
			case r.regData != "":
				d.facts[key] = v.Data
			default:
				d.facts[key] = "present"
			}
		}
	}
	return d, nil
}

func detectPresence(exists bool) string {
	if exists {
		return "present"
	}
	return "absent"
}

// detectFileVersion reads a file's version resource with wmic datafile. A file
// that does not exist is exists=false; one without a version has "".
func detectFileVersion(ctx context.Context, t *Task, path string) (version string, exists bool, err error) {
	wmic, err := legacyOrScript(ctx, t, "wmic", hasWMIC)
	if err != nil {
		return "", false, err
	}
	if !wmic {
		var res struct {
			Exists  bool
			Version string
		}
		if err := runScript(ctx, t, "file-version", &res, win.Arg{Name: "Path", Value: path}); err != nil {
			return "", false, err
		}
		return res.Version, res.Exists, nil
	}
	// WQL string literals escape backslashes.
	where := "name='" + strings.ReplaceAll(path, `\`, `\\`) + "'"
	cmd := Read(cmdline.New("wmic").Arg("datafile", "where", where, "get", "version", "/value").InputFromNul())
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return "", false, err
	}
	if out.ExitCode != 0 {
		return "", false, Failed(t.Host.Name(), cmd, out, "")
	}
	// A file that is not there prints no instance at all (wmic's
	// "No Instance(s) Available." goes to stderr, in the host's language).
	found := win.WMIValues(out.Stdout)
	if len(found) == 0 {
		return "", false, nil
	}
	v, ok := found[0]["Version"]
	if !ok {
		return "", false, fmt.Errorf("%s: `%s` printed no Version: %q", t.Host.Name(), cmd.Line, win.Clip(out.Stdout))
	}
	return v, true, nil
}

// parseDottedVersion reads a version such as 4.2.739.1.
func parseDottedVersion(s string) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		nums[i] = n
	}
	return nums, true
}

// dottedVersionLess reports whether have is older than want. A version
// that does not parse (or none) counts as older.
func dottedVersionLess(have, want string) bool {
	h, ok := parseDottedVersion(have)
	if !ok {
		return true
	}
	w, _ := parseDottedVersion(want)
	for i := range max(len(h), len(w)) {
		var a, b int
		if i < len(h) {
			a = h[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return a < b
		}
	}
	return false
}
