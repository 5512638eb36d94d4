/*
  extriage rules for server pages that run native code in the worker process, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X19 (nineteenth unseen collection: shells from pentest,
  CTF and OSCP/OSEP notes and tool repositories).

  Why this file: the pages people upload in labs and exam write-ups are, besides cmd pages, shellcode
  runners - `msfvenom -f aspx` output and its hand-edited descendants: a byte array copied into memory the
  page allocates executable (VirtualAlloc / VirtualProtect) and started as a thread (CreateThread, an APC, a
  callback). The behaviour analysis finds the runners that declare the Windows functions with DllImport
  (`pinvoke`); no YARA rule of ours fired on any of them. One OSEP-course variant declares nothing: it
  AES-decrypts the function names and the shellcode at run time and builds the P/Invoke methods with
  Reflection.Emit (`ModuleBuilder.DefinePInvokeMethod` + `CreateGlobalFunctions`), so nothing of ours, and no
  signature-base rule, found it on first sight. The rules match the two shapes:
    - memory allocation or protection change, a thread or callback start, and a copy of bytes into the
      allocated memory, in a server page that calls native code (DllImport, a function pointer turned into
      a delegate, or a P/Invoke method defined at run time): ordinary pages never execute machine code they
      carry;
    - a P/Invoke method defined at run time (DefinePInvokeMethod) in a server page that copies bytes to
      unmanaged memory or invokes the method it built: web applications that need a native function declare
      it; building the declaration at run time is how loaders hide which function they call.
  Pages that only use Marshal for interop buffers, Reflection.Emit for types without native methods, or a
  DllImport of an ordinary function (GetTickCount, LogonUser) stay silent.
  Issue 14, helper X40 (fortieth unseen collection: a seeded uniform sample): a page that carries a direct-system-call
  stub as a byte array, copies it into memory it allocates (AllocHGlobal) and calls it through a C# 9 function pointer
  (`((delegate* unmanaged<IntPtr, uint, IntPtr>)p)(cmd, 0, IntPtr.Zero)`) starts no thread, so the runner rule above
  stayed silent and so did the behaviour analysis. EXT_WEBSHELL_Page_Calls_Carried_Machine_Code: a server page that
  holds a byte array written as hex literals, copies bytes into unmanaged memory it allocates or re-protects, and
  calls through a function pointer (a `delegate*` cast, or GetDelegateForFunctionPointer). Interop pages that call a
  native export through a pointer from GetProcAddress, or copy a data buffer they build, hold no machine code as
  hex literals; pages with hex tables (magic numbers, CRC tables) call no function pointer.
  Issue 14, helper X51 (fifty-first unseen collection): an OSEP tool repository's injector template creates a section
  (NtCreateSection), maps it writable into the page's process and executable into the target (NtMapViewOfSection),
  copies the bytes into the first view and starts the second with CreateRemoteThread - no VirtualAlloc or
  VirtualProtect, so the runner rule stayed silent (the behaviour analysis found it: pinvoke). The runner rule takes
  a mapped view as the memory too; every other part (a start, a copy, a native declaration) is still required.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Shellcode_Runner_Page
{
    meta:
        author = "extriage"
        description = "Server page that allocates executable memory (VirtualAlloc/VirtualProtect), copies bytes into it and starts them as a thread or callback: a shellcode runner (msfvenom -f aspx and its variants)"
        family = "shellcode runner page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1055,T1620"
    strings:
        // memory for the code: allocated, re-protected, or a section mapped into the process (NtMapViewOfSection,
        // X51 session 22: an OSEP injector maps one section twice, writable here and executable in the target)
        $alloc = /\b(VirtualAlloc|VirtualAllocEx|VirtualAllocExNuma|NtAllocateVirtualMemory|VirtualProtect|VirtualProtectEx|NtProtectVirtualMemory|NtMapViewOfSection|ZwMapViewOfSection)\b/ ascii wide
        $start = /\b(CreateThread|CreateRemoteThread|NtCreateThreadEx|RtlCreateUserThread|QueueUserAPC|CreateFiber|SwitchToFiber|EnumSystemLocalesA|EnumWindows|EnumChildWindows|CallWindowProc[AW]?)\b/ ascii wide
        $copy1 = /Marshal\s*\.\s*Copy\s*\(/ ascii wide
        $copy2 = /\b(RtlMoveMemory|RtlCopyMemory|WriteProcessMemory|NtWriteVirtualMemory)\b/ ascii wide
        $native1 = "DllImport" ascii wide
        $native2 = "GetDelegateForFunctionPointer" ascii wide
        $native3 = "DefinePInvokeMethod" ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $alloc and $start and any of ($copy*) and any of ($native*)
}

rule EXT_WEBSHELL_Dynamic_PInvoke_In_Page
{
    meta:
        author = "extriage"
        description = "Server page that defines a P/Invoke method at run time (Reflection.Emit DefinePInvokeMethod) and copies bytes to unmanaged memory or invokes what it built: a loader hiding which native functions it calls"
        family = "dynamic P/Invoke loader"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1055,T1027,T1620"
    strings:
        $define = /\.\s*DefinePInvokeMethod\s*\(/ ascii wide
        $copy1 = /Marshal\s*\.\s*Copy\s*\(/ ascii wide
        $copy2 = /\b(RtlMoveMemory|RtlCopyMemory|WriteProcessMemory)\b/ ascii wide
        $global = /\.\s*CreateGlobalFunctions\s*\(/ ascii wide
        $invoke = /\.\s*Invoke\s*\(\s*null\b/ ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $define and (any of ($copy*) or ($global and $invoke))
}

/*
  Added by helper X41 (issue 14, session 17, forty-first unseen collection: a seeded sample of web shell
  repositories' files). An "ASPX web shell with COFF loader" (a port of TrustedSec's CS_COFFLoader to a server
  page: Beacon Object Files posted as JSON are relocated into memory the page allocates PAGE_EXECUTE_READWRITE
  and their entry point is called through Marshal.GetDelegateForFunctionPointer) was found on first sight by
  the behaviour analysis only (`pinvoke`, `native-load`); EXT_WEBSHELL_Shellcode_Runner_Page stayed silent
  because the page starts no thread or callback - it calls the code it mapped as a delegate, in the request's
  own thread - and no signature-base rule fired. The rule below takes that start: executable memory
  (VirtualAlloc/VirtualProtect with an execute protection, by name or as 0x40/0x20), bytes copied into it, and
  a function pointer turned into a delegate, in a server page. Interop pages that call an export of a native
  library through GetProcAddress and a delegate, or allocate read/write buffers, name no execute protection
  and stay silent.
*/

