"""Path traversal: climbing out of the document root, or naming OS files directly."""

from __future__ import annotations

import re

from lwsyslog.rules.base import BOTH, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["TraversalDotDot", "TraversalSystemFile"]

_FIELDS = ("target", "cookie", "referer", "message")


class TraversalDotDot(PatternRule):
    """``../`` (after every decoding: ``..%2f``, ``%252e%252e``, ``..\\``, overlong UTF-8).

    Also the spellings filters miss: ``....//`` and ``.../`` (what is left after a filter strips
    ``../``), ``..;/`` (a path parameter Tomcat drops), dots or separators written as ``0x2e`` /
    ``0x2f`` / ``0x5c`` (dotdotpwn's hex template), and a run of dots opening a path segment.
    """

    id = "path-traversal-dotdot"
    categories = ("path-traversal",)
    severity = Severity.HIGH
    description = "parent-directory sequence (../) in the path or a parameter"
    logs = BOTH
    fields = _FIELDS
    pattern = re.compile(
        r"(?:^|[/=:;,\s'\"])(?:\.|0x2e){2,}(?:;?/|0x2f|0x5c)+(?:(?:\.|0x2e){2,}(?:;?/|0x2f|0x5c)+)*"
        r"|/(?:\.{2,}(?=[^\w./-]|$)|\.{3,})|0x2e0x2e|/\./+\./|/\.//"
    )
    trigger = r"\.\.|0x2e|/\./"
    must_match = (
        AccessSample(target="/cgi-bin/view?file=../../../../etc/passwd"),
        AccessSample(target="/static/..%2f..%2f..%2fetc/shadow"),
        AccessSample(target="/%252e%252e/%252e%252e/windows/win.ini"),
        AccessSample(target="/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir"),
        AccessSample(target="/download?f=..%5c..%5cboot.ini"),
        ErrorSample(
            message="File does not exist: /var/www/html/scripts/..%5c../winnt/system32/cmd.exe"
        ),
        AccessSample(target="/img?src=....//....//....//etc/hosts"),
        AccessSample(target="/app/..;/manager/html"),
        AccessSample(target="/dl?f=/0x2e0x2e/0x2e0x2e/etc/hosts"),
        AccessSample(target="/dl?f=/..0x5c..0x5cwindows/win.ini"),
        AccessSample(target="/dl?f=/..........etc/hosts"),
        AccessSample(target="/dl?f=/.//././/./etc/hosts"),
    )
    must_not_match = (
        AccessSample(target="/compare/v1.2..v1.3"),
        AccessSample(target="/items?range=1..10"),
        AccessSample(target="/books/the-end...-or-is-it"),
        AccessSample(target="/search?q=wait...+what%3F"),
        AccessSample(target="/color?hex=0x2e8b57"),
        AccessSample(target="/docs/./intro.html"),
    )


class TraversalSystemFile(PatternRule):
    """An OS file (``/etc/passwd``, ``win.ini``...) named as a parameter.

    In the path itself such a name only matters after ``../``, which the dot-dot rule reports.
    """

    id = "path-traversal-system-file"
    categories = ("path-traversal",)
    severity = Severity.HIGH
    description = "operating-system file (/etc/passwd, win.ini, system32) as a parameter"
    logs = BOTH
    fields = ("query", "cookie", "message")
    pattern = re.compile(
        r"(?:^|[/=:\s'\"])(?:etc/(?:passwd|shadow|group|hosts|issue|motd|crontab|sudoers)\b"
        r"|(?:boot|win|system)\.ini\b|windows/(?:system32|win\.ini|repair)\b|winnt/system32\b"
        r"|system32/(?:cmd\.exe|config/sam|drivers/etc)\b|web-inf/web\.xml\b"
        r"|inetpub/wwwroot\b|global\.asa\b)"
    )
    trigger = r"etc/|\.ini|system32|winnt|windows/|web-inf|inetpub|\.asa"
    gate = "/"
    must_match = (
        AccessSample(target="/index.php?page=/etc/passwd"),
        AccessSample(target="/view?doc=C:%5CWindows%5Cwin.ini"),
        AccessSample(target="/x?file=%2Fetc%2Fshadow%00.jpg"),
        AccessSample(target="/x?file=WEB-INF/web.xml"),
        AccessSample(target="/x?file=d:/inetpub/wwwroot/global.asa"),
    )
    must_not_match = (
        AccessSample(target="/blog/etc/passwords-best-practices"),
        AccessSample(target="/downloads/windows/installer.exe"),
    )
