# Sets the RestartAction of the resource $Name to $RestartAction (0, 1 or
# 2; 1 is Cluster Administrator's "Affect the group" unticked).
$r = Get-ClusterResource -Name $Name
$r.RestartAction = [uint32]$RestartAction
@{ restartAction = [int](Get-ClusterResource -Name $Name).RestartAction } | ConvertTo-Json -Compress
