package modules

// SwitchFields names the arguments of a module whose elements may be
// switches: a command's argv, an installer's arguments. An element written
// literally in the playbook may start with / or -; one that comes from a
// value (a variable, a fact, a result) is data, and the runner refuses it
// if it starts with either, since the program would read it as a switch.
type SwitchFields interface{ SwitchFields() []string }

// SwitchFields: argv is the program and its switches and values.
func (c *RunCommand) SwitchFields() []string { return []string{"argv"} }

// SwitchFields: arguments are the setup program's switches and values.
func (in *Installer) SwitchFields() []string { return []string{"arguments"} }
