package main

import (
	"github.com/spf13/cobra"
)

func newReportCmd(stdio Stdio) *cobra.Command {
	return &cobra.Command{Use: "report JOURNAL -o FILE", Short: "Write a run's journal as one HTML report", Hidden: true}
}
