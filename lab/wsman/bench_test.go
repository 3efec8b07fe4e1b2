package wsman

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkReusedShell measures what winplay's runner pays per command: one
// masterzen shell reused for every command (Command, Receive, Signal) on
// loopback against the test machine. It reports the median latency, which
// a GC pause or a scheduler hiccup does not move.
func BenchmarkReusedShell(b *testing.B) {
	// The runner recycles shells before Windows' 1500-operation quota; the
	// benchmark lifts the quota instead so b.N is not bounded by it.
	quotas := Quotas{MaxConcurrentOperationsPerUser: 1 << 30}
	for _, bc := range []struct {
		name, transport string
		cfg             Config
	}{
		{"Basic", "basic", Config{Basic: true, AllowUnencrypted: true, Quotas: quotas}},
		{"NTLM", "ntlm", Config{NTLM: true, AllowUnencrypted: true, Quotas: quotas}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := startLab(b, bc.cfg, false)
			c := l.client(b, bc.transport, testUser, testPassword, "PT60S")
			sh, err := c.CreateShell()
			if err != nil {
				b.Fatal(err)
			}
			defer sh.Close()
			ctx := context.Background()
			// The first command pays for connections and the NTLM handshake.
			if _, err := execIn(ctx, sh, nil, "echo", "warm"); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				r, err := execIn(ctx, sh, nil, "echo", "bench")
				took = append(took, time.Since(start))
				if err != nil || r.Stdout != "bench\r\n" {
					b.Fatalf("echo bench: %q, %v", r.Stdout, err)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms/cmd")
		})
	}
}
