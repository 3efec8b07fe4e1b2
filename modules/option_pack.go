package modules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
)

func init() {
	Register(Info{
		Name:    "option_pack",
		Summary: "Install (with the original Minimal/Typical/Custom choice) or remove the Windows NT 4.0 Option Pack unattended.",
		New:     func() Module { return &OptionPack{} },
	})
}

// OptionPack runs Windows NT 4.0 Option Pack setup unattended with an
// answer file, as the runbook asks: the same install type and the same
// components as the original installation. What is installed is read from
// HKLM\SOFTWARE\Microsoft\InetStp and the OC Manager's subcomponent flags,
// so a second run is ok. Setup exits 3010: the task reports a reboot as
// required (use `reboot = "if_required"`).
type OptionPack struct {
	// Setup is the Option Pack's setup program, e.g.
	// D:\NTOPTPAK\EN\X86\SETUP.EXE.
	Setup string `hcl:"setup"`
	// State is present (default) or absent (setup's Remove All).
	State string `hcl:"state,optional"`
	// InstallType is minimal, typical or custom; required when present.
	InstallType string `hcl:"install_type,optional"`
	// Components are the components a custom install turns on; the
	// others are off. Names: iis_common, iis_www, iis_ftp, mts_core,
	// msmq, smtp, indexsrv.
	Components []string `hcl:"components,optional"`
	// Exclude is the other way to say it: every component but these.
	Exclude []string `hcl:"exclude,optional"`
	// Timeout bounds the wait when setup's reply is lost; default 1h.
	Timeout string `hcl:"timeout,optional"`
}

// optionPackComponents are setup's components, in the order it lists them.
var optionPackComponents = []string{"iis_common", "iis_www", "iis_ftp", "mts_core", "msmq", "smtp", "indexsrv"}

// optionPackTypes are the components each install type turns on (custom:
// the task's list).
var optionPackTypes = map[string][]string{
	"minimal": {"iis_common", "iis_www", "mts_core"},
	"typical": {"iis_common", "iis_www", "mts_core", "iis_ftp", "smtp"},
	"custom":  nil,
}

