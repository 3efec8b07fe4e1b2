package modules

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "cluster",
		Summary: "Cluster resources (\"Affect the group\", online/offline), group owner and state, node status waits (cluster.exe).",
		New:     func() Module { return &Cluster{} },
	})
}

// Cluster manages one object of an MSCS cluster through cluster.exe on the
// node it runs on: a resource, a group or a node, whichever is named.
//
//   - resource: its RestartAction (affect_the_group = false is the
//     runbook's "untick Affect the group", RestartAction 1) and its state.
//   - group: its owner node (a move) and its state. A move that ends on
//     another node because a resource that affects the group failed is an
//     error that says so.
//   - node: waits until the node has a status (Up, Down, Paused, Joining);
//     it changes nothing.
//
// Node names are cluster (NetBIOS) names, compared case-insensitively.
type Cluster struct {
	// Resource names a cluster resource to manage; name exactly one of
	// Resource, Group or Node.
	Resource string `hcl:"resource,optional"`
	// Group names a cluster group to manage.
	Group string `hcl:"group,optional"`
	// Node names a cluster node to wait for (see Status).
	Node string `hcl:"node,optional"`
	// RestartAction (resource) is 0 (do not restart), 1 (restart, do not
	// affect the group) or 2 (restart and fail the group over).
	RestartAction *int `hcl:"restart_action,optional"`
	// AffectTheGroup (resource) is Cluster Administrator's checkbox:
	// true is RestartAction 2, false is 1.
	AffectTheGroup *bool `hcl:"affect_the_group,optional"`
	// State (resource or group) is online or offline.
	State string `hcl:"state,optional"`
	// Owner (group) is the node the group must be on; it is moved there.
	Owner string `hcl:"owner,optional"`
	// Status (node) is up, down, paused or joining: wait until the node
	// has it.
	Status string `hcl:"status,optional"`
	// Timeout bounds a wait for a status or for a pending resource; 5m.
	Timeout string `hcl:"timeout,optional"`
}

var clusterNodeStatuses = map[string]string{"up": "Up", "down": "Down", "paused": "Paused", "joining": "Joining"}

// Validate checks the arguments: exactly one object, and only the
// arguments that apply to it.
func (c *Cluster) Validate() []FieldError {
	var errs []FieldError
	named := 0
	for _, f := range []struct{ name, v string }{{"resource", c.Resource}, {"group", c.Group}, {"node", c.Node}, {"owner", c.Owner}} {
		if f.v == "" {
			continue
		}
		if f.name != "owner" {
			named++
		}
		if err := cmdline.CheckData(f.v); err != nil {
			errs = append(errs, FieldError{f.name, err.Error()})
		}
	}
	if named != 1 {
		errs = append(errs, FieldError{"", "name exactly one of resource, group or node"})
	}
	only := func(field string, set bool, allowed bool, of string) {
		if set && !allowed {
			errs = append(errs, FieldError{field, "applies only to " + of})
		}
	}
	only("restart_action", c.RestartAction != nil, c.Resource != "", "a resource")
	only("affect_the_group", c.AffectTheGroup != nil, c.Resource != "", "a resource")
	only("state", c.State != "", c.Resource != "" || c.Group != "", "a resource or a group")
	only("owner", c.Owner != "", c.Group != "", "a group")
	only("status", c.Status != "", c.Node != "", "a node")
	if c.RestartAction != nil && (*c.RestartAction < 0 || *c.RestartAction > 2) {
		errs = append(errs, FieldError{"restart_action", fmt.Sprintf("must be 0, 1 or 2, not %d", *c.RestartAction)})
	}
	if c.RestartAction != nil && c.AffectTheGroup != nil {
		errs = append(errs, FieldError{"affect_the_group", "set restart_action or affect_the_group, not both"})
	}
	if c.State != "" && !oneOf(c.State, "online", "offline") {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be online or offline, not %q", c.State)})
	}
	if _, ok := clusterNodeStatuses[c.Status]; c.Status != "" && !ok {
		errs = append(errs, FieldError{"status", fmt.Sprintf("must be up, down, paused or joining, not %q", c.Status)})
	}
	if c.Node != "" && c.Status == "" {
		errs = append(errs, FieldError{"status", "is required with node: the status to wait for"})
	}
	if c.Resource != "" && c.RestartAction == nil && c.AffectTheGroup == nil && c.State == "" {
		errs = append(errs, FieldError{"", "say what to do with the resource: restart_action, affect_the_group or state"})
	}
	if c.Group != "" && c.Owner == "" && c.State == "" {
		errs = append(errs, FieldError{"", "say what to do with the group: owner or state"})
	}
	if _, err := durationOr(c.Timeout, 0); err != nil {
		errs = append(errs, FieldError{"timeout", err.Error()})
	}
	return errs
}

