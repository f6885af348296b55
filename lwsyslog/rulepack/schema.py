"""One rule-pack file read and checked: TOML in, :class:`PackRule` entries out.

A pack file describes the known exploits of one product (see ``docs/rulepack.md``)::

    [pack]
    product = "Apache HTTP Server"

    [[rule]]
    id = "exploit-apache-httpd-cve-2021-41773"
    title = "Apache HTTP Server 2.4.49/2.4.50 path traversal"
    cves = ["CVE-2021-41773", "CVE-2021-42013"]
    fields = ["path"]
    pattern = '''/(?:cgi-bin|icons)/(?:[^/]*/)*\\.\\./'''
    must_match = ["/cgi-bin/.%2e/%2e%2e/%2e%2e/bin/sh"]
    must_not_match = ["/cgi-bin/test.cgi"]

Every problem is a :class:`~lwsyslog.errors.RuleError` naming the file, the line and the key
(``apache.toml:14: [[rule]] exploit-...: key 'pattern': ...``). A pattern must run in RE2
(no look-around, no back-reference, no counted repetition over 16 where a search may start
anywhere) and hold literal text of at least :data:`MIN_LITERAL_CHARS` characters that every
match contains: the detect stage selects the rule by that text, so a pattern without it would
be tried on every line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

from lwsyslog.categories import is_category
from lwsyslog.detection.plan import strongest_clause
from lwsyslog.errors import RuleError
from lwsyslog.matching.linear import LinearSearch, linear_search, re2_available
from lwsyslog.matching.literals import Requirement, literal_requirement
from lwsyslog.rules.base import NOT_FOUND
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = [
    "CATEGORY",
    "COMMON_LITERALS",
    "FIELDS",
    "MAX_COUNT",
    "MIN_LITERAL_CHARS",
    "KeyLines",
    "PackRule",
    "Where",
    "compiled_search",
    "pack_bytes",
    "pack_text",
    "parse_pack",
    "read_pack",
]

#: The category every pack rule has (first), whatever else it names.
CATEGORY = "known-exploit"
#: The access-log fields a pack rule may search (decoded, lower-cased).
FIELDS = frozenset({"target", "path", "query", "user_agent", "referer", "cookie"})
#: Shortest literal text a pattern must require (a 3-character one must hold a character
#: that ordinary URLs seldom have, such as ``$``, ``{`` or ``@``).
MIN_LITERAL_CHARS = 3
#: Literals too common in ordinary URLs to select a rule by: a pattern whose scanned literals
#: include one of them would be confirmed on a large share of all lines.
COMMON_LITERALS = frozenset(
    {
        ".php", ".htm", "html", "http", "www.", ".com", ".css", ".js", ".png", ".jpg", ".gif",
        ".asp", "aspx", ".jsp", "/api", "/wp-", "index", "/img", "/css", "/js/", "?id=", "page",
        "/v1/", "/v2/", "user", "admin", "login", "static", "image", "search", "/app", "/web",
        "/en/", ".svg", ".ico", ".xml", "json", "/assets", "/images", "/media", "/public",
    }
)  # fmt: skip
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789/._- ")
#: Largest counted repetition where a search may start anywhere (RE2's DFA, see
#: ``tests/unit/test_rule_cost.py``).
MAX_COUNT = 16

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}")
_METHOD = re.compile(r"[A-Z]{1,20}")
_RULE_KEYS = frozenset(
    {
        "id", "title", "product", "cves", "severity", "categories", "fields", "pattern",
        "methods", "probe_only", "not_found_only", "references", "must_match", "must_not_match",
    }
)  # fmt: skip
_REQUIRED = ("id", "title", "pattern", "must_match", "must_not_match")
_PACK_KEYS = frozenset({"product", "references"})
_SAMPLE_KEYS = frozenset({"target", "method", "status", "user_agent", "referer", "cookie"})
#: The status a sample is answered with unless it says: what a probe usually gets.
SAMPLE_STATUS = 404


@dataclass(frozen=True, slots=True)
class PackRule:
    """One known-exploit rule of a pack file."""

    id: str
    title: str
    product: str
    cves: tuple[str, ...]
    severity: Severity
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    #: The pattern as written (compiled when first searched: :attr:`search`).
    source: str
    requirement: Requirement
    methods: frozenset[str]
    #: Only requests the server did not answer 2xx/304 count (a page that exists and is used
    #: on this site is no probe).
    probe_only: bool
    references: tuple[str, ...]
    must_match: tuple[AccessSample, ...]
    must_not_match: tuple[AccessSample, ...]
    file: str
    line: int
    #: Only requests answered 404/410 count: paths of a product that a site running it answers
    #: with a redirect or a login challenge (3xx, 401), so only "not here" marks a probe.
    not_found_only: bool = False
    #: The line of each key of the rule's table in its file (for errors found later; looked
    #: up when asked, as only an error needs one).
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The pattern compiled by ``re`` (case-insensitive)."""
        return _compiled(self.source)

    @property
    def search(self) -> LinearSearch:
        """The pattern's linear-time search (compiled once, when first asked for)."""
        return compiled_search(self.source)

    def applies(self, method: str, status: int | None) -> bool:
        """True when the request's method and answer let the rule count at all."""
        if self.methods and method not in self.methods:
            return False
        if self.not_found_only and status not in NOT_FOUND:
            return False
        answered = status is not None and (200 <= status < 300 or status == 304)
        return not (self.probe_only and answered)


