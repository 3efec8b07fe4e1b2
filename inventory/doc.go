// Package inventory reads the HCL inventory that says which Windows hosts
// winplay manages and how to reach them over WinRM, and selects hosts by
// pattern for --limit and a play's hosts.
//
// # The file
//
// reference.md (Reference, which `winplay doc inventory` prints and the
// README holds) documents the HCL file, Ansible's INI and YAML
// inventories, precedence and patterns for the users of winplay. This
// comment says what the code guarantees.
//
// # Precedence
//
// A host's connection settings and variables are merged from the
// built-in defaults, the file (the group "all"), the host's groups in order
// of depth and then name (a group nested in another is deeper than its
// deepest parent), and the host itself, each overriding the ones before.
// Connection settings merge one argument at a time; variables by top-level
// name. An Ansible inventory's variables map onto the same levels (see
// ansible.go), with ansible.windows' defaults applied to each host's merged
// settings.
//
// # Rules
//
// Load checks everything before any host is touched and reports each
// problem as an hcl.Diagnostic at its place in the file:
//
//   - Unknown arguments and blocks are errors, with HCL's "Did you mean"
//     suggestion.
//   - Host and group names start with a letter, digit or underscore and
//     hold letters, digits, "_", "-" and ".", so that patterns can use
//     them. A name is defined once, is not both a host and a group, and
//     does not differ from another name only in case (Windows names are
//     not case-sensitive). "all" and "ungrouped" are reserved.
//   - A group's hosts must be declared hosts and its children declared
//     groups; listing a member twice, or nesting groups in a loop, is an
//     error.
//   - address defaults to the host's name, as Ansible's
//     inventory_hostname does; it is a DNS name or IP address, without a
//     scheme or port.
//   - transport is "basic", "ntlm", "kerberos" or "certificate"; port is
//     1 to 65535; timeouts are Go durations ("30s", "2m") longer than zero.
//     Null is refused: leave an argument out to inherit it.
//   - ca_file must exist and hold a PEM certificate; a relative path is
//     relative to the inventory file. ca_file = "" drops an inherited one.
//   - insecure = true together with a ca_file is an error: one asks for
//     verification against a CA, the other turns verification off.
//   - NTLM and Kerberos seal every message over plain HTTP, as Windows
//     requires by default. Basic over plain HTTP is an error, as Windows'
//     own default (AllowUnencrypted = false) makes it, since it sends the
//     password and every command in clear text, unless the connection
//     sets allow_unencrypted = true.
//   - spn, keytab, ticket_cache and krb5_conf belong to transport
//     "kerberos"; keytab and ticket_cache are exclusive, and either needs
//     no password. keytab and krb5_conf must exist (relative paths are
//     relative to the inventory file); spn is "HTTP/<host>".
//   - transport "certificate" requires https = true and cert_file and
//     key_file, a PEM certificate and its unencrypted private key that
//     match; it needs neither a user nor a password.
//   - vars is an object of plain values; a number beyond about 1e±1000 is
//     refused, since it could not be written out in decimal.
//   - Every host needs a user, but for a client certificate.
//   - A password argument is an error: secrets never live in the file.
//
// # Passwords
//
// A host's password comes from the environment variable its password_env
// names (hosts that log on with a keytab, a ticket cache or a certificate
// need none). When that is unset or empty, or no password_env applies, Load
// asks LoadOptions.Prompt, once per variable (or per user when there is
// none); without a Prompt it is an error naming the variable and the
// hosts. The password never appears in errors, in fmt output of this
// package's types, or in their JSON; Connection.Password returns it.
//
// # Patterns
//
// Select takes Ansible's host patterns: terms separated by commas or
// colons, each a host, a group, "all" or "*", or a glob (node*, web?);
// &term intersects and !term excludes, so "all:!node1" is every host but
// node1 and "cluster:&web" the hosts in both. The plain terms are united
// first (all hosts when there are none), then each & and ! term applies.
// Hosts come back in inventory order. A term that names no host or group,
// or a glob that matches none, is an error with the nearest name
// suggested: a typo must not quietly select nothing.
//
// # Building and writing
//
// New builds an inventory in code under the same rules (the lab does this
// for its in-process hosts), and Write writes an inventory as a file that
// Load reads back to the same hosts.
package inventory

import _ "embed"

// Reference is the inventory reference for users, in Markdown that reads
// as plain text: `winplay doc inventory` prints it, and a test holds the
// README's copy equal to it.
//
//go:embed reference.md
var Reference string
