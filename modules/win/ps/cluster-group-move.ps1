# Moves the group $Name to the node $Node and says where it ended.
Move-ClusterGroup -Name $Name -Node $Node | Out-Null
$g = Get-ClusterGroup -Name $Name
@{ node = [string]$g.OwnerNode; state = [string]$g.State } | ConvertTo-Json -Compress