// The registry that tells what setup installed.
const (
	optionPackInetStp = `HKLM\SOFTWARE\Microsoft\InetStp`
	optionPackOCKey   = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`
	optionPackAnswer  = "winplay-optionpack"
	// optionPackMTSGroup is the local group MTS setup creates.
	optionPackMTSGroup = "MTS Trusted Impersonators"
)

// Validate checks the arguments.
func (o *OptionPack) Validate() []FieldError {
	var errs []FieldError
	if o.Setup == "" {
		errs = append(errs, FieldError{"setup", "must not be empty"})
	} else if err := cmdline.CheckData(o.Setup); err != nil {
		errs = append(errs, FieldError{"setup", err.Error()})
	}
	state := o.state()
	if !oneOf(state, "present", "absent") {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be present or absent, not %q", o.State)})
	}
	for _, f := range []struct {
		name  string
		names []string
	}{{"components", o.Components}, {"exclude", o.Exclude}} {
		for _, c := range f.names {
			if !slices.Contains(optionPackComponents, c) {
				errs = append(errs, FieldError{f.name, fmt.Sprintf("unknown component %q%s; components are %s",
					c, optionPackSuggest(c), strings.Join(optionPackComponents, ", "))})
			}
		}
	}
	if state == "absent" {
		if o.InstallType != "" || len(o.Components) > 0 || len(o.Exclude) > 0 {
			errs = append(errs, FieldError{"state", "absent removes everything; install_type, components and exclude do not apply"})
		}
		return append(errs, o.timeoutErrs()...)
	}
	if _, ok := optionPackTypes[o.InstallType]; !ok {
		errs = append(errs, FieldError{"install_type", fmt.Sprintf("must be minimal, typical or custom (as the original installation), not %q", o.InstallType)})
	}
	switch {
	case o.InstallType == "custom" && len(o.Components) == 0 && len(o.Exclude) == 0:
		errs = append(errs, FieldError{"components", "a custom install needs components (or exclude), as chosen in the original installation"})
	case len(o.Components) > 0 && len(o.Exclude) > 0:
		errs = append(errs, FieldError{"exclude", "components and exclude are mutually exclusive"})
	case o.InstallType != "custom" && (len(o.Components) > 0 || len(o.Exclude) > 0):
		errs = append(errs, FieldError{"install_type", fmt.Sprintf("%s installs a fixed set; components and exclude need install_type = \"custom\"", o.InstallType)})
	}
	return append(errs, o.timeoutErrs()...)
}

func (o *OptionPack) timeoutErrs() []FieldError {
	if _, err := durationOr(o.Timeout, 0); err != nil {
		return []FieldError{{"timeout", err.Error()}}
	}
	return nil
}

func optionPackSuggest(name string) string {
	aliases := map[string]string{
		"index_server": "indexsrv", "index": "indexsrv", "iis": "iis_common", "www": "iis_www", "w3svc": "iis_www",
		"ftp": "iis_ftp", "mts": "mts_core", "transaction_server": "mts_core", "smtpsvc": "smtp",
	}
	if s, ok := aliases[strings.ToLower(name)]; ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func (o *OptionPack) state() string {
	if o.State == "" {
		return "present"
	}
	return o.State
}

// wanted is the component set the task asks for.
func (o *OptionPack) wanted() map[string]bool {
	on := map[string]bool{}
	switch {
	case o.InstallType != "custom":
		for _, c := range optionPackTypes[o.InstallType] {
			on[c] = true
		}
	case len(o.Components) > 0:
		for _, c := range o.Components {
			on[c] = true
		}
	default:
		for _, c := range optionPackComponents {
			on[c] = !slices.Contains(o.Exclude, c)
		}
	}
	return on
}

// optionPackState is what the registry says setup installed.
type optionPackState struct {
	Installed   bool
	Version     string
	InstallType string
	Components  map[string]bool
}

func (s optionPackState) lines() string {
	if !s.Installed {
		return Lines(map[string]string{"installed": "false"})
	}
	kv := map[string]string{"installed": "true", "version": s.Version, "install_type": s.InstallType}
	for _, c := range optionPackComponents {
		kv["component "+c] = optionPackOnOff(s.Components[c])
	}
	return Lines(kv)
}

func optionPackOnOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// readOptionPack reads InetStp and the subcomponent flags.
func readOptionPack(ctx context.Context, t *Task) (optionPackState, error) {
	k, found, err := queryRegKey(ctx, t, optionPackInetStp)
	if err != nil {
		return optionPackState{}, err
	}
	st := optionPackState{Components: map[string]bool{}}
	major, ok := k.Value("MajorVersion")
	if !found || !ok {
		return st, nil
	}
	minor, _ := k.Value("MinorVersion")
	st.Installed = true
	st.Version = detectDwordText(major.Data) + "." + detectDwordText(minor.Data)
	st.InstallType = k.Data("InstallType")
	flags, _, err := queryRegKey(ctx, t, optionPackOCKey)
	if err != nil {
		return st, err
	}
	for _, c := range optionPackComponents {
		st.Components[c] = flags.Data(c) == "0x1"
	}
	return st, nil
}

// detectDwordText turns reg query's 0x4 into 4.
func detectDwordText(s string) string {
	var n uint32
	if _, err := fmt.Sscanf(s, "0x%x", &n); err != nil {
		return s
	}
	return fmt.Sprint(n)
}

// matches reports whether the installed Option Pack is the one asked for.
func (o *OptionPack) matches(st optionPackState) bool {
	if o.state() == "absent" {
		return !st.Installed
	}
	if !st.Installed || st.Version != "4.0" || !strings.EqualFold(st.InstallType, o.InstallType) {
		return false
	}
	want := o.wanted()
	for _, c := range optionPackComponents {
		if st.Components[c] != want[c] {
			return false
		}
	}
	return true
}

func (o *OptionPack) after(before optionPackState) optionPackState {
	if o.state() == "absent" {
		return optionPackState{Components: map[string]bool{}}
	}
	return optionPackState{Installed: true, Version: "4.0", InstallType: optionPackTitle(o.InstallType), Components: o.wanted()}
}

func optionPackTitle(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// AnswerFile is the INI setup reads with /u: (see lab/TOOLS.md).
func (o *OptionPack) AnswerFile() string {
	var b strings.Builder
	b.WriteString("[Global]\r\n")
	if o.state() == "absent" {
		b.WriteString("Action=RemoveAll\r\n")
		return b.String()
	}
	b.WriteString("Action=Install\r\n")
	fmt.Fprintf(&b, "InstallType=%s\r\n", optionPackTitle(o.InstallType))
	b.WriteString("[Components]\r\n")
	want := o.wanted()
	for _, c := range optionPackComponents {
		fmt.Fprintf(&b, "%s=%s\r\n", c, optionPackOnOff(want[c]))
	}
	return b.String()
}

// Keys name the Option Pack installation, so that a dry run of Remove All
// followed by a reinstall predicts the reinstall, and what setup resets:
// Remove All deletes the MTS Trusted Impersonators group and an install
// creates it empty, so a later task adding its members will change it.
func (o *OptionPack) Keys() []string {
	return []string{"option_pack", groupKey(optionPackMTSGroup)}
}

// RebootsWhenChanged is true: setup exits 3010 after every install and
// Remove All.
func (o *OptionPack) RebootsWhenChanged() bool { return true }

// Run reads what is installed, reports the difference and runs setup.
func (o *OptionPack) Run(ctx context.Context, t *Task) (*Result, error) {
	if err := supported(ctx, t, o); err != nil {
		return nil, err
	}
	host := t.Host.Name()
	before, err := readOptionPack(ctx, t)
	if err != nil {
		return nil, err
	}
	after := o.after(before)
	res := &Result{Facts: map[string]any{"installed": before.Installed, "install_type": before.InstallType}}
	if t.Diff {
		res.Diff = &Diff{Before: before.lines(), After: before.lines()}
	}
	if o.matches(before) {
		if before.Installed {
			res.Msg = fmt.Sprintf("Option Pack %s installed (%s)", before.InstallType, optionPackOn(before.Components))
		} else {
			res.Msg = "Option Pack not installed"
		}
		return res, nil
	}
	res.Changed = true
	if res.Diff != nil {
		res.Diff.After = after.lines()
	}
	verb := "install"
	if o.state() == "absent" {
		verb = "remove"
	} else if before.Installed {
		verb = "reinstall"
	}
	what := "the Option Pack"
	if o.state() == "present" {
		what = fmt.Sprintf("the Option Pack %s (%s)", after.InstallType, optionPackOn(after.Components))
	}
	if verb == "reinstall" {
		what += fmt.Sprintf(", removing the installed %s (%s) first", before.InstallType, optionPackOn(before.Components))
	}
	// Setup refuses to run beside the cluster service (the runbook's
	// first step stops it); say so before sending anything.
	clus, err := QueryService(ctx, t, "ClusSvc")
	clusRunning := err == nil && clus.State != StateStopped
	if err != nil && !errors.Is(err, ErrNoService) {
		return nil, err
	}
	if t.Check {
		// Setup exits 3010 after every install and Remove All: predict the
		// reboot, so that a dry run shows it.
		res.RebootRequired = true
		res.Msg = fmt.Sprintf("would %s %s; setup asks for a reboot", verb, what)
		if clusRunning {
			res.Msg += "; ClusSvc runs now, and must be stopped by then"
		}
		return res, nil
	}
	if clusRunning {
		return nil, fmt.Errorf("%s: cannot %s %s while the Cluster Server service (ClusSvc) is %s: stop it and set it to manual first (runbook step 1); setup would exit 1603",
			host, verb, what, clus.StateName())
	}

	var removal installOutcome
	if o.state() == "present" && before.Installed {
		// Setup refuses to install over another type or other components
		// (1603): Remove All first.
		t.Progressf("the Option Pack is installed as %s (%s); removing it first", before.InstallType, optionPackOn(before.Components))
		removal, err = (&OptionPack{Setup: o.Setup, State: "absent", Timeout: o.Timeout}).setup(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("removing the installed Option Pack first: %w", err)
		}
	}
	outcome, err := o.setup(ctx, t)
	if err != nil {
		return nil, err
	}
	outcome.rebootRequired = outcome.rebootRequired || removal.rebootRequired
	outcome.rebooted = outcome.rebooted || removal.rebooted
	outcome.phases = append(removal.phases, outcome.phases...)
	outcome.apply(res)
	res.Facts["installed"] = after.Installed
	res.Facts["install_type"] = after.InstallType
	res.Msg = fmt.Sprintf("%sed %s (exit %d)%s", strings.TrimSuffix(verb, "e"), what, outcome.out.ExitCode, outcome.note())
	return res, nil
}

// setup writes the answer file to the scratch directory and runs setup
// with it; the detection rule is the registry matching the task.
func (o *OptionPack) setup(ctx context.Context, t *Task) (installOutcome, error) {
	timeout, _ := durationOr(o.Timeout, time.Hour)
	f, err := t.Facts(ctx)
	if err != nil {
		return installOutcome{}, err
	}
	answer := f.Temp + `\` + optionPackAnswer + "-" + randomHex(4) + ".ini"
	if err := Upload(ctx, t, []byte(o.AnswerFile()), answer, f.Temp); err != nil {
		return installOutcome{}, fmt.Errorf("writing the answer file: %w", err)
	}
	defer copyCleanup(ctx, t, answer)
	what := "Option Pack setup"
	if o.state() == "absent" {
		what += " (Remove All)"
	}
	cmd := Change(cmdline.New(o.Setup).Flag("/u:", answer))
	outcome, err := runInstall(ctx, t, installStep{
		cmd: cmd, wait: timeout, what: what,
		detect: func(ctx context.Context) (bool, error) {
			st, err := readOptionPack(ctx, t)
			return o.matches(st), err
		},
	})
	if err != nil && outcome.out.ExitCode == 87 {
		return outcome, Failed(t.Host.Name(), cmd, outcome.out, "setup could not parse the answer file:\n"+o.AnswerFile())
	}
	return outcome, err
}

func optionPackOn(comps map[string]bool) string {
	var on []string
	for _, c := range optionPackComponents {
		if comps[c] {
			on = append(on, c)
		}
	}
	if len(on) == 0 {
		return "no components"
	}
	return strings.Join(on, ", ")
}
