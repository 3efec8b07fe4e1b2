// Package memstat reads the process's resident memory for benchmarks.
package memstat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// RSS returns the current and peak resident set size in bytes, from
// /proc/self/status; zeros where that is not available.
func RSS() (current, peak int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			current = n * 1024
		case "VmHWM":
			peak = n * 1024
		}
	}
	return current, peak
}
