package modules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "iissync",
		Summary: "Replicate the IIS metabase and MTS catalog from the node the task runs on to a rebuilt node (IISSYNC).",
		New:     func() Module { return &IISSync{} },
	})
}

// IISSync runs IISSYNC on the node the task runs on, the source of truth,
// aimed at Target, whose IIS and MTS settings it overwrites. The runbook
// (Q241573) says in capitals never to run it from the node just rebuilt,
// so the module refuses to run on Target, and on Rebuilt unless Force.
//
// Names alone do not catch swapped variables (Rebuilt defaults to
// Target), so before IISSYNC runs the module also reads both nodes, and
// refuses unless Force when the source does not look like the working
// node: IIS not installed there (no InetStp), or the target serving the
// cluster's IIS Server Instances while the source serves none. An
// instance comes online only on a node whose metabase holds it, so this
// is how cluster.exe tells a node with the cluster's sites from a fresh
// install that has only W3SVC/1 and MSFTPSVC/1. IISSYNC also needs IIS
// Admin running on the source; a real run checks that first.
//
// It compares the SHA-256 of both nodes' metabase and MTS catalog first
// (certutil -hashfile, read-only; the target through Task.Peer) and
// reports ok when they already match. Any IISSYNC status but 0 fails the
// task with its meaning.
//
// Write it on the healthy node, or delegate there with on:
//
//	play { hosts = [var.healthy] ... iissync { target = var.rebuilt } }
//	task { on = var.healthy  iissync { target = var.rebuilt  rebuilt = var.rebuilt } }
type IISSync struct {
	// Target is the inventory name of the node to overwrite.
	Target string `hcl:"target"`
	// Rebuilt is the inventory name of the node being rebuilt, which must
	// not be the source; it defaults to Target.
	Rebuilt string `hcl:"rebuilt,optional"`
	// Force lets IISSYNC run from Rebuilt, or from a node the checks above
	// say is not the working one, against the runbook's advice. It never
	// allows a node to sync onto itself.
	Force bool `hcl:"force,optional"`
}

// The files IISSYNC replicates, under %SystemRoot%.
const (
	iisSyncMetabase = `\system32\inetsrv\MetaBase.bin`
	iisSyncCatalog  = `\system32\mts\catalog.mts`
	iisSyncProgram  = `%windir%\system32\inetsrv\iissync.exe`
	// iisSyncSetupKey is where Option Pack setup records an installed IIS.
	iisSyncSetupKey = `HKLM\SOFTWARE\Microsoft\InetStp`
	// iisSyncSettle bounds the wait for IISSYNC's copy after its reply
	// was lost.
	iisSyncSettle = 2 * time.Minute
	// clusterTypeIIS is the resource type of a clustered web or FTP site.
	clusterTypeIIS = "IIS Server Instance"
)

// Validate checks the arguments.
func (s *IISSync) Validate() []FieldError {
	var errs []FieldError
	if strings.TrimSpace(s.Target) == "" {
		errs = append(errs, FieldError{"target", "must name the inventory host to overwrite (the rebuilt node)"})
	} else if err := cmdline.CheckData(s.Target); err != nil {
		errs = append(errs, FieldError{"target", err.Error()})
	}
	if s.Rebuilt != "" {
		if err := cmdline.CheckData(s.Rebuilt); err != nil {
			errs = append(errs, FieldError{"rebuilt", err.Error()})
		}
	}
	return errs
}

// ErrIISSyncDirection is wrapped when the module refuses to run because the
// source would be the node being rebuilt or the target itself.
var ErrIISSyncDirection = errors.New("IISSYNC refused")

// iisSyncFiles are the SHA-256 sums of the replicated files, "" when a
// file is absent.
type iisSyncFiles struct{ metabase, catalog string }

func (f iisSyncFiles) matches(o iisSyncFiles) bool {
	return f.metabase != "" && f.metabase == o.metabase && f.catalog == o.catalog
}

// lines shows the sums as files of target; from names the node they
// come from when it is not the target.
func (f iisSyncFiles) lines(target, from string) string {
	note := ""
	if from != "" {
		note = " (" + from + "'s)"
	}
	return Lines(map[string]string{
		target + ` MetaBase.bin sha256`: copyOrAbsent(f.metabase) + note,
		target + ` catalog.mts sha256`:  copyOrAbsent(f.catalog) + note,
	})
}

