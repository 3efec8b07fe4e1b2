package lab_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func run(t *testing.T, c modules.Host, line string, changes bool) modules.Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.Run(ctx, modules.Command{Line: line, Changes: changes})
	require.NoError(t, err, line)
	return out
}

func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func TestRebootTakesTheHostOffTheNetworkAndBack(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node1")
	c := labtest.Connect(t, l, "node1")
	boot := h.Machine().LastBoot()
	run(t, c, "sc config W3SVC start= demand", true)
	booted := h.Booted()

	out := run(t, c, `shutdown /r /t 0 /c "lab test"`, true)
	require.Equal(t, 0, out.ExitCode, out.Combined())
	addr := net.JoinHostPort(h.Address(), strconv.Itoa(h.Port()))
	require.Eventually(t, func() bool { return refused(addr) }, 5*time.Second, 5*time.Millisecond, "the host never went down")
	assert.False(t, h.Up())
	assert.True(t, l.Host("node2").Up(), "node2 went down with node1")

	select {
	case <-booted:
	case <-time.After(10 * time.Second):
		t.Fatal("the host never came back")
	}
	assert.False(t, refused(addr))
	assert.Equal(t, 1, h.Boots())
	assert.True(t, h.Machine().LastBoot().After(boot))
	assert.Zero(t, h.Server().Shells(), "shells survived the reboot")

	c.Reset()
	out = run(t, c, "sc query W3SVC", false)
	assert.Contains(t, out.Stdout, "STOPPED", "a manual service started at boot")
	out = run(t, c, "sc query IISADMIN", false)
	assert.Contains(t, out.Stdout, "RUNNING", "an automatic service did not start at boot")
}

func TestNeverReturn(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node1")
	h.NeverReturn(true)
	c := labtest.Connect(t, l, "node1")
	run(t, c, "shutdown /r /t 0", true)
	require.Eventually(t, func() bool { return !h.Up() }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(3 * labtest.Offline)
	assert.False(t, h.Up())
	assert.Zero(t, h.Boots())
	assert.True(t, refused(net.JoinHostPort(h.Address(), strconv.Itoa(h.Port()))))
}

func TestRebootAgainAfterComingBack(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node1")
	h.RebootAgainAfter(50 * time.Millisecond)
	c := labtest.Connect(t, l, "node1")
	run(t, c, "shutdown /r /t 0", true)
	require.Eventually(t, func() bool { return h.Boots() == 2 }, 10*time.Second, 5*time.Millisecond, "no second boot")
	time.Sleep(2 * labtest.Offline)
	assert.Equal(t, 2, h.Boots(), "the second reboot is a one-off")
	for _, e := range h.Log() {
		assert.NotContains(t, e.Line, "/f", "the unmanaged reboot left a command in the log")
	}
}

func TestConsecutivePortsAndLoopbackOnly(t *testing.T) {
	t.Parallel()
	// Find a free run of three ports by asking for one and hoping the
	// next two are free too; retry a few times.
	var l *lab.Lab
	var err error
	for try := 0; try < 10 && l == nil; try++ {
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, lerr)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		l, err = lab.Start(lab.Config{
			Hosts: []lab.HostSpec{{Name: "a"}, {Name: "b"}, {Name: "c"}},
			Addr:  "127.0.0.1:" + strconv.Itoa(port), Timing: labtest.Machine,
		})
	}
	require.NoError(t, err)
	defer l.Close()
	p := l.Hosts()[0].Port()
	for i, h := range l.Hosts() {
		assert.Equal(t, p+i, h.Port(), h.Name())
	}

	for _, addr := range []string{"0.0.0.0:0", "10.1.0.11:5985", "[::1]:0", "example.com:1", "127.0.0.1:x"} {
		_, err := lab.Start(lab.Config{Hosts: []lab.HostSpec{{Name: "a"}}, Addr: addr})
		assert.Error(t, err, addr)
	}
	_, err = lab.Start(lab.Config{Hosts: []lab.HostSpec{{Name: "a"}, {Name: "a"}}})
	assert.ErrorContains(t, err, "twice")
	_, err = lab.Start(lab.Config{Hosts: []lab.HostSpec{{Name: "a", Profile: "gold"}}})
	assert.Error(t, err)
}

func TestHTTPSInventoryTrustsTheLabCA(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{HTTPS: true})
	assert.Contains(t, l.Host("node1").Endpoint(), "https://")
	require.NotEmpty(t, l.CACertPEM())
	c := labtest.Connect(t, l, "node2")
	out := run(t, c, "hostname", false)
	assert.Equal(t, "NODE2\r\n", out.Stdout)
}

// TestHTTPSOnAnotherLoopbackAddress serves HTTPS on 127.0.0.7: clients
// verify the address they dial, so the certificate must name it.
func TestHTTPSOnAnotherLoopbackAddress(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{HTTPS: true, Addr: "127.0.0.7:0"})
	h := l.Host("node1")
	require.Equal(t, "127.0.0.7", h.Address())
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(l.CACertPEM()))
	tc, err := tls.Dial("tcp", net.JoinHostPort(h.Address(), strconv.Itoa(h.Port())), &tls.Config{RootCAs: pool})
	require.NoError(t, err, "the certificate does not verify for the address the host listens on")
	leaf := tc.ConnectionState().PeerCertificates[0]
	tc.Close()
	assert.NoError(t, leaf.VerifyHostname("127.0.0.1"))
	assert.NoError(t, leaf.VerifyHostname("localhost"))

	out := run(t, labtest.Connect(t, l, "node2"), "hostname", false)
	assert.Equal(t, "NODE2\r\n", out.Stdout)
}

