// Package reliability holds winplay's reliability suite: the faults,
// hostile values, dry runs, secrets and bad files a hostile tester tries,
// each try counted and required to survive. It runs inside go test ./...;
//
//	go test ./reliability -v
//
// prints the tried and survived counts of each area:
//
//   - fault matrix: a changing task with retries under each fault a
//     network and a host produce (a request dropped before its reply, a
//     reply lost after the command ran, a 500 fault, a 401, a reply slower
//     than the task's deadline), a host that never returns, one that
//     reboots twice, the shell quota, and a run killed mid-task and run
//     again. It survives with no command run twice, an honest result, no
//     panic, and no shell left open;
//   - injection sweep: every module argument that reaches a command line
//     with cmd.exe's metacharacters, a leading / or -, control
//     characters, long and non-ASCII values. It survives refused at
//     validation, or run without changing the shape of a single command;
//   - check-mode sweep: every module, and the command forms that hide a
//     change from a simple reading, in a dry run. It survives when the lab
//     logs no change and its state is the same;
//   - secret forms: a sensitive value spelt as modules and functions spell
//     it, in text output with -vv and --diff, in JSON and in the journal.
//     It survives when no spelling of it appears anywhere;
//   - bad files: /dev/zero, huge and deeply nested playbooks, inventories
//     and var files, and over-long arguments. They survive refused with a
//     clear error, in bounded memory, without a panic.
package reliability