// Run checks the direction, compares the nodes and runs IISSYNC.
func (s *IISSync) Run(ctx context.Context, t *Task) (*Result, error) {
	if err := supported(ctx, t, s); err != nil {
		return nil, err
	}
	source := t.Host.Name()
	rebuilt := s.Rebuilt
	if rebuilt == "" {
		rebuilt = s.Target
	}
	if strings.EqualFold(source, s.Target) {
		return nil, fmt.Errorf("%s: %w: the task runs on %s, the target itself; run it on the healthy node (on = the healthy node)", source, ErrIISSyncDirection, source)
	}
	if strings.EqualFold(source, rebuilt) && !s.Force {
		return nil, fmt.Errorf("%s: %w: %s is the node being rebuilt, and the runbook says \"DO NOT RUN IISSYNC FROM THE NEW INSTALLATION OF IIS\"; "+
			"run it on the working node aimed at %s, or set force = true", source, ErrIISSyncDirection, source, rebuilt)
	}
	if t.Peer == nil {
		return nil, fmt.Errorf("%s: iissync needs a connection to %s to compare, and the task has none", source, s.Target)
	}
	peerHost, err := t.Peer(s.Target)
	if err != nil {
		return nil, fmt.Errorf("%s: connecting to the target %s: %w", source, s.Target, err)
	}
	peer := *t
	peer.Host = peerHost

	sourceName, err := computerName(ctx, t.Host)
	if err != nil {
		return nil, err
	}
	// The target's computer name comes from the target; if it cannot be
	// reached, IISSYNC will say so, so it is aimed at the inventory name.
	targetName, err := computerName(ctx, peerHost)
	reachable := true
	if errors.Is(err, ErrUnreachable) {
		reachable = false
		targetName = strings.ToUpper(strings.SplitN(s.Target, ".", 2)[0])
	} else if err != nil {
		return nil, err
	}
	if strings.EqualFold(sourceName, targetName) {
		return nil, fmt.Errorf("%s: %w: %s and %s are the same computer, %s", source, ErrIISSyncDirection, source, s.Target, sourceName)
	}

	// A file IIS holds open may refuse to be hashed (a sharing violation
	// on some hosts); then the nodes cannot be compared and IISSYNC runs.
	var noCompare error
	src, err := iisSyncHashes(ctx, t)
	if iisSyncUnreadable(err) {
		noCompare, err = err, nil
	}
	if err != nil {
		return nil, err
	}
	var dst iisSyncFiles
	if reachable && noCompare == nil {
		dst, err = iisSyncHashes(ctx, &peer)
		switch {
		case errors.Is(err, ErrUnreachable):
			reachable = false
		case iisSyncUnreadable(err):
			noCompare = err
		case err != nil:
			return nil, err
		}
	}
	res := &Result{Facts: map[string]any{"source": sourceName, "target": targetName, "metabase_sha256": src.metabase}}
	if t.Diff {
		res.Diff = &Diff{Before: dst.lines(targetName, ""), After: src.lines(targetName, sourceName)}
		switch {
		case !reachable:
			res.Diff.Before = "(" + targetName + " unreachable)\n"
		case noCompare != nil:
			res.Diff = nil
		}
	}
	if reachable && noCompare == nil && src.matches(dst) {
		res.Msg = fmt.Sprintf("the metabase and MTS catalog of %s already match %s's", targetName, sourceName)
		return res, nil
	}
	// In a dry run too: a refusal is the answer to the task as written.
	if !s.Force {
		if err := s.checkSource(ctx, t, &peer, reachable, sourceName, targetName); err != nil {
			return nil, err
		}
	}
	res.Changed = true
	res.Msg = fmt.Sprintf("IISSYNC %s → %s", sourceName, targetName)
	if noCompare != nil {
		res.Msg += fmt.Sprintf(" (the metabases could not be compared: %v)", noCompare)
	}
	if t.Check {
		if warn := s.predict(ctx, t, &peer, reachable, sourceName, targetName); warn != "" {
			res.Msg += "; " + warn
		}
		return res, nil
	}
	if why := iisSyncAdmin(ctx, t, sourceName); why != "" {
		return nil, fmt.Errorf("%s: %s, the source: IISSYNC needs IIS Admin running there to read the metabase; start it first", source, why)
	}

	cmd := Change(cmdline.NewRaw(iisSyncProgram).Data(targetName))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		// A lost reply leaves IISSYNC perhaps still running: resending it
		// then would stop the target's IIS Admin mid-copy. Wait for the
		// copy to land instead, and never send it a second time.
		err := Poll(ctx, t, iisSyncSettle, "the metabase and MTS catalog of "+targetName+" to match "+sourceName+"'s", func(ctx context.Context) (bool, error) {
			now, err := iisSyncHashes(ctx, &peer)
			if err != nil && iisSyncUnreadable(err) {
				return false, nil // IISSYNC holds the files while it copies
			}
			return err == nil && src.matches(now), err
		})
		if err != nil {
			return false, fmt.Errorf("IISSYNC may still be running or may never have run; check %s before running it again: %w", targetName, err)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	res.Output = &out
	status := win.IISSyncStatus(out.Stdout, out.Stderr, out.ExitCode)
	res.Facts["status"] = status
	if status != 0 {
		return nil, Failed(source, cmd, out, s.meaning(ctx, t, &peer, status, sourceName, targetName))
	}
	return res, nil
}

// iisSyncUnreadable reports whether err is certutil failing to read a
// file, as opposed to a connection that failed.
func iisSyncUnreadable(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && ce.Out != nil
}

func iisSyncHashes(ctx context.Context, t *Task) (iisSyncFiles, error) {
	var f iisSyncFiles
	var err error
	facts, err := t.Facts(ctx)
	if err != nil {
		return f, err
	}
	if f.metabase, err = RemoteSHA256(ctx, t, facts.SystemRoot+iisSyncMetabase); err != nil {
		return f, err
	}
	f.catalog, err = RemoteSHA256(ctx, t, facts.SystemRoot+iisSyncCatalog)
	return f, err
}

// iisSyncAdmin reads the IISADMIN service on a node: "" when it runs,
// otherwise what is wrong with it.
func iisSyncAdmin(ctx context.Context, t *Task, node string) string {
	st, err := QueryService(ctx, t, "IISADMIN")
	switch {
	case errors.Is(err, ErrNoService):
		return "IIS is not installed on " + node + " (no IISADMIN service)"
	case errors.Is(err, ErrUnreachable):
		return node + " is unreachable"
	case err != nil:
		return ""
	case !st.Running():
		return "IISADMIN is " + st.StateName() + " on " + node
	}
	return ""
}

// predict says, in a dry run, why IISSYNC would fail as things stand;
// an earlier task may still fix that in a real run.
func (s *IISSync) predict(ctx context.Context, t, peer *Task, reachable bool, source, target string) string {
	if !reachable {
		return target + " is unreachable now: IISSYNC would fail with status 1722"
	}
	if why := iisSyncAdmin(ctx, t, source); why != "" {
		return why + " now: IISSYNC would fail"
	}
	if why := iisSyncAdmin(ctx, peer, target); why != "" {
		return why + " now: IISSYNC would fail with status 1753 unless an earlier task installs or starts it"
	}
	return ""
}

// meaning explains an IISSYNC status for the node pair, reading both
// nodes' IISADMIN to tell the causes of 1753 apart.
func (s *IISSync) meaning(ctx context.Context, t, peer *Task, status int, source, target string) string {
	if kb, ok := win.IISSyncMeanings[status]; ok {
		msg := fmt.Sprintf("IISSYNC status %d: %s (KB Q224801)", status, kb)
		if status == 1722 {
			msg += "; " + target + " is down, not on the network or not a name it knows"
		}
		return msg
	}
	if status == 1753 {
		// Not in the KB: the endpoint mapper has no IIS Admin to offer,
		// so read both nodes' IISADMIN to say which one.
		why := iisSyncAdmin(ctx, t, source)
		if why == "" {
			why = iisSyncAdmin(ctx, peer, target)
		}
		if why == "" {
			why = "IISADMIN is not running on " + target + " or IIS is not installed there"
		}
		return fmt.Sprintf("IISSYNC status 1753 (%s): %s", win.Win32Text(1753), why)
	}
	if status == 5 {
		// Not in the KB: access denied, and over WinRM that is the double
		// hop.
		return fmt.Sprintf("IISSYNC status 5 (%s): %s refused the credentials of the session IISSYNC ran in: over WinRM (NTLM, or Kerberos without delegation) "+
			"a session holds none to present to another host, the double hop; run the task with become {} (or as an administrator of %s)", win.Win32Text(5), target, target)
	}
	return fmt.Sprintf("IISSYNC status %d: %s (not in KB Q224801)", status, win.Win32Message(status))
}

// checkSource refuses IISSYNC, before anything runs, when the state of the
// nodes says the source is not the working IIS node: IISSYNC would then
// overwrite the working node's configuration. It reads, read-only, InetStp
// on the source and the cluster's IIS Server Instances through cluster.exe
// (on the source, or on the target when the source's cluster service does
// not run).
func (s *IISSync) checkSource(ctx context.Context, t, peer *Task, reachable bool, source, target string) error {
	refuse := func(working bool, format string, args ...any) error {
		whose := target
		if working {
			whose += ", the working node,"
		}
		return fmt.Errorf("%s: %w: %s; IISSYNC would overwrite the configuration of %s with %s's. "+
			"Run it on the working node aimed at the rebuilt one, or set force = true",
			t.Host.Name(), ErrIISSyncDirection, fmt.Sprintf(format, args...), whose, source)
	}
	if _, installed, err := queryRegKey(ctx, t, iisSyncSetupKey); err != nil {
		return err
	} else if !installed {
		return refuse(false, "IIS is not installed on %s (no %s), so it is not the working IIS node", source, iisSyncSetupKey)
	}

	resources, err := readClusterResources(ctx, t, clusterTypeIIS)
	if clusterErrorCode(err) == 1753 {
		// The source is out of the cluster; the cluster still answers on
		// the target, and shows where the sites are served.
		onTarget := target + " is unreachable"
		if reachable {
			resources, err = readClusterResources(ctx, peer, clusterTypeIIS)
			if !errors.Is(err, ErrUnreachable) {
				onTarget = "on " + target + " too"
			}
		}
		if clusterErrorCode(err) == 1753 || errors.Is(err, ErrUnreachable) {
			return refuse(false, "cannot tell which node serves the cluster's IIS sites: cluster.exe fails with 1753 "+
				"(the cluster service is not running) on %s, and %s", source, onTarget)
		}
	}
	if err != nil {
		return err
	}
	var sites []clusterResource
	for _, r := range resources {
		if strings.EqualFold(r.Type, clusterTypeIIS) {
			sites = append(sites, r)
		}
	}
	on := func(node string, online bool) []clusterResource {
		var out []clusterResource
		for _, r := range sites {
			if strings.EqualFold(r.Node, node) && (!online || r.Status == "Online") {
				out = append(out, r)
			}
		}
		return out
	}
	sourceServes, targetServes := on(source, true), on(target, true)
	switch {
	case len(targetServes) > 0 && len(sourceServes) == 0:
		return refuse(true, "%s serves the cluster's IIS sites (%s Online in %s) and %s serves none of them, "+
			"so %s's metabase may lack them, as a fresh Option Pack install's does (only W3SVC/1 and MSFTPSVC/1)",
			target, iisSyncSites(targetServes), iisSyncGroups(targetServes), source, source)
	case len(targetServes) == 0 && len(sourceServes) == 0:
		// Neither serves a site: who owns their groups is the evidence left.
		if owned := on(target, false); len(owned) > 0 && len(on(source, false)) == 0 {
			return refuse(true, "%s owns %s, the group of the cluster's IIS sites (%s, none Online), and %s owns none of them",
				target, iisSyncGroups(owned), iisSyncSites(owned), source)
		}
	}
	return nil
}

// iisSyncSites names IIS Server Instance resources with their instance,
// "Web Server W3SVC/2".
func iisSyncSites(rs []clusterResource) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
		if svc, id := r.Private["servicename"], r.Private["instanceid"]; svc != "" && id != "" {
			names[i] += " " + svc + "/" + id
		}
	}
	return strings.Join(names, ", ")
}

// iisSyncGroups names the groups of rs, each once.
func iisSyncGroups(rs []clusterResource) string {
	var groups []string
	for _, r := range rs {
		if !slices.Contains(groups, r.Group) {
			groups = append(groups, r.Group)
		}
	}
	return strings.Join(groups, ", ")
}
