# One cluster resource by $Name, read through the FailoverClusters module
# (Get-ClusterResource's Name, OwnerGroup, OwnerNode, State, ResourceType
# and RestartAction). Listing and matching, not -Name, so that a resource
# that is not there is an answer, not an error.
$r = Get-ClusterResource | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
if ($null -eq $r) {
    @{ found = $false } | ConvertTo-Json -Compress
    exit 0
}
@{ found = $true; name = [string]$r.Name; group = [string]$r.OwnerGroup; node = [string]$r.OwnerNode; state = [string]$r.State; type = [string]$r.ResourceType; restartAction = [int]$r.RestartAction } | ConvertTo-Json -Compress
