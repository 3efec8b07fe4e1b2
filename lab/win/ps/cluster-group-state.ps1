# Brings the group $Name online or takes it offline ($State).
if ($State -eq 'online') {
    Start-ClusterGroup -Name $Name | Out-Null
} else {
    Stop-ClusterGroup -Name $Name | Out-Null
}
$g = Get-ClusterGroup -Name $Name
@{ node = [string]$g.OwnerNode; state = [string]$g.State } | ConvertTo-Json -Compress
