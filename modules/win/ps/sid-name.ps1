# The qualified name of the account or group with SID $Sid, in the host's
# language (BUILTIN\Gäste for S-1-5-32-546 on a German host).
try {
    $account = (New-Object System.Security.Principal.SecurityIdentifier($Sid)).Translate([System.Security.Principal.NTAccount]).Value
    @{ found = $true; name = $account } | ConvertTo-Json -Compress
} catch [System.Security.Principal.IdentityNotMappedException] {
    @{ found = $false } | ConvertTo-Json -Compress
}
