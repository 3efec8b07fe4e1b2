package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/report"
)

func newReportCmd(stdio Stdio) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report JOURNAL -o FILE",
		Short: "Write a run's journal as one self-contained HTML report",
		Long: `Reads the journal a run wrote (winplay run --journal FILE) and writes one HTML
file to attach to a change ticket: the run's inputs (playbook, inventory,
variables, --limit, tags), the recap, a timeline per node (each task with
the commands it sent and the phases of its waits: a reboot going down and
coming back, ready, the stability window, an installer running), what
changed with its diff, and what failed with its output. Secrets are masked
as in all of winplay's output. The page needs nothing beyond itself: no
scripts, fonts or images are fetched.

A journal that ends before the run's recap (winplay was stopped) still
makes a report; the tasks that were running are marked as such. "winplay
run --report FILE" writes the same report when the run ends.`,
		Annotations: map[string]string{"args": "JOURNAL\tthe journal of a run (JSON lines, from --journal or --output json)"},
		Example: `  winplay run playbooks/iis-cluster-node-rebuild.hcl --lab --lab-profile node2=rebuilt -e rebuilt=node2 -e healthy=node1 --journal run.jsonl
  winplay report run.jsonl -o run.html`,
		Args: exactArgs("JOURNAL"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"jsonl", "json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o FILE is required: the report is written to a file")
			}
			return exit(writeReport(args[0], out, stdio))
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the HTML report to this `FILE` (required)")
	return cmd
}

func writeReport(journal, out string, stdio Stdio) int {
	f, err := os.Open(journal)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay report: %v\n", err)
		return runner.ExitInvalid
	}
	defer f.Close()
	records, err := runner.ReadRecords(f)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay report: %s: %v\n", journal, err)
		return runner.ExitInvalid
	}
	run, err := report.Build(records)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay report: %s: %v\n", journal, err)
		return runner.ExitInvalid
	}
	var b bytes.Buffer
	if err := report.Write(&b, run); err != nil {
		fmt.Fprintf(stdio.Err, "winplay report: %v\n", err)
		return runner.ExitError
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stdio.Err, "winplay report: %v\n", err)
		return runner.ExitError
	}
	fmt.Fprintf(stdio.Err, "report written to %s\n", out)
	return runner.ExitOK
}
