package lab_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/internal/memstat"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/internal/realclient"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

// BenchmarkMasterzenCommand is issue 2's figure: commands through one
// reused shell with masterzen/winrm's own client (no winplay code on the
// client side) against one full lab host, median and p99 per command.
// NTLM is masterzen's ClientNTLM; NTLM-sealed its message encryption,
// with plaintext refused. The figure is 1,000 commands:
//
//	go test ./lab -run '^$' -bench MasterzenCommand -benchtime 1000x
func BenchmarkMasterzenCommand(b *testing.B) {
	for _, bc := range []struct {
		name, transport string
		cfg             lab.Config
	}{
		{"Basic", "basic", lab.Config{Basic: true}},
		{"NTLM", "ntlm", lab.Config{NTLM: true}},
		{"NTLM-sealed", "encryption", lab.Config{NTLM: true, RefuseUnencrypted: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.cfg.Hosts = []lab.HostSpec{{Name: "node1"}}
			// Windows faults a shell after 1,500 operations; lift the
			// quota so that b.N is not bounded by it.
			bc.cfg.Quotas = wsman.Quotas{MaxConcurrentOperationsPerUser: 1 << 30}
			l := labtest.StartConfig(b, bc.cfg)
			h := l.Host("node1")
			c, err := realclient.Masterzen(h.Address(), h.Port(), false, nil, bc.transport, lab.DefaultUser, lab.DefaultPassword, "PT60S")
			if err != nil {
				b.Fatal(err)
			}
			sh, err := c.CreateShell()
			if err != nil {
				b.Fatal(err)
			}
			defer sh.Close()
			ctx := context.Background()
			// The first command pays for the connection and the handshake.
			if _, err := realclient.Exec(ctx, sh, nil, "sc query W3SVC"); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				r, err := realclient.Exec(ctx, sh, nil, "sc query W3SVC")
				took = append(took, time.Since(start))
				if err != nil || r.Code != 0 || !strings.Contains(r.Stdout, "4  RUNNING") {
					b.Fatalf("sc query W3SVC: %v %+v", err, r)
				}
			}
			if n := h.Server().Shells(); n != 1 {
				b.Fatalf("%d shells, want one reused shell", n)
			}
			reportLatency(b, took)
		})
	}
}

// reportLatency reports the median and the 99th percentile of took.
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms/cmd")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms/cmd")
}

// BenchmarkLabCommand is the same figure through winplay's own connection
// (runner/conn over masterzen/winrm), Basic and NTLM:
//
//	go test ./lab -run '^$' -bench LabCommand -benchtime 1000x
func BenchmarkLabCommand(b *testing.B) {
	for _, auth := range []string{"Basic", "NTLM"} {
		b.Run(auth, func(b *testing.B) {
			cfg := lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Basic: auth == "Basic", NTLM: auth == "NTLM"}
			l := labtest.StartConfig(b, cfg)
			inv := labtest.Inventory(b, l)
			h, _ := inv.Host("node1")
			// One shell for the whole run: no recycling inside the figure.
			c, err := conn.Connector{CommandsPerShell: 1 << 30}.Connect(h)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			cmd := modules.Command{Line: "sc query W3SVC"}
			if _, err := c.Run(ctx, cmd); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				out, err := c.Run(ctx, cmd)
				took = append(took, time.Since(start))
				if err != nil || out.ExitCode != 0 {
					b.Fatalf("%v %+v", err, out)
				}
			}
			if n := l.Host("node1").Server().Shells(); n != 1 {
				b.Fatalf("%d shells, want one reused shell", n)
			}
			reportLatency(b, took)
		})
	}
}

// BenchmarkStart500Hosts starts 500 lab hosts in one process and reports
// the median start time and the memory with them up:
//
//	go test ./lab -run '^$' -bench Start500Hosts -benchtime 3x
//
// rss-MB is the process's resident set right after a start (the largest
// over the iterations), the test binary included: base-rss-MB is the same
// before the first start. peak-rss-MB is the process's high-water mark
// (VmHWM) at the end, so it covers starting and closing too.
// heap-inuse-MB is the Go heap in use after a GC with the hosts up: what
// 500 hosts hold, without garbage the collector has not reclaimed yet.
func BenchmarkStart500Hosts(b *testing.B) {
	specs := make([]lab.HostSpec, 500)
	for i := range specs {
		specs[i] = lab.HostSpec{Name: "node" + strconv.Itoa(i+1)}
	}
	base, _ := memstat.RSS()
	var starts []time.Duration
	var rss int64
	var heap uint64
	for b.Loop() {
		start := time.Now()
		l, err := lab.Start(lab.Config{Hosts: specs, Timing: labtest.Machine})
		if err != nil {
			b.Fatal(err)
		}
		starts = append(starts, time.Since(start))
		b.StopTimer()
		now, _ := memstat.RSS()
		rss = max(rss, now)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
		b.StartTimer()
		l.Close()
	}
	slices.Sort(starts)
	b.ReportMetric(starts[len(starts)/2].Seconds(), "start-s")
	b.ReportMetric(float64(base)/(1<<20), "base-rss-MB")
	b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
	_, hwm := memstat.RSS()
	b.ReportMetric(float64(hwm)/(1<<20), "peak-rss-MB")
	b.ReportMetric(float64(heap)/(1<<20), "heap-inuse-MB")
}
