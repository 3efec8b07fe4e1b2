package modules

import (
	"context"
	"fmt"

	"github.com/winplay/winplay/modules/win"
)

// The modules that work only on some Windows say so from the host's facts
// before a play changes anything on the host (Supporter): the runbook's
// NT 4.0 tools are gone from every Windows that has WinRM, and the reads
// that need wmic fall back to PowerShell 3 or later only where it exists.

// ntOnly refuses every Windows but NT 4.0 for module, saying what to use
// there instead.
func ntOnly(f *win.Facts, module, what, instead string) error {
	if win.Major(f.Version) == 4 {
		return nil
	}
	return fmt.Errorf("%s: %s; this host runs %s (version %s): %s", module, what, f.Name(), f.Version, instead)
}

// Supports refuses every Windows but NT 4.0: the Option Pack is IIS 4's.
func (o *OptionPack) Supports(f *win.Facts) error {
	return ntOnly(f, "option_pack", "the Windows NT 4.0 Option Pack installs IIS 4 on Windows NT 4.0 only",
		"IIS is part of this Windows; from Server 2008 on install it with Install-WindowsFeature Web-Server (Ansible's win_feature), on Server 2003 with Add or Remove Windows Components")
}

// Supports refuses every Windows but NT 4.0, whose service packs take
// update.exe -u -z.
func (s *ServicePack) Supports(f *win.Facts) error {
	return ntOnly(f, "service_pack", "update.exe -u -z applies Windows NT 4.0 service packs; the switches of later service pack installers are not verified",
		"install updates with wusa.exe /quiet /norestart (.msu packages) or Windows Update (Ansible's win_updates), or run the installer with the installer module and its documented switches")
}

// Supports refuses every Windows but NT 4.0: IISSYNC is IIS 4's.
func (s *IISSync) Supports(f *win.Facts) error {
	return ntOnly(f, "iissync", "IISSYNC replicates the IIS 4 metabase between the nodes of an NT 4.0 cluster, and no later Windows has it",
		"on IIS 6 (Server 2003) copy the configuration with iiscnfg.vbs /copy; from IIS 7 on use IIS Shared Configuration or Web Deploy")
}

// Supports refuses every Windows but NT 4.0, whose msdtc.exe has -remove,
// -join and -install -d -l -v.
func (m *MSDTC) Supports(f *win.Facts) error {
	return ntOnly(f, "msdtc", "msdtc -remove, -install -d -l -v and -join are Windows NT 4.0's msdtc.exe",
		"from Server 2012 on use the MsDtc PowerShell module (Install-Dtc, Uninstall-Dtc) and a clustered DTC role; on Server 2003 msdtc -uninstall and -install, and a DTC cluster resource")
}

// readsAccountsOrBoot refuses a host with neither wmic nor PowerShell 3
// or later, which reads boot times, accounts and file versions.
func readsAccountsOrBoot(f *win.Facts, module string) error {
	if f.WMIC || f.HasPowerShell() {
		return nil
	}
	return fmt.Errorf("%s: %s has no wmic and no PowerShell 3 or later (%s), and one of them is needed to read boot times and accounts: install Windows Management Framework 3.0 or later",
		module, f.Name(), psVersionText(f))
}

// Supports refuses a host that cannot say when it booted.
func (r *Reboot) Supports(f *win.Facts) error { return readsAccountsOrBoot(f, "reboot") }

// Supports refuses a host that cannot resolve accounts.
func (u *UserRight) Supports(f *win.Facts) error { return readsAccountsOrBoot(f, "user_right") }

// Supports refuses a host that cannot resolve accounts.
func (g *GroupMember) Supports(f *win.Facts) error { return readsAccountsOrBoot(f, "group_member") }

// Supports refuses a host that cannot resolve accounts.
func (d *DCOMPermission) Supports(f *win.Facts) error {
	return readsAccountsOrBoot(f, "dcom_permission")
}

// supported is what a Supporter's Run checks first, so that the module
// refuses the host's Windows however it is run.
func supported(ctx context.Context, t *Task, s Supporter) error {
	f, err := t.Facts(ctx)
	if err != nil {
		return err
	}
	if err := s.Supports(f); err != nil {
		return fmt.Errorf("%s: %w", t.Host.Name(), err)
	}
	return nil
}