// Supports refuses a host that has neither cluster.exe nor the
// FailoverClusters module.
func (c *Cluster) Supports(f *win.Facts) error {
	if f.ClusterExe || f.FailoverClusters && f.HasPowerShell() {
		return nil
	}
	return fmt.Errorf("the cluster module needs cluster.exe or the FailoverClusters PowerShell module, and %s has neither: "+
		"install RSAT-Clustering-PowerShell (Install-WindowsFeature), or run the task on a cluster node", f.Name())
}

// Run dispatches to the object named.
func (c *Cluster) Run(ctx context.Context, t *Task) (*Result, error) {
	timeout, _ := durationOr(c.Timeout, 5*time.Minute)
	via, err := clusterOn(ctx, t)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Resource != "":
		return c.runResource(ctx, via, timeout)
	case c.Group != "":
		return c.runGroup(ctx, via)
	}
	return c.runNode(ctx, via, timeout)
}

// wantRestartAction is the RestartAction asked for, or -1.
func (c *Cluster) wantRestartAction() int {
	switch {
	case c.RestartAction != nil:
		return *c.RestartAction
	case c.AffectTheGroup != nil && *c.AffectTheGroup:
		return 2
	case c.AffectTheGroup != nil:
		return 1
	}
	return -1
}

var restartActionNames = map[int]string{0: "do not restart", 1: "restart, do not affect the group", 2: "restart, affect the group"}

func (c *Cluster) runResource(ctx context.Context, via clusterVia, timeout time.Duration) (*Result, error) {
	t := via.t
	row, err := via.resourceRow(ctx, c.Resource)
	if err != nil {
		return nil, err
	}
	beforeRA := -1
	wantRA := c.wantRestartAction()
	if wantRA >= 0 {
		if beforeRA, err = via.restartAction(ctx, c.Resource); err != nil {
			return nil, err
		}
	}
	before := map[string]string{"node": row.Node, "status": row.Status}
	after := map[string]string{"node": row.Node, "status": row.Status}
	var changes []string
	if wantRA >= 0 {
		before["restart_action"] = strconv.Itoa(beforeRA)
		after["restart_action"] = strconv.Itoa(wantRA)
		if beforeRA != wantRA {
			changes = append(changes, fmt.Sprintf("RestartAction %d → %d (%s)", beforeRA, wantRA, restartActionNames[wantRA]))
		}
	}
	wantStatus := ""
	switch c.State {
	case "online":
		wantStatus = "Online"
	case "offline":
		wantStatus = "Offline"
	}
	if wantStatus != "" && row.Status != wantStatus {
		after["status"] = wantStatus
		changes = append(changes, fmt.Sprintf("%s → %s", row.Status, wantStatus))
	}
	res := &Result{Changed: len(changes) > 0, Facts: map[string]any{"resource": row.Name, "group": row.Group, "node": row.Node, "status": after["status"]}}
	if wantRA >= 0 {
		res.Facts["restart_action"] = wantRA
	}
	if t.Diff {
		res.Diff = &Diff{Before: Lines(before), After: Lines(after)}
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("resource %s is %s on %s", row.Name, row.Status, row.Node)
		if wantRA >= 0 {
			res.Msg += fmt.Sprintf(", RestartAction %d", beforeRA)
		}
		return res, nil
	}
	res.Msg = "resource " + row.Name + ": " + strings.Join(changes, ", ")
	if t.Check {
		return res, nil
	}
	// "Affect the group" goes first: the runbook unticks it before it
	// brings anything online, so a failure cannot move the group.
	if wantRA >= 0 && beforeRA != wantRA {
		cmd := via.setRestartAction(c.Resource, wantRA)
		out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
			now, err := via.restartAction(ctx, c.Resource)
			return now == wantRA, err
		})
		if err != nil {
			return nil, err
		}
		if out.ExitCode != 0 {
			return nil, via.failed(cmd, out)
		}
	}
	if wantStatus != "" && row.Status != wantStatus {
		final, err := c.setResourceState(ctx, via, wantStatus, timeout)
		if err != nil {
			return nil, err
		}
		res.Facts["node"], res.Facts["status"] = final.Node, final.Status
		if !strings.EqualFold(final.Node, row.Node) {
			res.Msg += fmt.Sprintf("; its group failed over from %s to %s", row.Node, final.Node)
		}
	}
	return res, nil
}

