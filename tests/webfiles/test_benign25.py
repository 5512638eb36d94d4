"""Classic ASP applications taken whole: closest quiet shapes and the two misreadings (issue 14, helper B10).

The benign set of session 14 (``/tmp/benign25/aspcms``, never in the project; BENCHMARKS.md, "False positives on
unseen benign applications X: classic ASP applications taken whole") is the first made of classic ASP: a small
company-site CMS (JSON admin back end over an Access database, two upload pages, include helpers, a multipart upload
class, JSON classes, a captcha) and the CKFinder 2 classic ASP connector it ships (every file-manager command:
upload, delete, rename, copy, move, create folder, download, an editor plugin that saves posted content over a
named file, an FSO wrapper, an image helper that calls the site's own ASP.NET loopback page).

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: an upload saved under a generated name after an
extension check, a helper reading a site file as text, helpers deleting and copying site files the page names, an
editor command that hands posted content to a store object defined elsewhere, a hook runner and a JSON array writer
that ``Eval`` a call or an index built from literals, a server-side JScript JSON reader that ``eval``-s checked text,
a debug dump of the posted form and a download streaming a stored file whose name is reduced to a bare file name.
They must raise no finding at all (YARA or behaviour); each has a one-line variant (``MUTANTS``) that must be found,
so the tests can fail.

The set's two flagged files are misreadings of the behaviour engine (request in ``/work/notes/to_a7.md``, B10
02:02): ``sql-text`` on a call of the page's own dispatcher method named ``executeCommand`` (an ADO/LINQ method name
in the sinks, but VBScript has no data context) and ``com-http`` on a call to the site itself whose only request
part is ``SERVER_NAME`` around a fixed path. A sample of a classic forum's admin pages (``/tmp/benign25/snitz-sample``)
adds a third (B10 02:08): ``process`` (critical) on a posted form switch compared with the literal ``"Process"``. Both are strict expected failures until served; the shell shapes next to
them (SQL text from the query run through ``Execute``, an address or its path taken from the query) must stay found.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import (
    page_hits,
    quiet_pages_test,
    shown,
    sink_found_test,
    variants_differ_test,
)

_UPLOAD_UNDER_A_GENERATED_NAME = (
    '<!-- #include file="inc/upload_class.asp" -->\n'
    "<%\n"
    "Dim oForm, oPart, sExt, sStored\n"
    "Set oForm = New MultipartForm\n"
    'Set oPart = oForm.Part("picture")\n'
    'sExt = LCase(Mid(oPart.FileName, InStrRev(oPart.FileName, ".")))\n'
    'If sExt <> ".jpg" And sExt <> ".png" And sExt <> ".gif" Then\n'
    '\tResponse.Write "{ok:false, msg:""type not allowed""}"\n'
    "\tResponse.End\n"
    "End If\n"
    "Randomize\n"
    "sStored = Year(Now) & Month(Now) & Day(Now) & CLng(Rnd * 89999 + 10000) & sExt\n"
    'oPart.Store Server.MapPath("../uploads/" & sStored)\n'
    'Response.Write "{ok:true, file:""" & sStored & """}"\n'
    "%>\n"
)

_READ_A_SITE_FILE_AS_TEXT = (
    "<%\n"
    "Function ReadSiteFile(sRelative)\n"
    "\tDim oFso, oText\n"
    '\tSet oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "\tSet oText = oFso.OpenTextFile(Server.MapPath(sRelative), 1)\n"
    "\tReadSiteFile = oText.ReadAll\n"
    "\toText.Close\n"
    "End Function\n"
    "\n"
    "Function ClassSource(sRelative)\n"
    "\tDim sBody\n"
    "\tsBody = ReadSiteFile(sRelative)\n"
    '\tsBody = Replace(sBody, "<" & "%", "")\n'
    '\tClassSource = Replace(sBody, "%" & ">", "")\n'
    "End Function\n"
    "\n"
    'Response.Write Server.HTMLEncode(ClassSource("inc/paging.asp"))\n'
    "%>\n"
)

_DELETE_AND_COPY_FIXED_SITE_FILES = (
    "<%\n"
    "Sub RemoveSiteFile(sRelative)\n"
    "\tDim oFso, sFull\n"
    "\tsFull = Server.MapPath(sRelative)\n"
    '\tSet oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "\tIf oFso.FileExists(sFull) Then oFso.DeleteFile sFull\n"
    "End Sub\n"
    "\n"
    "Sub MoveSiteFile(sFrom, sTo)\n"
    "\tDim oFso\n"
    '\tSet oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "\tOn Error Resume Next\n"
    "\toFso.CopyFile Server.MapPath(sFrom), Server.MapPath(sTo), True\n"
    "\tIf sFrom <> sTo Then RemoveSiteFile sFrom\n"
    "End Sub\n"
    "\n"
    'MoveSiteFile "../uploads/pending.jpg", "../uploads/approved.jpg"\n'
    "%>\n"
)

_SAVE_EDITED_FILE_THROUGH_A_STORE = (
    '<script runat="server" language="VBScript">\n'
    "Class SaveEditedFile\n"
    "\tFunction Handle(oStore, sFolder)\n"
    "\t\tDim sName, sBody\n"
    '\t\tIf Request.Form("FromEditor") <> "true" Then Exit Function\n'
    '\t\tsName = Request.Form("fileName")\n'
    '\t\tsBody = Request.Form("Content")\n'
    "\t\tIf Not oStore.IsPlainName(sName) Then Exit Function\n"
    "\t\tIf Not oStore.AllowedExtension(sName) Then Exit Function\n"
    "\t\toStore.Remove oStore.Join(sFolder, sName)\n"
    "\t\toStore.WriteUtf8 oStore.Join(sFolder, sName), sBody\n"
    "\tEnd Function\n"
    "End Class\n"
    "</script>\n"
)

_HOOK_RUNNER_EVALS_A_BUILT_CALL = (
    '<script runat="server" language="VBScript">\n'
    "Class EventHooks\n"
    "\tFunction Fire(sEvent, aArgs, aHandlers)\n"
    "\t\tDim i, sCall, sParams, vResult, oHandler\n"
    '\t\tsParams = ""\n'
    "\t\tFor i = LBound(aArgs) To UBound(aArgs)\n"
    '\t\t\tIf sParams <> "" Then sParams = sParams & ", "\n'
    '\t\t\tsParams = sParams & "aArgs(" & i & ")"\n'
    "\t\tNext\n"
    "\t\tFire = True\n"
    "\t\tFor i = LBound(aHandlers) To UBound(aHandlers)\n"
    "\t\t\tSet oHandler = aHandlers(i)\n"
    '\t\t\tsCall = "oHandler.on" & sEvent & "(" & sParams & ")"\n'
    "\t\t\tvResult = Eval(sCall)\n"
    "\t\t\tIf Not vResult Then Fire = False\n"
    "\t\tNext\n"
    "\tEnd Function\n"
    "End Class\n"
    "</script>\n"
)

_JSON_ARRAY_EVALS_AN_INDEX = (
    "<%\n"
    "Function ArrayText(aValues, iDepth, sPrefix)\n"
    "\tDim i, sOut, sInner\n"
    '\tsOut = "["\n'
    "\tFor i = LBound(aValues, iDepth) To UBound(aValues, iDepth)\n"
    '\t\tIf i > LBound(aValues, iDepth) Then sOut = sOut & ","\n'
    "\t\tOn Error Resume Next\n"
    '\t\tsInner = ArrayText(aValues, iDepth + 1, sPrefix & i & ",")\n'
    "\t\tIf Err.Number = 9 Then\n"
    "\t\t\tErr.Clear\n"
    '\t\t\tsOut = sOut & """" & Eval("aValues(" & sPrefix & i & ")") & """"\n'
    "\t\tElse\n"
    "\t\t\tsOut = sOut & sInner\n"
    "\t\tEnd If\n"
    "\t\tOn Error GoTo 0\n"
    "\tNext\n"
    '\tArrayText = sOut & "]"\n'
    "End Function\n"
    'Response.Write ArrayText(Array("a", "b"), 1, "")\n'
    "%>\n"
)

_JSON_PARSE_EVALS_CHECKED_TEXT = (
    '<script language="jscript" runat="server">\n'
    "var JsonText = {\n"
    "\tread: function (text) {\n"
    '\t\tvar cleaned = String(text).replace(/\\\\(?:["\\\\\\/bfnrt]|u[0-9a-fA-F]{4})/g, "@")\n'
    '\t\t\t.replace(/"[^"\\\\\\n\\r]*"|true|false|null|-?\\d+(?:\\.\\d*)?(?:[eE][+\\-]?\\d+)?/g, "]")\n'
    '\t\t\t.replace(/(?:^|:|,)(?:\\s*\\[)+/g, "");\n'
    "\t\tif (/^[\\],:{}\\s]*$/.test(cleaned)) {\n"
    '\t\t\treturn eval("(" + text + ")");\n'
    "\t\t}\n"
    '\t\tthrow new SyntaxError("JsonText.read");\n'
    "\t}\n"
    "};\n"
    "</script>\n"
)

_DEBUG_DUMP_OF_THE_FORM = (
    "<%\n"
    "Sub DumpForm()\n"
    "\tDim sKey\n"
    '\tResponse.Write "Fields: " & Request.Form.Count & "<br>"\n'
    "\tFor Each sKey In Request.Form\n"
    '\t\tIf sKey <> "Submit" Then Response.Write Server.HTMLEncode(sKey & ": " & Request.Form(sKey)) & "<br>"\n'
    "\tNext\n"
    "\tResponse.End\n"
    "End Sub\n"
    'If Session("Debug") = True Then DumpForm\n'
    "%>\n"
)

_SEND_A_STORED_FILE = (
    "<%\n"
    "Sub SendStoredFile(sFolder, sName)\n"
    "\tDim oStream, oFso, sFull\n"
    '\tSet oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "\tsName = oFso.GetFileName(sName)\n"
    '\tIf InStr(sName, "..") > 0 Or sName = "" Then Response.Status = "404 Not Found" : Response.End\n'
    "\tsFull = oFso.BuildPath(sFolder, sName)\n"
    '\tIf Not oFso.FileExists(sFull) Then Response.Status = "404 Not Found" : Response.End\n'
    '\tResponse.ContentType = "application/octet-stream"\n'
    '\tResponse.AddHeader "Content-Disposition", "attachment; filename=""" & sName & """"\n'
    '\tSet oStream = Server.CreateObject("ADODB.Stream")\n'
    "\toStream.Open\n"
    "\toStream.Type = 1\n"
    "\toStream.LoadFromFile sFull\n"
    "\tResponse.BinaryWrite oStream.Read\n"
    "\toStream.Close\n"
    "End Sub\n"
    'SendStoredFile Server.MapPath("/uploads/files"), Request.QueryString("FileName")\n'
    "%>\n"
)

_DISPATCHER_METHOD_EXECUTECOMMAND = (
    "<%\n"
    "Class PageDispatcher\n"
    "\tPublic Sub executeCommand(name)\n"
    "\t\tSelect Case name\n"
    '\t\t\tCase "List"\n'
    '\t\t\t\tResponse.Write "list"\n'
    "\t\t\tCase Else\n"
    '\t\t\t\tResponse.Write "unknown"\n'
    "\t\tEnd Select\n"
    "\tEnd Sub\n"
    "End Class\n"
    "\n"
    "Dim oSite\n"
    "Set oSite = New PageDispatcher\n"
    "Dim sAction\n"
    'sAction = Request.QueryString("action")\n'
    "oSite.executeCommand(sAction)\n"
    "%>\n"
)

_FACTORY_DISPATCHER_EXECUTECOMMAND = (
    '<script runat="server" language="VBScript">\n'
    "Dim sAction\n"
    'sAction = request.queryString("action")\n'
    "\n"
    "oSite_Factory.Dispatcher.executeCommand(sAction)\n"
    "</script>\n"
)

_LOOPBACK_TO_THE_SITE_ITSELF = (
    "<%\n"
    "Function SelfUrl()\n"
    "\tDim u\n"
    '\tu = "http://" & Request.ServerVariables("SERVER_NAME")\n'
    '\tu = u & "/app/loopback.aspx?command=Ping"\n'
    "\tSelfUrl = u\n"
    "End Function\n"
    "\n"
    "Function CallSelf(sTarget)\n"
    "\tDim oHttp\n"
    '\tSet oHttp = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")\n'
    '\toHttp.Open "GET", sTarget, False, Request.ServerVariables("AUTH_USER") & "", Request.ServerVariables("AUTH_PASSWORD") & ""\n'
    "\toHttp.Send\n"
    "\tCallSelf = oHttp.status\n"
    "End Function\n"
    "\n"
    "Response.Write CallSelf(SelfUrl())\n"
    "%>\n"
)

_FORM_SWITCH_NAMED_PROCESS = (
    "<%\n"
    "Dim sMode\n"
    'sMode = Request.Form("method")\n'
    'If sMode = "Process" Then\n'
    '\tResponse.Write "working"\n'
    "Else\n"
    '\tResponse.Write "<form method=""post""><input type=""hidden"" name=""method"" value=""Process""></form>"\n'
    "End If\n"
    "%>\n"
)

#: (name, extension, page): ordinary classic ASP shapes that must raise no finding.
QUIET_PAGES = [
    ("classic-asp-upload-under-a-generated-name", ".asp", _UPLOAD_UNDER_A_GENERATED_NAME),
    ("classic-asp-helper-reads-a-site-file-as-text", ".asp", _READ_A_SITE_FILE_AS_TEXT),
    ("classic-asp-helpers-delete-and-copy-fixed-site-files", ".asp", _DELETE_AND_COPY_FIXED_SITE_FILES),
    ("classic-asp-editor-command-hands-content-to-a-store", ".asp", _SAVE_EDITED_FILE_THROUGH_A_STORE),
    ("classic-asp-hook-runner-evals-a-call-built-from-literals", ".asp", _HOOK_RUNNER_EVALS_A_BUILT_CALL),
    ("classic-asp-json-array-evals-a-built-index", ".asp", _JSON_ARRAY_EVALS_AN_INDEX),
    ("server-jscript-json-reader-evals-checked-text", ".asp", _JSON_PARSE_EVALS_CHECKED_TEXT),
    ("classic-asp-debug-dump-of-the-posted-form", ".asp", _DEBUG_DUMP_OF_THE_FORM),
    ("classic-asp-download-of-a-stored-file-by-bare-name", ".asp", _SEND_A_STORED_FILE),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "classic-asp-upload-saved-where-the-form-says",
        ".asp",
        "file-write",
        _UPLOAD_UNDER_A_GENERATED_NAME.replace(
            'oPart.Store Server.MapPath("../uploads/" & sStored)',
            'oPart.SaveAs Server.MapPath(Request.Form("where"))',
        ),
    ),
    (
        "classic-asp-helper-reads-the-file-the-query-names",
        ".asp",
        "com-file-write",
        _READ_A_SITE_FILE_AS_TEXT.replace(
            'ClassSource("inc/paging.asp")', 'ClassSource(Request.QueryString("f"))'
        ),
    ),
    (
        "classic-asp-deletes-the-file-the-request-names",
        ".asp",
        "com-file-write",
        _DELETE_AND_COPY_FIXED_SITE_FILES.replace(
            'MoveSiteFile "../uploads/pending.jpg", "../uploads/approved.jpg"',
            'Server.CreateObject("Scripting.FileSystemObject").DeleteFile(Server.MapPath(Request("f")))',
        ),
    ),
    (
        "classic-asp-editor-command-writes-posted-content-itself",
        ".asp",
        "com-file-write",
        _SAVE_EDITED_FILE_THROUGH_A_STORE.replace(
            "\t\toStore.WriteUtf8 oStore.Join(sFolder, sName), sBody",
            '\t\tServer.CreateObject("Scripting.FileSystemObject").CreateTextFile(Server.MapPath(sName), True).Write sBody',
        ),
    ),
    (
        "classic-asp-hook-runner-evals-the-posted-call",
        ".asp",
        "eval",
        _HOOK_RUNNER_EVALS_A_BUILT_CALL.replace(
            "vResult = Eval(sCall)", 'vResult = Eval(Request.Form("call"))'
        ),
    ),
    (
        "classic-asp-json-array-evals-the-request",
        ".asp",
        "eval",
        _JSON_ARRAY_EVALS_AN_INDEX.replace('Eval("aValues(" & sPrefix & i & ")")', 'Eval(Request("v"))'),
    ),
    (
        "server-jscript-json-reader-evals-the-posted-text",
        ".asp",
        "eval",
        _JSON_PARSE_EVALS_CHECKED_TEXT.replace(
            'return eval("(" + text + ")");', 'return eval("(" + Request.Form("j") + ")");'
        ),
    ),
    (
        "classic-asp-form-dump-executes-a-field",
        ".asp",
        "eval",
        _DEBUG_DUMP_OF_THE_FORM.replace(
            'If sKey <> "Submit" Then Response.Write Server.HTMLEncode(sKey & ": " & Request.Form(sKey)) & "<br>"',
            'If sKey = "run" Then Execute Request.Form(sKey)',
        ),
    ),
    (
        "classic-asp-download-page-saves-over-the-named-file",
        ".asp",
        "com-file-write",
        _SEND_A_STORED_FILE.replace(
            "\toStream.LoadFromFile sFull",
            '\toStream.SaveToFile Server.MapPath(Request.QueryString("FileName")), 2',
        ),
    ),
]

test_classic_asp_application_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_classic_asp_shape_is_found = sink_found_test(MUTANTS)


test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)


#: The two misreadings of the set, in harmless shapes (pages that are not shells and must raise nothing).
MISREADINGS = [
    ("classic-asp-page-dispatcher-method-named-executecommand", ".asp", _DISPATCHER_METHOD_EXECUTECOMMAND),
    (
        "classic-asp-factory-dispatcher-executecommand-in-a-script-block",
        ".asp",
        _FACTORY_DISPATCHER_EXECUTECOMMAND,
    ),
    ("classic-asp-form-switch-compared-with-the-word-process", ".asp", _FORM_SWITCH_NAMED_PROCESS),
    ("classic-asp-loopback-call-to-the-site-itself", ".asp", _LOOPBACK_TO_THE_SITE_ITSELF),
    (
        "classic-asp-loopback-call-without-credentials",
        ".asp",
        _LOOPBACK_TO_THE_SITE_ITSELF.replace(
            ', False, Request.ServerVariables("AUTH_USER") & "", Request.ServerVariables("AUTH_PASSWORD") & ""',
            ", False",
        ),
    ),
]


# Served by A7 (42b3294): sql-text-orm not in classic ASP, own server variables, "Process" compared.
test_classic_asp_misreading_is_silent = quiet_pages_test(MISREADINGS)


#: What must stay found whatever is done about the misreadings: (name, extension, sink, page).
SHELLS_NEXT_TO_THE_MISREADINGS = [
    (
        "classic-asp-runs-the-query-s-sql-through-execute",
        ".asp",
        "sql-text",
        _DISPATCHER_METHOD_EXECUTECOMMAND.replace("oSite.executeCommand(sAction)", "oSite.Execute(sAction)"),
    ),
    (
        "classic-asp-adodb-connection-runs-the-query-s-sql",
        ".asp",
        "sql-text",
        "<%\n"
        "Dim oConn, sSql\n"
        'Set oConn = Server.CreateObject("ADODB.Connection")\n'
        'oConn.Open Application("ConnString")\n'
        'sSql = Request.QueryString("q")\n'
        "oConn.Execute(sSql)\n"
        "%>\n",
    ),
    (
        "classic-asp-fetches-the-address-the-request-names",
        ".asp",
        "com-http",
        "<%\n"
        "Dim oHttp\n"
        'Set oHttp = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")\n'
        'oHttp.Open "GET", Request("u"), False\n'
        "oHttp.Send\n"
        "Response.Write oHttp.responseText\n"
        "%>\n",
    ),
    (
        "classic-asp-loopback-whose-path-comes-from-the-query",
        ".asp",
        "com-http",
        _LOOPBACK_TO_THE_SITE_ITSELF.replace(
            'u = u & "/app/loopback.aspx?command=Ping"', 'u = u & Request.QueryString("path")'
        ),
    ),
]


test_shell_next_to_a_misreading_stays_found = sink_found_test(SHELLS_NEXT_TO_THE_MISREADINGS)
test_shells_differ_from_the_misreadings = variants_differ_test(MISREADINGS, SHELLS_NEXT_TO_THE_MISREADINGS)


def test_form_switch_that_runs_a_posted_command_stays_found(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """Whatever is done about the "Process" comparison, a shell command in the same switch keeps its sink (today the
    finding is reported on the comparison's line: the Run line's hit is merged into it)."""
    page = _FORM_SWITCH_NAMED_PROCESS.replace(
        '\tResponse.Write "working"\n', '\tCreateObject("WScript.Shell").Run Request.Form("c")\n'
    )
    assert page != _FORM_SWITCH_NAMED_PROCESS
    hits = page_hits(tmp_path, "classic-asp-form-switch-runs-a-posted-command.asp", page, params)
    assert "process" in {h.get("sink") for h in hits if h["check"] == "behaviour"}, shown(hits)
