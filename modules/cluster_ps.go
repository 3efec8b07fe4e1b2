package modules

import (
	"context"
	"fmt"
	"strconv"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// clusterVia is how the cluster module reaches the cluster from its host:
// cluster.exe where it is (NT 4.0 to 2012 R2), otherwise the
// FailoverClusters PowerShell module's cmdlets through fixed scripts
// (2016 and later have no cluster.exe unless RSAT-Clustering-CmdInterface
// is installed).
type clusterVia struct {
	t  *Task
	ps bool
}

// errNoClusterTool is wrapped when a host has neither cluster.exe nor the
// FailoverClusters module.
var errNoClusterTool = fmt.Errorf("%w: neither cluster.exe nor the FailoverClusters PowerShell module", errNoTool)

func clusterOn(ctx context.Context, t *Task) (clusterVia, error) {
	f, err := t.Facts(ctx)
	if err != nil {
		return clusterVia{}, err
	}
	if f.ClusterExe {
		return clusterVia{t: t}, nil
	}
	if f.FailoverClusters && f.HasPowerShell() {
		return clusterVia{t: t, ps: true}, nil
	}
	return clusterVia{}, clusterToolMissing(t.Host.Name(), f)
}

func clusterToolMissing(host string, f *win.Facts) error {
	return fmt.Errorf("%s: %w: %s has neither (install the FailoverClusters module with Install-WindowsFeature RSAT-Clustering-PowerShell, or cluster.exe with RSAT-Clustering-CmdInterface)",
		host, errNoClusterTool, f.Name())
}

// psStatus spells the FailoverClusters enums' names (OnlinePending,
// PartialOnline) as cluster.exe prints statuses.
func psStatus(s string) string {
	switch s {
	case "OnlinePending":
		return "Online Pending"
	case "OfflinePending":
		return "Offline Pending"
	case "PartialOnline":
		return "Partially Online"
	}
	return s
}

type psRow struct {
	Found bool
	Name  string
	Group string
	Node  string
	State string
	Type  string
	// RestartAction is a resource's.
	RestartAction int
}

func (r psRow) row() clusterRow {
	return clusterRow{Name: r.Name, Group: r.Group, Node: r.Node, Status: psStatus(r.State)}
}

func (c clusterVia) notFound(kind, name string, code int) error {
	return fmt.Errorf("%s: cluster %s %q: %s", c.t.Host.Name(), kind, name, win.Win32Message(code))
}

func (c clusterVia) resourceRow(ctx context.Context, name string) (clusterRow, error) {
	if !c.ps {
		return clusterResourceRow(ctx, c.t, name)
	}
	var r psRow
	if err := runScript(ctx, c.t, "cluster-resource", &r, win.Arg{Name: "Name", Value: name}); err != nil {
		return clusterRow{}, err
	}
	if !r.Found {
		return clusterRow{}, c.notFound("resource", name, 5007)
	}
	return r.row(), nil
}

func (c clusterVia) restartAction(ctx context.Context, name string) (int, error) {
	if !c.ps {
		return clusterRestartAction(ctx, c.t, name)
	}
	var r psRow
	if err := runScript(ctx, c.t, "cluster-resource", &r, win.Arg{Name: "Name", Value: name}); err != nil {
		return 0, err
	}
	if !r.Found {
		return 0, c.notFound("resource", name, 5007)
	}
	return r.RestartAction, nil
}

func (c clusterVia) groupRow(ctx context.Context, name string) (clusterRow, error) {
	if !c.ps {
		return clusterGroupRow(ctx, c.t, name)
	}
	var r psRow
	if err := runScript(ctx, c.t, "cluster-group", &r, win.Arg{Name: "Name", Value: name}); err != nil {
		return clusterRow{}, err
	}
	if !r.Found {
		return clusterRow{}, c.notFound("group", name, 5013)
	}
	row := r.row()
	row.Group = ""
	return row, nil
}

func (c clusterVia) nodeStatus(ctx context.Context, node string) (string, error) {
	if !c.ps {
		return clusterNodeStatus(ctx, c.t, node)
	}
	var r psRow
	if err := runScript(ctx, c.t, "cluster-node", &r, win.Arg{Name: "Name", Value: node}); err != nil {
		return "", err
	}
	if !r.Found {
		return "", c.notFound("node", node, 5042)
	}
	return r.State, nil
}

// resources lists every resource with its group, owner and status; a
// row cluster.exe prints ambiguously is read its first way.
func (c clusterVia) resources(ctx context.Context) ([]clusterRow, error) {
	if !c.ps {
		cmd := Read(cmdline.New("cluster.exe").Arg("resource"))
		out, err := c.t.Run(ctx, cmd)
		if err != nil {
			return nil, err
		}
		if out.ExitCode != 0 {
			return nil, clusterFailed(c.t, cmd, out)
		}
		rows, err := clusterListing(out.Stdout)
		if err != nil {
			return nil, err
		}
		var all []clusterRow
		for _, readings := range rows {
			all = append(all, readings[0])
		}
		return all, nil
	}
	var res struct{ Resources []psRow }
	if err := runScript(ctx, c.t, "cluster-resources", &res); err != nil {
		return nil, err
	}
	var all []clusterRow
	for _, r := range res.Resources {
		all = append(all, r.row())
	}
	return all, nil
}

// The changing commands, each for Apply.

func (c clusterVia) setRestartAction(name string, n int) Command {
	if !c.ps {
		return Change(cmdline.New("cluster.exe").Arg("resource").Data(name).Arg("/prop").Raw("RestartAction=" + strconv.Itoa(n)))
	}
	return scriptCommand("cluster-resource-restart-action", true, win.Arg{Name: "Name", Value: name}, win.Arg{Name: "RestartAction", Value: strconv.Itoa(n)})
}

func (c clusterVia) setResourceState(name, state string) Command {
	if !c.ps {
		return Change(cmdline.New("cluster.exe").Arg("resource").Data(name).Arg("/" + state))
	}
	return scriptCommand("cluster-resource-state", true, win.Arg{Name: "Name", Value: name}, win.Arg{Name: "State", Value: state})
}

func (c clusterVia) moveGroup(name, node string) Command {
	if !c.ps {
		return Change(cmdline.New("cluster.exe").Arg("group").Data(name).Flag("/move:", node))
	}
	return scriptCommand("cluster-group-move", true, win.Arg{Name: "Name", Value: name}, win.Arg{Name: "Node", Value: node})
}

func (c clusterVia) setGroupState(name, state string) Command {
	if !c.ps {
		return Change(cmdline.New("cluster.exe").Arg("group").Data(name).Arg("/" + state))
	}
	return scriptCommand("cluster-group-state", true, win.Arg{Name: "Name", Value: name}, win.Arg{Name: "State", Value: state})
}

// failed is the error of a changing command that exited non-zero.
func (c clusterVia) failed(cmd Command, out Output) error {
	if !c.ps {
		return clusterFailed(c.t, cmd, out)
	}
	out.Stderr = win.CLIXML(out.Stderr)
	return Failed(c.t.Host.Name(), cmd, out, "the FailoverClusters cmdlet failed")
}
