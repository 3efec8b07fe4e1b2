package modules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "msdtc",
		Summary: "Remove, install (standalone or clustered) or join MSDTC with msdtc.exe, as the runbook's manual method does.",
		New:     func() Module { return &MSDTC{} },
	})
}

// MSDTC brings the Distributed Transaction Coordinator to a state with
// msdtc.exe, the runbook's "manual method":
//
//   - removed: msdtc -remove.
//   - installed: msdtc -install (standalone), or with clustered = true
//     msdtc -install -d %windir%\system32 -l LOG_DIR -v VIRTUAL_SERVER on
//     the node that owns the group's shared disk; LOG_DIR is created first
//     if missing.
//   - joined: msdtc -join on the other node, after the clustered install.
//
// The state is read from the MSDTC service (sc query) and
// HKLM\SOFTWARE\Microsoft\MSDTC (Clustered, LogPath, VirtualServerName),
// so a second run is ok. An MSDTC installed differently (the standalone
// one an Option Pack install leaves on a rebuilt node) is removed first.
//
// Because msdtc -remove comes first, a clustered install or a join checks
// with read-only commands what msdtc.exe will need before changing
// anything (see preflight): otherwise a wrong virtual_server would remove
// the serving node's MSDTC and only then fail.
type MSDTC struct {
	// State is removed, installed or joined.
	State string `hcl:"state"`
	// Clustered installs the cluster's MSDTC (installed only).
	Clustered bool `hcl:"clustered,optional"`
	// LogDir is the DTC log directory on the cluster's shared disk, e.g.
	// S:\MSDTCLog (clustered installs).
	LogDir string `hcl:"log_dir,optional"`
	// VirtualServer is the Network Name of the group MSDTC goes into,
	// e.g. WEBVS (clustered installs; for joined, checked if given).
	VirtualServer string `hcl:"virtual_server,optional"`
	// InstallDir is msdtc's -d; default %windir%\system32.
	InstallDir string `hcl:"install_dir,optional"`
}

const msdtcRegistryKey = `HKLM\SOFTWARE\Microsoft\MSDTC`

