"""The detection categories of docs/taxonomy.md: the only ids a rule may declare."""

from __future__ import annotations

__all__ = ["CATEGORIES", "is_category"]

CATEGORIES: frozenset[str] = frozenset(
    {
        "sqli",
        "xss",
        "path-traversal",
        "file-inclusion",
        "command-injection",
        "code-injection",
        "log4shell",
        "shellshock",
        "sensitive-file",
        "admin-probe",
        "webshell",
        "scanner",
        "brute-force",
        "auth-failure",
        "protocol-anomaly",
        "dos",
        "server-error",
        "waf-block",
        "access-denied",
        "bad-bot",
    }
)


def is_category(name: str) -> bool:
    """True when ``name`` is a taxonomy id."""
    return name in CATEGORIES