func (c *Cluster) setResourceState(ctx context.Context, via clusterVia, want string, timeout time.Duration) (clusterRow, error) {
	t := via.t
	cmd := via.setResourceState(c.Resource, strings.ToLower(want))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := via.resourceRow(ctx, c.Resource)
		return now.Status == want || now.Status == want+" Pending", err
	})
	if err != nil {
		return clusterRow{}, err
	}
	if out.ExitCode != 0 {
		return clusterRow{}, via.failed(cmd, out)
	}
	var last clusterRow
	err = Poll(ctx, t, timeout, fmt.Sprintf("resource %s to be %s", c.Resource, want), func(ctx context.Context) (bool, error) {
		now, err := via.resourceRow(ctx, c.Resource)
		last = now
		return err == nil && !strings.HasSuffix(now.Status, "Pending"), err
	})
	if err != nil {
		return last, fmt.Errorf("%s: %w", t.Host.Name(), err)
	}
	if last.Status != want {
		msg := fmt.Sprintf("%s: resource %s is %s on %s after `%s`", t.Host.Name(), c.Resource, last.Status, last.Node, cmd.Line)
		if last.Status == "Failed" {
			msg += ": the node cannot run it (for an IIS instance: IIS or the instance missing there; for MSDTC: no clustered MSDTC there)"
		}
		return last, fmt.Errorf("%s", msg)
	}
	return last, nil
}

func (c *Cluster) runGroup(ctx context.Context, via clusterVia) (*Result, error) {
	t := via.t
	row, err := via.groupRow(ctx, c.Group)
	if err != nil {
		return nil, err
	}
	before := map[string]string{"owner": row.Node, "status": row.Status}
	after := map[string]string{"owner": row.Node, "status": row.Status}
	var changes []string
	move := c.Owner != "" && !strings.EqualFold(row.Node, c.Owner)
	if move {
		after["owner"] = strings.ToUpper(c.Owner)
		changes = append(changes, fmt.Sprintf("move %s → %s", row.Node, strings.ToUpper(c.Owner)))
	}
	wantStatus := map[string]string{"online": "Online", "offline": "Offline"}[c.State]
	if wantStatus != "" && row.Status != wantStatus {
		after["status"] = wantStatus
		changes = append(changes, fmt.Sprintf("%s → %s", row.Status, wantStatus))
	}
	res := &Result{Changed: len(changes) > 0, Facts: map[string]any{"group": row.Name, "owner": after["owner"], "status": after["status"]}}
	if t.Diff {
		res.Diff = &Diff{Before: Lines(before), After: Lines(after)}
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("group %s is %s on %s", row.Name, row.Status, row.Node)
		return res, nil
	}
	res.Msg = "group " + row.Name + ": " + strings.Join(changes, ", ")
	if t.Check {
		return res, nil
	}
	now := row
	if move {
		if now, err = c.moveGroup(ctx, via, row); err != nil {
			return nil, err
		}
	}
	if wantStatus != "" && now.Status != wantStatus {
		cmd := via.setGroupState(c.Group, c.State)
		out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
			g, err := via.groupRow(ctx, c.Group)
			return g.Status == wantStatus, err
		})
		if err != nil {
			return nil, err
		}
		if out.ExitCode != 0 {
			return nil, via.failed(cmd, out)
		}
		if now, err = via.groupRow(ctx, c.Group); err != nil {
			return nil, err
		}
		if now.Status != wantStatus {
			return nil, fmt.Errorf("%s: group %s is %s on %s after `%s`%s", t.Host.Name(), c.Group, now.Status, now.Node, cmd.Line, c.notOnline(ctx, via, now))
		}
	}
	res.Facts["owner"], res.Facts["status"] = now.Node, now.Status
	if now.Status != "Online" && now.Status != "Offline" {
		res.Msg += fmt.Sprintf("; the group is %s%s", now.Status, c.notOnline(ctx, via, now))
	}
	return res, nil
}

