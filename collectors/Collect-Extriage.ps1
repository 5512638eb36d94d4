<#
.SYNOPSIS
    Collects what `extriage scan` reads from this Exchange server into one zip (KAPE-like layout).

.DESCRIPTION
    For servers with neither KAPE nor Velociraptor. Run as Administrator in Windows PowerShell 5.1
    (or PowerShell 7) on the Exchange server:

        powershell -ExecutionPolicy Bypass -File .\Collect-Extriage.ps1 -Destination D:\cases

    Writes <Destination>\<COMPUTERNAME>-extriage-<UTC time>.zip whose members are the server paths
    with the drive letter as first folder ("C/Program Files/Microsoft/Exchange Server/V15/Logging/..."),
    the layout `extriage scan` reads in place, and beside it a .sha256.csv listing every file
    collected with its SHA-256, size and time. Files being written (logs) are read with sharing;
    event logs are exported with wevtutil and the SYSTEM/SOFTWARE hives saved with reg.exe (both are
    locked while Windows runs). Nothing on the server is changed; temporary copies go to the
    destination folder and are removed.

    What is collected (the same list as Exchange-extriage.tkape and Exchange.Triage.Extriage.yaml):
    $Targets below, the IIS log folders named in applicationHost.config, the event logs in $Channels
    and the hives in $Hives. Keep the destination off the evidence's drive when you can.

.PARAMETER Destination
    Folder receiving the zip (created if needed).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $Destination
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# %EXCHANGE% is the Exchange install folder; Mask is a file name pattern; Recurse: any depth below.
$Targets = @(
    @{ Path = '%EXCHANGE%\Logging\HttpProxy'; Mask = '*'; Recurse = $true }
    @{ Path = '%EXCHANGE%\Logging\ECP\Server'; Mask = '*'; Recurse = $false }
    @{ Path = '%EXCHANGE%\Logging\OABGeneratorLog'; Mask = '*'; Recurse = $true }
    @{ Path = '%EXCHANGE%\Logging\CmdletInfra\Powershell-Proxy\Http'; Mask = '*'; Recurse = $false }
    @{ Path = 'C:\inetpub\logs\LogFiles'; Mask = 'u_ex*'; Recurse = $true }
    @{ Path = '%EXCHANGE%\FrontEnd\HttpProxy'; Mask = '*'; Recurse = $true }
    @{ Path = '%EXCHANGE%\ClientAccess'; Mask = '*'; Recurse = $true }
    @{ Path = '%EXCHANGE%\Bin'; Mask = 'ExSetup.exe'; Recurse = $false }
    @{ Path = 'C:\inetpub\wwwroot'; Mask = '*'; Recurse = $true }
    @{ Path = 'C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files'; Mask = '*'; Recurse = $true }
    @{ Path = 'C:\Windows\System32\inetsrv\config'; Mask = 'applicationHost.config'; Recurse = $false }
    @{ Path = 'C:\ProgramData'; Mask = '*'; Recurse = $false }
    @{ Path = 'C:\ProgramData'; Mask = '*.zip'; Recurse = $true }
    @{ Path = 'C:\ProgramData'; Mask = '*.7z'; Recurse = $true }
    @{ Path = 'C:\ProgramData'; Mask = '*.rar'; Recurse = $true }
    @{ Path = 'C:\ProgramData'; Mask = '*.cab'; Recurse = $true }
    @{ Path = 'C:\ProgramData\VSPerfMon'; Mask = '*'; Recurse = $false }
    @{ Path = 'C:\Windows\Temp'; Mask = '*'; Recurse = $false }
    @{ Path = 'C:\Users\Public'; Mask = '*'; Recurse = $true }
    @{ Path = 'C:\Users\*\Desktop'; Mask = '*'; Recurse = $false }
    @{ Path = 'C:\Users\*\Documents'; Mask = '*.CRYPT'; Recurse = $true }
    @{ Path = 'C:\Users\*\AppData\Local\Temp'; Mask = '*'; Recurse = $false }
)

# Event log channels -> file name under C:\Windows\System32\winevt\Logs (exported with wevtutil epl).
$Channels = [ordered]@{
    'Application'                              = 'Application.evtx'
    'System'                                   = 'System.evtx'
    'Security'                                 = 'Security.evtx'
    'MSExchange Management'                    = 'MSExchange Management.evtx'
    'Microsoft-Windows-Sysmon/Operational'     = 'Microsoft-Windows-Sysmon%4Operational.evtx'
    'Windows PowerShell'                       = 'Windows PowerShell.evtx'
    'Microsoft-Windows-PowerShell/Operational' = 'Microsoft-Windows-PowerShell%4Operational.evtx'
}

# Registry hives -> file name under C:\Windows\System32\config (saved with reg.exe save).
$Hives = [ordered]@{
    'HKLM\SYSTEM'   = 'SYSTEM'
    'HKLM\SOFTWARE' = 'SOFTWARE'
}

Add-Type -AssemblyName System.IO.Compression
Add-Type -AssemblyName System.IO.Compression.FileSystem

