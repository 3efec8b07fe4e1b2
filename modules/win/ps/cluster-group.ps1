# One cluster group by $Name: Get-ClusterGroup's Name, OwnerNode and State.
$g = Get-ClusterGroup | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
if ($null -eq $g) {
    @{ found = $false } | ConvertTo-Json -Compress
    exit 0
}
@{ found = $true; name = [string]$g.Name; node = [string]$g.OwnerNode; state = [string]$g.State } | ConvertTo-Json -Compress
