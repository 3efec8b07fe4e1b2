package modules

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
)

func init() {
	Register(Info{
		Name:    "service_pack",
		Summary: "Apply (or reapply, after reinstalling a component) a Windows NT service pack with update.exe -u -z.",
		New:     func() Module { return &ServicePack{} },
	})
}

// ServicePack applies a Windows NT service pack unattended without letting
// it reboot (update.exe -u -z): the task reports the reboot as required.
//
// The level comes from CSDVersion. After a component such as the Option
// Pack was reinstalled, the runbook requires the same level again:
// `reapply = true` runs the service pack although CSDVersion already shows
// it. Whether a reapply is due comes from file_versions when given (files
// the service pack stamps, older than it means due), so that a second run
// is ok. Without file_versions the reapply always runs update.exe and
// reports changed: only update.exe knows what it replaces, check mode
// cannot ask it, and a run must not say ok after running an installer.
// In check mode, when none of file_versions' files exist yet, the reapply
// is predicted: in a dry run the task that installs them has not run.
//
// A reboot is required after update.exe exits 3010, or exits 0 leaving
// file renames pending; check mode predicts it whenever update.exe is
// known to replace files.
type ServicePack struct {
	// Path is update.exe, e.g. D:\SP6\UPDATE.EXE.
	Path string `hcl:"path"`
	// Level is the CSDVersion the service pack sets, e.g. "Service Pack 6".
	Level string `hcl:"level"`
	// Reapply runs the service pack even though CSDVersion shows Level.
	Reapply bool `hcl:"reapply,optional"`
	// FileVersions maps files the service pack replaces to the version it
	// installs; with reapply, a file older than that makes a reapply due
	// (a file that does not exist is ignored).
	FileVersions map[string]string `hcl:"file_versions,optional"`
	// Options are further update.exe switches among -f, -n, -o and -q.
	Options []string `hcl:"options,optional"`
	// Timeout bounds the wait when update.exe's reply is lost; default 1h.
	Timeout string `hcl:"timeout,optional"`
}

