"""The server tree around the logs: IIS configuration and the well-known folders.

The ``applicationHost.config`` is our own minimal rendering of the structure of the real Exchange
2016 file in ../shared/data/exchange-iis-config/E16 (CSS-Exchange, MIT): the Exchange application
pools, "Default Web Site" (id 1, 80/443) with the front-end virtual directories under
``FrontEnd\\HttpProxy``, "Exchange Back End" (id 2, 81/444) under ``ClientAccess``, and the W3C log
directory in ``siteDefaults``. No legitimate Exchange web pages are written: their content is
hash-checked by the web-file stage, and made-up copies would look modified.
"""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import quoteattr

from extriage.generator.plan import AttackPlan
from extriage.generator.tree import Tree

APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"

_FRONT_END = (
    ("/owa", "MSExchangeOWAAppPool", "owa"),
    ("/owa/Calendar", "MSExchangeOWACalendarAppPool", "owa"),
    ("/ecp", "MSExchangeECPAppPool", "ecp"),
    ("/EWS", "MSExchangeServicesAppPool", "EWS"),
    ("/API", "MSExchangeRestFrontEndAppPool", "Rest"),
    ("/Autodiscover", "MSExchangeAutodiscoverAppPool", "Autodiscover"),
    ("/Microsoft-Server-ActiveSync", "MSExchangeSyncAppPool", "sync"),
    ("/OAB", "MSExchangeOABAppPool", "OAB"),
    ("/PowerShell", "MSExchangePowerShellFrontEndAppPool", "PowerShell"),
    ("/mapi", "MSExchangeMapiFrontEndAppPool", "mapi"),
    ("/Rpc", "MSExchangeRpcProxyFrontEndAppPool", "rpc"),
)
_BACK_END = (
    ("/PowerShell", "MSExchangePowerShellAppPool", "PowerShell-Proxy"),
    ("/mapi/emsmdb", "MSExchangeMapiMailboxAppPool", "mapi\\emsmdb"),
    ("/mapi/nspi", "MSExchangeMapiAddressBookAppPool", "mapi\\nspi"),
    ("/API", "MSExchangeRestAppPool", "rest"),
    ("/owa", "MSExchangeOWAAppPool", "owa"),
    ("/owa/Calendar", "MSExchangeOWACalendarAppPool", "owa"),
    ("/OAB", "MSExchangeOABAppPool", "OAB"),
    ("/ecp", "MSExchangeECPAppPool", "ecp"),
    ("/Autodiscover", "MSExchangeAutodiscoverAppPool", "Autodiscover"),
    ("/Microsoft-Server-ActiveSync", "MSExchangeSyncAppPool", "sync"),
    ("/EWS", "MSExchangeServicesAppPool", "exchweb\\EWS"),
)


def application_host_config(plan: AttackPlan) -> str:
    inst = plan.install_path
    pools = sorted({p for _, p, _ in _FRONT_END + _BACK_END})
    pool_xml = "\n".join(
        f'            <add name="{p}" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" '
        f"CLRConfigFile={quoteattr(inst + chr(92) + 'bin' + chr(92) + 'GenericAppPoolConfigWithGCServerEnabledFalse.config')}>\n"
        f'                <processModel identityType="LocalSystem" />\n            </add>'
        for p in pools
    )

    def apps(items: tuple[tuple[str, str, str], ...], base: str) -> str:
        return "\n".join(
            f'                <application path="{path}" applicationPool="{pool}">\n'
            f'                    <virtualDirectory path="/" physicalPath={quoteattr(base + chr(92) + folder)} />\n'
            f"                </application>"
            for path, pool, folder in items
        )

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!--
    IIS configuration of {plan.hostname} (generated sample evidence; structure after a real
    Exchange {plan.exchange_version} server).
-->
<configuration>
    <system.applicationHost>
        <applicationPools>
            <add name="DefaultAppPool" />
{pool_xml}
            <applicationPoolDefaults managedRuntimeVersion="v4.0">
                <processModel identityType="ApplicationPoolIdentity" />
            </applicationPoolDefaults>
        </applicationPools>
        <log>
            <centralBinaryLogFile enabled="true" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />
            <centralW3CLogFile enabled="true" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />
        </log>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
                </application>
{apps(_FRONT_END, inst + chr(92) + "FrontEnd" + chr(92) + "HttpProxy")}
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                    <binding protocol="https" bindingInformation=":443:" />
                    <binding protocol="http" bindingInformation="127.0.0.1:80:" />
                    <binding protocol="https" bindingInformation="127.0.0.1:443:" />
                </bindings>
            </site>
            <site name="Exchange Back End" id="2" serverAutoStart="true">
                <application path="/">
                    <virtualDirectory path="/" physicalPath={quoteattr(inst + chr(92) + "ClientAccess")} />
                </application>
{apps(_BACK_END, inst + chr(92) + "ClientAccess")}
                <bindings>
                    <binding protocol="http" bindingInformation="*:81:" />
                    <binding protocol="https" bindingInformation="*:444:" />
                </bindings>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />
                <traceFailedRequestsLogging directory="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" />
            </siteDefaults>
            <applicationDefaults applicationPool="DefaultAppPool" />
            <virtualDirectoryDefaults allowSubDirConfig="true" />
        </sites>
    </system.applicationHost>
    <system.webServer>
        <httpLogging dontLog="false" />
    </system.webServer>
</configuration>
"""


IISSTART = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>IIS Windows Server</title>
</head>
<body>
<div id="container"><a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" /></a></div>
</body>
</html>
"""


def write_server(tree: Tree, plan: AttackPlan) -> None:
    installed = plan.start - timedelta(days=400)
    tree.write_text(APPHOST, application_host_config(plan), mtime=plan.start - timedelta(days=30))
    tree.write_text("C:\\inetpub\\wwwroot\\iisstart.htm", IISSTART, mtime=installed)
    for folder in (
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\4_0_30319",
        f"{plan.install_path}\\FrontEnd\\HttpProxy\\owa\\auth\\{plan.owa_version_folder}\\themes\\resources",
        f"{plan.install_path}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources",
        f"{plan.install_path}\\FrontEnd\\HttpProxy\\ecp\\auth",
        f"{plan.install_path}\\ClientAccess\\OAB\\Temp",
        f"{plan.install_path}\\ClientAccess\\ecp",
        f"{plan.install_path}\\bin",
        f"{plan.install_path}\\Logging\\CmdletInfra",
    ):
        if plan_has_dirs(tree):
            tree.mkdir(folder)


def plan_has_dirs(tree: Tree) -> bool:
    """Empty folders only matter (and only survive) in folder layouts, not in zips."""
    return not tree.layout.startswith("zip")
