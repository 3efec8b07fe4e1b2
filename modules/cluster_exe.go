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

// The cluster through cluster.exe: NT 4.0 to 2012 R2, where it is built in
// or installed (RSAT-Clustering-CmdInterface).

// clusterRow is one row of a cluster.exe status table. Name is the first
// column (group, resource or node); absent columns are "".
type clusterRow struct {
	Name, Group, Node, Status string
}

// clusterRowFrom reads one reading of a row of tab.
func clusterRowFrom(tab win.ClusterTable, cells []string) clusterRow {
	get := func(h string) string {
		if i := tab.Column(h); i >= 0 && i < len(cells) {
			return cells[i]
		}
		return ""
	}
	row := clusterRow{Name: cells[0], Group: get("Group"), Node: get("Node"), Status: get("Status")}
	switch tab.Headers[0] {
	case "Group":
		row.Group = ""
	case "Node":
		row.Node = cells[0]
	}
	return row
}

// clusterListing reads a group, resource or node listing: per row, every
// reading of it (see win.ParseClusterTable), almost always one.
func clusterListing(out string) ([][]clusterRow, error) {
	tab, err := win.ParseClusterTable(out)
	if err != nil {
		return nil, err
	}
	if tab.Column("Status") < 0 || len(tab.Headers) < 2 {
		return nil, fmt.Errorf("no Status column in %q", win.Clip(out))
	}
	rows := make([][]clusterRow, 0, len(tab.Rows))
	for _, r := range tab.Rows {
		var readings []clusterRow
		for _, cells := range r.Splits {
			readings = append(readings, clusterRowFrom(tab, cells))
		}
		rows = append(rows, readings)
	}
	return rows, nil
}

func clusterResourceRow(ctx context.Context, t *Task, name string) (clusterRow, error) {
	return clusterOneRow(ctx, t, Read(cmdline.New("cluster.exe").Arg("resource").Data(name)), name)
}

func clusterGroupRow(ctx context.Context, t *Task, name string) (clusterRow, error) {
	return clusterOneRow(ctx, t, Read(cmdline.New("cluster.exe").Arg("group").Data(name)), name)
}

func clusterNodeStatus(ctx context.Context, t *Task, node string) (string, error) {
	row, err := clusterOneRow(ctx, t, Read(cmdline.New("cluster.exe").Arg("node").Data(node).Arg("/status")), node)
	return row.Status, err
}

// clusterOneRow runs a listing of one object and reads its row, the
// reading whose first cell is the name asked for.
func clusterOneRow(ctx context.Context, t *Task, cmd Command, name string) (clusterRow, error) {
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return clusterRow{}, err
	}
	if out.ExitCode != 0 {
		return clusterRow{}, clusterFailed(t, cmd, out)
	}
	tab, err := win.ParseClusterTable(out.Stdout)
	if err != nil {
		return clusterRow{}, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	cells, ok := tab.Find(0, name)
	if !ok {
		return clusterRow{}, fmt.Errorf("%s: `%s` listed no row for %q: %q", t.Host.Name(), cmd.Line, name, win.Clip(out.Stdout))
	}
	return clusterRowFrom(tab, cells), nil
}

// clusterRestartAction reads a resource's RestartAction from /prop.
func clusterRestartAction(ctx context.Context, t *Task, resource string) (int, error) {
	props, err := clusterResourceProps(ctx, t, resource, "/prop")
	if err != nil {
		return 0, err
	}
	v, ok := props["restartaction"]
	if !ok {
		return 0, fmt.Errorf("%s: cluster.exe resource %q /prop listed no RestartAction", t.Host.Name(), resource)
	}
	n, err := win.ClusterDWORD(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %s's RestartAction: %w", t.Host.Name(), resource, err)
	}
	return n, nil
}

// clusterMeanings explain cluster.exe's errors where the Win32 text alone
// would puzzle.
var clusterMeanings = map[int]string{
	1753: "the cluster service is not running on this node, so cluster.exe cannot reach the cluster",
	5050: "the node is down",
}