const servicePackKey = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`

var servicePackOptions = []string{"-f", "-n", "-o", "-q"}

// Validate checks the arguments.
func (s *ServicePack) Validate() []FieldError {
	var errs []FieldError
	if s.Path == "" {
		errs = append(errs, FieldError{"path", "must not be empty"})
	} else if err := cmdline.CheckData(s.Path); err != nil {
		errs = append(errs, FieldError{"path", err.Error()})
	}
	if strings.TrimSpace(s.Level) == "" {
		errs = append(errs, FieldError{"level", `must name the CSDVersion the service pack sets, e.g. "Service Pack 6"`})
	}
	for _, o := range s.Options {
		if !slices.Contains(servicePackOptions, strings.ToLower(o)) {
			errs = append(errs, FieldError{"options", fmt.Sprintf("%q is not one of %s (-u -z are always given)", o, strings.Join(servicePackOptions, ", "))})
		}
	}
	for path, v := range s.FileVersions {
		if err := copyCheckPath("file_versions", path, true); err != nil {
			errs = append(errs, err...)
		} else if strings.ContainsRune(path, '\'') {
			errs = append(errs, FieldError{"file_versions", fmt.Sprintf("%q: a path with ' cannot be queried", path)})
		}
		if _, ok := parseDottedVersion(v); !ok {
			errs = append(errs, FieldError{"file_versions", fmt.Sprintf("%s: %q is not a version such as 4.2.739.1", path, v)})
		}
	}
	if len(s.FileVersions) > 0 && !s.Reapply {
		errs = append(errs, FieldError{"file_versions", "only decides a reapply; set reapply = true"})
	}
	if _, err := durationOr(s.Timeout, 0); err != nil {
		errs = append(errs, FieldError{"timeout", err.Error()})
	}
	return errs
}

// readServicePackLevel reads CSDVersion ("" when no service pack is on).
func readServicePackLevel(ctx context.Context, t *Task) (string, error) {
	k, _, err := queryRegKey(ctx, t, servicePackKey)
	if err != nil {
		return "", err
	}
	return k.Data("CSDVersion"), nil
}

// staleFiles reads the versions of FileVersions and returns those older
// than the service pack's, as "path version → want" lines.
func (s *ServicePack) staleFiles(ctx context.Context, t *Task) (versions map[string]string, stale []string, err error) {
	versions = map[string]string{}
	for _, path := range slices.Sorted(maps.Keys(s.FileVersions)) {
		want := s.FileVersions[path]
		v, exists, err := detectFileVersion(ctx, t, path)
		if err != nil {
			return nil, nil, err
		}
		if !exists {
			versions[path] = "(absent)"
			continue
		}
		versions[path] = v
		if dottedVersionLess(v, want) {
			stale = append(stale, fmt.Sprintf("%s is %s, not %s", path, v, want))
		}
	}
	return versions, stale, nil
}

// Keys name the host's service pack, so that a dry run predicts a second
// reapply after an earlier one (the runbook reapplies after Remove All and
// again after the reinstall).
func (s *ServicePack) Keys() []string { return []string{"service_pack"} }

// RebootsWhenChanged is true: update.exe -z exits 3010 whenever it
// replaces files, which a change carried from an earlier task implies.
func (s *ServicePack) RebootsWhenChanged() bool { return true }

// Run reads the level, decides and runs update.exe.
func (s *ServicePack) Run(ctx context.Context, t *Task) (*Result, error) {
	if err := supported(ctx, t, s); err != nil {
		return nil, err
	}
	level, err := readServicePackLevel(ctx, t)
	if err != nil {
		return nil, err
	}
	versions, stale, err := s.staleFiles(ctx, t)
	if err != nil {
		return nil, err
	}
	atLevel := strings.EqualFold(level, s.Level)
	res := &Result{Facts: map[string]any{"level": level}}
	before := map[string]string{"CSDVersion": servicePackLevelText(level)}
	after := map[string]string{"CSDVersion": s.Level}
	for p, v := range versions {
		before["file "+p] = v
		after["file "+p] = v
		if v != "(absent)" && dottedVersionLess(v, s.FileVersions[p]) {
			after["file "+p] = s.FileVersions[p]
		}
	}
	if t.Diff {
		res.Diff = &Diff{Before: Lines(before), After: Lines(after)}
	}

	var why string
	replaces := true // update.exe is known to replace files
	switch {
	case !atLevel:
		why = fmt.Sprintf("apply %s (CSDVersion is %s)", s.Level, servicePackLevelText(level))
	case !s.Reapply:
		res.Msg = "CSDVersion is " + level
		return res, nil
	case t.Check && len(stale) == 0 && len(versions) > 0 && len(absentFiles(versions)) == len(versions):
		// In a dry run an earlier task (the Option Pack) may only have
		// predicted installing the files: the real run will find them at
		// the component's version and reapply, so predict that. Only when
		// none exists: a settled node may lack some listed files for good
		// (a component not installed), and must not predict a change.
		why = fmt.Sprintf("reapply %s if earlier tasks install its files (%s absent now)", s.Level, strings.Join(absentFiles(versions), ", "))
	case len(s.FileVersions) > 0 && len(stale) == 0:
		res.Msg = fmt.Sprintf("CSDVersion is %s and its files are current", level)
		if len(absentFiles(versions)) == len(versions) {
			res.Msg = fmt.Sprintf("CSDVersion is %s and none of file_versions' files exist: nothing to reapply", level)
		}
		return res, nil
	case len(stale) > 0:
		why = fmt.Sprintf("reapply %s (%s)", s.Level, strings.Join(stale, "; "))
	default:
		// No file list: the task asks for update.exe to run, and only
		// update.exe can tell whether anything needs replacing.
		why = fmt.Sprintf("reapply %s (update.exe decides whether anything needs replacing)", s.Level)
		replaces = false
	}
	res.Changed = true
	res.Msg = "would " + why
	if t.Check {
		if replaces {
			res.RebootRequired = true
			res.Msg += "; update.exe -z then asks for a reboot"
		} else {
			res.Msg += "; a reboot follows if it replaces files"
		}
		return res, nil
	}

	timeout, _ := durationOr(s.Timeout, time.Hour)
	b := cmdline.New(s.Path).Arg("-u", "-z")
	for _, o := range s.Options {
		b.Arg(strings.ToLower(o))
	}
	cmd := Change(b)
	outcome, err := runInstall(ctx, t, installStep{
		cmd: cmd, wait: timeout, what: "the service pack",
		detect: func(ctx context.Context) (bool, error) {
			now, err := readServicePackLevel(ctx, t)
			if err != nil || !strings.EqualFold(now, s.Level) {
				return false, err
			}
			_, stale, err := s.staleFiles(ctx, t)
			return len(stale) == 0, err
		},
	})
	if err != nil {
		return nil, err
	}
	if outcome.out.ExitCode == 0 && !outcome.lost {
		// Exit 0 is not the last word on a reboot: file renames Windows
		// has queued for the next boot need one too.
		if outcome.rebootRequired, err = detectPendingReboot(ctx, t); err != nil {
			return nil, err
		}
	}
	outcome.apply(res)
	res.Facts["level"] = s.Level
	if !replaces && outcome.out.ExitCode == 0 && !outcome.lost {
		res.Msg = fmt.Sprintf("ran update.exe to reapply %s; it exited 0: nothing needed replacing", s.Level)
		if outcome.rebootRequired {
			res.Msg = fmt.Sprintf("ran update.exe to reapply %s; it exited 0 and Windows has file renames pending: reboot required", s.Level)
		}
		return res, nil
	}
	past := strings.Replace(why, "apply", "applied", 1)
	res.Msg = fmt.Sprintf("%s (exit %d)%s", past, outcome.out.ExitCode, outcome.note())
	return res, nil
}

func servicePackLevelText(level string) string {
	if level == "" {
		return "(no service pack)"
	}
	return level
}

// absentFiles lists the files staleFiles found missing.
func absentFiles(versions map[string]string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(versions)) {
		if versions[p] == "(absent)" {
			out = append(out, p)
		}
	}
	return out
}
