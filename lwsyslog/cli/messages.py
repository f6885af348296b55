"""What the command line says on stderr, with every text in it escaped.

A path, a file name or an error's own text can carry an attacker's bytes (a log file named
with an ANSI escape, a Sigma rule directory, an exception quoting either): they are escaped
with :func:`lwsyslog.sanitize.sanitize`, as log content is, before they reach a terminal.
"""

from __future__ import annotations

import sys

from lwsyslog.sanitize import sanitize

__all__ = ["say"]


def say(message: str, prefix: str = "lwsyslog") -> None:
    """Write ``prefix: message`` to stderr, ``message`` escaped (one line, nothing raw)."""
    print(f"{prefix}: {sanitize(message)}", file=sys.stderr)
