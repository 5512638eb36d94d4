/*
  extriage uploader rules, written for this project (MIT, like the rest of extriage). Issue 14, helper X5.

  Why this file: the behaviour analysis finds "saves a posted file under the client's own name in the
  page's or the application's folder" when the save call itself names the folder and the client's file
  name (upload-to-app-root, upload-beside-page). Uploaders that first build the path in a variable
  (`string p = Server.MapPath("./") + name; up.SaveAs(p);`) or that save relative to the page
  (`SaveAs("./" + name)`) slipped through on first sight (fifth unseen collection). These rules match
  that code shape, not any sample's strings: a posted file, the client's file name, and a path made of
  the page's/application's own folder followed by ONE name and nothing else. Ordinary upload pages keep
  uploads in a folder of their own (`MapPath("~/uploads/") + name`, a literal after the root) or rename
  what they keep (a Guid, a timestamp) - neither matches.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Uploader_Into_Page_Folder
{
    meta:
        author = "extriage"
        description = "Uploader: saves a posted file under the client's own file name straight into the page's or the application's folder (path may be built in a variable first)"
        family = "uploader"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // a posted file is handled ...
        $posted1 = /\.\s*HasFile\b/ nocase ascii wide
        $posted2 = /\bPostedFile\b/ nocase ascii wide
        $posted3 = /\bRequest\s*\.\s*Files\b/ nocase ascii wide
        $posted4 = /<asp:FileUpload\b/ nocase ascii wide
        // ... the client's own file name is read ...
        $client_name = /\.\s*FileName\b/ nocase ascii wide
        // ... it is saved ...
        $save = /\.\s*SaveAs\s*\(/ nocase ascii wide
        // ... and a path is the page's/application's folder plus one name and nothing more
        // (C# +, VB &; an optional separator literal "\\" or "/" in between)
        $here = /(Server\s*\.\s*MapPath\s*\(\s*"(\.|\.\/|\.\\\\|~|~\/|\/)"\s*\)|"\.[\/\\]{1,2}"|AppDomain\s*\.\s*CurrentDomain\s*\.\s*BaseDirectory|Request\s*\.\s*PhysicalApplicationPath|HttpRuntime\s*\.\s*AppDomainAppPath)\s*[+&]\s*("[\/\\]{1,2}"\s*[+&]\s*)?((System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*GetFileName\s*\([^;()]{0,80}\)|[A-Za-z_][A-Za-z0-9_.]{0,60})\s*[;)\r\n]/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        any of ($posted*) and $client_name and $save and $here
}

/*
  Issue 14, helper X30 (thirtieth unseen collection): the same uploader with the path built by Path.Combine
  instead of +/&. Two "auth key" upload pages met in a repository that is not about security (and their
  twins measured by X25) keep the client's file name beside the page as
  `new FileStream(Path.Combine(new FileInfo(Request.PhysicalPath).DirectoryName, Path.GetFileName(f.FileName)), ...)`;
  the behaviour analysis names them (upload-beside-page), EXT_WEBSHELL_Uploader_Into_Page_Folder did not, as
  it reads a joined path only. The folder is the page's or the application's own (MapPath of "." "~" "/",
  the directory of Request.PhysicalPath, the application root) and the second part is the client's file name
  and nothing else; a FileInfo's DirectoryName counts only when the page also builds a FileInfo of its own
  Request.PhysicalPath. Upload folders of their own (`MapPath("~/uploads")`) or renamed files stay silent.
*/

