# The SID of the account $Name (DOMAIN\name, name@DOMAIN or a bare name,
# looked up as LookupAccountName does), and its qualified name.
try {
    $sid = (New-Object System.Security.Principal.NTAccount($Name)).Translate([System.Security.Principal.SecurityIdentifier])
    $account = $sid.Translate([System.Security.Principal.NTAccount]).Value
    @{ found = $true; sid = $sid.Value; name = $account } | ConvertTo-Json -Compress
} catch [System.Security.Principal.IdentityNotMappedException] {
    @{ found = $false } | ConvertTo-Json -Compress
}
