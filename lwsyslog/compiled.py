"""Which of lwsyslog's modules are compiled to C (mypyc), and whether they are at run time.

The modules in :data:`COMPILED_MODULES` run for every log line. ``setup.py`` compiles them with
mypyc when the package is built with ``LWSYSLOG_COMPILE=1`` (``bootstrap.sh`` and the Debian
package do); anywhere else the same ``.py`` files run. ``lwsyslog rules`` and ``check-config``
report which it is.
"""

from __future__ import annotations

import importlib
import importlib.machinery

__all__ = ["COMPILED_MODULES", "compiled_now", "describe"]

COMPILED_MODULES: tuple[str, ...] = (
    "lwsyslog.events",
    "lwsyslog.timeparse",
    "lwsyslog.triage",
    "lwsyslog.canonical",
    "lwsyslog.appdecode",
    "lwsyslog.whitespace",
    "lwsyslog.normalize",
    "lwsyslog.formats.plain_native",
    "lwsyslog.formats.line_parser",
    "lwsyslog.matching.literals",
    "lwsyslog.matching.linear",
    "lwsyslog.matching.scanner",
    "lwsyslog.detection.plan",
    "lwsyslog.detection.engine",
    "lwsyslog.rules.detector",
    "lwsyslog.rules.planted",
    "lwsyslog.thresholds.keys",
    "lwsyslog.thresholds.tallies",
    "lwsyslog.thresholds.windows",
    "lwsyslog.thresholds.echoes",
    "lwsyslog.thresholds.failures",
    "lwsyslog.thresholds.rules",
    "lwsyslog.thresholds.missing",
    "lwsyslog.thresholds.server_errors",
    "lwsyslog.thresholds.engine",
    "lwsyslog.stats",
    "lwsyslog.alerts",
    "lwsyslog.storms",
    "lwsyslog.pipeline",
    "lwsyslog.omprog.envelope",
    "lwsyslog.omprog.stdio",
    "lwsyslog.omprog.resends",
    "lwsyslog.omprog.confirmations",
    "lwsyslog.omprog.spool",
    "lwsyslog.omprog.worker",
)
"""The per-line modules, in an order that imports cleanly (mypyc builds them as one group).

``lwsyslog.omprog.pipelined`` and ``main`` stay interpreted although their loops run per line:
a signal's Python handler runs only when the interpreter gets control, and a compiled loop
woken by the signal would wait for input again before it saw the stop flag."""


def compiled_now() -> list[str]:
    """The modules of :data:`COMPILED_MODULES` that this interpreter imports as C extensions
    (each is imported; one whose optional dependency is missing counts as not compiled)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    out = []
    for name in COMPILED_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if (getattr(module, "__file__", None) or "").endswith(suffixes):
            out.append(name)
    return out


def describe() -> str:
    """One line for ``lwsyslog rules`` and ``check-config``: how the per-line code runs."""
    compiled = len(compiled_now())
    total = len(COMPILED_MODULES)
    if compiled == total:
        return f"compiled (mypyc): all {total} per-line modules"
    if compiled == 0:
        return f"pure Python: none of the {total} per-line modules is compiled"
    return f"partly compiled (mypyc): {compiled} of the {total} per-line modules"