_RULE_HEADER = re.compile(r"\s*\[\[\s*rule\s*\]\]")
_ANY_HEADER = re.compile(r"\s*\[")
_KEY = re.compile(r"\s*([^\s=]+)\s*=")


#: Each pattern source's compiled ``re`` pattern and search, made once per process.
_PATTERNS: dict[str, re.Pattern[str]] = {}
_SEARCHES: dict[str, LinearSearch] = {}


def _compiled(source: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(source)
    if pattern is None:
        pattern = _PATTERNS[source] = re.compile(source, re.IGNORECASE)
    return pattern


def compiled_search(source: str) -> LinearSearch:
    """The linear-time search of a pack rule's pattern ``source``, compiled once per process
    (a pack read from the checked-pack cache compiles a pattern only when a line needs it)."""
    search = _SEARCHES.get(source)
    if search is None:
        search = _SEARCHES[source] = linear_search(_compiled(source))
    return search


class Where:
    """Line numbers of a pack file's ``[[rule]]`` tables and of the keys inside them (the
    file's lines are split when a line number is first asked for)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def starts(self) -> list[int]:
        return [number for number, line in enumerate(self.lines, 1) if _RULE_HEADER.match(line)]

    def rule(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else 1

    def key(self, index: int, key: str) -> int:
        return self._key_after(self.rule(index), key)

    def table_key(self, table: str, key: str) -> int:
        """The line of ``key`` in ``[table]`` (of the table when the key is not found), or
        among the keys before any table when ``table`` is empty (1 when it is not found)."""
        if not table:
            return self._key_after(0, key) or 1
        header = re.compile(rf"\s*\[\s*{re.escape(table)}\s*\]")
        for number, line in enumerate(self.lines, 1):
            if header.match(line):
                return self._key_after(number, key)
        return self.table_key("", table)  # an inline table: `pack = {...}`

    def _key_after(self, start: int, key: str) -> int:
        """The line of ``key`` between line ``start`` and the next table header (``start``
        when it is not there)."""
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _ANY_HEADER.match(line):
                break
            found = _KEY.match(line)
            if found and found.group(1) == key:
                return number
        return start


class KeyLines(Mapping[str, int]):
    """The line of each key of one ``[[rule]]`` table, found when asked: a pack loads with
    thousands of keys and only an error message ever needs the line of one."""

    def __init__(self, where: Where, index: int, keys: tuple[str, ...]) -> None:
        self._where = where
        #: The table's place among the file's ``[[rule]]`` tables (0 for the first).
        self.index = index
        self._keys = keys

    def __getitem__(self, key: str) -> int:
        if key not in self._keys:
            raise KeyError(key)
        return self._where.key(self.index, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def read_pack(path: Path) -> list[PackRule]:
    """The rules of one pack file (raises :class:`RuleError` naming file, line and key)."""
    return parse_pack(path, pack_text(path, pack_bytes(path)))


def pack_bytes(path: Path) -> bytes:
    """A pack file's bytes (raises :class:`RuleError` naming the file)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise RuleError(f"{path}: cannot read rule pack: {error}") from None


def pack_text(path: Path, data: bytes) -> str:
    """A pack file's text from its bytes, as ``Path.read_text`` gives it (UTF-8, universal
    newlines; raises :class:`RuleError` naming the file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuleError(f"{path}: cannot read rule pack: {error}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_pack(path: Path, text: str) -> list[PackRule]:
    """The rules of pack file ``path`` whose text is ``text`` (raises :class:`RuleError`
    naming file, line and key)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise RuleError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    where = Where(text)
    unknown = set(data) - {"pack", "rule"}
    if unknown:
        raise RuleError(f"{path}: unknown table or key {sorted(unknown)[0]!r} (pack, rule)")
    pack = _pack_table(path, where, data.get("pack", {}))
    rules = data.get("rule", [])
    if not isinstance(rules, list) or not rules:
        raise RuleError(f"{path}: no [[rule]] table")
    for index, entry in enumerate(rules):
        if not isinstance(entry, dict):
            # `rule = ["..."]`: an array of something else than tables.
            line = where.table_key("", "rule")
            raise RuleError(
                f"{path}:{line}: key 'rule': entry #{index + 1} is not a table "
                "(write each rule as a [[rule]] table)"
            )
    return [_Rule(path, where, index, entry, pack).build() for index, entry in enumerate(rules)]


def _pack_table(path: Path, where: Where, pack: Any) -> dict[str, Any]:
    """The ``[pack]`` table, checked (raises :class:`RuleError` naming file, line and key)."""
    if not isinstance(pack, dict) or set(pack) - _PACK_KEYS:
        raise RuleError(f"{path}: [pack] takes only {sorted(_PACK_KEYS)}")
    product = pack.get("product", "x")
    if not isinstance(product, str) or not product.strip():
        line = where.table_key("pack", "product")
        raise RuleError(f"{path}:{line}: [pack] key 'product': expected a non-empty string")
    references = pack.get("references", [])
    # A lone string is refused, as in a [[rule]]: taken as a list it would be split into
    # one-character references.
    if not isinstance(references, list) or not all(isinstance(v, str) and v for v in references):
        line = where.table_key("pack", "references")
        raise RuleError(
            f"{path}:{line}: [pack] key 'references': expected a list of non-empty strings"
        )
    return pack


class _Rule:
    """Checks one ``[[rule]]`` table."""

    def __init__(
        self, path: Path, where: Where, index: int, entry: dict[str, Any], pack: dict[str, Any]
    ) -> None:
        self.path = path
        self.where = where
        self.index = index
        self.entry = entry
        self.pack = pack
        self.name = str(entry.get("id", f"#{index + 1}"))

    def fail(self, key: str, problem: str) -> RuleError:
        line = self.where.key(self.index, key) if key else self.where.rule(self.index)
        shown = f" key '{key}':" if key else ""
        return RuleError(f"{self.path}:{line}: [[rule]] {self.name}:{shown} {problem}")

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.entry.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected a list of non-empty strings")
        return tuple(value)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.entry.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value

    def build(self) -> PackRule:
        for key in sorted(set(self.entry) - _RULE_KEYS):
            raise self.fail(key, f"unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
        for key in _REQUIRED:
            if key not in self.entry:
                raise self.fail("", f"missing key '{key}'")
        rule_id = self.text("id")
        if not _ID.fullmatch(rule_id):
            raise self.fail("id", "use lower-case letters, digits and single dashes")
        cves = self.strings("cves")
        for cve in cves:
            if not _CVE.fullmatch(cve):
                raise self.fail("cves", f"{cve!r} is not a CVE id (CVE-YYYY-NNNN)")
        severity = self.text("severity", "high")
        if severity not in {s.value for s in Severity}:
            raise self.fail("severity", "use low, medium, high or critical")
        categories = self.strings("categories")
        for category in categories:
            if not is_category(category):
                raise self.fail("categories", f"{category!r} is not a taxonomy id")
        fields = self.strings("fields", ("target",))
        for name in fields:
            if name not in FIELDS:
                raise self.fail("fields", f"{name!r} is none of {', '.join(sorted(FIELDS))}")
        methods = self.strings("methods")
        for method in methods:
            if not _METHOD.fullmatch(method):
                raise self.fail("methods", f"{method!r} is not an upper-case request method")
        probe_only = self.entry.get("probe_only", False)
        if not isinstance(probe_only, bool):
            raise self.fail("probe_only", "expected true or false")
        not_found_only = self.entry.get("not_found_only", False)
        if not isinstance(not_found_only, bool):
            raise self.fail("not_found_only", "expected true or false")
        source, requirement = self.pattern()
        product = self.entry.get("product", self.pack.get("product"))
        if not isinstance(product, str) or not product.strip():
            raise self.fail("product", "name the product here or in [pack]")
        references = self.strings("references", tuple(self.pack.get("references", ())))
        return PackRule(
            id=rule_id,
            title=self.text("title"),
            product=product,
            cves=cves,
            severity=Severity(severity),
            categories=tuple(dict.fromkeys((CATEGORY, *categories))),
            fields=fields,
            source=source,
            requirement=requirement,
            methods=frozenset(methods),
            probe_only=probe_only,
            references=references,
            must_match=self.samples("must_match"),
            must_not_match=self.samples("must_not_match"),
            file=str(self.path),
            line=self.where.rule(self.index),
            lines=KeyLines(self.where, self.index, tuple(self.entry)),
            not_found_only=not_found_only,
        )

    def pattern(self) -> tuple[str, Requirement]:
        source = self.text("pattern")
        try:
            return source, self.requirement(source)
        except RecursionError:
            raise self.fail("pattern", "groups nested too deeply") from None

    def requirement(self, source: str) -> Requirement:
        """The literal text every match of the pattern ``source`` contains, once the pattern
        passed every check."""
        try:
            pattern = _compiled(source)
        except re.error as error:
            raise self.fail("pattern", f"not a regular expression: {error}") from None
        search = compiled_search(source)
        if re2_available() and search.engine != "re2":
            raise self.fail("pattern", f"RE2 cannot run it ({search.reason})")
        count = _longest_count(pattern)
        if count > MAX_COUNT:
            raise self.fail("pattern", f"counted repetition {{..,{count}}} over {MAX_COUNT}")
        requirement = literal_requirement(pattern.pattern, pattern.flags, single_spaces=True)
        if not requirement:
            raise self.fail("pattern", "no literal text that every match contains")
        (scanned,) = strongest_clause(requirement)
        weak = sorted(literal for literal in scanned if _weak(literal))
        if weak:
            raise self.fail(
                "pattern",
                f"the literal text that would select the rule ({weak[0]!r}) is too short or "
                "too common in ordinary URLs: the rule would be tried on most lines",
            )
        return requirement

    def samples(self, key: str) -> tuple[AccessSample, ...]:
        value = self.entry.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, "expected a non-empty list of targets or sample tables")
        return tuple(self.sample(key, item) for item in value)

    def sample(self, key: str, item: Any) -> AccessSample:
        if isinstance(item, str) and item:
            return AccessSample(target=item, status=SAMPLE_STATUS)
        if not isinstance(item, dict) or not item.get("target"):
            raise self.fail(key, "a sample is a target string or a table with 'target'")
        unknown = set(item) - _SAMPLE_KEYS
        if unknown:
            raise self.fail(
                key, f"sample key {sorted(unknown)[0]!r} is none of {sorted(_SAMPLE_KEYS)}"
            )
        status = item.get("status", SAMPLE_STATUS)
        if not isinstance(status, int) or isinstance(status, bool):
            raise self.fail(key, "a sample's status is a number")
        texts = {k: v for k, v in item.items() if k != "status"}
        if not all(isinstance(v, str) for v in texts.values()):
            raise self.fail(key, "a sample's target, method, user_agent... are strings")
        return AccessSample(status=status, **texts)


def _weak(literal: str) -> bool:
    """True for a literal that would select a rule on many ordinary lines."""
    if len(literal) < MIN_LITERAL_CHARS or literal in COMMON_LITERALS:
        return True
    return len(literal) == MIN_LITERAL_CHARS and set(literal) <= _PLAIN


def _longest_count(pattern: re.Pattern[str]) -> int:
    """The largest counted repetition (``{m,n}``, n > 1) in branches that are not anchored at
    the start; 0 when there is none."""
    if "{" not in pattern.pattern:
        return 0  # only {m,n} counts above one (? is {0,1}): nothing to parse the pattern for
    tree = parser.parse(pattern.pattern, pattern.flags)
    branches = [tree]
    if len(tree.data) == 1 and tree.data[0][0] is constants.BRANCH:
        branches = tree.data[0][1][1]
    counts = [
        count
        for branch in branches
        if not (branch.data and branch.data[0] == (constants.AT, constants.AT_BEGINNING))
        for count in _counts(branch)
    ]
    return max(counts, default=0)


def _counts(items: Any) -> list[int]:
    found: list[int] = []
    for op, value in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            if 1 < value[1] != constants.MAXREPEAT:
                found.append(value[1])
            found.extend(_counts(value[2]))
        elif op is constants.SUBPATTERN:
            found.extend(_counts(value[-1]))
        elif op is constants.BRANCH:
            for branch in value[1]:
                found.extend(_counts(branch))
    return found
