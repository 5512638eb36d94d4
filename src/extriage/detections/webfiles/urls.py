"""File path -> URL path, so a web shell on disk can be looked up in the IIS/HttpProxy logs.

Exchange's virtual directories are fixed (FrontEnd\\HttpProxy\\owa\\auth\\x.aspx is /owa/auth/x.aspx,
inetpub\\wwwroot\\aspnet_client\\x.aspx is /aspnet_client/x.aspx, ClientAccess\\<vdir> is the same URL on
the Exchange Back End site); applicationHost.config, when collected, adds every site's real mapping.
"""

from __future__ import annotations

from collections.abc import Iterable

from extriage.evidence.locate import path_key, relative_to_install

#: FrontEnd\HttpProxy / ClientAccess folder -> URL path, where they differ.
VDIR_URLS = {
    "sync": "/Microsoft-Server-ActiveSync",
    "rpcproxy": "/rpc",
    "pushnotifications": "/PushNotifications",
    "reportingwebservice": "/ReportingWebService",
}


class UrlMapper:
    def __init__(self, installs: Iterable[str], vdirs: Iterable[tuple[str, str]] = ()) -> None:
        """``vdirs``: (physical path, URL path) pairs from applicationHost.config."""
        self.installs = list(installs)
        pairs = []
        for physical, url in vdirs:
            key = path_key(physical)
            if key:
                pairs.append((key, "/" + url.strip("/")))
        self.vdirs = sorted(pairs, key=lambda p: len(p[0]), reverse=True)

    def url_for(self, key: str, logical: str = "") -> str | None:
        """URL path of the file with lower-case key ``key`` (original case from ``logical`` when it lines up)."""
        norm = logical.replace("\\", "/")
        original = norm if norm.lower() == key else key
        for phys, url in self.vdirs:
            if key.startswith(phys + "/"):
                rest = original[len(phys) + 1 :]
                return (url.rstrip("/") + "/" + rest) if url != "/" else "/" + rest
        rel = relative_to_install(key, self.installs)
        if rel is not None:
            orig_rel = original[len(original) - len(rel) :]
            for root in ("frontend/httpproxy/", "clientaccess/"):
                if rel.startswith(root):
                    parts = orig_rel[len(root) :].split("/", 1)
                    vdir = VDIR_URLS.get(parts[0].lower(), "/" + parts[0])
                    return vdir + ("/" + parts[1] if len(parts) > 1 else "")
        idx = key.find("inetpub/wwwroot/")
        if idx >= 0 and (idx == 0 or key[idx - 1] == "/"):
            return "/" + original[idx + len("inetpub/wwwroot/") :]
        return None


def url_for_path(path: str, installs: Iterable[str] = ()) -> str | None:
    """Convenience: URL path for a Windows path (``C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx`` ->
    ``/aspnet_client/x.aspx``); Exchange installs default to where the path shows one."""
    key = path_key(path)
    installs = list(installs)
    if not installs:
        for marker in ("/frontend/httpproxy/", "/clientaccess/"):
            idx = ("/" + key).find(marker)
            if idx >= 0:
                installs = [key[: max(0, idx - 1)]] if idx > 0 else [""]
                break
    return UrlMapper(installs).url_for(key, path)
