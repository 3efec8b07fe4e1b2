package win

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Service states as sc.exe numbers them (SERVICE_STOPPED … SERVICE_PAUSED).
const (
	StateStopped         = 1
	StateStartPending    = 2
	StateStopPending     = 3
	StateRunning         = 4
	StateContinuePending = 5
	StatePausePending    = 6
	StatePaused          = 7
)

// stateConstants are the words sc.exe prints after a state's number; they
// are the same in every display language.
var stateConstants = map[string]int{
	"STOPPED": StateStopped, "START_PENDING": StateStartPending, "STOP_PENDING": StateStopPending,
	"RUNNING": StateRunning, "CONTINUE_PENDING": StateContinuePending, "PAUSE_PENDING": StatePausePending,
	"PAUSED": StatePaused,
}

// StateName is sc.exe's constant for a state number.
func StateName(state int) string {
	for name, n := range stateConstants {
		if n == state {
			return name
		}
	}
	return "STATE_" + strconv.Itoa(state)
}

// startConstants are the words after START_TYPE's number.
var startConstants = map[string]string{
	"BOOT_START": "boot", "SYSTEM_START": "boot", "AUTO_START": "auto", "DEMAND_START": "manual", "DISABLED": "disabled",
}

// scField is one `LABEL : N  CONSTANT` line of sc.exe. The label is
// translated on some hosts (Russian Состояние, Тип_запуска), so it is not
// read: the number and the constant after it are.
var scField = regexp.MustCompile(`(?m)^[ \t]*[^\r\n:]+:[ \t]*(\d+)[ \t]+([A-Z_]+)([^\r\n]*)`)

// ServiceState reads the state number from `sc query NAME` output: the
// line whose constant is a service state (4  RUNNING).
func ServiceState(out string) (int, error) {
	for _, m := range scField.FindAllStringSubmatch(out, -1) {
		if want, ok := stateConstants[m[2]]; ok {
			n, err := strconv.Atoi(m[1])
			if err != nil || n != want {
				return 0, fmt.Errorf("sc query prints state %s %s, which do not agree", m[1], m[2])
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no service state (a line such as STATE : 4  RUNNING) in sc query output %q", Clip(out))
}

// StartType reads `sc qc NAME` output as a start mode: auto, delayed (an
// automatic start with (DELAYED) after it), manual, disabled or boot.
func StartType(out string) (string, error) {
	for _, m := range scField.FindAllStringSubmatch(out, -1) {
		mode, ok := startConstants[m[2]]
		if !ok {
			continue
		}
		if mode == "auto" && strings.Contains(m[3], "(DELAYED)") {
			mode = "delayed"
		}
		return mode, nil
	}
	return "", fmt.Errorf("no start type (a line such as START_TYPE : 2   AUTO_START) in sc qc output %q", Clip(out))
}

// Clip shortens tool output quoted in an error message, on a rune
// boundary.
func Clip(s string) string {
	const limit = 300
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