func TestDisconnectedHostRefuses(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node2")
	h.Disconnect()
	assert.True(t, refused(net.JoinHostPort(h.Address(), strconv.Itoa(h.Port()))))
	assert.False(t, h.Machine().Online())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := labtest.Connect(t, l, "node2").Run(ctx, modules.Command{Line: "hostname"})
	assert.ErrorIs(t, err, modules.ErrUnreachable)
}

// TestClusterNodesAreTheFirstTwoHosts: the cluster is made of the lab's
// first two hosts whatever they are called; a third is a standalone member.
func TestClusterNodesAreTheFirstTwoHosts(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "web-a"}, lab.HostSpec{Name: "web-b"}, lab.HostSpec{Name: "file1"})
	assert.Equal(t, []string{"web-a", "web-b"}, l.Config().Cluster)
	for _, name := range []string{"web-a", "web-b"} {
		st := l.Host(name).Dump()
		require.Contains(t, st.Services, "ClusSvc", name)
		assert.Equal(t, "running", st.Services["ClusSvc"].State, name)
		assert.Equal(t, "running", st.Services["MSDTC"].State, name)
		require.NotNil(t, st.Cluster, name)
		assert.Equal(t, map[string]string{"WEB-A": "Up", "WEB-B": "Up"}, st.Cluster.Nodes, name)
	}
	assert.Equal(t, "WEB-A", l.Host("web-a").Dump().Cluster.Groups["Web Group"].Owner, "the first node owns the groups")

	c := labtest.Connect(t, l, "web-b")
	out := run(t, c, "cluster node", false)
	require.Equal(t, 0, out.ExitCode, out.Combined())
	assert.Regexp(t, `(?m)^WEB-A +1 Up\r$`, out.Stdout)
	assert.Regexp(t, `(?m)^WEB-B +2 Up\r$`, out.Stdout)
	out = run(t, c, "sc query ClusSvc", false)
	assert.Contains(t, out.Stdout, "4  RUNNING")
	out = run(t, c, `cluster group "Web Group" /move:WEB-B`, true)
	require.Equal(t, 0, out.ExitCode, out.Combined())
	assert.Equal(t, "WEB-B", l.Host("web-a").Dump().Cluster.Groups["Web Group"].Owner)

	st := l.Host("file1").Dump()
	assert.NotContains(t, st.Services, "ClusSvc", "a third host is a standalone member")
	assert.Nil(t, st.Cluster)
	out = run(t, labtest.Connect(t, l, "file1"), "cluster node", false)
	assert.Equal(t, 1753, out.ExitCode, "cluster.exe on a host that is no node")
}

func TestClusterNodesChosen(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{
		Hosts:   []lab.HostSpec{{Name: "dc1"}, {Name: "sql1"}, {Name: "sql2"}},
		Cluster: []string{"sql2", "sql1"},
	})
	assert.NotContains(t, l.Host("dc1").Dump().Services, "ClusSvc")
	st := l.Host("sql1").Dump()
	require.NotNil(t, st.Cluster)
	assert.Equal(t, map[string]string{"SQL1": "Up", "SQL2": "Up"}, st.Cluster.Nodes)
	assert.Equal(t, "SQL2", st.Cluster.Groups["Cluster Group"].Owner)

	// One host: its partner is away, and may be named.
	one := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "web-a"}}, Cluster: []string{"web-a", "web-z"}})
	assert.Equal(t, map[string]string{"WEB-A": "Up", "WEB-Z": "Down"}, one.Host("web-a").Dump().Cluster.Nodes)
	alone := labtest.Start(t, lab.HostSpec{Name: "node2"})
	assert.Equal(t, []string{"node1", "node2"}, alone.Config().Cluster)

	for _, tc := range []struct {
		hosts   []lab.HostSpec
		cluster []string
		err     string
	}{
		{[]lab.HostSpec{{Name: "a"}, {Name: "b"}}, []string{"a"}, "two nodes, not 1"},
		{[]lab.HostSpec{{Name: "a"}, {Name: "b"}}, []string{"a", "b", "c"}, "two nodes, not 3"},
		{[]lab.HostSpec{{Name: "a"}, {Name: "b"}}, []string{"a", "x"}, `cluster node "x" is not among the lab's hosts`},
		{[]lab.HostSpec{{Name: "a"}, {Name: "b"}}, []string{"a", "A"}, "given twice"},
		{[]lab.HostSpec{{Name: "a"}}, []string{"x", "y"}, `does not include the lab's only host "a"`},
		{[]lab.HostSpec{{Name: "a"}}, []string{"a", "bad name"}, "invalid host name"},
	} {
		_, err := lab.Start(lab.Config{Hosts: tc.hosts, Cluster: tc.cluster, Timing: labtest.Machine})
		assert.ErrorContains(t, err, tc.err, tc.cluster)
	}
}
