# Brings the resource $Name online or takes it offline ($State).
if ($State -eq 'online') {
    Start-ClusterResource -Name $Name | Out-Null
} else {
    Stop-ClusterResource -Name $Name | Out-Null
}
$r = Get-ClusterResource -Name $Name
@{ state = [string]$r.State; node = [string]$r.OwnerNode } | ConvertTo-Json -Compress
