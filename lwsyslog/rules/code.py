"""Code injection: template, expression-language and PHP payloads, and PHP-CGI argument abuse."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = [
    "CodeEvalMarkerProbe",
    "CodeExpressionLanguage",
    "CodeJsDelayLoop",
    "CodePhpCgiArgs",
    "CodePhpFunction",
    "CodeSpringClassLoader",
    "CodeTemplate",
]


class CodeTemplate(PatternRule):
    """Server-side template injection probes (``{{7*7}}``, ``${7*7}``, ``{{config}}``).

    Also what each engine's exploits reach for: Twig's ``_self.env`` and a ``|filter('system')``
    with a command function, Nunjucks/AngularJS ``constructor`` called on a string, Pug's
    ``#{...process.mainModule...}``, Thymeleaf's preprocessed ``__*{...}__``, doT's
    ``{{=7*7}}``. "{{configuration}}" or a ``#{id}`` placeholder is none of these.
    """

    id = "code-injection-template"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "template expression ({{7*7}}, ${7*7}, <%= %>, {{...__class__}})"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"\{\{=?\s*\d+\s*[*+/-]\s*['\"]?\d+['\"]?\s*\}\}|[$#]\{\s*\d+\s*[*+/-]\s*\d+\s*\}"
        r"|<%=?\s*\d+\s*[*+]\s*\d+\s*%>"
        r"|\{\{[^}]*?(?:__class__|__globals__|__builtins__|__subclasses__|__mro__|__import__"
        r"|config\.items|request\.application|lipsum|cycler|joiner|_self\s*\.\s*env\b"
        r"|registerundefinedfiltercallback|constructor\s*(?:\.\s*constructor\b|\(\s*['\"`])"
        r"|\|\s*(?:filter|map|reduce|sort)\s*\(\s*['\"](?:system|exec|passthru|shell_exec|popen"
        r"|proc_open|assert|call_user_func)['\"])"
        r"|\{\{\s*(?:config|settings|self)\s*(?:\}\}|\.|\|)"
        r"|[$#]\{[^}]*?\b(?:process\s*\.\s*mainmodule|child_process)\b"
        r"|__\s*[$*#@~]\{[^}]*\}\s*__"
        r"|\{%\s*(?:import|include|set|for)\b[^%]*%\}"
        r"|<#assign\b|freemarker\.template\.utility"
    )
    trigger = r"\{\{|[$#*@~]\{|<%|\{%|<#assign|freemarker"
    gate = "{<"
    must_match = (
        AccessSample(target="/hello?name=%7B%7B7*7%7D%7D"),
        AccessSample(target="/hello?name={{''.__class__.__mro__[1].__subclasses__()}}"),
        AccessSample(target="/p?x=%24%7B7*7%7D"),
        AccessSample(target="/hello?name=%7B%7Bconfig%7D%7D"),
        AccessSample(target="/hello?name=%7B%7B%5B%27id%27%5D%7Cfilter(%27system%27)%7D%7D"),
        AccessSample(
            target="/hello?name=%7B%7B_self.env.registerUndefinedFilterCallback(%22exec%22)%7D%7D"
        ),
        AccessSample(
            target="/hello?name=%7B%7Brange.constructor(%22return%20global.process%22)()%7D%7D"
        ),
        AccessSample(target="/hello?name=%7B%7Bconstructor.constructor(%27alert(1)%27)()%7D%7D"),
        AccessSample(
            target="/hello?name=%23%7Broot.process.mainModule.require(%27child_process%27)%7D"
        ),
        AccessSample(target="/hello?lang=__*%7B7*7%7D__::.x"),
        AccessSample(target="/hello?name=%7B%7B=7*7%7D%7D"),
    )
    must_not_match = (
        AccessSample(target="/docs/templates?engine=jinja2"),
        AccessSample(target="/calc?expr=7*7"),
        AccessSample(target="/search?q=%7B%7Bconfiguration%7D%7D+vue"),
        AccessSample(target="/search?q=twig+%7B%7B+items%7Cfilter(v+%3D%3E+v)+%7D%7D"),
        AccessSample(target="/search?q=%23%7Bid%7D+ruby+interpolation"),
        AccessSample(target="/search?q=node+child_process+docs"),
        AccessSample(target="/search?q=__init__+vs+__new__"),
        AccessSample(target="/search?q=%7B%7Bconstructor%7D%7D+angular"),
    )


class CodeExpressionLanguage(PatternRule):
    """OGNL/EL/Spring expressions reaching Java internals (Struts2, Spring4Shell...)."""

    id = "code-injection-java-el"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "Java expression-language payload (OGNL, EL, class.module.classLoader)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"java\s*\.\s*lang\s*\.\s*(?:runtime|processbuilder|system|class|reflect)"
        r"|\bgetruntime\s*\(|#_memberaccess|@ognl|ognlcontext|\bclass\.forname\b"
        r"|\bclass\s*\.\s*(?:module|classloader)\b|\bnew\s+java\.|[%$]\{\s*#|\.getclass\s*\(\s*\)"
        r"|\bprocessbuilder\b|javax\.script\.scriptenginemanager"
    )
    words = frozenset(
        {
            "java", "getruntime", "_memberaccess", "ognl", "ognlcontext", "forname", "class",
            "getclass", "processbuilder", "javax",
        }
    )  # fmt: skip
    trigger = r"[%$]\{\s*#"
    gate = "{("
    must_match = (
        AccessSample(
            target="/index.action?redirect:%24%7B%23a%3D(new%20java.lang.ProcessBuilder(new%20java.lang.String%5B%5D%7B'id'%7D)).start()%7D"
        ),
        AccessSample(
            target="/",
            user_agent="%{(#_memberAccess=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}",
        ),
        AccessSample(
            target="/login.action?x=%25%7B%23context%5B'xwork.MethodAccessor.denyMethodExecution'%5D%3Dfalse%7D"
        ),
    )
    must_not_match = (
        AccessSample(target="/courses/java-lang-basics?class=intro"),
        AccessSample(target="/schedule?class=yoga&runtime=60"),
    )


class CodeSpringClassLoader(PatternRule):
    """Spring4Shell (CVE-2022-22965): request parameters reaching ``class.module.classLoader``."""

    id = "code-injection-spring-classloader"
    cves = ("CVE-2022-22965",)
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "class.module.classLoader parameter (Spring4Shell probe or exploit)"
    logs = BOTH
    fields = ("query", "message")
    pattern = Regex(r"\bclass\s*\.\s*(?:module\s*\.\s*)?classloader\b")
    trigger = r"classloader"
    must_match = (
        AccessSample(target="/app?class.module.classLoader.DefaultAssertionStatus=nonsense"),
        AccessSample(
            target="/app?class.module.classLoader.resources.context.parent.pipeline.first.pattern="
            "%25%7Bc2%7Di%20if(%22j%22.equals(request.getParameter(%22pwd%22)))",
            method="POST",
        ),
    )
    must_not_match = (
        AccessSample(target="/schedule?class=yoga&module=2"),
        AccessSample(target="/docs/java/classloader-basics"),
    )


class CodePhpFunction(PatternRule):
    """PHP code: dangerous function calls, an opening ``<?php`` tag, or a call inside PHP's
    complex string syntax (``{${sleep(20)}}``: PHP runs the call to find a variable's name)."""

    id = "code-injection-php"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "PHP code in a request (eval(, base64_decode(, system(, <?php)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"\b(?:eval|assert|create_function|call_user_func(?:_array)?|preg_replace|base64_decode"
        r"|gzinflate|gzuncompress|str_rot13|system|passthru|shell_exec|proc_open|popen|pcntl_exec"
        r"|file_put_contents|fwrite|move_uploaded_file)\s*\(\s*(?:[$'\"`]|[a-z_]{2,}\s*\()"
        r"|\bphpinfo\s*\(\s*\)|<\?(?:php|=)|\{\$\{\s*[a-z_]\w*\s*\("
    )
    words = frozenset(
        {
            "eval", "assert", "create_function", "call_user_func", "call_user_func_array",
            "preg_replace", "base64_decode", "gzinflate", "gzuncompress", "str_rot13", "system",
            "passthru", "shell_exec", "proc_open", "popen", "pcntl_exec", "phpinfo",
            "file_put_contents", "fwrite", "move_uploaded_file",
        }
    )  # fmt: skip
    trigger = r"<\?|\{\$\{"
    gate = "(<"
    must_match = (
        AccessSample(target="/index.php?x=%3C%3Fphp%20system(%24_GET%5Bc%5D)%3B%3F%3E"),
        AccessSample(target="/p?code=eval(base64_decode(%22ZWNobyAxOw==%22))"),
        AccessSample(target="/", user_agent="<?php phpinfo(); ?>"),
        AccessSample(target="/search?q=%7B%24%7Bsleep%2820%29%7D%7D"),
        AccessSample(target="/p?x=%20%7B%24%7Bsystem(%27id%27)%7D%7D"),
    )
    must_not_match = (
        AccessSample(target="/docs/php/system-requirements"),
        AccessSample(target="/blog/eval-your-progress?(draft)=1"),
        AccessSample(target="/search?q=i+never+liked+c%27s+assert%28%29+feature"),
        AccessSample(target="/search?q=%24%7Btotal%7D+%7B%24%7Bprice%7D%7D"),
    )


class CodeEvalMarkerProbe(PatternRule):
    """A scanner's code-evaluation probe: code that prints or hashes a marker, or exits,
    placed where a value breaks out of a string or statement (wapiti's
    ``';exit(md5('w4p1t1_md5'));//``, acunetix's ``${@print(md5(...))}`` and
    ``'+response.write(...)+'``, ``{php}print(...){/php}``). If the page shows the marker, the
    server ran the code. Only after a breakout (``;``, a closing quote and ``;``/``.``/``+``,
    Smarty's ``{php}``, BBCode's ``[php]``), so ``print(x)`` typed in a search box stays quiet.
    """

    id = "code-injection-eval-probe"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "code-evaluation probe after a breakout (;exit(md5(, '.print(, ${@print()"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"(?:;|['\"]\s*[;.+]|\{php\}|\[php\])\s*"
        r"(?:exit|die|print|print_r|var_dump|md5|phpinfo|response\.write)\s*\("
        r"|\$\{@?\s*(?:print|echo|exit|die|md5|phpinfo)\s*\("
        r"|<\?\s*(?:print|echo|exit|die)\b"
    )
    words = frozenset(
        {"exit", "die", "print", "print_r", "var_dump", "md5", "phpinfo", "write", "echo"}
    )
    gate = "(?"
    must_match = (
        AccessSample(target="/cgi-bin/echo?name=a;exit(md5('w4p1t1_md5'));//"),
        AccessSample(target="/p?name=%22;exit(md5(%27w4p1t1_md5%27));%23", status=200),
        AccessSample(target="/p?id=1'.print(md5(acunetix_wvs_security_test)).'"),
        AccessSample(target="/p?q=%24%7B%40print(md5(acunetix_wvs_security_test))%7D"),
        AccessSample(target="/p.asp?x='%2Bresponse.write(9696274*9944323)%2B'"),
        AccessSample(target="/p?x=%7Bphp%7Dprint(int)0xFFF9999-22%7B/php%7D"),
        AccessSample(target="/p?x=[php]print(int)0xFFF9999-22[/php]"),
        AccessSample(target="/p?x=%3C?print(int)0xFFF9999-22?%3E"),
        AccessSample(target="/p?x=%7B%24%7Bprint(int)0xFFF9999-22%7D%7D"),
    )
    must_not_match = (
        AccessSample(target="/search?q=how+to+print(x)+in+python"),
        AccessSample(target="/search?q=%22print(%22+function"),
        AccessSample(target="/search?q=exit(0)+or+exit(1)"),
        AccessSample(target="/docs/print(page).html"),
        AccessSample(target="/api?filter=a;b&print=1"),
        AccessSample(target="/search?q=f(x)+print(y)"),
        AccessSample(target="/search?q=%24%7Bprice%7D+print"),
    )


