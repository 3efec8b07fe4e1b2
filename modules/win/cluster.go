package win

import (
	"fmt"
	"strconv"
	"strings"
)

// A cluster.exe table is a header line, a dash line under it and rows:
//
//	Resource             Group                Node            Status
//	-------------------- -------------------- --------------- ------
//	SQL Network Name (RVT1DB1) RVT1DB1              RST1DB2         Online
//
// cluster.exe prints each cell padded to the width of its dash run and a
// space after it, and the last cell as it is. A name longer than its
// column is not cut and not given a wider column: it pushes the rest of
// its row to the right, and the dash line stays as it was (a listing kept
// verbatim in testdata/windows/cluster shows it). So cells are found the
// way printf put them, not at the dash line's columns, and a row whose
// names hold spaces past their column can split more than one way.

// ClusterTable is a parsed cluster.exe table.
type ClusterTable struct {
	Headers []string
	Rows    []ClusterRow
}

// ClusterRow is one row, with every way its text divides into cells that
// fits the table's layout; almost always exactly one.
type ClusterRow struct {
	Line   string
	Splits [][]string
}

// maxSplits bounds the readings of one row; more mean the row is not a
// row of this table.
const maxSplits = 8

// ParseClusterTable reads the first table in cluster.exe output.
func ParseClusterTable(out string) (ClusterTable, error) {
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	dash := -1
	for i, l := range lines {
		if i > 0 && strings.Contains(l, "--") && strings.Trim(l, "- \r") == "" {
			dash = i
			break
		}
	}
	if dash < 0 {
		return ClusterTable{}, fmt.Errorf("no dash line under a header in cluster.exe output %q", Clip(out))
	}
	var widths []int
	for _, run := range strings.Fields(lines[dash]) {
		widths = append(widths, len(run))
	}
	header := splitRow(strings.TrimRight(lines[dash-1], "\r "), widths)
	if len(header) == 0 {
		return ClusterTable{}, fmt.Errorf("the header %q does not fit its dash line", lines[dash-1])
	}
	t := ClusterTable{Headers: header[0]}
	for _, l := range lines[dash+1:] {
		l = strings.TrimRight(l, "\r ")
		if strings.TrimSpace(l) == "" {
			break
		}
		splits := splitRow(l, widths)
		if len(splits) == 0 {
			return ClusterTable{}, fmt.Errorf("the row %q does not fit the table's columns", l)
		}
		t.Rows = append(t.Rows, ClusterRow{Line: l, Splits: splits})
	}
	return t, nil
}

// splitRow returns the readings of line as cells of the given widths.
func splitRow(line string, widths []int) [][]string {
	var out [][]string
	var walk func(i, p int, acc []string)
	walk = func(i, p int, acc []string) {
		if len(out) >= maxSplits {
			return
		}
		done := func(cells ...string) {
			row := append(append([]string{}, acc...), cells...)
			for len(row) < len(widths) {
				row = append(row, "")
			}
			out = append(out, row)
		}
		if p >= len(line) {
			done()
			return
		}
		if i == len(widths)-1 {
			done(strings.TrimSpace(line[p:]))
			return
		}
		end := p + widths[i]
		if end >= len(line) {
			done(strings.TrimSpace(line[p:]))
			return
		}
		if line[end] == ' ' {
			walk(i+1, end+1, append(acc, strings.TrimSpace(line[p:end])))
		}
		if line[p] == ' ' {
			return // only an empty cell starts with a space
		}
		// A cell longer than its column: its text, one space, the next
		// cell right after it.
		for e := end + 1; e+1 < len(line); e++ {
			if line[e] == ' ' && line[e-1] != ' ' && line[e+1] != ' ' {
				walk(i+1, e+1, append(acc, line[p:e]))
			}
		}
	}
	walk(0, 0, nil)
	return out
}

// Column is the index of the header named name, or -1.
func (t ClusterTable) Column(name string) int {
	for i, h := range t.Headers {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

// Find returns the cells of the row whose column col is name
// (case-insensitive, as cluster names compare), in the reading that has
// it there.
func (t ClusterTable) Find(col int, name string) ([]string, bool) {
	if col < 0 {
		return nil, false
	}
	for _, r := range t.Rows {
		for _, cells := range r.Splits {
			if col < len(cells) && strings.EqualFold(cells[col], name) {
				return cells, true
			}
		}
	}
	return nil, false
}

// ClusterDWORD reads a DWORD property value as cluster.exe prints it,
// "2 (0x2)".
func ClusterDWORD(value string) (int, error) {
	f := strings.Fields(value)
	if len(f) == 0 {
		return 0, fmt.Errorf("no value")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, fmt.Errorf("the value %q is not a number", value)
	}
	return n, nil
}
