"""File path -> URL path, so a web shell on disk can be looked up in the IIS/HttpProxy logs.

Exchange's virtual directories are fixed (FrontEnd\\HttpProxy\\owa\\auth\\x.aspx is /owa/auth/x.aspx,
inetpub\\wwwroot\\aspnet_client\\x.aspx is /aspnet_client/x.aspx, ClientAccess\\<vdir> is the same URL on
the Exchange Back End site); applicationHost.config, when collected, adds every site's real mapping.
An ASP.NET Core site serves only its ``wwwroot`` files (at the site's root) and its routes: a view, a
component or a source file has no URL, and a Razor Page's URL is its route, not its file (X39).
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
        self.core_sites: list[str] = []

    def add_core_sites(self, folders: Iterable[str]) -> None:
        """Folder keys of ASP.NET Core sites (where a web.config hands requests to the Core Module)."""
        self.core_sites = sorted(set(self.core_sites) | set(folders), key=len, reverse=True)

    def core_site_of(self, key: str) -> str | None:
        """The folder key of the Core site ``key`` lies in, if any."""
        return next((site for site in self.core_sites if key.startswith(site + "/")), None)

    def url_for(self, key: str, logical: str = "") -> str | None:
        """URL path of the file with lower-case key ``key`` (original case from ``logical`` when it lines up)."""
        norm = logical.replace("\\", "/")
        original = norm if norm.lower() == key else key
        url = self._path_url(key, original)
        site = self.core_site_of(key) if url is not None and self.core_sites else None
        if url is None or site is None:
            return url
        rel = original[len(site) + 1 :]
        if not url.lower().endswith("/" + rel.lower()):
            return url  # (a mapping inside the site renamed its folders: the file's URL as IIS maps it)
        served = core_route(rel)
        if served is None:
            return None
        base = url[: len(url) - len(rel) - 1]
        return (base + "/" + served) if served else (base or "/")

    def _path_url(self, key: str, original: str) -> str | None:
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


def core_route(rel: str) -> str | None:
    """The URL path (relative to the site, no leading ``/``) an ASP.NET Core site serves for its file at
    ``rel`` (the path inside the site's folder), or ``None`` when the site never serves that file.

    Only ``wwwroot`` is served as files (the static files middleware, at the site's root); a Razor Page
    (``Pages/**/*.cshtml``) answers at its route by the default convention (``Pages/Admin/Run.cshtml`` ->
    ``Admin/Run``, an ``Index`` page at its folder; a route template in its ``@page`` line is not read);
    MVC views, Razor components, sources, configuration and the program's assemblies have no URL.
    """
    lower = rel.lower()
    if lower.startswith("wwwroot/"):
        return rel[len("wwwroot/") :]
    if lower.startswith("pages/") and lower.endswith(".cshtml"):
        route = rel[len("pages/") : -len(".cshtml")]
        name = route.rsplit("/", 1)[-1]
        if name.startswith("_"):
            return None  # _Layout, _ViewStart, _ViewImports and partials: never a route
        if name.lower() == "index":
            return route[: -len(name)].rstrip("/")
        return route
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
