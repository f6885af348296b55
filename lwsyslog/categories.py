"""The detection categories of docs/taxonomy.md: the only ids a rule may declare."""

from __future__ import annotations

__all__ = ["CATEGORIES", "PAYLOAD_CATEGORIES", "is_category"]

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
        "header-injection",
        "known-exploit",
    }
)


def is_category(name: str) -> bool:
    """True when ``name`` is a taxonomy id."""
    return name in CATEGORIES


# Categories that carry an attack payload or a probe for something exploitable: repeating one
# of them is a campaign, and one that got a 2xx answer may have worked.
PAYLOAD_CATEGORIES: frozenset[str] = frozenset(
    {
        "sqli",
        "xss",
        "path-traversal",
        "file-inclusion",
        "command-injection",
        "code-injection",
        "log4shell",
        "shellshock",
        "webshell",
        "sensitive-file",
        "admin-probe",
        "header-injection",
        "known-exploit",
    }
)
