"""Sigma metadata in lwsyslog terms: taxonomy categories and severity.

Sigma rules carry ATT&CK tags, which say *why* an attacker acts (``attack.t1190``, exploit a
public-facing application) but not *what* the request is (SQL injection or a web shell?), and
nearly every web rule carries T1190. So categories come, in this order, from:

1. explicit ``lwsyslog.<category>`` tags (``lwsyslog.sqli``): the rule author decides;
2. keywords in the title (``SQL Injection`` -> ``sqli``, ``Web Shell`` -> ``webshell``...);
3. the few ATT&CK techniques that do name a category (T1505.003 web shell, T1110 brute
   force, T1595 scanning, T1552.001 credentials in files, T1499 endpoint DoS);
4. otherwise ``scanner`` for an access-log rule (a SigmaHQ web rule without a recognisable
   payload class is nearly always a CVE-specific probe, and on a server that does not run
   that product it is evidence of vulnerability scanning, T1595.002) and ``server-error``
   for an error-log rule (SigmaHQ's Apache error rules report crashes and assertion errors).

A rule that names a CVE (a ``cve.2021-41773`` tag, or ``CVE-2021-41773`` in its title) detects
the exploit of a named product: ``known-exploit`` comes first, before the categories of steps
2 and 3 (step 4 is then not needed), and its findings carry the CVE ids (:func:`cves_for`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lwsyslog.categories import is_category
from lwsyslog.severity import Severity

__all__ = [
    "TAG_NAMESPACE",
    "categories_for",
    "cves_for",
    "explicit_categories",
    "severity_for",
]

TAG_NAMESPACE = "lwsyslog"
"""Tags ``lwsyslog.<category>`` set a Sigma rule's categories explicitly."""

_TITLE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), category)
    for pattern, category in (
        (r"sql[ _-]?injection|\bsqli\b", "sqli"),
        (r"\bxss\b|cross[ -]site[ -]scripting", "xss"),
        (r"(path|directory)[ -]traversal", "path-traversal"),
        (r"file[ -]inclusion|\b[lr]fi\b", "file-inclusion"),
        (r"web[ -]?shell", "webshell"),
        (r"jndi|log4j|log4shell", "log4shell"),
        (r"shellshock", "shellshock"),
        (r"command[ -]injection|\brce\b|remote code execution", "command-injection"),
        (
            r"template[ -]injection|\bssti\b|ognl|expression[ -]language|deserializ"
            r"|java payload|\bxxe\b",
            "code-injection",
        ),
        (r"\bssrf\b|server[ -]side request forgery", "file-inclusion"),
        (r"user[ -]?agent|scanner|\bscan(ning)?\b|\brecon\b", "scanner"),
        (r"source code|sensitive file|\.git\b|\.env\b|heapdump", "sensitive-file"),
        (r"brute[ -]?force|password spray", "brute-force"),
        (r"modsecurity|\bwaf\b", "waf-block"),
        (r"segmentation fault|segfault|threading error|core dump|crash", "server-error"),
        (r"denial[ -]of[ -]service|\bdos\b", "dos"),
    )
)

# ATT&CK technique prefix -> category (a prefix also covers its sub-techniques).
_TECHNIQUES: tuple[tuple[str, str], ...] = (
    ("t1505.003", "webshell"),
    ("t1110", "brute-force"),
    ("t1595", "scanner"),
    ("t1552.001", "sensitive-file"),
    ("t1499", "dos"),
)


def explicit_categories(tags: Iterable[str]) -> tuple[str, ...]:
    """Categories named by ``lwsyslog.<category>`` tags; raises ``ValueError`` for unknown ids."""
    found: list[str] = []
    prefix = TAG_NAMESPACE + "."
    for tag in tags:
        if tag.lower().startswith(prefix):
            name = tag[len(prefix) :].lower()
            if not is_category(name):
                raise ValueError(f"tag '{tag}' names no taxonomy category")
            if name not in found:
                found.append(name)
    return tuple(found)


_CVE_TAG = re.compile(r"cve\.(\d{4}-\d{4,7})$", re.IGNORECASE)
_CVE_TITLE = re.compile(r"\bcve-(\d{4}-\d{4,7})\b", re.IGNORECASE)


def cves_for(title: str, tags: Iterable[str]) -> tuple[str, ...]:
    """The CVE ids a Sigma rule names: its ``cve.YYYY-NNNN`` tags, then its title's."""
    found = [f"CVE-{m.group(1)}" for tag in tags if (m := _CVE_TAG.match(tag.strip()))]
    found += [f"CVE-{m.group(1)}" for m in _CVE_TITLE.finditer(title)]
    return tuple(dict.fromkeys(found))


def categories_for(title: str, tags: Iterable[str], logs: frozenset[str]) -> tuple[str, ...]:
    """The taxonomy categories of a Sigma rule (see the module docstring for the order)."""
    tags = [tag.lower() for tag in tags]
    explicit = explicit_categories(tags)
    if explicit:
        return explicit
    exploit = ["known-exploit"] if cves_for(title, tags) and "access" in logs else []
    by_title = [category for pattern, category in _TITLE_WORDS if pattern.search(title)]
    if by_title:
        return tuple(dict.fromkeys([*exploit, *by_title]))
    by_tag = [
        category
        for tag in tags
        if tag.startswith("attack.")
        for prefix, category in _TECHNIQUES
        if tag[len("attack.") :].startswith(prefix)
    ]
    if by_tag or exploit:
        return tuple(dict.fromkeys([*exploit, *by_tag]))
    return ("scanner",) if "access" in logs else ("server-error",)


_LEVELS = {
    "informational": Severity.LOW,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def severity_for(level: str | None) -> Severity:
    """Severity of a Sigma ``level`` (informational and low -> low; none -> medium)."""
    if not level:
        return Severity.MEDIUM
    return _LEVELS.get(level.lower(), Severity.MEDIUM)