rule EXT_WEBSHELL_Uploader_Combined_Into_Page_Folder
{
    meta:
        author = "extriage"
        description = "Uploader: saves a posted file under the client's own file name in the page's or the application's folder, path built with Path.Combine"
        family = "uploader"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // a posted file is handled ...
        $posted1 = /\bPostedFile\b/ nocase ascii wide
        $posted2 = /\bRequest\s*\.\s*Files\b/ nocase ascii wide
        $posted3 = /<asp:FileUpload\b/ nocase ascii wide
        $posted4 = /\bHttpPostedFile(Base)?\b/ nocase ascii wide
        // ... it is written ...
        $write1 = /\.\s*SaveAs\s*\(/ nocase ascii wide
        $write2 = /\bnew\s+(System\s*\.\s*IO\s*\.\s*)?FileStream\s*\(/ nocase ascii wide
        $write3 = /\bFile\s*\.\s*(WriteAllBytes|Create|OpenWrite)\s*\(/ nocase ascii wide
        // ... to Path.Combine(the page's/application's folder, the client's file name)
        $combine_here = /Path\s*\.\s*Combine\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*"(\.|\.\/|\.\\\\|~|~\/|\/)"\s*\)|(System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*GetDirectoryName\s*\(\s*Request\s*\.\s*PhysicalPath\s*\)|AppDomain\s*\.\s*CurrentDomain\s*\.\s*BaseDirectory|Request\s*\.\s*PhysicalApplicationPath|HttpRuntime\s*\.\s*AppDomainAppPath)\s*,\s*(System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*GetFileName\s*\(\s*[A-Za-z_][A-Za-z0-9_.\[\]]{0,80}\.\s*FileName\s*\)\s*\)/ nocase ascii wide
        $combine_dir = /Path\s*\.\s*Combine\s*\(\s*[A-Za-z_][A-Za-z0-9_]{0,40}\s*\.\s*DirectoryName\s*,\s*(System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*GetFileName\s*\(\s*[A-Za-z_][A-Za-z0-9_.\[\]]{0,80}\.\s*FileName\s*\)\s*\)/ nocase ascii wide
        $page_file = /new\s+(System\s*\.\s*IO\s*\.\s*)?FileInfo\s*\(\s*Request\s*\.\s*PhysicalPath\s*\)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        any of ($posted*) and any of ($write*) and ($combine_here or ($combine_dir and $page_file))
}

/*
  Issue 14, helper X49 (session 20): a posted file saved under a path the request names, the path ending in
  the request value. Two directive-less one-line uploaders met in session 19 (X45,
  `<% If Request.Files.Count <> 0 Then Request.Files(0).SaveAs(Server.MapPath(Request("f"))) %>` and a twin)
  were found by the behaviour analysis alone (upload-to-request-path); the rules above want the client's file
  name in the page's folder. Here the request names the whole saved path or its last part, extension included
  (Request("f"), Request.Form["p"], or text read from the request body), so the sender picks a .aspx name.
  Uploads kept under a name the request only helps to build (`MapPath("~/img/" + Request["id"] + ".jpg")`),
  under the client's file name in a folder of their own, or under a Guid stay silent.
*/

rule EXT_WEBSHELL_Upload_Saved_To_Request_Path
{
    meta:
        author = "extriage"
        description = "Uploader: saves a posted file under a path whose end is a request value (the sender chooses the saved file's name and extension)"
        family = "uploader"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        $posted1 = /\bRequest\s*\.\s*Files\b/ nocase ascii wide
        $posted2 = /\bPostedFile\b/ nocase ascii wide
        $posted3 = /<asp:FileUpload\b/ nocase ascii wide
        $posted4 = /\bHttpPostedFile(Base)?\b/ nocase ascii wide
        // SaveAs( ... Request("f") ) - the request value closes the path (then only closing parentheses)
        $save1 = /\.\s*SaveAs\s*\([^;\r\n]{0,200}\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]\s*("[^"\r\n]{0,40}"|'[^'\r\n]{0,40}'|[A-Za-z_]\w{0,40})\s*[\])](\s*\.\s*ToString\s*\(\s*\))?(\s*\))+/ nocase ascii wide
        // SaveAs( ... text read from the request body or a posted file's stream )
        $save2 = /\.\s*SaveAs\s*\([^;\r\n]{0,200}\bRequest\s*\.\s*(InputStream|Files\s*[\[(][^\])\r\n]{0,10}[\])]\s*\.\s*InputStream)\b/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and any of ($posted*) and any of ($save*)
}
