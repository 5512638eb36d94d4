/*
  extriage rules for server pages that write text to a path the visitor types, written for this project (MIT,
  like the rest of extriage). Issue 14, helper X49 (session 20).

  Why this file: a first-sight shell of session 19 (X45's first batch, a "HUC08" team page) opens a
  StreamWriter on the text of one text box and writes the text of another, behind a password compared in
  the page. Only the behaviour analysis found it (file-write); the file-manager rule wants a request read as
  the path and a folder listing. The rule wants the file's path to be, as a whole, a server control's text or
  a request value given straight to the writer (new StreamWriter(txtPath.Text, ...),
  File.WriteAllText(Request["p"], ...)): the visitor picks any file on the server, a .aspx beside the page
  included. Pages that write under a folder of their own (MapPath("~/exports/" + name.Text)) or a fixed file
  stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Writes_File_At_Typed_Path
{
    meta:
        author = "extriage"
        description = "File writer: a server page opens or writes a file whose whole path is a text box's text or a request value (the visitor chooses any file on the server)"
        family = "file writer"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // the writer and its first argument: a control's .Text/.Value ...
        $box = /(\bnew\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter|\bNew\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter|\bFile\s*\.\s*(WriteAllText|AppendAllText|WriteAllBytes|WriteAllLines|AppendAllLines|CreateText|AppendText|OpenWrite|Create))\s*\(\s*(this\s*\.\s*|Me\s*\.\s*)?[A-Za-z_]\w{0,40}\s*\.\s*(Text|Value)\s*(\.\s*Trim\s*\(\s*\)\s*)?[,)]/ ascii wide
        // ... or a request value (Request["p"], Request.Form("p"))
        $req = /(\bnew\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter|\bNew\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter|\bFile\s*\.\s*(WriteAllText|AppendAllText|WriteAllBytes|WriteAllLines|AppendAllLines|CreateText|AppendText|OpenWrite|Create))\s*\(\s*\bRequest\s*(\.\s*(Form|QueryString|Params|Item)\s*)?[\[(]\s*("[^"\r\n]{0,40}"|'[^'\r\n]{0,40}'|[A-Za-z_]\w{0,40})\s*[\])]\s*[,)]/ nocase ascii wide
        // the control is a server control of the page (a text box or an input made server-side)
        $ctl1 = /<asp:TextBox\b/ nocase ascii wide
        $ctl2 = /<(input|textarea)\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and (($box and any of ($ctl*)) or $req)
}
