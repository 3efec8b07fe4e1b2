# The last boot time as a CIM datetime in UTC, what wmic os get
# lastbootuptime prints: ansible.windows' win_reboot reads it the same way.
$os = Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime
$utc = $os.LastBootUpTime.ToUniversalTime()
@{ LastBootUpTime = $utc.ToString('yyyyMMddHHmmss.ffffff', [Globalization.CultureInfo]::InvariantCulture) + '+000' } | ConvertTo-Json -Compress