rule EXT_WEBSHELL_Native_Code_Called_As_Delegate
{
    meta:
        author = "extriage"
        description = "Server page that allocates executable memory (PAGE_EXECUTE_*), copies bytes into it and calls them through Marshal.GetDelegateForFunctionPointer: a shellcode or COFF/BOF loader running native code in the request's thread"
        family = "in-process native code loader page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1055,T1620"
    strings:
        // memory for the code: allocated, re-protected, or a section mapped into the process (NtMapViewOfSection,
        // X51 session 22: an OSEP injector maps one section twice, writable here and executable in the target)
        $alloc = /\b(VirtualAlloc|VirtualAllocEx|VirtualAllocExNuma|NtAllocateVirtualMemory|VirtualProtect|VirtualProtectEx|NtProtectVirtualMemory|NtMapViewOfSection|ZwMapViewOfSection)\b/ ascii wide
        $exec1 = /\bPAGE_EXECUTE(_READ|_READWRITE|_WRITECOPY)?\b/ ascii wide
        $exec2 = /\bExecute(Read|ReadWrite|WriteCopy)\b/ ascii wide
        $exec3 = /\b(VirtualAlloc|VirtualAllocEx|VirtualProtect|VirtualProtectEx)\s*\([^;\n]{0,200}(\b0x[24]0\b|&H[24]0\b)/ nocase ascii wide
        $deleg = /\bGetDelegateForFunctionPointer\s*(<[^>\n]{1,80}>)?\s*\(/ ascii wide
        $copy1 = /Marshal\s*\.\s*Copy\s*\(/ ascii wide
        $copy2 = /\b(RtlMoveMemory|RtlCopyMemory|WriteProcessMemory|NtWriteVirtualMemory|memcpy|CopyMemory)\b/ ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $alloc and any of ($exec*) and $deleg and any of ($copy*)
}

rule EXT_WEBSHELL_Page_Calls_Carried_Machine_Code
{
    meta:
        author = "extriage"
        description = "Server page that copies a byte array it carries as hex literals into unmanaged memory it allocates and calls it through a function pointer (delegate* cast or GetDelegateForFunctionPointer): machine code run without a thread (a direct-syscall stub)"
        family = "shellcode runner page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1106,T1620"
    strings:
        // three or more hex byte literals in a row: { 0x48, 0x31, 0xC0, ... } (C#) or {&H48, &H31, ...} (VB)
        $hex1 = /[{,]\s*0x[0-9A-Fa-f]{1,2}\s*,\s*(\/\/[^\r\n]*[\r\n]+\s*)?0x[0-9A-Fa-f]{1,2}\s*,\s*(\/\/[^\r\n]*[\r\n]+\s*)?0x[0-9A-Fa-f]{1,2}\b/ ascii wide
        $hex2 = /[{,]\s*&H[0-9A-Fa-f]{1,2}\s*,\s*&H[0-9A-Fa-f]{1,2}\s*,\s*&H[0-9A-Fa-f]{1,2}\b/ nocase ascii wide
        $mem = /\b(AllocHGlobal|AllocCoTaskMem|VirtualAlloc|VirtualAllocEx|NtAllocateVirtualMemory|VirtualProtect|NtProtectVirtualMemory)\s*\(/ ascii wide
        $copy1 = /Marshal\s*\.\s*Copy\s*\(/ ascii wide
        $copy2 = /\b(RtlMoveMemory|RtlCopyMemory)\b/ ascii wide
        // a call through a pointer: a C# 9 function pointer type, or a delegate made of a pointer
        $call1 = /\(\s*delegate\s*\*\s*(unmanaged|managed)?\s*(\[[^\]]{0,40}\])?\s*</ ascii wide
        $call2 = /GetDelegateForFunctionPointer/ ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and any of ($hex*) and $mem and any of ($copy*) and any of ($call*)
}