class CodeJsDelayLoop(PatternRule):
    """Server-side JavaScript injection timed by a busy-wait (a MongoDB ``$where`` or a
    Node ``eval``): after a breakout the value starts a clock and spins until seconds pass
    (wapiti's ``';d=new Date();do{cd=new Date();}while(cd-d<10000);//``). If the answer is
    late, the server ran the code. Only after a breakout (``;``, a closing quote and ``;`` or
    ``+``) and only a loop that compares elapsed milliseconds (>= 100), so a JavaScript question
    typed in a search box stays quiet.
    """

    id = "code-injection-js-delay"
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "server-side JavaScript busy-wait after a breakout (';d=new Date();while(..-d<N)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"(?:;|['\"]\s*[;+])\s*(?:var\s+|let\s+|const\s+)?[\w$]+\s*=\s*new\s+date\s*\(\s*\)"
        r"[^&]*?\bwhile\s*\(\s*(?:new\s+date\s*\(\s*\)|[\w$]+)\s*-\s*[\w$]+\s*<\s*\d{3,}"
    )
    words = frozenset({"date"})
    gate = "("
    must_match = (
        AccessSample(target="/search?q=';d=new%20Date();do{cd=new%20Date();}while(cd-d<10000);//"),
        AccessSample(target='/item?id=";d=new Date();do{cd=new Date();}while(cd-d<10000);//'),
        AccessSample(
            target="/login?user=admin%27%3Bvar%20d%3Dnew%20Date()%3Bwhile(new%20Date()-d%3C5000)%3B%27",
            status=200,
        ),
    )
    must_not_match = (
        AccessSample(target="/search?q=javascript+sleep:+d=new+Date();+while(new+Date()-d<1000);"),
        AccessSample(target="/search?q=x=1;+d=new+Date();+do{}while(busy)"),
        AccessSample(target="/search?q=';d=new+Date();while(cd-d<10)"),
        AccessSample(target="/calendar?from=new+Date()&to=while"),
    )


class CodePhpCgiArgs(PatternRule):
    """PHP-CGI argument injection (CVE-2012-1823, CVE-2024-4577): ``?-d allow_url_include=1``."""

    id = "code-injection-php-cgi"
    cves = ("CVE-2012-1823", "CVE-2024-4577")
    categories = ("code-injection",)
    severity = Severity.HIGH
    description = "PHP-CGI command-line switch in the query (?-d, ?-s, allow_url_include)"
    logs = BOTH
    fields = ("query",)
    pattern = Regex(
        r"^(?:-|\xad|\ufffd)[dsnbhwr](?:\s|$|&|=)"
        r"|\b(?:allow_url_include|auto_prepend_file|auto_append_file|disable_functions"
        r"|open_basedir|safe_mode)\s*="
    )
    trigger = r"^[-\xad\ufffd]"
    must_match = (
        AccessSample(target="/index.php?-s"),
        AccessSample(
            target="/cgi-bin/php-cgi?%2dd+allow_url_include%3don+%2dd+auto_prepend_file%3dphp://input",
            method="POST",
        ),
        AccessSample(target="/php-cgi/php-cgi.exe?%ADd+allow_url_include%3d1"),
    )
    must_not_match = (
        AccessSample(target="/search?q=-s+flag+meaning"),
        AccessSample(target="/settings?auto_save=1"),
    )
