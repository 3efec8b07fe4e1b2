package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/internal/memstat"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// BenchmarkCommandPlaybook runs a 50-task playbook of command tasks
// against 1, 10 and 200 lab hosts with forks = 50, and reports the wall
// time of a run, the time per task per host (wall ÷ tasks ÷ hosts: with
// one host, the latency a task adds; with many, the throughput cost) and
// the process's peak resident memory, lab included:
//
//	go test ./runner -run '^$' -bench CommandPlaybook -benchtime 3x
func BenchmarkCommandPlaybook(b *testing.B) {
	const tasks = 50
	var src strings.Builder
	src.WriteString("play \"bench\" {\n  hosts = [\"all\"]\n")
	for i := range tasks {
		fmt.Fprintf(&src, "  task \"t%02d\" {\n    command {\n      argv      = [\"hostname\"]\n      read_only = true\n    }\n  }\n", i)
	}
	src.WriteString("}\n")
	path := filepath.Join(b.TempDir(), "bench.hcl")
	if err := os.WriteFile(path, []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10, 200} {
		b.Run(strconv.Itoa(n)+"hosts", func(b *testing.B) {
			specs := make([]lab.HostSpec, n)
			for i := range specs {
				specs[i] = lab.HostSpec{Name: "node" + strconv.Itoa(i+1)}
			}
			l := labtest.Start(b, specs...)
			inv := labtest.Inventory(b, l)
			forks := 50
			var wall time.Duration
			for b.Loop() {
				plan, diags := runner.Load(path, runner.LoadOptions{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				if d := plan.Bind(inv, nil); d.HasErrors() {
					b.Fatal(d.Error())
				}
				start := time.Now()
				sum, err := runner.Run(context.Background(), plan, inv, runner.Options{
					Forks: forks, Connector: conn.Connector{}, Events: discard{}, Timing: labtest.Modules,
				})
				wall += time.Since(start)
				if err != nil || sum.ExitCode() != runner.ExitOK {
					b.Fatalf("run: %v, exit %d", err, sum.ExitCode())
				}
			}
			per := wall / time.Duration(b.N)
			b.ReportMetric(per.Seconds(), "wall-s")
			b.ReportMetric(float64(per.Microseconds())/1000/tasks/float64(n), "ms/task/host")
			_, peak := memstat.RSS()
			b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MB")
		})
	}
}

type discard struct{}

func (discard) Event(runner.Event) {}
