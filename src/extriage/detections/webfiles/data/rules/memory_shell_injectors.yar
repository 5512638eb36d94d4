/*
  extriage memory-shell injector rules, written for this project (MIT, like the rest of extriage). Issue 14,
  helper X20 (session 12).

  Why this file: a memory shell ("memshell", 内存马) is a page whose only job is to hook a handler into the
  running ASP.NET pipeline - a VirtualPathProvider, a route at the head of the route table, an MVC global
  filter, an event step added to every pooled HttpApplication, a module registered at run time, or an
  HttpListener started inside w3wp. After one request the page can be deleted and the shell keeps
  answering on every URL until the application pool recycles. The twentieth unseen collection's two
  injectors (a 2026 thesis write-up's VirtualPathProvider and HttpModule-step pages) were found on first
  sight, but only as "runs a process" / "reflection loader": nothing told the responder that removing the
  file does not remove the shell. This rule names that shape, not a sample's strings: a server page
  (not Global.asax, where applications register their own providers, routes and filters at start-up)
  that reaches the request and either
    - touches the pipeline's internal step machinery (SyncEventExecutionStep, the application factory's
      _freeList, module containers/steps, GetModuleContainer + AddEvent), or
    - registers a VirtualPathProvider, inserts a route or adds a global filter whose class the page itself
      defines, or
    - starts an HttpListener and serves its requests, or registers a module at run time.
  Ordinary pages do none of these; scanner pages that list providers, routes and filters read them but
  add nothing (the memshell scanner page of the benign tool set stays silent).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Memory_Shell_Injector
{
    meta:
        author = "extriage"
        description = "Memory-shell injector page: hooks a handler into the running ASP.NET pipeline (internal event steps, a VirtualPathProvider, route or global filter it defines, an HttpListener, a run-time module) - the shell outlives the file: recycle the application pool after removing it"
        family = "memory shell injector"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // the pipeline's internal step machinery, reached by reflection
        $step1 = "SyncEventExecutionStep" ascii wide
        $step2 = "_freeList" ascii wide
        $step3 = "HttpApplicationFactory" ascii wide
        $step4 = "_moduleSteps" ascii wide
        $step5 = "ModuleContainers" ascii wide
        $step6 = "GetModuleContainer" ascii wide
        $step7 = /"AddEvent"/ ascii wide
        // registrations, each with the class the page defines for it
        $vpp = /RegisterVirtualPathProvider(Internal)?\b/ ascii wide
        $vpp_cls = /:\s*(System\s*\.\s*Web\s*\.\s*Hosting\s*\.\s*)?VirtualPathProvider\b/ ascii wide
        $route = /\.\s*Routes\s*\.\s*(Insert\s*\(\s*0\s*,|Add\s*\()/ ascii wide
        $route_cls = /:\s*(System\s*\.\s*Web\s*\.\s*Routing\s*\.\s*)?(RouteBase|IRouteHandler)\b/ ascii wide
        $filter = /GlobalFilters\s*\.\s*Filters\s*\.\s*Add\s*\(/ ascii wide
        $filter_cls = /:\s*(System\s*\.\s*Web\s*\.\s*Mvc\s*\.\s*)?(IAuthorizationFilter|IAuthenticationFilter|IActionFilter|IResultFilter|IExceptionFilter|ActionFilterAttribute)\b/ ascii wide
        $listen1 = /new\s+(System\s*\.\s*Net\s*\.\s*)?HttpListener\s*\(/ ascii wide
        $listen2 = /\.\s*Prefixes\s*\.\s*Add\s*\(/ ascii wide
        $listen3 = /\.\s*GetContext\s*\(/ ascii wide
        $module = /(DynamicModuleUtility|HttpApplication)\s*\.\s*RegisterModule\s*\(/ ascii wide
        // ... and the request reaches the page or the hooked handler
        $req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|InputStream|Headers|Cookies|BinaryRead|Files)\b|\[)/ nocase ascii wide
        // a server page, not the application file
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@\-#$]/ ascii wide
        $app = /<%\s*@\s*Application\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and not $app and ($page or $runat or $block) and $req and (
            $step1 or ($step2 and $step3) or ($step4 and $step5) or ($step6 and $step7) or
            ($vpp and $vpp_cls) or ($route and $route_cls) or ($filter and $filter_cls) or
            ($listen1 and $listen2 and $listen3) or $module
        )
}