function Get-ExchangeInstall {
    # the registry's MsiInstallPath, then the ExchangeInstallPath variable, then the default folder
    $setup = 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\Setup'
    $path = $null
    if (Test-Path $setup) { $path = (Get-ItemProperty $setup).MsiInstallPath }
    if (-not $path) { $path = $env:ExchangeInstallPath }
    if (-not $path) { $path = 'C:\Program Files\Microsoft\Exchange Server\V15' }
    return $path.TrimEnd('\')
}

function Get-IisLogFolders {
    # <logFile directory="..."> of siteDefaults and of each site in applicationHost.config
    $config = Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config'
    $folders = @()
    if (-not (Test-Path -LiteralPath $config)) { return $folders }
    [xml] $xml = Get-Content -LiteralPath $config -Raw
    foreach ($node in $xml.SelectNodes('//logFile[@directory]')) {
        $folders += [Environment]::ExpandEnvironmentVariables($node.directory).TrimEnd('\')
    }
    return $folders | Sort-Object -Unique
}

function Get-MemberName([string] $FullPath) {
    # C:\Program Files\... -> C/Program Files/... (the drive letter becomes the first folder)
    $drive = $FullPath.Substring(0, 1).ToUpperInvariant()
    return $drive + '/' + $FullPath.Substring(3).Replace('\', '/')
}

function Add-ToZip($Zip, [string] $Source, [string] $Member, $Manifest) {
    $entry = $Zip.CreateEntry($Member, [System.IO.Compression.CompressionLevel]::Optimal)
    $info = Get-Item -LiteralPath $Source -Force
    $entry.LastWriteTime = $info.LastWriteTime
    $in = [System.IO.File]::Open($Source, 'Open', 'Read', 'ReadWrite, Delete')
    try {
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $out = $entry.Open()
        try {
            $buffer = New-Object byte[] (4MB)
            while (($n = $in.Read($buffer, 0, $buffer.Length)) -gt 0) {
                $null = $sha.TransformBlock($buffer, 0, $n, $null, 0)
                $out.Write($buffer, 0, $n)
            }
            $null = $sha.TransformFinalBlock($buffer, 0, 0)
        } finally { $out.Dispose() }
        $hash = -join ($sha.Hash | ForEach-Object { $_.ToString('x2') })
        $Manifest.Add([pscustomobject]@{
                Member = $Member; SHA256 = $hash; Size = $info.Length
                LastWriteTimeUtc = $info.LastWriteTimeUtc.ToString('o')
            }) | Out-Null
    } finally { $in.Dispose() }
}

$exchange = Get-ExchangeInstall
$null = New-Item -ItemType Directory -Force -Path $Destination
$stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
$zipPath = Join-Path $Destination "$($env:COMPUTERNAME)-extriage-$stamp.zip"
$scratch = Join-Path $Destination "extriage-tmp-$stamp"
$null = New-Item -ItemType Directory -Force -Path $scratch
$manifest = New-Object System.Collections.ArrayList
$seen = @{}
$zip = [System.IO.Compression.ZipFile]::Open($zipPath, 'Create')
try {
    $all = @($Targets)
    foreach ($folder in Get-IisLogFolders) { $all += @{ Path = $folder; Mask = 'u_ex*'; Recurse = $true } }
    foreach ($t in $all) {
        $root = $t.Path.Replace('%EXCHANGE%', $exchange)
        foreach ($dir in @(Get-Item -Path $root -Force -ErrorAction SilentlyContinue | Where-Object { $_.PSIsContainer })) {
            $files = Get-ChildItem -LiteralPath $dir.FullName -Filter $t.Mask -File -Force -Recurse:$t.Recurse -ErrorAction SilentlyContinue
            foreach ($f in $files) {
                if ($seen.ContainsKey($f.FullName)) { continue }
                $seen[$f.FullName] = $true
                try { Add-ToZip $zip $f.FullName (Get-MemberName $f.FullName) $manifest }
                catch { Write-Warning "not collected: $($f.FullName): $($_.Exception.Message)" }
            }
        }
    }
    $logs = Join-Path $env:windir 'System32\winevt\Logs'
    foreach ($channel in $Channels.Keys) {
        $copy = Join-Path $scratch $Channels[$channel]
        & wevtutil.exe epl $channel $copy 2>$null
        if ($LASTEXITCODE -eq 0 -and (Test-Path -LiteralPath $copy)) {
            Add-ToZip $zip $copy (Get-MemberName (Join-Path $logs $Channels[$channel])) $manifest
        } else { Write-Warning "event log not collected (absent on this server?): $channel" }
    }
    $config = Join-Path $env:windir 'System32\config'
    foreach ($hive in $Hives.Keys) {
        $copy = Join-Path $scratch $Hives[$hive]
        & reg.exe save $hive $copy /y 2>$null | Out-Null
        if ($LASTEXITCODE -eq 0) {
            Add-ToZip $zip $copy (Get-MemberName (Join-Path $config $Hives[$hive])) $manifest
        } else { Write-Warning "hive not collected: $hive" }
    }
} finally {
    $zip.Dispose()
    Remove-Item -LiteralPath $scratch -Recurse -Force -ErrorAction SilentlyContinue
}
$manifest | Export-Csv -NoTypeInformation -Encoding UTF8 -Path "$zipPath.sha256.csv"
Write-Host "Collected $($manifest.Count) files into $zipPath"
Write-Host "Scan it with: extriage scan `"$zipPath`""
