/*
  extriage rules for in-memory loaders that reach Assembly.Load through reflection, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X8 (seventh unseen collection: shells inside
  tools).

  Why this file: an exploit module's Godzilla-style handler (first-sight miss) never writes
  "Assembly.Load(": it looks the method up by name, `typeof(System.Reflection.Assembly).GetMethod("Load",
  ...)`, and calls it with `.Invoke(null, new object[] { data })` on bytes decoded from the request, keeping
  the loaded assembly in Session. It was also written with a main directive that names no directive
  (`<%@ Language="C#" Class="..." %>`, which ASP.NET accepts), so neither the behaviour analysis nor the
  page-directive condition of the older loader rules saw it. This rule matches the behaviour, not the
  family's strings: the static Load method of Assembly fetched by reflection and invoked with no target
  object, in a server file that decodes or reads request bytes (base64, a decryptor, BinaryRead or the
  input stream). Applications that load plug-ins by reflection load them from files (LoadFrom, a path)
  and have no reason to decode the request into an assembly.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Assembly_Load_By_Reflection
{
    meta:
        author = "extriage"
        description = "In-memory loader: Assembly.Load looked up by reflection (GetMethod(\"Load\")) and invoked on bytes decoded from the request"
        family = "Assembly.Load loader (reflected)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // the Load method fetched by name (not LoadFrom/LoadFile)
        $getload = /GetMethod\s*\(\s*"Load"/ nocase ascii wide
        // ... of the Assembly type
        $asm1 = /typeof\s*\(\s*(System\s*\.\s*Reflection\s*\.\s*)?Assembly\s*\)/ nocase ascii wide
        $asm2 = /GetType\s*\(\s*"System\.Reflection\.Assembly"/ nocase ascii wide
        $asm3 = /GetType\s*\(\s*(System\s*\.\s*Reflection\s*\.\s*)?Assembly\s*\)/ nocase ascii wide
        // ... invoked as a static method (C# null, VB Nothing)
        $invoke = /\.\s*Invoke\s*\(\s*(null|Nothing)\s*,/ nocase ascii wide
        // request bytes, decoded ("\b": a handler's "ProcessRequest(" is no request read - X44, session 19)
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|BinaryRead|InputStream)\s*)?[\[\(\.]/ nocase ascii wide
        // or (X41, session 17) a web service method's parameter: an .asmx [WebMethod] (or a WCF [OperationContract])
        // receives the encoded assembly as its argument - SOAP/form binding reads the request, the page never
        // names Request - and the byte[] overload of Load is the one looked up
        // (X44, session 19: the method the attribute marks takes a parameter - one without any receives nothing)
        $svc1 = /[\[<]\s*(System\s*\.\s*Web\s*\.\s*Services\s*\.\s*)?WebMethod\b[^\]>\r\n]{0,200}[\]>][^(;{}]{0,240}\(\s*[A-Za-z_]/ ascii wide
        $svc2 = /[\[<]\s*(System\s*\.\s*ServiceModel\s*\.\s*)?OperationContract\b/ ascii wide
        $bytes = /(typeof\s*\(\s*(System\s*\.\s*)?byte\s*\[\s*\]\s*\)|GetType\s*\(\s*(System\s*\.\s*)?Byte\s*\(\s*\)\s*\))/ nocase ascii wide
        $dec1 = "FromBase64String" nocase ascii wide
        $dec2 = "TransformFinalBlock" nocase ascii wide
        $dec3 = "BinaryRead" nocase ascii wide
        $dec4 = "InputStream" nocase ascii wide
        // any server file: a directive (named or not), a code block or a server script block
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
        $getload and any of ($asm*) and $invoke and ($in or (any of ($svc*) and $bytes)) and any of ($dec*)
}

/*
  Issue 14, helper X21 (twenty-first unseen collection: shells sampled by file name). Three of its 38
  shells were the Behinder-style loader - the request body read raw (BinaryRead), decrypted with an AES
  decryptor and handed straight to Assembly.Load in one statement - under a stock key, a 15-character key
  with a comment between statements, and a fresh key. Only the behaviour analysis found them: the
  base64 loader rule above wants FromBase64String, which this shape never uses. This rule is the same
  behaviour for YARA: Assembly.Load whose argument, in the same statement, is a CreateDecryptor(...)
  result, in a server file that reads the raw request body or names the request inside that statement.
  Applications that decrypt an embedded assembly read it from a resource or a file, not from the request.
*/