// moveGroup moves the group and checks where it ended up: a group that
// comes back to where it was has had a resource fail that affects it.
func (c *Cluster) moveGroup(ctx context.Context, via clusterVia, from clusterRow) (clusterRow, error) {
	t := via.t
	cmd := via.moveGroup(c.Group, c.Owner)
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		g, err := via.groupRow(ctx, c.Group)
		return strings.EqualFold(g.Node, c.Owner), err
	})
	if err != nil {
		return clusterRow{}, err
	}
	if out.ExitCode != 0 {
		return clusterRow{}, via.failed(cmd, out)
	}
	now, err := via.groupRow(ctx, c.Group)
	if err != nil {
		return clusterRow{}, err
	}
	if !strings.EqualFold(now.Node, c.Owner) {
		return now, fmt.Errorf("%s: `%s`: group %s is on %s, not %s: a resource that affects the group (RestartAction 2) "+
			"failed on %s and the group failed over; set affect_the_group = false on the IIS instances and MSDTC before moving it",
			t.Host.Name(), cmd.Line, c.Group, now.Node, strings.ToUpper(c.Owner), strings.ToUpper(c.Owner))
	}
	return now, nil
}

// notOnline lists the group's resources that are not online, for a
// message; it returns "" if they cannot be read.
func (c *Cluster) notOnline(ctx context.Context, via clusterVia, g clusterRow) string {
	rows, err := via.resources(ctx)
	if err != nil {
		return ""
	}
	var bad []string
	for _, r := range rows {
		if strings.EqualFold(r.Group, g.Name) && r.Status != "Online" {
			bad = append(bad, r.Name+" "+r.Status)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	sort.Strings(bad)
	return " (" + strings.Join(bad, ", ") + ")"
}

func (c *Cluster) runNode(ctx context.Context, via clusterVia, timeout time.Duration) (*Result, error) {
	t := via.t
	want := clusterNodeStatuses[c.Status]
	status, err := via.nodeStatus(ctx, c.Node)
	if err != nil {
		return nil, err
	}
	res := &Result{Facts: map[string]any{"node": strings.ToUpper(c.Node), "status": status}}
	if status == want {
		res.Msg = fmt.Sprintf("node %s is %s", strings.ToUpper(c.Node), status)
		return res, nil
	}
	if t.Check {
		// What would make the node change is an earlier task that a dry
		// run did not perform; waiting for it here would only time out.
		res.Msg = fmt.Sprintf("node %s is %s; a real run waits up to %s for %s", strings.ToUpper(c.Node), status, timeout, want)
		return res, nil
	}
	start := time.Now()
	err = Poll(ctx, t, timeout, fmt.Sprintf("cluster node %s to be %s", strings.ToUpper(c.Node), want), func(ctx context.Context) (bool, error) {
		s, err := via.nodeStatus(ctx, c.Node)
		if err == nil {
			status = s
		}
		return s == want, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w (it is %s)", t.Host.Name(), err, status)
	}
	res.Facts["status"], res.Facts["elapsed"] = status, time.Since(start).Seconds()
	res.Msg = fmt.Sprintf("node %s is %s", strings.ToUpper(c.Node), status)
	return res, nil
}
