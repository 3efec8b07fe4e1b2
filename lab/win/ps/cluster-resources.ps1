# Every cluster resource, as cluster-resource.ps1 reads one.
$all = @(Get-ClusterResource | ForEach-Object {
    @{ name = [string]$_.Name; group = [string]$_.OwnerGroup; node = [string]$_.OwnerNode; state = [string]$_.State; type = [string]$_.ResourceType }
})
@{ resources = $all } | ConvertTo-Json -Compress -Depth 3
