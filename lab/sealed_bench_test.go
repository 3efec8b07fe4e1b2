package lab_test

import (
	"context"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/kdc"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

// BenchmarkSealedCommand is the per-command latency of winplay's
// connection over plain HTTP with every message sealed, as a default
// Windows listener requires (the lab refuses plaintext here): NTLM next to
// Kerberos against the MIT KDC, one reused shell, "sc query W3SVC":
//
//	go test ./lab -run '^$' -bench SealedCommand -benchtime 1000x
func BenchmarkSealedCommand(b *testing.B) {
	for _, auth := range []string{"NTLM", "Kerberos"} {
		b.Run(auth, func(b *testing.B) {
			cfg := lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, RefuseUnencrypted: true, NTLM: auth == "NTLM"}
			var k *kdc.KDC
			if auth == "Kerberos" {
				var err error
				if k, err = kdc.Shared(); err != nil {
					b.Fatal(err)
				}
				cfg.Kerberos = k
			}
			l := labtest.StartConfig(b, cfg)
			h, _ := labtest.Inventory(b, l).Host("node1")
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
