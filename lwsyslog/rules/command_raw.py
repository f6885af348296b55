"""Command injection that only the target as logged can show: behind an encoded ``&``,
around a line break written as the two characters ``\\n``, and a parameter value that starts
with a shell separator.

Decoding a query turns ``%26`` into ``&``, the character that also joins parameters, so
``?ip=127.0.0.1%26whoami`` and ``?ip=127.0.0.1&whoami`` read alike once decoded. Only the
first runs ``whoami`` on Windows (``&`` separates commands in ``cmd.exe`` and ``sh``); a
browser encodes an ``&`` typed into a field, so an encoded one directly before a command name
is someone sending a command. This rule reads the target as logged, case-folded.

Payload lists write a line break as ``\\n`` and the tools that read them send it so
(``;id\\n``, ``\\n/usr/bin/id\\n``). Decoding turns a backslash into ``/``, where ``/nps/``
and ``\\nps`` would read alike, so that rule decodes the query itself, once, and keeps backslashes.
"""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.percent import percent_decoded
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.command_shapes import COMMAND_WORDS, STRONG_COMMANDS
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["CommandEncodedAmpersand", "CommandEscapedNewline", "CommandLeadingSeparator"]

_SPACE = r"(?:%20|\+|%09)"
# Names that are no English word, then what may follow them: the end, a separator, white space
# or a quote, encoded or not.
_NAME = (
    r"(?:id|whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|nslookup|hostname"
    r"|powershell|cmd(?:\.exe)?|wget|curl)(?:$|&|%26|%3b|%7c|%0a|%0d|%22|%27|%60|" + _SPACE + ")"
    # cmd.exe's "dir" and "ver" alone, closing the value: "%26 dir", not "%26 dire straits".
    r"|(?:dir|ver)(?:$|&|%26|%3b|%7c|%0a|%0d)"
)
# Words that are also English count with the argument that makes them commands: "ping -n",
# "sleep 5", "dir c:", "net user", "type %systemroot%".
_WITH_ARGUMENT = (
    r"(?:ping"
    + _SPACE
    + r"+(?:-[a-z]|\d)|sleep"
    + _SPACE
    + r"+\d|dir"
    + _SPACE
    + r"+(?:[a-z]:|/[a-z])|net"
    + _SPACE
    + r"+(?:user|view|localgroup|share)|type"
    + _SPACE
    + r"+(?:%25|[a-z]:))"
)
# An encoded "&": "%26", encoded again ("%2526", "%252526": the application decodes it
# more than once), or IIS's "%u0026".
_AMPERSAND = r"(?:%(?:25)*26|%u0026)"
_SEARCH = linear_search(
    Regex(rf"(?P<frag>{_AMPERSAND}(?:{_AMPERSAND}|{_SPACE})*(?:{_NAME}|{_WITH_ARGUMENT}))")
)


