# The file version of $Path from its version resource, as four numbers,
# what wmic datafile get version prints.
if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
    @{ exists = $false } | ConvertTo-Json -Compress
    exit 0
}
$v = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($Path)
$version = '{0}.{1}.{2}.{3}' -f $v.FileMajorPart, $v.FileMinorPart, $v.FileBuildPart, $v.FilePrivatePart
@{ exists = $true; version = $version } | ConvertTo-Json -Compress
