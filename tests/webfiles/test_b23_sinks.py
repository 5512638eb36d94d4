"""Benign server code that calls the sinks shells call: the reflection loader rule's request read
(issue 14, helper B23, session 18).

The benign set (``/tmp/benign23``, never in the project; BENCHMARKS.md, "False positives on unseen benign
pages: server code that touches files, processes, network and SQL") is a seeded stratum of real pages,
handlers, ``Global.asax`` files, code-behind and web classes that write, read, delete or serve files, start
processes, fetch URLs, run SQL, load types by reflection, read the registry or open sockets. One of its
findings was a misreading: an open-source CMS's ``Global.asax`` that switches off ASP.NET's folder-change
monitor through reflection (``GetProperty``/``GetField``/``GetMethod``/``Invoke`` on ``HttpRuntime``
internals, a well-known fix) was a web shell to ``EXT_WEBSHELL_Reflection_Loader``. The rule's "the request
is read" string matched ``Request(`` at the end of the event handler's name ``Application_OnBeginRequest(``;
the same tail is in every handler's ``ProcessRequest(`` and in ``Application_BeginRequest(``,
``Application_AuthenticateRequest(`` and their kind. The request read now has to start a word
(``\\bRequest``, as the classic ASP and credential rules already have it); the four rules of
``webshells.yar`` that share the string are narrowed alike.

The pages below are written for these tests (no line is copied from the application): the same
monitor switch-off in a ``Global.asax`` whose ``Application_BeginRequest`` sets a header, and a handler that
calls its own plugin's render method by a fixed name. Both must raise no finding at all; the rule must
still find a page, a handler and a ``Global.asax`` that invoke what the request names.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_MONITOR_FIX_GLOBAL = (
    '<%@ Application Language="C#" %>\n'
    '<%@ Import Namespace="System.Reflection" %>\n'
    '<script runat="server">\n'
    "void Application_Start(object sender, EventArgs e)\n"
    "{\n"
    "    // deleting a folder under the site must not restart the application\n"
    '    PropertyInfo monitorProperty = typeof(HttpRuntime).GetProperty("FileChangesMonitor",\n'
    "        BindingFlags.NonPublic | BindingFlags.Static);\n"
    "    object monitor = monitorProperty.GetValue(null, null);\n"
    '    FieldInfo subdirs = monitor.GetType().GetField("_dirMonSubdirs", BindingFlags.Instance | BindingFlags.NonPublic);\n'
    "    object dirMonitor = subdirs.GetValue(monitor);\n"
    '    MethodInfo stop = dirMonitor.GetType().GetMethod("StopMonitoring", BindingFlags.Instance | BindingFlags.NonPublic);\n'
    "    stop.Invoke(dirMonitor, new object[0]);\n"
    "}\n"
    "void Application_BeginRequest(object sender, EventArgs e)\n"
    "{\n"
    '    Response.AddHeader("X-Frame-Options", "SAMEORIGIN");\n'
    "}\n"
    "</script>\n"
)
_PLUGIN_HANDLER = (
    '<%@ WebHandler Language="C#" Class="WidgetHandler" %>\n'
    "using System.Reflection;\n"
    "using System.Web;\n"
    "\n"
    "public class WidgetHandler : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return true; } }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "text/html";\n'
    '        object widget = typeof(WidgetHandler).Assembly.CreateInstance("Site.Widgets.Calendar");\n'
    '        MethodInfo render = widget.GetType().GetMethod("Render");\n'
    '        context.Response.Write(render.Invoke(widget, new object[] { "month" }));\n'
    "    }\n"
    "}\n"
)

QUIET_PAGES: list[Page] = [
    ("global-switches-off-the-folder-monitor", ".asax", _MONITOR_FIX_GLOBAL),
    ("handler-renders-its-own-widget-by-reflection", ".ashx", _PLUGIN_HANDLER),
]

REFLECTION_CASES: list[RuleCase] = [
    (
        "EXT_WEBSHELL_Reflection_Loader",
        [
            (
                "page-invokes-the-requested-method",
                ".aspx",
                '<%@ Page Language="C#" %>\n'
                '<% var t = System.Type.GetType(Request["t"]);\n'
                '   Response.Write(t.GetMethod(Request["m"]).Invoke(null, new object[] { Request["a"] })); %>\n',
            ),
            (
                "handler-invokes-the-requested-method",
                ".ashx",
                _PLUGIN_HANDLER.replace('GetMethod("Render")', 'GetMethod(context.Request["m"])'),
            ),
            (
                "global-invokes-the-requested-method",
                ".asax",
                _MONITOR_FIX_GLOBAL.replace(
                    '    Response.AddHeader("X-Frame-Options", "SAMEORIGIN");\n',
                    '    typeof(HttpRuntime).GetMethod(Request["m"]).Invoke(null, null);\n',
                ),
            ),
        ],
        QUIET_PAGES,
    ),
]

(
    test_reflection_on_what_the_request_names_is_found,
    test_request_in_a_handler_name_is_not_a_request_read,
    test_reflection_rule_needs_a_server_page,
) = rule_tables(REFLECTION_CASES)

test_sink_calling_application_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
