/*
  extriage rules for SQL consoles driven by a page's text boxes, written for this project (MIT, like the rest of
  extriage). Issue 14, helper X49 (session 20).

  Why this file: a first-sight shell of session 19 (X45's first batch, an "Mssql" console) signs in to any
  server typed into it (server, user and password text boxes joined into a connection string), runs the query
  typed into another text box (kept in ViewState, then given to SqlCommand as a variable) and binds whatever
  comes back to a grid. Only the behaviour analysis found it (sql-connection); EXT_WEBSHELL_SQL_Console wants the
  request read in the command itself. The rule wants the three parts together: a connection string whose
  server is joined in from a variable, a command whose text is a variable, and a text box named for the query
  whose text is read. An install page that connects to a typed server and runs its own scripts names no query
  box; a report page runs its own queries on the site's own connection string.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_SQL_Console_Typed_Server_And_Query
{
    meta:
        author = "extriage"
        description = "SQL console: a server page connects to a server typed into it (connection string joined from variables) and runs a query typed into a text box"
        family = "SQL console"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1213"
    strings:
        // "Data Source='" + server + ... / "Server=" & srv & ...
        $typed_server = /"\s*(Data\s+Source|Server|Addr|Address|Network\s+Address)\s*=\s*'?"\s*[+&]\s*[A-Za-z_]/ nocase ascii wide
        // the command's text is a variable (CommandText = query; new SqlCommand(sql, con))
        $cmd1 = /\.\s*CommandText\s*=\s*[A-Za-z_][\w.]{0,60}\s*[;\r\n]/ ascii wide
        $cmd2 = /\bnew\s+(System\s*\.\s*Data\s*\.\s*(SqlClient|OleDb|Odbc)\s*\.\s*)?(Sql|OleDb|Odbc)(Command|DataAdapter)\s*\(\s*[A-Za-z_][\w.]{0,60}\s*,/ nocase ascii wide
        // a text box named for the query, its text read
        $box = /\b\w{0,20}(Query|Sql|SqlText|Statement)\w{0,10}\s*\.\s*Text\b/ nocase ascii wide
        $tb = /<asp:TextBox\b[^>]{0,200}\bID\s*=\s*["']?\w{0,20}(Query|Sql|Statement)/ nocase ascii wide
        $exec1 = /\.\s*(ExecuteReader|ExecuteNonQuery|ExecuteScalar|Fill)\s*\(/ ascii wide
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
        $typed_server and any of ($cmd*) and $box and $tb and $exec1
}
