package modules_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

// installerRun runs a literal command line on a lab host, for arranging a
// test's starting state.
func installerRun(t *testing.T, l *lab.Lab, host, line string) modules.Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := labtest.Connect(t, l, host).Run(ctx, modules.Command{Line: line, Changes: true})
	require.NoError(t, err)
	require.Equal(t, 0, out.ExitCode, "%s: %s", line, out.Combined())
	return out
}

// installerStopCluster stops ClusSvc as the runbook's first step does.
func installerStopCluster(t *testing.T, l *lab.Lab, host string) {
	t.Helper()
	_, err := labtest.Run(t, l, host, &modules.Service{Name: "ClusSvc", State: "stopped", StartMode: "manual", ForceDependents: true}, false)
	require.NoError(t, err)
}

const installerAnswer = "[Global]\r\nAction=Install\r\nInstallType=Minimal\r\n"

func TestInstallerRunsSetupOnceByDetectionRule(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	installerStopCluster(t, l, "node2")
	_, err := labtest.Run(t, l, "node2", &modules.Copy{Content: installerAnswer, Dest: `C:\unattend\op.ini`}, false)
	require.NoError(t, err)
	inst := &modules.Installer{
		Path:                `D:\NTOPTPAK\EN\X86\SETUP.EXE`,
		Arguments:           []string{`/u:C:\unattend\op.ini`},
		DetectRegistry:      `HKLM\SOFTWARE\Microsoft\InetStp`,
		DetectRegistryValue: "MajorVersion",
		DetectRegistryData:  "0x4",
	}
	changesBefore := len(labtest.Changes(l, "node2"))

	res, err := labtest.Run(t, l, "node2", inst, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.False(t, res.RebootRequired, "the task did not say that setup needs a reboot")
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, `MajorVersion: absent`)
	assert.Contains(t, res.Diff.After, `MajorVersion: 0x4`)
	assert.Len(t, labtest.Changes(l, "node2"), changesBefore, "check mode changed the host")
	assert.False(t, l.Host("node2").Dump().IIS.Installed)
	expect := *inst
	expect.ExpectReboot = true
	res, err = labtest.Run(t, l, "node2", &expect, true)
	require.NoError(t, err)
	assert.True(t, res.RebootRequired, "expect_reboot: check mode predicts the reboot")
	assert.Contains(t, res.Msg, "needs a reboot afterwards")
	assert.Len(t, labtest.Changes(l, "node2"), changesBefore, "check mode changed the host")

	res, err = labtest.Run(t, l, "node2", inst, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "setup's 3010 must ask for a reboot")
	assert.False(t, res.Rebooted)
	require.NotNil(t, res.Output)
	assert.Equal(t, 3010, res.Output.ExitCode)
	iis := l.Host("node2").Dump().IIS
	assert.True(t, iis.Installed)
	assert.Equal(t, "Minimal", iis.InstallType)

	res, err = labtest.Run(t, l, "node2", inst, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	assert.False(t, res.RebootRequired)
	res, err = labtest.Run(t, l, "node2", &expect, true)
	require.NoError(t, err)
	assert.False(t, res.RebootRequired, "installed: nothing to run, no reboot to predict")
}

func TestInstallerWaitsForTheRebootOf1641(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	installerRun(t, l, "node1", `reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion /t REG_SZ /d "Service Pack 5" /f`)
	boots := l.Host("node1").Boots()
	// Without -z the service pack reboots by itself and exits 1641.
	inst := &modules.Installer{
		Path:                `D:\SP6\UPDATE.EXE`,
		Arguments:           []string{"-u"},
		DetectRegistry:      `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`,
		DetectRegistryValue: "CSDVersion",
		DetectRegistryData:  "Service Pack 6",
	}
	res, err := labtest.Run(t, l, "node1", inst, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.Rebooted, "1641: the module must wait for the reboot the installer started")
	assert.False(t, res.RebootRequired, "after the reboot none is required any more")
	assert.Equal(t, boots+1, l.Host("node1").Boots())
	assert.NotEmpty(t, res.Phases)
	assert.Equal(t, "Service Pack 6", l.Host("node1").Dump().ServicePack.CSDVersion)

	res, err = labtest.Run(t, l, "node1", inst, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	assert.Equal(t, boots+1, l.Host("node1").Boots())
}

func TestInstallerFailureNamesHostAndCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	inst := &modules.Installer{Path: `D:\NOPE\SETUP.EXE`, Arguments: []string{"/q"}, DetectPath: `C:\Program Files\Nope`}
	_, err := labtest.Run(t, l, "node1", inst, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1")
	assert.Contains(t, err.Error(), `D:\NOPE\SETUP.EXE /q`)

	// An exit code the task does not accept fails too; one it lists passes.
	cmd := &modules.Installer{Path: "cmd.exe", Arguments: []string{"/c", `mkdir C:\Tool & exit 5`}, DetectPath: `C:\Tool`}
	_, err = labtest.Run(t, l, "node1", cmd, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1: `cmd.exe /c")
	assert.Contains(t, err.Error(), "exited 5")
	// A setup that exits 0 must leave its detection rule true.
	_, err = labtest.Run(t, l, "node1", &modules.Installer{Path: "cmd.exe", Arguments: []string{"/c", "exit 0"}, DetectPath: `C:\Never`}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "detection rule still says not installed")
	// After 3010 the rule may hold only after the reboot.
	res, err := labtest.Run(t, l, "node1", &modules.Installer{Path: "cmd.exe", Arguments: []string{"/c", "exit 3010"}, DetectPath: `C:\Never`}, false)
	require.NoError(t, err)
	assert.True(t, res.RebootRequired)
	assert.Contains(t, res.Msg, "after the reboot")

	cmd.DetectPath = `C:\Tool2`
	cmd.Arguments = []string{"/c", `mkdir C:\Tool2 & exit 5`}
	cmd.SuccessCodes = []int{5}
	res, err = labtest.Run(t, l, "node1", cmd, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
}

func TestInstallerValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    modules.Installer
		field string
	}{
		{"no path", modules.Installer{DetectPath: `C:\x`}, "path"},
		{"no detection", modules.Installer{Path: `D:\setup.exe`}, ""},
		{"percent argument", modules.Installer{Path: `D:\setup.exe`, Arguments: []string{"%TEMP%"}, DetectPath: `C:\x`}, "arguments"},
		{"quote in path", modules.Installer{Path: `D:\"setup.exe`, DetectPath: `C:\x`}, "path"},
		{"3010 listed", modules.Installer{Path: `D:\setup.exe`, DetectPath: `C:\x`, SuccessCodes: []int{3010}}, "success_codes"},
		{"version without path", modules.Installer{Path: `D:\setup.exe`, DetectService: "X", DetectVersion: "1.0"}, "detect_version"},
		{"bad version", modules.Installer{Path: `D:\setup.exe`, DetectPath: `C:\x.dll`, DetectVersion: "one"}, "detect_version"},
		{"bad registry root", modules.Installer{Path: `D:\setup.exe`, DetectRegistry: `SOFTWARE\X`}, "detect_registry"},
		{"data without value", modules.Installer{Path: `D:\setup.exe`, DetectRegistry: `HKLM\X`, DetectRegistryData: "1"}, "detect_registry_data"},
		{"bad timeout", modules.Installer{Path: `D:\setup.exe`, DetectPath: `C:\x`, Timeout: "soon"}, "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.in.Validate()
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
	ok := modules.Installer{Path: `D:\setup.exe`, Arguments: []string{"/u:C:\\a b\\x.ini"}, DetectService: "W3SVC"}
	assert.Empty(t, ok.Validate())
}

// installerLoseReply makes host lose the reply to the nth command (from 1)
// whose line contains substr, after running it.
func installerLoseReply(l *lab.Lab, host, substr string, nth int32) {
	var seen atomic.Int32
	l.Host(host).Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Command" && strings.Contains(r.CommandLine, substr) && seen.Add(1) == nth {
			return wsman.Injection{Kind: wsman.LoseReply}
		}
		return wsman.Injection{}
	}))
}

