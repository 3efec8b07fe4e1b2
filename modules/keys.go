package modules

import "strings"

// Keyer is a module that manages named properties of one object. A dry
// run uses the keys to see that a later task undoes what an earlier one
// would change: the later task finds the object as it is now, not as the
// earlier task would leave it, so the runner predicts the change the real
// run will make.
type Keyer interface {
	// Keys name the properties the task sets. Keys starting with
	// "cluster:" name properties of the cluster every node shares; others
	// are per host.
	Keys() []string
}

// Rebooter is a Keyer whose every change needs a reboot (a setup that
// exits 3010). When a dry run carries an earlier predicted change forward
// to such a task, it must predict the reboot with it: the task reads ok
// now, so it did not predict one itself.
type Rebooter interface {
	Keyer
	RebootsWhenChanged() bool
}

// Keys name the service's state and start mode, as far as the task sets
// them.
func (s *Service) Keys() []string {
	var keys []string
	if s.State != "" {
		keys = append(keys, ServiceKey(s.Name, "state"))
	}
	if s.StartMode != "" {
		keys = append(keys, ServiceKey(s.Name, "start_mode"))
	}
	return keys
}

// Keys name the cluster resource's or group's properties the task sets;
// node waits set nothing.
func (c *Cluster) Keys() []string {
	var keys []string
	switch {
	case c.Resource != "":
		name := "cluster:resource:" + strings.ToLower(c.Resource)
		if c.RestartAction != nil || c.AffectTheGroup != nil {
			keys = append(keys, name+":restart_action")
		}
		if c.State != "" {
			keys = append(keys, name+":state")
		}
	case c.Group != "":
		name := "cluster:group:" + strings.ToLower(c.Group)
		if c.Owner != "" {
			keys = append(keys, name+":owner")
		}
		if c.State != "" {
			keys = append(keys, name+":state")
		}
	}
	return keys
}
