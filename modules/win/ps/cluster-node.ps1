# One cluster node by $Name: Get-ClusterNode's State.
$n = Get-ClusterNode | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
if ($null -eq $n) {
    @{ found = $false } | ConvertTo-Json -Compress
    exit 0
}
@{ found = $true; name = [string]$n.Name; state = [string]$n.State } | ConvertTo-Json -Compress
