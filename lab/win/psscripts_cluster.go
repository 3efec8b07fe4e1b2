package win

import (
	"strconv"
	"strings"
)

// The FailoverClusters cmdlets the modules' cluster scripts use, on the
// lab's cluster: Get-ClusterResource, Get-ClusterGroup, Get-ClusterNode,
// Move-ClusterGroup, Start-/Stop-ClusterResource and -ClusterGroup, and
// setting a resource's RestartAction. States are the cmdlets' enum names
// (OnlinePending, PartialOnline), as [string] makes them.

// psState is a lab cluster status as the FailoverClusters enums name it.
func psState(status string) string {
	return strings.ReplaceAll(strings.ReplaceAll(status, "Partially Online", "PartialOnline"), " ", "")
}

// psCluster runs a cluster script; ok is false for other scripts.
func (ps *psRunner) psCluster(name string, args map[string]string) (code int, ok bool) {
	if !strings.HasPrefix(name, "cluster-") {
		return 0, false
	}
	m := ps.c.m
	cl := m.net.cluster
	cmdlet := map[string]string{
		"cluster-resource": "Get-ClusterResource", "cluster-resources": "Get-ClusterResource",
		"cluster-resource-restart-action": "Get-ClusterResource", "cluster-resource-state": "Start-ClusterResource",
		"cluster-group": "Get-ClusterGroup", "cluster-group-move": "Move-ClusterGroup",
		"cluster-group-state": "Start-ClusterGroup", "cluster-node": "Get-ClusterNode",
	}[name]
	// The module comes with the Failover Clustering feature's tools, on
	// the cluster's nodes; the cmdlets reach the cluster through the
	// node's own cluster service.
	if !m.os.FailoverClusters || !cl.isNode(m.netbios) || m.c.get(m.sys(failoverClustersModule)) == nil {
		return ps.psError(cmdlet, "The term '"+cmdlet+"' is not recognized as the name of a cmdlet, function, script file, or operable program.", "CommandNotFoundException"), true
	}
	if !clusterReachable(m) {
		return ps.psError(cmdlet, winMessage(errNoEndpoints), "ClusterCmdletException"), true
	}
	n := m.net
	fail := func(code int) (int, bool) {
		return ps.psError(cmdlet, winMessage(code), "ClusterCmdletException"), true
	}
	switch name {
	case "cluster-resource":
		r, g := cl.resource(args["Name"])
		if r == nil {
			return ps.psJSON(map[string]any{"found": false}), true
		}
		return ps.psJSON(map[string]any{"found": true, "name": r.name, "group": g.name, "node": g.owner,
			"state": psState(r.status), "type": r.typ, "restartAction": r.restartAction}), true
	case "cluster-resources":
		all := []map[string]any{}
		for _, g := range cl.groups {
			for _, r := range g.resources {
				all = append(all, map[string]any{"name": r.name, "group": g.name, "node": g.owner, "state": psState(r.status), "type": r.typ})
			}
		}
		return ps.psJSON(map[string]any{"resources": all}), true
	case "cluster-resource-restart-action":
		r, _ := cl.resource(args["Name"])
		if r == nil {
			return fail(errResourceNotFound)
		}
		v, err := strconv.Atoi(args["RestartAction"])
		if err != nil || v < 0 || v > 2 {
			return fail(errInvalidParameter)
		}
		ps.changes()
		r.restartAction = v
		return ps.psJSON(map[string]any{"restartAction": v}), true
	case "cluster-resource-state":
		r, g := cl.resource(args["Name"])
		if r == nil {
			return fail(errResourceNotFound)
		}
		ps.changes()
		if args["State"] == "online" {
			if !cl.nodeUp(n, g.owner) {
				return fail(errNodeDown)
			}
			r.wanted = true
			if !cl.startResource(n, r, g.owner) && r.restartAction == 2 {
				cl.failover(n, g, []*clusterResource{r}, "")
			}
		} else {
			r.wanted, r.status = false, statusOffline
		}
		return ps.psJSON(map[string]any{"state": psState(r.status), "node": g.owner}), true
	case "cluster-group":
		g := cl.group(args["Name"])
		if g == nil {
			return ps.psJSON(map[string]any{"found": false}), true
		}
		return ps.psJSON(map[string]any{"found": true, "name": g.name, "node": g.owner, "state": psState(g.status())}), true
	case "cluster-group-move":
		g := cl.group(args["Name"])
		if g == nil {
			return fail(errGroupNotFound)
		}
		ps.changes()
		target, code := cl.moveTarget(n, g, args["Node"])
		if code != 0 {
			return fail(code)
		}
		from := g.owner
		for _, r := range g.resources {
			r.status = statusOffline
		}
		cl.bringOnline(n, g, target, from)
		return ps.psJSON(map[string]any{"node": g.owner, "state": psState(g.status())}), true
	case "cluster-group-state":
		g := cl.group(args["Name"])
		if g == nil {
			return fail(errGroupNotFound)
		}
		ps.changes()
		if args["State"] == "online" {
			if !cl.nodeUp(n, g.owner) {
				return fail(errNodeDown)
			}
			for _, r := range g.resources {
				r.wanted = true
			}
			cl.bringOnline(n, g, g.owner, "")
		} else {
			for _, r := range g.resources {
				r.wanted, r.status = false, statusOffline
			}
		}
		return ps.psJSON(map[string]any{"node": g.owner, "state": psState(g.status())}), true
	case "cluster-node":
		node := strings.ToUpper(args["Name"])
		if !cl.isNode(node) {
			return ps.psJSON(map[string]any{"found": false}), true
		}
		return ps.psJSON(map[string]any{"found": true, "name": node, "state": cl.nodeStatus(n, node)}), true
	}
	return 0, false
}

// changes marks the PowerShell command as one that changes the host, as
// the cmdlet it runs does.
func (ps *psRunner) changes() {
	if ps.c.entry != nil {
		ps.c.entry.Changes = true
	}
}
