"""Path traversal: climbing out of the document root, or naming OS files directly."""

from __future__ import annotations

import re

from lwsyslog.rules.base import BOTH, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["TraversalDotDot", "TraversalSystemFile"]

_FIELDS = ("target", "cookie", "referer", "message")


class TraversalDotDot(PatternRule):
    """``../`` (after every decoding: ``..%2f``, ``%252e%252e``, ``..\\``, overlong UTF-8)."""

    id = "path-traversal-dotdot"
    categories = ("path-traversal",)
    severity = Severity.HIGH
    description = "parent-directory sequence (../) in the path or a parameter"
    logs = BOTH
    fields = _FIELDS
    pattern = re.compile(r"(?:^|[/=:;,\s'\"])\.{2,4}/+(?:\.{2,4}/+)*")
    trigger = r"\.\."
    must_match = (
        AccessSample(target="/cgi-bin/view?file=../../../../etc/passwd"),
        AccessSample(target="/static/..%2f..%2f..%2fetc/shadow"),
        AccessSample(target="/%252e%252e/%252e%252e/windows/win.ini"),
        AccessSample(target="/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir"),
        AccessSample(target="/download?f=..%5c..%5cboot.ini"),
        ErrorSample(
            message="File does not exist: /var/www/html/scripts/..%5c../winnt/system32/cmd.exe"
        ),
    )
    must_not_match = (
        AccessSample(target="/compare/v1.2..v1.3"),
        AccessSample(target="/items?range=1..10"),
        AccessSample(target="/books/the-end...-or-is-it"),
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
        r"|system32/(?:cmd\.exe|config/sam|drivers/etc)\b)"
    )
    trigger = r"etc/|\.ini|system32|winnt|windows/"
    gate = "/"
    must_match = (
        AccessSample(target="/index.php?page=/etc/passwd"),
        AccessSample(target="/view?doc=C:%5CWindows%5Cwin.ini"),
        AccessSample(target="/x?file=%2Fetc%2Fshadow%00.jpg"),
    )
    must_not_match = (
        AccessSample(target="/blog/etc/passwords-best-practices"),
        AccessSample(target="/downloads/windows/installer.exe"),
    )
