/*
  extriage rules for web services and handlers written in JScript .NET that evaluate code, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X7 (sixth unseen collection).

  Why this file: JScript .NET lets a web service (.asmx), a WCF service (.svc) or a generic handler (.ashx)
  call `eval` - the China Chopper idea without a page. Published variants (2018 onward) declare a web method
  or operation whose string parameter goes straight to `eval(...)`; the request input is the method
  parameter (the SOAP/HTTP body), not `Request[...]`, so the behaviour analysis, which follows request
  objects, saw nothing on first sight. This rule matches the shape: a JScript service or handler directive,
  a member published to callers (WebMethodAttribute / OperationContractAttribute / ScriptMethodAttribute, or
  the handler's ProcessRequest), and `eval(` of something that is not a literal. Ordinary JScript services
  (arithmetic, data access samples) have no reason to call `eval`.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_JScript_Service_Eval
{
    meta:
        author = "extriage"
        description = "JScript .NET web service, WCF service or handler that evaluates code it is sent (eval of a method parameter or request value)"
        family = "JScript service eval (Chopper-style service)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.007"
    strings:
        // a service, WCF service or handler written in JScript .NET (attribute order free)
        $svc = /<%\s*@\s*(WebService|ServiceHost|WebHandler)\b[^%]{0,300}\bLanguage\s*=\s*["']?(JScript|JS|JavaScript)\b/ nocase ascii wide
        // or a directive naming none but with a Class attribute, which only a service's or handler's takes
        // (a nameless directive is the file's main one: X43, session 18)
        $svc_nameless = /<%\s*@([^%]{0,300}\bClass\s*=[^%]{0,300}\bLanguage\s*=\s*["']?(JScript|JS|JavaScript)\b|[^%]{0,300}\bLanguage\s*=\s*["']?(JScript|JS|JavaScript)\b[^%]{0,300}\bClass\s*=)/ nocase ascii wide
        // a member published to callers
        $pub1 = /\b(WebMethodAttribute|OperationContractAttribute|ScriptMethodAttribute)\b/ ascii wide
        $pub2 = /\bfunction\s+(IHttpHandler\s*\.\s*|IHttpAsyncHandler\s*\.\s*)?(ProcessRequest|BeginProcessRequest)\s*\(/ ascii wide
        // eval of a variable, a call or a request value - not of a literal
        $eval = /\beval\s*\(\s*[A-Za-z_(]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 64MB and not any of ($log*) and
        ($svc or $svc_nameless) and
        any of ($pub*) and $eval
}
