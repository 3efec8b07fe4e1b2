package win_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

// Rows of a real `cluster resource` listing quoted in a Perl script's
// comment (see real-windows.md, section 1): long names push their row to
// the right, the dash line stays 20 wide.
const realResourceListing = "Listing status for all available resources:\r\n\r\n" +
	"Resource             Group                Node            Status\r\n" +
	"-------------------- -------------------- --------------- ------\r\n" +
	"Cluster IP Address   RVT1DB               RST1DB2         Online\r\n" +
	"RVT1DB1 Disk         RVT1DB1              RST1DB2         Online\r\n" +
	"SQL Network Name (RVT1DB1) RVT1DB1              RST1DB2         Online\r\n" +
	"SQL Server (TSQ9)    RVT1DB1              RST1DB2         Online\r\n" +
	"SQL Server Agent (TSQ9) RVT1DB1              RST1DB2         Online\r\n" +
	"t38app80.RVT1DB1     RVT1DB1              RST1DB2         Online\r\n"

func TestClusterTableReadsPushedRows(t *testing.T) {
	tab, err := win.ParseClusterTable(realResourceListing)
	require.NoError(t, err)
	assert.Equal(t, []string{"Resource", "Group", "Node", "Status"}, tab.Headers)
	require.Len(t, tab.Rows, 6)
	want := [][]string{
		{"Cluster IP Address", "RVT1DB", "RST1DB2", "Online"},
		{"RVT1DB1 Disk", "RVT1DB1", "RST1DB2", "Online"},
		{"SQL Network Name (RVT1DB1)", "RVT1DB1", "RST1DB2", "Online"},
		{"SQL Server (TSQ9)", "RVT1DB1", "RST1DB2", "Online"},
		{"SQL Server Agent (TSQ9)", "RVT1DB1", "RST1DB2", "Online"},
		{"t38app80.RVT1DB1", "RVT1DB1", "RST1DB2", "Online"},
	}
	for i, r := range tab.Rows {
		require.Len(t, r.Splits, 1, r.Line)
		assert.Equal(t, want[i], r.Splits[0])
	}
	cells, ok := tab.Find(tab.Column("Resource"), "sql network name (rvt1db1)")
	require.True(t, ok)
	assert.Equal(t, "RVT1DB1", cells[tab.Column("Group")])
}

// A row whose long name has a space where the next column would start
// reads two ways; both come back, and a known name picks one.
func TestClusterTableAmbiguousRow(t *testing.T) {
	out := "Group                Node            Status\r\n" +
		"-------------------- --------------- ------\r\n" +
		"Web Group Of Cluster X NODE1           Online\r\n"
	tab, err := win.ParseClusterTable(out)
	require.NoError(t, err)
	require.Len(t, tab.Rows, 1)
	assert.GreaterOrEqual(t, len(tab.Rows[0].Splits), 1)
	cells, ok := tab.Find(0, "Web Group Of Cluster X")
	require.True(t, ok)
	assert.Equal(t, []string{"Web Group Of Cluster X", "NODE1", "Online"}, cells)
}

// A /prop line quoted in the same Perl script: `S  SQL Server (TSQ9)
// Type …`, the T Resource Name Value table.
func TestClusterPropertiesTable(t *testing.T) {
	out := "Listing properties for 'SQL Server (TSQ9)':\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"S  SQL Server (TSQ9)    Type                           SQL Server\r\n" +
		"D  SQL Server (TSQ9)    RestartAction                  2 (0x2)\r\n" +
		"S  SQL Server (TSQ9)    Description\r\n"
	tab, err := win.ParseClusterTable(out)
	require.NoError(t, err)
	name, value := tab.Column("Name"), tab.Column("Value")
	cells, ok := tab.Find(name, "RestartAction")
	require.True(t, ok)
	n, err := win.ClusterDWORD(cells[value])
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	cells, ok = tab.Find(name, "Description")
	require.True(t, ok)
	assert.Empty(t, cells[value])
}

func TestClusterNodeTable(t *testing.T) {
	// The widths of a real two-node listing (a pytest fixture named in
	// real-windows.md: `BJMSAPG1A            1 Up`).
	nodes := "Listing status for node 'NODE2':\r\n\r\nNode           Node ID Status\r\n-------------- ------- ---------------------\r\nNODE2                2 Up\r\n"
	tab, err := win.ParseClusterTable(nodes)
	require.NoError(t, err)
	require.Len(t, tab.Rows, 1)
	assert.Equal(t, []string{"NODE2", "2", "Up"}, tab.Rows[0].Splits[0])
	_, err = win.ParseClusterTable("System error 1753 has occurred (0x000006d9).")
	assert.Error(t, err)
}
