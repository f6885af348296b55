"""The detection categories of docs/taxonomy.md: the only ids a rule may declare."""

from __future__ import annotations

__all__ = ["CATEGORIES", "PAYLOAD_CATEGORIES", "category_list", "is_category"]

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


def category_list(value: object) -> str | None:
    """Check a ``[rules.ID] categories`` option: a non-empty list of taxonomy ids (the problem,
    or ``None``)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return "expected a non-empty list of category ids (docs/taxonomy.md)"
    unknown = [v for v in value if not is_category(v)]
    return f"{unknown[0]!r} is not a taxonomy category (docs/taxonomy.md)" if unknown else None


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