// Validate checks the arguments.
func (m *MSDTC) Validate() []FieldError {
	var errs []FieldError
	if !oneOf(m.State, "removed", "installed", "joined") {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be removed, installed or joined, not %q", m.State)})
	}
	clustered := m.State == "installed" && m.Clustered
	if m.Clustered && m.State != "installed" {
		errs = append(errs, FieldError{"clustered", "applies to state = \"installed\" (joined is always clustered)"})
	}
	if clustered {
		if m.LogDir == "" {
			errs = append(errs, FieldError{"log_dir", `a clustered install needs the log directory on the shared disk, e.g. S:\MSDTCLog`})
		}
		if m.VirtualServer == "" {
			errs = append(errs, FieldError{"virtual_server", "a clustered install needs the Network Name of the group, e.g. WEBVS"})
		}
	} else {
		if m.LogDir != "" {
			errs = append(errs, FieldError{"log_dir", "applies to clustered installs only"})
		}
		if m.InstallDir != "" {
			errs = append(errs, FieldError{"install_dir", "applies to clustered installs only"})
		}
		if m.VirtualServer != "" && m.State != "joined" {
			errs = append(errs, FieldError{"virtual_server", "applies to clustered installs and joins only"})
		}
	}
	if m.LogDir != "" {
		errs = append(errs, copyCheckPath("log_dir", strings.TrimRight(m.LogDir, `\`), false)...)
	}
	if m.InstallDir != "" {
		errs = append(errs, copyCheckPath("install_dir", strings.TrimRight(m.InstallDir, `\`), false)...)
	}
	if m.VirtualServer != "" {
		if err := cmdline.CheckData(m.VirtualServer); err != nil {
			errs = append(errs, FieldError{"virtual_server", err.Error()})
		} else if len(m.VirtualServer) > 15 || strings.ContainsAny(m.VirtualServer, ` \/:*?<>|`) {
			errs = append(errs, FieldError{"virtual_server", fmt.Sprintf("%q is not a NetBIOS name (at most 15 characters, no spaces or \\/:*?<>|)", m.VirtualServer)})
		}
	}
	return errs
}

// msdtcState is what sc.exe and the registry say about MSDTC.
type msdtcState struct {
	Installed     bool
	KeyPresent    bool
	Clustered     bool
	LogPath       string
	VirtualServer string
	Group         string
}

func (s msdtcState) lines() string {
	if !s.Installed {
		kv := map[string]string{"installed": "false"}
		if s.KeyPresent {
			kv["registry"] = "left over"
		}
		return Lines(kv)
	}
	kv := map[string]string{"installed": "true", "clustered": fmt.Sprint(s.Clustered)}
	if s.Clustered {
		kv["log_path"] = s.LogPath
		kv["virtual_server"] = s.VirtualServer
		if s.Group != "" {
			kv["cluster_group"] = s.Group
		}
	}
	return Lines(kv)
}

func (s msdtcState) describe() string {
	switch {
	case !s.Installed:
		return "not installed"
	case !s.Clustered:
		return "installed standalone"
	}
	return fmt.Sprintf("clustered (log %s, virtual server %s)", s.LogPath, s.VirtualServer)
}

// readMSDTC reads the service and its registry key.
func readMSDTC(ctx context.Context, t *Task) (msdtcState, error) {
	var st msdtcState
	_, err := queryState(ctx, t, "MSDTC")
	switch {
	case errors.Is(err, ErrNoService):
	case err != nil:
		return st, err
	default:
		st.Installed = true
	}
	k, found, err := queryRegKey(ctx, t, msdtcRegistryKey)
	if err != nil {
		return st, err
	}
	st.KeyPresent = found
	st.Clustered = k.Data("Clustered") == "0x1"
	st.LogPath = k.Data("LogPath")
	st.VirtualServer = k.Data("VirtualServerName")
	st.Group = k.Data("ClusterGroup")
	return st, nil
}

func msdtcSamePath(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, `\`), strings.TrimRight(b, `\`))
}

// matches reports whether st is the state asked for.
func (m *MSDTC) matches(st msdtcState) bool {
	switch m.State {
	case "removed":
		return !st.Installed && !st.KeyPresent
	case "joined":
		return st.Installed && st.Clustered && (m.VirtualServer == "" || strings.EqualFold(st.VirtualServer, m.VirtualServer))
	}
	if !m.Clustered {
		return st.Installed && !st.Clustered
	}
	return st.Installed && st.Clustered && msdtcSamePath(st.LogPath, m.LogDir) && strings.EqualFold(st.VirtualServer, m.VirtualServer)
}

func (m *MSDTC) after(before msdtcState) msdtcState {
	switch {
	case m.State == "removed":
		return msdtcState{}
	case m.State == "joined":
		vs := m.VirtualServer
		if vs == "" {
			vs = "(the cluster's)"
		}
		return msdtcState{Installed: true, KeyPresent: true, Clustered: true, LogPath: "(the cluster's)", VirtualServer: vs}
	case m.Clustered:
		return msdtcState{Installed: true, KeyPresent: true, Clustered: true, LogPath: m.LogDir, VirtualServer: m.VirtualServer}
	}
	return msdtcState{Installed: true, KeyPresent: true}
}

// Keys name the host's MSDTC installation, so that a dry run of a removal
// followed by an install predicts the install.
func (m *MSDTC) Keys() []string { return []string{"msdtc"} }

// Run reads MSDTC, reports the difference and runs msdtc.exe.
func (m *MSDTC) Run(ctx context.Context, t *Task) (*Result, error) {
	if err := supported(ctx, t, m); err != nil {
		return nil, err
	}
	before, err := readMSDTC(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &Result{Facts: map[string]any{"installed": before.Installed, "clustered": before.Clustered}}
	if t.Diff {
		res.Diff = &Diff{Before: before.lines(), After: before.lines()}
	}
	if m.matches(before) {
		res.Msg = "MSDTC is " + before.describe()
		return res, nil
	}
	after := m.after(before)
	res.Changed = true
	if res.Diff != nil {
		res.Diff.After = after.lines()
	}

	// Before the first change, in a dry run too: msdtc -remove comes
	// first, and an install that then fails leaves the node without MSDTC.
	warning, err := m.preflight(ctx, t)
	if err != nil {
		return nil, err
	}

	// The steps, in the runbook's order.
	var steps []string
	remove := m.State == "removed" || before.Installed || before.KeyPresent
	var mkLog bool
	if m.State == "installed" && m.Clustered {
		exists, err := PathExists(ctx, t, m.LogDir)
		if err != nil {
			return nil, err
		}
		if !exists {
			mkLog = true
			steps = append(steps, "create "+m.LogDir)
		}
	}
	if remove {
		steps = append(steps, "msdtc -remove")
	}
	switch {
	case m.State == "installed" && m.Clustered:
		steps = append(steps, fmt.Sprintf("msdtc -install clustered (log %s, virtual server %s)", m.LogDir, m.VirtualServer))
	case m.State == "installed":
		steps = append(steps, "msdtc -install")
	case m.State == "joined":
		steps = append(steps, "msdtc -join")
	}
	res.Msg = fmt.Sprintf("MSDTC is %s: %s", before.describe(), strings.Join(steps, ", then "))
	if remove && before.Clustered {
		// Removing a joined MSDTC fails its cluster resource on this node.
		res.Msg += "; the MSDTC cluster resource fails here meanwhile (the runbook unticks its Affect the group first)"
	}
	if warning != "" {
		res.Msg += "; " + warning
	}
	if t.Check {
		return res, nil
	}

	// The log directory first: a node that cannot create it (it does not
	// own the shared disk) fails before its MSDTC is removed.
	if mkLog {
		mkdir := Change(cmdline.NewRaw("mkdir").Arg(m.LogDir))
		out, err := Apply(ctx, t, mkdir, func(ctx context.Context) (bool, error) { return PathExists(ctx, t, m.LogDir) })
		if err != nil {
			return nil, err
		}
		if out.ExitCode != 0 {
			return nil, Failed(t.Host.Name(), mkdir, out, "the log directory must be on the shared disk of the group, which only the node owning the group sees")
		}
	}
	if remove {
		if err := m.remove(ctx, t); err != nil {
			return nil, err
		}
	}
	if m.State != "removed" {
		if err := m.install(ctx, t); err != nil {
			return nil, err
		}
	}
	now, err := readMSDTC(ctx, t)
	if err != nil {
		return nil, err
	}
	if !m.matches(now) {
		return nil, fmt.Errorf("%s: msdtc ran, but MSDTC is %s, not as asked", t.Host.Name(), now.describe())
	}
	res.Facts["installed"], res.Facts["clustered"] = now.Installed, now.Clustered
	if now.Clustered {
		res.Facts["log_path"], res.Facts["virtual_server"], res.Facts["cluster_group"] = now.LogPath, now.VirtualServer, now.Group
	}
	if res.Diff != nil {
		res.Diff.After = now.lines()
	}
	res.Msg = fmt.Sprintf("MSDTC was %s, is %s", before.describe(), now.describe())
	return res, nil
}

func (m *MSDTC) remove(ctx context.Context, t *Task) error {
	cmd := Change(cmdline.New("msdtc").Arg("-remove"))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		st, err := readMSDTC(ctx, t)
		return !st.Installed, err
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	return nil
}

func (m *MSDTC) install(ctx context.Context, t *Task) error {
	b := cmdline.New("msdtc")
	switch {
	case m.State == "joined":
		b.Arg("-join")
	case m.Clustered:
		b.Arg("-install")
		if m.InstallDir != "" {
			b.Arg("-d").Data(m.InstallDir)
		} else {
			// The runbook's value, left for cmd.exe to expand.
			b.Raw(`-d %windir%\system32`)
		}
		b.Arg("-l").Data(m.LogDir).Arg("-v").Data(m.VirtualServer)
	default:
		b.Arg("-install")
	}
	cmd := Change(b)
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		st, err := readMSDTC(ctx, t)
		return m.matches(st), err
	})
	if err != nil {
		return err
	}
	if out.ExitCode == 0 {
		return nil
	}
	meaning := win.Win32Message(out.ExitCode)
	switch out.ExitCode {
	case 3:
		meaning += fmt.Sprintf("; the log directory %s must exist on the shared disk", m.LogDir)
	case 5013:
		meaning += fmt.Sprintf("; %s is not the Network Name of a cluster group", m.VirtualServer)
	case 1060:
		if m.State == "joined" {
			meaning += "; no clustered MSDTC exists: install it clustered on the node that owns the group first"
		}
	case 1753:
		meaning += "; the cluster service must run on this node"
	}
	return Failed(t.Host.Name(), cmd, out, meaning)
}

// ErrMSDTCRefused is wrapped when a clustered install or a join is refused
// before any change, because msdtc.exe would fail after msdtc -remove had
// taken the node's MSDTC away. Nothing was changed; fix the arguments or
// the cluster and run again.
var ErrMSDTCRefused = errors.New("msdtc refused")

// Cluster resource types the preflight reads.
const (
	clusterTypeNetworkName = "Network Name"
	clusterTypeDTC         = "Distributed Transaction Coordinator"
)

// preflight checks with read-only commands what msdtc -install -v and
// msdtc -join need: the cluster service running here, virtual_server being
// the Network Name of a group (and of the group the MSDTC resource is in,
// if there is one), and for a clustered install this node owning that
// group and seeing the log directory's drive.
//
// A wrong argument is an error in a dry run too. The cluster's state now
// (the cluster service stopped, the group on the other node) is one an
// earlier task of a real run may change, so a dry run returns it as a
// warning for the task's message instead.
func (m *MSDTC) preflight(ctx context.Context, t *Task) (warning string, err error) {
	clustered := m.State == "installed" && m.Clustered
	if !clustered && m.State != "joined" {
		return "", nil
	}
	host := t.Host.Name()
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s; nothing was changed", host, ErrMSDTCRefused, fmt.Sprintf(format, args...))
	}
	now := func(format string, args ...any) (string, error) {
		if t.Check {
			return fmt.Sprintf(format, args...) + " now; a real run is refused unless an earlier task changes that", nil
		}
		return "", refuse(format, args...)
	}

	clusSvc, err := queryState(ctx, t, "ClusSvc")
	switch {
	case errors.Is(err, ErrNoService):
		return "", refuse("%s has no cluster service (ClusSvc): it is not a cluster node, and clustered MSDTC needs one", host)
	case err != nil:
		return "", err
	case clusSvc != StateRunning:
		return now("msdtc needs the cluster service (ClusSvc) running, and on %s it is %s", host, win.StateName(clusSvc))
	}
	if m.VirtualServer == "" {
		return "", nil
	}

	resources, err := readClusterResources(ctx, t, clusterTypeNetworkName)
	if err != nil {
		return "", err
	}
	var names []string
	var group string
	networkName := map[string]string{} // group to its network name
	for _, r := range resources {
		if !strings.EqualFold(r.Type, clusterTypeNetworkName) {
			continue
		}
		name := r.Private["name"]
		names = append(names, fmt.Sprintf("%s (%s)", name, r.Group))
		networkName[strings.ToLower(r.Group)] = name
		if strings.EqualFold(name, m.VirtualServer) {
			group = r.Group
		}
	}
	if group == "" {
		known := "none"
		if len(names) > 0 {
			slices.Sort(names)
			known = strings.Join(names, ", ")
		}
		return "", refuse("virtual_server %q is not the Network Name of any cluster group, so msdtc would fail with 5013 (the cluster's network names: %s)", m.VirtualServer, known)
	}
	// msdtc -install makes an MSDTC resource only where there is none: an
	// existing one elsewhere would be left in the other group.
	for _, r := range resources {
		if strings.EqualFold(r.Type, clusterTypeDTC) && !strings.EqualFold(r.Group, group) {
			other := networkName[strings.ToLower(r.Group)]
			if other == "" {
				other = "none"
			}
			return "", refuse("the cluster's MSDTC resource %q is in %s (network name %s), not in %s, the group of %q; "+
				"name that group's network name, or delete the resource first as the runbook's step 1 says", r.Name, r.Group, other, group, m.VirtualServer)
		}
	}
	if !clustered {
		return "", nil
	}

	// The node that owns the group owns its shared disk, where the log
	// goes; every row of a group's resources names its owner.
	me, err := computerName(ctx, t.Host)
	if err != nil {
		return "", err
	}
	for _, r := range resources {
		if strings.EqualFold(r.Group, group) && !strings.EqualFold(r.Node, me) {
			return now("the clustered install runs on the node that owns %s, the group of %s, and its shared disk: that is %s, not %s", group, m.VirtualServer, r.Node, me)
		}
	}
	drive := m.LogDir[:3]
	visible, err := PathExists(ctx, t, drive)
	if err != nil {
		return "", err
	}
	if !visible {
		return now("the log goes on the shared disk of %s, and drive %s of log_dir %s is not visible on %s", group, drive[:2], m.LogDir, me)
	}
	return "", nil
}