rule EXT_WEBSHELL_Assembly_Load_Decrypted_Request
{
    meta:
        author = "extriage"
        description = "In-memory loader: Assembly.Load of bytes decrypted in the same statement (CreateDecryptor) from the request body (Behinder style)"
        family = "Assembly.Load loader (decrypted body)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // Assembly.Load( ... .CreateDecryptor( ... ) within one statement
        $inline = /Assembly\s*\.\s*Load\s*\([^;]{0,300}\.\s*CreateDecryptor\s*\(/ nocase ascii wide
        // ... and the request inside that statement
        $inline_req = /Assembly\s*\.\s*Load\s*\([^;]{0,300}\.\s*CreateDecryptor\s*\([^;]{0,200}\bRequest\b/ nocase ascii wide
        // or the raw request body read anywhere in the file
        $body = /Request\s*\.\s*(BinaryRead|InputStream)\b/ nocase ascii wide
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
        $inline and ($inline_req or $body)
}

/*
  Issue 14, helper X23 (twenty-third unseen collection: shells quoted in issue and pull-request threads). A
  tracker thread quoted the page a Behinder 4 generator writes by default: the raw request body is read
  (BinaryRead), passed to a decrypting helper function declared in the same page (AES there; the generator's
  other protocols use XOR or base64 helpers), and the result goes to Assembly.Load(...).CreateInstance(...) in
  one expression. Only the behaviour analysis found it: the rule above wants the decryptor inside the
  Assembly.Load statement, and this shape moves it into the helper. This rule is that behaviour for YARA: an
  assembly loaded from a helper applied to one value and instantiated in the same expression, in a server file
  that reads the raw request body and transforms bytes (a decryptor, base64, or a byte-wise XOR with a key).
  Applications that instantiate plug-ins load them by name or from a file and have no reason to read the raw
  request body into Assembly.Load.
*/

rule EXT_WEBSHELL_Assembly_Load_Helper_Decrypted_Body
{
    meta:
        author = "extriage"
        description = "In-memory loader: Assembly.Load(helper(body)).CreateInstance(...) with the raw request body decrypted by a helper in the page (Behinder 4 style)"
        family = "Assembly.Load loader (decrypted body)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // Assembly.Load(Helper(x)).CreateInstance( - C#, or VB's [Assembly]; one nested call allowed in the argument
        $chain = /Assembly\]?\s*\.\s*Load\s*\(\s*[A-Za-z_]\w*\s*\(\s*[^;()\r\n]{1,80}(\([^;()\r\n]{0,80}\))?[^;()\r\n]{0,40}\)\s*\)\s*\.\s*CreateInstance\s*\(/ nocase ascii wide
        // the raw request body read anywhere in the file
        $body = /Request\s*\.\s*(BinaryRead|InputStream)\b/ nocase ascii wide
        // bytes transformed: a decryptor, base64, or a byte-wise XOR with an indexed key
        $dec1 = /\.\s*CreateDecryptor\s*\(/ nocase ascii wide
        $dec2 = "TransformFinalBlock" nocase ascii wide
        $dec3 = "FromBase64String" nocase ascii wide
        $dec4 = /\]\s*(\^|\bXor\b)\s*[A-Za-z_]\w*\s*[\[\(]/ nocase ascii wide
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
        $chain and $body and any of ($dec*)
}

/*
  Issue 14, helper X50 (fiftieth unseen collection). Beside the set: the Behinder page that cseroad/Webshell_Generate
  writes (a generator X13 measured in session 9) decrypts the raw request body into a variable in one statement and
  loads it in the next - `byte[] d = new RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length);
  Assembly.Load(d).CreateInstance("U").Equals(this);` - with `@` before member names (C# verbatim identifiers:
  `.@CreateDecryptor`, `.@CreateInstance`) and comments between the calls. Neither rule above matched (the decryptor
  is not inside the Assembly.Load statement, no helper is called) and signature-base is silent too; only the
  behaviour analysis named it. The rule: Assembly.Load of one variable instantiated in the same expression, a
  decryptor applied (CreateDecryptor ... TransformFinalBlock), and the raw request body read in the same server
  file, with `@` and comments allowed between the names. Applications that decrypt a licensed plug-in read it from a
  file or resource, not from the request body.
*/

rule EXT_WEBSHELL_Assembly_Load_Of_Decrypted_Variable
{
    meta:
        author = "extriage"
        description = "In-memory loader: the raw request body decrypted into a variable, then Assembly.Load(variable).CreateInstance(...) (Behinder style, two statements)"
        family = "Assembly.Load loader (decrypted body)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // Assembly.Load(name).CreateInstance( - `@` before names and /* comments */ between the calls allowed
        $load = /Assembly\]?\s*\.\s*@?Load\s*\(\s*@?[A-Za-z_]\w*\s*\)\s*(\/\*[^*]{0,60}\*\/\s*)*\.\s*(\/\*[^*]{0,60}\*\/\s*)*@?CreateInstance\s*\(/ nocase ascii wide
        $dec = /\.\s*(\/\*[^*]{0,60}\*\/\s*)*@?CreateDecryptor\s*\(/ nocase ascii wide
        $final = "TransformFinalBlock" nocase ascii wide
        $body = /Request\s*\.\s*@?(BinaryRead|InputStream)\b/ nocase ascii wide
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
        $load and $dec and $final and $body
}

/*
  Issue 14, helper X33 (thirty-third unseen collection: shells from intrusions into .NET products). SUPERNOVA, the
  SolarWinds Orion handler (App_Web_logoimagehandler.ashx), was published as decompiled C#: a LogoImageHandler
  whose ProcessRequest takes C# source, a class name, a method name and arguments from the request, compiles the
  source in memory (CSharpCodeProvider ... CompileAssemblyFromSource, GenerateInMemory) and calls the named method
  of the named class (CreateInstance(clazz) ... GetMethod(method).Invoke), then goes on to serve the logo image.
  First-sight miss: a loose .cs file is not compiled by ASP.NET, so only YARA reads it, and no rule knew the
  compile-and-run shape (the behaviour analysis finds the same code as an .ashx or in App_Code: sink `compile`).
  This rule is that shape for YARA, in a server page or in a handler/module class of C# or VB source: code compiled
  from source text (CompileAssemblyFromSource), an instance created from a type name held in a variable, a method
  looked up by a name held in a variable and invoked, and the request read in the same file. Applications that
  compile code (report designers, rule engines) compile text they keep themselves and call members they name
  with literals; they have no reason to take the type and the method to run from variables beside the request.
*/

rule EXT_WEBSHELL_Compiles_And_Runs_Named_Member
{
    meta:
        author = "extriage"
        description = "Compiles source text in memory (CompileAssemblyFromSource) and invokes a type and method named by variables, in request-handling code: compile-and-run backdoor (SUPERNOVA style)"
        family = "Compile-and-run handler (SUPERNOVA style)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $compile = /\.\s*CompileAssemblyFromSource\s*\(/ nocase ascii wide
        // the compiled assembly instantiated from a type name held in a variable (not a literal)
        $create = /CompiledAssembly\s*\.\s*CreateInstance\s*\(\s*[A-Za-z_]\w*\s*[,)]/ nocase ascii wide
        // a method looked up by a name held in a variable (not a literal), and invoked
        $getm = /\.\s*GetMethod\s*\(\s*[A-Za-z_]\w*\s*[,)]/ nocase ascii wide
        $invoke = /\.\s*Invoke\s*\(/ nocase ascii wide
        // the request read in the same file ("\b": a handler's "ProcessRequest(" is none - X44, session 19)
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        // a server page, or a handler/module class of C# or VB source
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        // a code block of a page with no directive ("<%" then code - X46, session 19)
        $server3 = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $class1 = /:\s*([A-Za-z_][A-Za-z0-9_.]*\s*,\s*)?(System\s*\.\s*Web\s*\.\s*)?IHttp(Async)?(Handler|Module)\b/ ascii wide
        $class2 = /\bImplements\s+(System\s*\.\s*Web\s*\.\s*)?IHttp(Async)?(Handler|Module)\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and (any of ($server*) or any of ($class*)) and
        $compile and $create and $getm and $invoke and $in
}

/*
  Issue 14, helper X45 (forty-fifth unseen collection). A one-line loader sold as "the ASPX one-liner that gets
  past SafeDog" hands the raw request body straight to Assembly.Load - `Assembly.Load(Request.BinaryRead(n))`,
  its length taken from a cookie - and instantiates a class of the posted assembly with the page as argument.
  Only the behaviour analysis found it: the rules above want the body decoded (base64, a decryptor, a helper) or
  Load looked up by reflection, and this shape does neither. This rule is that statement for YARA: Assembly.Load
  whose argument is the raw request body read in place (BinaryRead, or a BinaryReader over the input stream).
  Applications load assemblies from files, resources or names; none loads the bytes a visitor posts.
*/

rule EXT_WEBSHELL_Assembly_Load_Raw_Request_Body
{
    meta:
        author = "extriage"
        description = "In-memory loader: Assembly.Load of the raw request body read in the same call (Request.BinaryRead or a BinaryReader over Request.InputStream)"
        family = "Assembly.Load loader (raw body)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $body = /Assembly\s*\.\s*Load\s*\(\s*((HttpContext\s*\.\s*Current|Context|this|Page|Me)\s*\.\s*)?Request\s*\.\s*BinaryRead\s*\(/ nocase ascii wide
        $reader = /Assembly\s*\.\s*Load\s*\(\s*new\s+(System\s*\.\s*IO\s*\.\s*)?BinaryReader\s*\(\s*((HttpContext\s*\.\s*Current|Context|this|Page|Me)\s*\.\s*)?Request\s*\.\s*InputStream\s*\)\s*\)?\s*\.\s*ReadBytes\s*\(/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and any of ($server*) and ($body or $reader)
}

rule EXT_WEBSHELL_Page_Loads_Code_Through_Alternate_Loader
{
    meta:
        author = "extriage"
        description = "Server page hands request input to a .NET loader other than Assembly.Load*: Activator/AppDomain.CreateInstanceFrom (an assembly loaded from a path and a type of it created), ManagedInstallerClass.InstallHelper (an assembly's installer code run, as InstallUtil does) or NetDataContractSerializer.ReadObject (type names taken from the data)"
        family = "alternate code loader"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1129,T1218.004"
    strings:
        // (B29, session 21: each found by nothing, own rules or signature-base, when the request names what it loads)
        $load1 = /\bCreateInstanceFrom(AndUnwrap)?\s*\(/ nocase ascii wide
        $load2 = /\bManagedInstallerClass\s*\.\s*InstallHelper\s*\(/ nocase ascii wide
        $ndcs = /\bNetDataContractSerializer\b/ ascii wide
        $read = /\.\s*ReadObject\s*\(/ ascii wide
        // a request read ("ProcessRequest(" is no read: the word must start at "Request")
        $req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|InputStream|Files|Unvalidated)\b|[\[(])/ nocase ascii wide
        $ctl = /\b(CreateInstanceFrom(AndUnwrap)?|InstallHelper|ReadObject)\s*\([^;\r\n]{0,200}\.\s*(Text|Value)\b/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        (any of ($load*) or ($ndcs and $read)) and ($req or $ctl)
}
