// Package win reads what Windows tools print: one file per tool (sc, reg,
// net, wmic, cluster, certutil, secedit, iissync, cmd, PowerShell), each
// tested on verbatim output captured on real hosts (testdata/windows, with
// SOURCES.md naming where every sample comes from).
//
// Readers key on tokens that stay the same in every display language and
// every generation of Windows that has WinRM: numbers, exit codes, SIDs,
// the English constants Windows never translates (RUNNING, AUTO_START,
// REG_SZ) and column positions taken from the data. They never match an
// English sentence: a German sc.exe says ERFOLG and FEHLER, a Russian one
// translates its labels too (Состояние : 4 RUNNING).
//
// A reader takes one tool's output as a string, so that a module can read
// several tools' output from one command line, section by section.
package win