// installerRan counts the commands of host whose line contains substr.
func installerRan(l *lab.Lab, host, substr string) int {
	n := 0
	for _, e := range labtest.TaskLog(l.Host(host)) {
		if strings.Contains(e.Line, substr) {
			n++
		}
	}
	return n
}

func TestInstallerLostReplyIsNotResent(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	installerStopCluster(t, l, "node2")
	installerLoseReply(l, "node2", "SETUP.EXE", 1)
	res, err := labtest.Run(t, l, "node2", optionPackAsNode1(), false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "the pending file renames setup left must ask for a reboot")
	assert.Contains(t, res.Msg, "reply was lost")
	assert.True(t, l.Host("node2").Dump().IIS.Installed)
	assert.Equal(t, 1, installerRan(l, "node2", "SETUP.EXE"), "setup was sent again")
}

// installerExamples are the blocks the modules' documentation shows: each
// must decode as the runner decodes a task's module block, and validate.
var installerExamples = map[string]string{
	"installer": `
  path                  = "D:\\SP6\\UPDATE.EXE"
  arguments             = ["-u"]
  detect_registry       = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
  detect_registry_value = "CSDVersion"
  detect_registry_data  = "Service Pack 6"
  timeout               = "45m"
  expect_reboot         = true
`,
	"option_pack": `
  setup        = "D:\\NTOPTPAK\\EN\\X86\\SETUP.EXE"
  install_type = "custom"
  components   = ["iis_common", "iis_www", "iis_ftp", "mts_core"]
`,
	"service_pack": `
  path    = "D:\\SP6\\UPDATE.EXE"
  level   = "Service Pack 6"
  reapply = true
  options = ["-n", "-o"]
  file_versions = {
    "C:\\WINNT\\system32\\inetsrv\\w3svc.dll" = "4.2.739.1"
  }
`,
	"msdtc": `
  state          = "installed"
  clustered      = true
  log_dir        = "S:\\MSDTCLog"
  virtual_server = "WEBVS"
`,
	"copy": `
  content = "[Global]\r\nAction=Install\r\n"
  dest    = "C:\\unattend\\optionpack.ini"
`,
}

func TestInstallerExamplesDecodeFromHCL(t *testing.T) {
	t.Parallel()
	for name, body := range installerExamples {
		t.Run(name, func(t *testing.T) {
			info, ok := modules.Lookup(name)
			require.True(t, ok)
			f, diags := hclsyntax.ParseConfig([]byte(body), name+".hcl", hcl.InitialPos)
			require.False(t, diags.HasErrors(), diags.Error())
			m := info.New()
			diags = gohcl.DecodeBody(f.Body, nil, m)
			require.False(t, diags.HasErrors(), diags.Error())
			assert.Empty(t, m.Validate())
		})
	}
}