class CommandEncodedAmpersand(Rule):
    """An encoded ``&`` (``%26``, ``%26%26``, ``%2526``, ``%u0026``) directly before a command
    name, in the query."""

    id = "command-injection-encoded-ampersand"
    categories = ("command-injection",)
    severity = Severity.HIGH
    description = "encoded & followed by a command (%26whoami, %26%26ipconfig, %26+ping+-n)"
    logs = ACCESS
    form = "raw"
    triggers = {"target": _AMPERSAND}
    must_match = (
        AccessSample(target="/diag?ip=127.0.0.1%26whoami"),
        AccessSample(target="/diag?ip=1%26%26ipconfig%26"),
        AccessSample(target="/diag?ip=1%26+ping+-n+20+127.0.0.1"),
        AccessSample(target="/diag?ip=%26id%26"),
        AccessSample(target="/diag?ip=x%26type%20%25SYSTEMROOT%25%5Cwin.ini"),
        AccessSample(target="/diag?ip=127.0.0.1%26%20dir"),
        AccessSample(target="/diag?ip=127.0.0.1%26ver%26&go=1"),
        AccessSample(target="/diag.asp?ip=127.0.0.1%2526whoami"),
        AccessSample(target="/diag.asp?ip=127.0.0.1%u0026whoami"),
        AccessSample(target="/diag.asp?ip=127.0.0.1%U0026%20ipconfig"),
    )
    must_not_match = (
        AccessSample(target="/search?q=tom+%26+jerry"),
        AccessSample(target="/search?q=salt+%26+pepper+%26+ping+pong"),
        AccessSample(target="/search?q=AT%26T+identity"),
        AccessSample(target="/search?q=r%26d&id=5"),
        AccessSample(target="/search?q=b%26b+idaho"),
        AccessSample(target="/search?q=rock+%26+dire+straits"),
        AccessSample(target="/search?q=rock+%26+dir+en+grey"),
        AccessSample(target="/search?q=cat+%26+verse"),
        AccessSample(target="/search?q=AT%2526T+identity"),
        AccessSample(target="/search?q=b%u0026b+idaho"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The encoded ``&`` and the command, in the query as logged."""
        target = view.raw("target")
        cut = target.find("?")
        if cut < 0:
            return None
        fragment = _SEARCH.search(fold(target[cut + 1 :]))
        return None if fragment is None else RuleMatch("query", fragment)


# A command word, and what may follow it: the end, white space, a separator, a quote or a
# written line break.
_END = r"(?:$|[\s;|&`)<>'\"$\\])"
_BIN = r"/?(?:usr/(?:local/)?)?s?bin/"
_ESCAPED_NEWLINE = linear_search(
    Regex(
        # A written line break, then a command named by its path or no English word
        # (``\\n/usr/bin/id``, ``\\nwhoami``; not ``\\nps see you``) ...
        rf"(?P<frag>\\[nr][\s+]*(?:{_BIN}{COMMAND_WORDS}|{STRONG_COMMANDS}))(?:{_END})"
        # ... or a separator and a command closed by one (``;id\\n``, ``|usr/bin/id\\n``).
        rf"|(?P<frag1>(?:[;|`]|&&|\$\()[\s+]*(?:{_BIN})?{COMMAND_WORDS}\\[nr])"
    )
)


class CommandEscapedNewline(Rule):
    """A command after, or closed by, a line break written as ``\\n`` (``;id\\n``,
    ``\\n/usr/bin/id\\n``), in the query."""

    id = "command-injection-escaped-newline"
    categories = ("command-injection",)
    severity = Severity.HIGH
    description = "command next to a written line break (;id\\n, \\n/usr/bin/id)"
    logs = ACCESS
    form = "raw"
    # The query is decoded once: a backslash in it was one of these in the target as logged.
    triggers = {"target": r"%5c|\\"}
    must_match = (
        AccessSample(target="/diag?ip=a%3Bid%5Cn"),
        AccessSample(target="/diag?ip=%5Cn%2Fusr%2Fbin%2Fid%5Cn"),
        AccessSample(target="/diag?ip=%7Cusr%2Fbin%2Fid%5Cn"),
        AccessSample(target="/diag?ip=x%5Cnuname%20-a"),
        AccessSample(target="/diag?ip=a%3Bid%5C%6E"),
    )
    must_not_match = (
        AccessSample(target="/files?dir=C:%5Cid%5Cnew"),
        AccessSample(target="/search?q=hello%5Cnidentity"),
        AccessSample(target="/nps/parks?q=yellowstone"),
        AccessSample(target="/files?path=C:%5Cnotes%5Cbin%5Cid.txt"),
        AccessSample(target="/search?q=a%7Cb%5Cnc"),
        AccessSample(target="/search?q=hello%5Cnps+see+you"),
        AccessSample(target="/search?q=hello%5Cncat+food"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The command and the written line break, in the query decoded with its backslashes."""
        target = view.raw("target")
        cut = target.find("?")
        if cut < 0:
            return None
        query = _form_decoded(target[cut + 1 :])
        fragment = _ESCAPED_NEWLINE.search(fold(query))
        return None if fragment is None else RuleMatch("query", fragment)


def _form_decoded(query: str) -> str:
    """One round of percent-decoding of a query, ``+`` a space: the project's decoder, whose
    work does not grow with the number of ``%`` (``urllib``'s takes a Python step per one)."""
    return percent_decoded(query.replace("+", " "))


# Stands for a literal "&" of a query while it is decoded in one piece: the parameters are
# then told apart in the decoded text, where an encoded "%26" is an ordinary "&".
_PARAM_BREAK = "\ue000"
# What a leading separator is written with, and where a command name (or a value) ends.
_LEAD = r"(?:\|\|?|&&?|;|\n|\r)"
_END = f"(?:$|{_PARAM_BREAK})"
_AFTER = r"(?:$|[\s;|&`'\")<>\\" + _PARAM_BREAK + "])"
# The start of one parameter's value: the query's start or a literal "&", then its name.
_VALUE_START = f"(?:^|{_PARAM_BREAK})(?:[^={_PARAM_BREAK}]*=)?"
# Separators no search box starts a text with, then the commands the shells run, English words
# too (``set``, ``ver``, ``rem``, ``time``); not "more", "start" or "date", which follow a
# leading "&" in labels ("& more").
_LEADING_WORDS = (
    r"(?:id|uname|whoami|who|last|cat|tac|ls|dir|type|less|head|tail|sort|find|grep|echo"
    r"|printf|set|env|printenv|ver|rem|vol|copy|del|erase|move|ren|mkdir|rmdir|cd|touch|rm|cp"
    r"|mv|chmod|chown|kill|killall|ps|pwd|ping|sleep|timeout|time|exit|shutdown|reboot|halt"
    r"|nslookup|dig|hostname|ipconfig|ifconfig|netstat|net|netsh|route|arp|tracert|traceroute"
    r"|lsof|finger|mail|expr|gcc|cc|ftp|tftp|telnet|xterm|wget|curl|fetch|nc|ncat|netcat|bash"
    r"|sh|zsh|ksh|csh|cmd(?:\.exe)?|powershell|perl|python[23]?|php|ruby|systeminfo|tasklist"
    r"|taskkill|uptime|passwd|sudo|nohup|crontab|wmic|certutil|bitsadmin|mshta|rundll32"
    r"|cscript|wscript)"
)
_LEADING = linear_search(
    Regex(
        # Quotes and brackets that close what the value was inserted into ("'|", "');"), a
        # shell separator, optional white space or ${IFS}, a command (or its path) that ends.
        _VALUE_START
        + r"(?:(?P<frag>(?:['\"`)\]]\s*){0,3}"
        + _LEAD
        + r"(?:\s|\$\{?ifs\}?|\$9)*(?:/?(?:usr/(?:local/)?)?s?bin/)?"
        + _LEADING_WORDS
        + r")"
        + _AFTER
        # A redirection from, or cmd.exe's escape before, a command no English word is named
        # after (commix and fuzzdb probes "<id", "^whoami").
        + r"|(?P<frag1>(?:['\"`)]\s*){0,3}[<^](?:/?(?:usr/)?s?bin/)?"
        + STRONG_COMMANDS
        + r")(?:"
        + _END
        + r"|[;|&\n\r\\]))"
    )
)


class CommandLeadingSeparator(Rule):
    """A parameter value that starts with a shell separator and a command (``|dir``,
    ``& ver``, ``;rem``, ``||type c:\\boot.ini``, ``<id``).

    A value appended to a command line by the application is closed and followed by the
    attacker's own command: the value then starts with ``|``, ``||``, ``&``, ``&&``, ``;``
    or a line break, possibly behind the quotes it closes. Nobody types a search or a name
    that starts so, which lets the rule take every command the shells run, English words such
    as ``set``, ``time`` or ``rem`` (cmd.exe's comment) too; further into a value (``rock |
    set list``, ``tom & jerry``) those words stay ordinary text. The query is read as logged
    and split at its literal ``&``: decoding would make ``?q=%26dir`` read like ``?q=&dir``.
    """

    id = "command-injection-leading-separator"
    categories = ("command-injection",)
    severity = Severity.HIGH
    description = "parameter value that starts with a shell separator and a command (|dir, & ver)"
    logs = ACCESS
    form = "raw"
    # ``evaluate`` decodes the query before it reads "name=", so an encoded "%3d" ends a
    # name there too: the trigger takes it, or such a value would never be looked at.
    triggers = {
        "target": r"(?:[=?&]|%3d)(?:%2[27]|%60|%29|%5d|['\"`)\]]|%20|\+)*(?:%7c|\||%3b|;|%26"
        r"|%0a|%0d|%3c|<|%5e|\^)"
    }
    must_match = (
        AccessSample(target="/diag?host=%7Cdir"),
        AccessSample(target="/diag?host=%7C%7C%20set"),
        AccessSample(target="/diag?host=%26%20ver"),
        AccessSample(target="/diag?host=%26%26rem%20x"),
        AccessSample(target="/diag?host=%3B%20find%20/%20-perm%20-4000"),
        AccessSample(target="/diag?host=%27%7Ctype%20c:%5Cboot.ini"),
        AccessSample(target="/diag?a=1&host=%0Dshutdown%20-r"),
        AccessSample(target="/diag?host=%7C%C2%A0kill%20-9%201"),
        AccessSample(target="/diag?host=%3B$%7BIFS%7Dtouch%20/tmp/x"),
        AccessSample(target="/diag?host=%3Cid%0A"),
        AccessSample(target="/diag?host=%5Ewhoami"),
        AccessSample(target="/diag?host=|usr/bin/who"),
        AccessSample(target="/diag?host%3D%7Cusr%2Fbin%2Fwho"),
        AccessSample(target="/diag?host=%27%09%7Cdir"),
        AccessSample(target="/diag?host=%27%C2%A0%7Cdir"),
    )
    must_not_match = (
        AccessSample(target="/search?q=rock+%26+dire+straits"),
        AccessSample(target="/search?q=a+%7C+set+list"),
        AccessSample(target="/search?q=tom+%26+jerry&sort=id"),
        AccessSample(target="/search?q=%7C+directions+to+the+park"),
        AccessSample(target="/search?q=%26+more"),
        AccessSample(target="/search?q=how+to+use+%7Cfind+in+linux"),
        AccessSample(target="/api?q=%3Ctime%3E"),
        AccessSample(target="/api?filter=%3Bsettings"),
        AccessSample(target="/search?q=%5Ecat+pictures"),
        AccessSample(target="/shop;jsessionid=1?cat=5"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The separator and the command at the start of one parameter value."""
        target = view.raw("target")
        cut = target.find("?")
        if cut < 0:
            return None
        # One decoding and one search for the whole query, however many parameters it has.
        # A no-break space, which shells and cmd.exe split words at, is read as a space.
        query = target[cut + 1 :].lower().replace("%c2%a0", "%20").replace("%a0", "%20")
        decoded = _form_decoded(query.replace("&", _PARAM_BREAK))
        fragment = _LEADING.search(fold(decoded))
        return None if fragment is None else RuleMatch("query", fragment)