// clusterCode is the system error a failed cluster.exe command reports
// (System error N has occurred (0x…).), or its exit code.
func clusterCode(out Output) int {
	if n := win.SystemError(out.Stderr + out.Stdout); n != 0 {
		return n
	}
	return out.ExitCode
}

func clusterFailed(t *Task, cmd Command, out Output) error {
	code := clusterCode(out)
	meaning := win.Win32Message(code)
	if extra, ok := clusterMeanings[code]; ok {
		meaning += " (" + extra + ")"
	}
	return Failed(t.Host.Name(), cmd, out, meaning)
}

// clusterErrorCode is the system error of a cluster command that failed
// (1753: the cluster service does not run there), or 0 when err is not
// one.
func clusterErrorCode(err error) int {
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Out == nil {
		return 0
	}
	return clusterCode(*ce.Out)
}

// clusterResource is one resource as cluster.exe lists it, with its type
// and, for some types, its private properties. The msdtc and iissync
// modules read the cluster through it.
type clusterResource struct {
	clusterRow // Name, Group, Node (the group's owner), Status
	Type       string
	// Private holds /priv's properties by lower-case name, for the types
	// asked for.
	Private map[string]string
}

// readClusterResources lists the cluster's resources through cluster.exe
// on t's host, read-only: the listing, /prop of each for its type, and
// /priv of those whose type is in withPrivate. A row that reads more than
// one way (a long name with a space past its column) is settled by /prop:
// cluster.exe knows only the real name (5007 for the others).
func readClusterResources(ctx context.Context, t *Task, withPrivate ...string) ([]clusterResource, error) {
	cmd := Read(cmdline.New("cluster.exe").Arg("resource"))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 {
		return nil, clusterFailed(t, cmd, out)
	}
	rows, err := clusterListing(out.Stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	resources := make([]clusterResource, 0, len(rows))
	for _, readings := range rows {
		var row clusterRow
		var common map[string]string
		for i, reading := range readings {
			common, err = clusterResourceProps(ctx, t, reading.Name, "/prop")
			if err != nil && clusterErrorCode(err) == 5007 && i < len(readings)-1 {
				continue // not this reading's name
			}
			row = reading
			break
		}
		if err != nil {
			return nil, err
		}
		r := clusterResource{clusterRow: row, Type: common["type"]}
		if slices.ContainsFunc(withPrivate, func(typ string) bool { return strings.EqualFold(typ, r.Type) }) {
			if r.Private, err = clusterResourceProps(ctx, t, row.Name, "/priv"); err != nil {
				return nil, err
			}
		}
		resources = append(resources, r)
	}
	return resources, nil
}

// clusterResourceProps runs cluster resource R /prop or /priv and returns
// the properties by lower-case name: the Name and Value columns of the
// rows about R.
func clusterResourceProps(ctx context.Context, t *Task, resource, verb string) (map[string]string, error) {
	cmd := Read(cmdline.New("cluster.exe").Arg("resource").Data(resource).Arg(verb))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 {
		return nil, clusterFailed(t, cmd, out)
	}
	tab, err := win.ParseClusterTable(out.Stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	nameCol, valueCol, resCol := tab.Column("Name"), tab.Column("Value"), tab.Column("Resource")
	if nameCol < 0 || valueCol < 0 {
		return nil, fmt.Errorf("%s: `%s`: no Name and Value columns in %q", t.Host.Name(), cmd.Line, win.Clip(out.Stdout))
	}
	props := map[string]string{}
	for _, r := range tab.Rows {
		cells := r.Splits[0]
		for _, s := range r.Splits {
			if resCol >= 0 && strings.EqualFold(s[resCol], resource) {
				cells = s
				break
			}
		}
		props[strings.ToLower(cells[nameCol])] = cells[valueCol]
	}
	return props, nil
}
