package modules

// Settler is a module whose dry run reads whether its change is in place:
// run in check mode, it reports no change exactly when what a real run
// would do is done, and it changes what it changes with commands that end
// within seconds. After a changing command's reply was lost, the runner
// retries a task (retries, until) only through it: a dry run of the
// module, watched as Watch does, must still show the change missing
// before anything is sent again. A module that is not a Settler, or whose
// Settles is false, is never retried after a lost reply: a command's
// effect cannot be read back, and an installer or a reboot may still be
// under way when its state says "not yet".
type Settler interface {
	Settles() bool
}

// Settles: a service's state and start mode are read with sc.
func (*Service) Settles() bool { return true }

// Settles: the value is read with reg query.
func (*Registry) Settles() bool { return true }

// Settles: the members are read with net localgroup.
func (*GroupMember) Settles() bool { return true }

// Settles: the holders are read with secedit /export.
func (*UserRight) Settles() bool { return true }

// Settles: the security descriptor is read with reg query.
func (*DCOMPermission) Settles() bool { return true }

// Settles: groups and resources are read with cluster.exe.
func (*Cluster) Settles() bool { return true }

// Settles: the destination's SHA-256 is read with certutil.
func (*Copy) Settles() bool { return true }
