/*
  extriage rules for server pages that browse a whole drive for the visitor, written for this project (MIT,
  like the rest of extriage). Issue 14, helper X45 (forty-fifth unseen collection: first-sight shells from web
  shell and tool repositories).

  Why this file: the collection's two "simple explorer" pages (one author, two versions) were found by nothing
  at first sight - no rule of ours, no behaviour sink, no signature-base rule. Each joins the drive root
  ("C:\\") with a folder or file name from the query string, lists that folder's subfolders and files and, when
  asked, prints any file's text: read access to every file the pool's account can read (web.config secrets,
  other sites' code, logs), with no sign-in. Applications that browse files confine them to a folder under the
  site (Server.MapPath), refuse "..", ":" and rooted names, or browse a fixed share; none joins a request value
  to a drive root. The rule needs the four together in a server file: a drive root as a string literal, a
  request value, a folder listing, and a file read or sent back. A drive root given only to DriveInfo (a status
  page showing free space) does not count.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Drive_Root_Browser
{
    meta:
        author = "extriage"
        description = "Server page that lists any folder and reads any file under a drive root (\"C:\\\") named by the request: a read-only file manager of the whole drive"
        family = "file manager (read-only)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1083,T1005"
    strings:
        // a drive root and nothing more as a string literal: C# "C:\\" (or @"C:\"), VB "C:\"
        $root = /"[a-z]:\\{1,2}"/ nocase ascii wide
        // ... not counted when it only asks the drive's size or free space (a status page's DriveInfo)
        $drive_info = /DriveInfo\s*\(\s*@?"[a-z]:\\{1,2}"\s*\)/ nocase ascii wide
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase ascii wide
        $list1 = /\.\s*GetDirectories\s*\(/ nocase ascii wide
        $list2 = /\.\s*GetFiles\s*\(/ nocase ascii wide
        $list3 = /\.\s*Enumerate(Files|Directories|FileSystemEntries)\s*\(/ nocase ascii wide
        $read1 = /File\s*\.\s*(ReadAllText|ReadAllBytes|ReadAllLines|OpenRead|OpenText)\s*\(/ nocase ascii wide
        $read2 = /new\s+(System\s*\.\s*IO\s*\.\s*)?StreamReader\s*\(/ nocase ascii wide
        $read3 = /Response\s*\.\s*(TransmitFile|WriteFile)\s*\(/ nocase ascii wide
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        // a code block of a page with no directive ("<%" then code - X46, session 19)
        $server3 = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and any of ($server*) and
        #root > #drive_info and $in and any of ($list*) and any of ($read*)
}

/*
  Issue 14, helper X45 (third batch). A "ScanWriteable" page walks every folder under a path typed into it
  (recursing with GetDirectories) and, in each, creates a file named "test" and keeps the folder when the
  stream CanWrite: the attacker's map of where a page or a tool can be dropped next, leaving a file in every
  writable folder. Our rules and the behaviour analysis were silent (signature-base names it). Applications that
  check a folder is writable check one fixed folder (App_Data, an upload folder) and do not walk a tree they are
  given. The rule needs a file created and tested for CanWrite right there (the statement or its using block), a recursive folder walk,
  and a start folder from the page's input (a text box or the request).
*/

rule EXT_WEBSHELL_Writable_Folder_Scanner
{
    meta:
        author = "extriage"
        description = "Server page that walks the folders under a path the visitor gives and creates a test file in each to find the writable ones"
        family = "writable folder scanner"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1083"
    strings:
        // a file created (or opened for writing) and its stream's CanWrite tested right there (same statement, or
        // the using block around it)
        $probe = /File\s*\.\s*(Create|Open|OpenWrite)\s*\([^}]{0,250}\.\s*CanWrite\b/ nocase ascii wide
        // or a file created, closed at once and deleted again (tennc's "ScanWrtieable" variant, X48)
        $probe2 = /File\s*\.\s*Create\s*\([^;]{0,160}\)\s*\.\s*(Close|Dispose)\s*\(\s*\)\s*;[^}]{0,400}File\s*\.\s*Delete\s*\(/ nocase ascii wide
        $walk = /\.\s*GetDirectories\s*\(/ nocase ascii wide
        // the walk starts at a folder the page is given: a text box's text or a request value
        $start1 = /DirectoryInfo\s*\(\s*[\w.]{0,60}\.\s*Text\s*\)/ nocase ascii wide
        $start2 = /DirectoryInfo\s*\(\s*[^;)]{0,60}\bRequest\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase ascii wide
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        // a code block of a page with no directive ("<%" then code - X46, session 19)
        $server3 = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and any of ($server*) and ($probe or $probe2) and $walk and any of ($start*)
}

/*
  Issue 14, helper X50 (fiftieth unseen collection). A Go web-security tool's "aspx_browser" template takes the
  folder to list from the request, falling back to the page's own folder (`Request["dir"] ?? Server.MapPath(".")`),
  and writes every subfolder and file name back: a map of any folder the pool's account can read. Only the
  behaviour analysis named it (no drive root, no file read, so the rules above stayed silent). The rule: a folder
  listed straight from a request value (the value given to GetFiles/GetDirectories or DirectoryInfo), or a request
  value that falls back to the page's own folder beside a listing, and the listing written out. Galleries and
  download pages list a folder of their own (Server.MapPath("~/photos/" + name)) and stay silent.
*/

rule EXT_WEBSHELL_Request_Path_Folder_Lister
{
    meta:
        author = "extriage"
        description = "Server page that lists the folder named by the request (or the page's own folder when none is given) and writes the names back: a folder browser of the whole disk"
        family = "file manager (read-only)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1083"
    strings:
        // the request value itself is the folder listed
        $direct = /\b(Directory\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|EnumerateFiles|EnumerateDirectories|EnumerateFileSystemEntries)|new\s+(System\s*\.\s*IO\s*\.\s*)?DirectoryInfo)\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase ascii wide
        // a request value that falls back to the page's own folder: C# `??`, VB `If(Request("d"), ...)`
        $fallback = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]\s*"[^"]{1,40}"\s*[\]\)]\s*\?\?\s*(HttpContext\s*\.\s*Current\s*\.\s*)?Server\s*\.\s*MapPath\s*\(\s*"\.{0,2}\/?"\s*\)/ nocase ascii wide
        $fallback_vb = /\bIf\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?\(\s*"[^"]{1,40}"\s*\)\s*,\s*Server\s*\.\s*MapPath\s*\(\s*"\.{0,2}\/?"\s*\)\s*\)/ nocase ascii wide
        $list = /\b(Directory\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|EnumerateFiles|EnumerateDirectories|EnumerateFileSystemEntries)|new\s+(System\s*\.\s*IO\s*\.\s*)?DirectoryInfo)\s*\(/ nocase ascii wide
        $out = /Response\s*\.\s*Write\s*\(/ nocase ascii wide
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        // a code block of a page with no directive ("<%" then code - X46, session 19)
        $server3 = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and any of ($server*) and
        ($direct or (($fallback or $fallback_vb) and $list)) and $out
}
