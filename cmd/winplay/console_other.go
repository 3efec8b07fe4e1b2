//go:build !windows

package main

// enableVirtualTerminal is needed on Windows only: other terminals
// understand escape sequences as they are.
func enableVirtualTerminal() {}
