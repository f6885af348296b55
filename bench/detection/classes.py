"""Section 5: recall per attack class of round 2, on public payload lists and real tool runs,
reported on the dev split (the rules were written from it) and the held-out split (never read
while writing them).

Corpora: ``payloads/round2/<class>.tsv`` (built by ``detection/payload_lists.py`` from
PayloadsAllTheThings and fuzzdb; provenance in the data's ``SOURCES.md``), the known-exploit
requests of ``payloads/round2/known-exploit.tsv`` (built by ``detection/known_exploits.py`` from
nuclei templates for KEV CVEs, one row per request), of ``known-exploit-next.tsv`` and
``known-exploit-third.tsv`` (the next 25 CVEs' templates and the 25 after them, no rule written
from them before each was measured) and of the three together, a second legacy-probe
corpus that no rule was written from before it was measured
(``payloads/round2/legacy-probe-dirb.tsv``, the product lists of the dirb scanner's Debian
package, built by ``detection/dirb_lists.py``), and
the lines of real scanner and tool runs that carry the class's evidence (netsparker, acunetix,
wapiti, wfuzz). Every payload is one access line (``GET target``; file probes answered 404,
parameter payloads 200, as a site without the file would answer) through a fresh pipeline with
the built-in defaults. Right class: a finding of the class's taxonomy id (for legacy product
probes, ``known-exploit``, with ``admin-probe``/``sensitive-file`` shown beside it, and for
every file class the share of requests with any finding at all). Rows
labelled ``probe`` or ``other`` are left out of the recall; for legacy probes, whose lone words
are such rows, a second corpus row (``lists, all entries``) measures every entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from detection.dirb_lists import FILE as DIRB_FILE
from detection.dirb_lists import load_dirb
from detection.engine import Line, Verdict, new_pipeline, read_lines, scan, unwrap_quoted
from detection.known_exploits import CLASS as KNOWN_FILE
from detection.known_exploits import NEXT as KNOWN_NEXT_FILE
from detection.known_exploits import THIRD as KNOWN_THIRD_FILE
from detection.markdown import code, pct, table
from detection.payload_lists import CLASSES, Payload, label, load, split_of
from detection.section import Section

__all__ = ["TARGETS", "measure"]

#: Recall targets per class (payload classes 95%, known probes and exploit paths 90%).
TARGETS: dict[str, float] = {
    "header-injection": 95.0,
    "sqli": 95.0,
    "command-injection": 95.0,
    "null-byte": 95.0,
    "source-disclosure": 90.0,
    "legacy-probe": 90.0,
    "known-exploit": 90.0,
}
_PROBE_CATEGORIES = frozenset({"known-exploit", "admin-probe", "sensitive-file"})
#: Classes whose probe rows are also measured, in a corpus row of their own beside the targets:
#: a label that takes rows out of the recall must not hide what the rules make of them.
_ALL_ENTRIES_CLASSES = frozenset({"legacy-probe"})
_ALL_ENTRIES = "lists, all entries"
#: The second legacy-probe corpus (:mod:`detection.dirb_lists`): a real scanner's product lists.
_DIRB = "dirb vulns lists"
_DIRB_ALL_ENTRIES = "dirb vulns lists, all entries"
#: The later known-exploit corpora (:mod:`detection.known_exploits`) by file, and their rows.
_KNOWN_LATER = {KNOWN_NEXT_FILE: "nuclei, next 25 CVEs", KNOWN_THIRD_FILE: "nuclei, third 25 CVEs"}
#: Every known-exploit corpus scored as one: the held-out figure the target is judged by.
_KNOWN_ALL = "nuclei, every corpus"
_KNOWN_ROWS = frozenset({*_KNOWN_LATER.values(), _KNOWN_ALL})
#: Corpora judged against the class's target (the lists; the tool runs are shown beside them;
#: the later known-exploit corpora are judged together with the first, as every corpus).
_JUDGED = frozenset({"lists", _DIRB, _KNOWN_ALL})
_FILE_CLASSES = frozenset({"source-disclosure", "legacy-probe", "known-exploit"})
_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# The combined format and the Cookie header, so a payload can ride in a cookie.
_COOKIE_FORMAT = (
    '[input]\naccess_formats = [\'%h %l %u %t "%r" %>s %b "%{Referer}i" '
    '"%{User-Agent}i" "%{Cookie}i"\', "combined"]\n'
)
_REQUEST = re.compile(r'"[A-Z]+ (\S+) HTTP/[\d.]+"')

# Real tool runs: (label, file under public/ or tests/fixtures, wrapped in quotes?)
_TOOL_LOGS = (
    ("netsparker (DVWA)", "public/ocatak_apache-http-logs/netsparker.txt", True),
    ("acunetix (DVWA)", "public/ocatak_apache-http-logs/acunetix.txt", True),
    ("wapiti", "fixtures:attack-tools/wapiti/access.log", False),
    ("wfuzz-params", "fixtures:attack-tools/wfuzz-params/access.log", False),
    ("honeynet 2004", "public/honeynet_redhat71_httpd_access_log_2004.log", False),
)
# Tool-run lines are labelled by the same definitions as the lists (payload_lists.label).
_TOOL_CLASSES = ("header-injection", "null-byte")


@dataclass(slots=True)
class _Score:
    total: int = 0
    right: int = 0
    probe_family: int = 0
    any_finding: int = 0
    #: Known exploits: per template, whether any of its requests here got the right class.
    templates: dict[str, bool] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)


def measure(data: Path, fixtures: Path) -> Section:
    """Recall per class and split, from the lists and the tool runs."""
    scores: dict[tuple[str, str, str], _Score] = {}
    # Legacy-probe targets again, by the list they come from: (corpus, list, split).
    by_list: dict[tuple[str, str, str], _Score] = {}
    probes: Counter[str] = Counter()
    missing: list[str] = []
    for cls in [*CLASSES, "known-exploit"]:
        path = data / "payloads" / "round2" / f"{cls}.tsv"
        if not path.exists():
            missing.append(cls)
            continue
        rows = load(path.parent, cls)
        probes[cls] = sum(1 for row in rows if row.kind != "target")
        if cls not in _ALL_ENTRIES_CLASSES:
            rows = [row for row in rows if row.kind == "target"]
        _score_rows(cls, rows, scores, by_list=by_list)
    dirb = data / "payloads" / "round2" / DIRB_FILE
    if dirb.exists():
        dirb_rows = load_dirb(dirb.parent)
        probes[_DIRB] = sum(1 for row in dirb_rows if row.kind != "target")
        names = (_DIRB, _DIRB_ALL_ENTRIES)
        _score_rows("legacy-probe", dirb_rows, scores, names, by_list=by_list)
    else:
        missing.append(DIRB_FILE.removesuffix(".tsv"))
    _score_known_later(data / "payloads" / "round2", scores, probes, missing)
    for name, where, wrapped in _TOOL_LOGS:
        _score_tool(name, _tool_path(where, data, fixtures), wrapped, scores)
    doc = [_table(scores, probes), "", *_template_table(scores), *_list_table(by_list)]
    if missing:
        # A corpus missing from the data directory is said so, not left out in silence.
        names = ", ".join(f"`payloads/round2/{cls}.tsv`" for cls in missing)
        doc += [f"Not measured in this run (corpus missing from the data directory): {names}.", ""]
    doc += _misses(scores, "dev")
    details = _held_out_counts(scores) + _misses(scores, "dev", limit=200)
    headline = [
        f"{cls} ({source}): dev {pct(s_dev.right, s_dev.total)}, held-out "
        f"{pct(s_held.right, s_held.total)}"
        for (cls, source), (s_dev, s_held) in _pairs(scores).items()
        if source in ("lists", _ALL_ENTRIES, _DIRB, _DIRB_ALL_ENTRIES, *_KNOWN_ROWS)
    ] + [f"{cls} (lists): not measured, corpus missing" for cls in missing]
    every = _pairs(scores).get(("known-exploit", _KNOWN_ALL))
    if every is not None:
        headline.append(
            f"known-exploit ({_KNOWN_ALL}), templates with a flagged request: dev "
            f"{_caught(every[0])}, held-out {_caught(every[1])}"
        )
    return Section("classes", "Round-2 classes", "\n".join(doc), "\n".join(details), headline)


def _score_known_later(
    round2: Path,
    scores: dict[tuple[str, str, str], _Score],
    probes: Counter[str],
    missing: list[str],
) -> None:
    """Score each later known-exploit corpus as its own row, then every corpus as one (its
    probe-only rows counted for the judged row)."""
    every: list[Payload] = []
    probe_only = 0
    for name in (KNOWN_FILE, *_KNOWN_LATER):
        if not (round2 / f"{name}.tsv").exists():
            if name != KNOWN_FILE:  # the first corpus is reported missing with the lists
                missing.append(name)
            continue
        rows = load(round2, name, cls="known-exploit")
        targets = [row for row in rows if row.kind == "target"]
        every += targets
        probe_only += len(rows) - len(targets)
        if name in _KNOWN_LATER:
            _score_rows("known-exploit", targets, scores, (_KNOWN_LATER[name],) * 2)
    probes[_KNOWN_ALL] = probe_only
    _score_rows("known-exploit", every, scores, (_KNOWN_ALL, _KNOWN_ALL))


def _tool_path(where: str, data: Path, fixtures: Path) -> Path:
    if where.startswith("fixtures:"):
        return fixtures / where.removeprefix("fixtures:")
    return data / where


def _line(target: str, status: int, number: int, method: str = "GET", cookie: str = "") -> str:
    escaped = target.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(
        c if " " < c < "\x7f" or ord(c) > 0x9F else f"\\x{ord(c):02x}" for c in escaped
    )
    minute, second = divmod(number % 86400, 60)
    hour, minute = divmod(minute, 60)
    stamp = f"05/Dec/2026:{hour:02d}:{minute:02d}:{second:02d} +0000"
    return (
        f'203.0.113.7 - - [{stamp}] "{method} {escaped} HTTP/1.1" {status} 512 "-" "{_UA}" '
        f'"{cookie or "-"}"'
    )


def _right(cls: str, verdict: Verdict) -> tuple[bool, bool]:
    """Whether the verdict has the class's category, and (probe classes) a probe category."""
    want = "known-exploit" if cls == "known-exploit" else CLASSES.get(cls, cls)
    categories = set(verdict.categories)
    return want in categories, bool(categories & _PROBE_CATEGORIES)


def _score_rows(
    cls: str,
    rows: list[Payload],
    scores: dict[tuple[str, str, str], _Score],
    names: tuple[str, str] = ("lists", _ALL_ENTRIES),
    *,
    by_list: dict[tuple[str, str, str], _Score] | None = None,
) -> None:
    """Score one corpus: its targets as ``names[0]``, every row (probe classes) as ``names[1]``;
    legacy-probe targets also into ``by_list``, by their source list."""
    status = 404 if cls in _FILE_CLASSES else 200
    # One pipeline per class: a line's findings do not depend on the lines before it.
    lines = [
        Line(cls, n, _line(row.target(), status, n, row.method(), row.cookie()))
        for n, row in enumerate(rows, 1)
    ]
    result = scan(lines, new_pipeline(_COOKIE_FORMAT))
    for row, verdict in zip(rows, result.verdicts, strict=True):
        target = row.target()
        right, family = _right(cls, verdict)
        corpora = [names[0]] if row.kind == "target" else []
        if cls in _ALL_ENTRIES_CLASSES:
            corpora.append(names[1])
        where = row.source.rsplit(":", 1)[-1]
        tallies = [(scores, (cls, corpus, row.split)) for corpus in corpora]
        if by_list is not None and cls in _ALL_ENTRIES_CLASSES and row.kind == "target":
            tallies.append((by_list, (names[0], where.rsplit("/", 1)[-1], row.split)))
        for into, key in tallies:
            score = into.setdefault(key, _Score())
            score.total += 1
            score.right += right
            score.probe_family += family
            score.any_finding += verdict.flagged
            if cls == "known-exploit":
                score.templates[row.source] = score.templates.get(row.source, False) or right
            if not right:
                score.misses.append((where, target, _seen(verdict)))


def _score_tool(
    name: str, path: Path, wrapped: bool, scores: dict[tuple[str, str, str], _Score]
) -> None:
    if not path.exists():
        return
    lines = read_lines(path, name)
    if wrapped:
        lines = unwrap_quoted(lines)
    chosen: list[tuple[str, Line]] = []
    seen: set[str] = set()
    for line in lines:
        match = _REQUEST.search(line.text)
        if match is None:
            continue
        target = match.group(1)
        for cls in _TOOL_CLASSES:
            if _tool_label(cls, target) and (cls, target) not in seen:
                seen.add((cls, target))
                chosen.append((cls, line))
    result = scan([line for _, line in chosen], new_pipeline())
    for (cls, line), verdict in zip(chosen, result.verdicts, strict=True):
        target = _REQUEST.search(line.text).group(1)  # type: ignore[union-attr]
        score = scores.setdefault((cls, name, split_of(target)), _Score())
        score.total += 1
        right, family = _right(cls, verdict)
        score.right += right
        score.probe_family += family
        if not right:
            score.misses.append((f"{name}:{line.number}", target, _seen(verdict)))


def _tool_label(cls: str, target: str) -> bool:
    if cls == "header-injection":
        # One value or segment at a time: the line break must be inside the request's text.
        return (
            label(cls, target) == "target" and re.search(r"%(?:25)*0[ad]", target, re.I) is not None
        )
    return label(cls, target) == "target" and "\x00" in unquote(unquote(unquote(target)))


def _seen(verdict: Verdict) -> str:
    if verdict.log == "unparsed":
        return f"unparsed ({verdict.unparsed_reason})"
    return ", ".join(verdict.rules) or "no finding"


def _pairs(
    scores: dict[tuple[str, str, str], _Score],
) -> dict[tuple[str, str], tuple[_Score, _Score]]:
    keys = sorted({(cls, source) for cls, source, _ in scores}, key=_order)
    return {
        key: (scores.get((*key, "dev"), _Score()), scores.get((*key, "held-out"), _Score()))
        for key in keys
    }


def _order(key: tuple[str, str]) -> tuple[int, int, str]:
    classes = [*CLASSES, "known-exploit"]
    cls, source = key
    ranks = {"lists": 0, _ALL_ENTRIES: 1, _DIRB: 2, _DIRB_ALL_ENTRIES: 3}
    ranks |= {row: 2 for row in _KNOWN_LATER.values()} | {_KNOWN_ALL: 3}
    lists_first = ranks.get(source, 4)
    return (classes.index(cls) if cls in classes else 99, lists_first, source)


def _verdict(cls: str, dev: _Score, held: _Score) -> str:
    # Judged on the held-out half alone: the rules were written from the dev half, so only the
    # held-out figure says what they catch in payloads nobody tuned them on.
    target = TARGETS.get(cls)
    if target is None or held.total == 0:
        return "-"
    recall = 100.0 * held.right / held.total
    return f">= {target:g}% held-out: {'met' if recall >= target else 'NOT met'}"


def _table(scores: dict[tuple[str, str, str], _Score], probes: Counter[str]) -> str:
    rows = []
    for (cls, source), (dev, held) in _pairs(scores).items():
        want = "known-exploit" if cls in ("legacy-probe", "known-exploit") else CLASSES[cls]
        # Dev / held-out, like the right-class figures: the held-out one is the one to judge.
        shares = _shares(dev, held) if cls in _FILE_CLASSES else ["-", "-"]
        rows.append(
            [
                cls,
                want,
                source,
                *_recall(dev, held),
                probes[source if source in (_DIRB, _KNOWN_ALL) else cls]
                if source in _JUDGED
                else "-",
                *shares,
                _verdict(cls, dev, held) if source in _JUDGED else "-",
            ]
        )
    return table(
        [
            "class", "taxonomy id", "corpus", "dev", "dev right %", "held-out",
            "held-out right %", "probe-only or other-class rows (not counted)",
            "any probe category (known-exploit, admin-probe, sensitive-file), dev / held-out",
            "any finding, dev / held-out", "target",
        ],
        rows,
    )  # fmt: skip


def _recall(dev: _Score, held: _Score) -> list[object]:
    """Rows and right-class recall of each split."""
    return [dev.total, pct(dev.right, dev.total), held.total, pct(held.right, held.total)]


def _shares(dev: _Score, held: _Score) -> list[object]:
    """Any probe category and any finding, dev / held-out."""
    return [
        f"{pct(dev.probe_family, dev.total)} / {pct(held.probe_family, held.total)}",
        f"{pct(dev.any_finding, dev.total)} / {pct(held.any_finding, held.total)}",
    ]


def _caught(score: _Score) -> str:
    caught = sum(score.templates.values())
    return f"{caught} of {len(score.templates)} ({pct(caught, len(score.templates))})"


def _template_table(scores: dict[tuple[str, str, str], _Score]) -> list[str]:
    """Known exploits by template run: one flagged request is an alert on that exploit run.
    A template counts in a split when one of its requests is in it (no figure to judge by)."""
    rows = [
        ["nuclei, first 25 CVEs" if source == "lists" else source, _caught(dev), _caught(held)]
        for (cls, source), (dev, held) in _pairs(scores).items()
        if cls == "known-exploit"
    ]
    if not rows:
        return []
    header = ["known-exploit corpus", "templates with a flagged request, dev", "held-out"]
    return ["Known exploits by template run:", "", table(header, rows), ""]


def _list_table(by_list: dict[tuple[str, str, str], _Score]) -> list[str]:
    """Legacy-probe targets by source list: where the corpus' figure comes from."""
    if not by_list:
        return []
    rows = []
    for corpus, name in sorted({(corpus, name) for corpus, name, _ in by_list}):
        dev = by_list.get((corpus, name, "dev"), _Score())
        held = by_list.get((corpus, name, "held-out"), _Score())
        rows.append([corpus, name, *_recall(dev, held), *_shares(dev, held)])
    header = [
        "corpus", "list", "dev", "dev right %", "held-out", "held-out right %",
        "any probe category, dev / held-out", "any finding, dev / held-out",
    ]  # fmt: skip
    return ["Legacy-probe targets by the list they come from:", "", table(header, rows), ""]


def _held_out_counts(scores: dict[tuple[str, str, str], _Score]) -> list[str]:
    """How many held-out rows each corpus misses, never which: a held-out row that anyone reads
    can shape the next rule, and the held-out figure would stop saying what the rules catch in
    payloads nobody tuned them on."""
    out = ["#### Misses on the held-out split (counts only: the rows are not shown)", ""]
    counted = [
        f"- **{cls}** ({source}): {len(held.misses)} of {held.total}"
        for (cls, source), (_, held) in _pairs(scores).items()
        if held.misses
    ]
    return [*out, *(counted or ["None."]), ""]


def _misses(scores: dict[tuple[str, str, str], _Score], split: str, limit: int = 12) -> list[str]:
    out = [f"#### Misses on the {split} split" + (" (up to 12 per corpus)" if limit == 12 else "")]
    out.append("")
    found = False
    for (cls, source), pair in _pairs(scores).items():
        score = pair[0] if split == "dev" else pair[1]
        if not score.misses:
            continue
        found = True
        out.append(f"- **{cls}** ({source}), {len(score.misses)} of {score.total}:")
        out.extend(
            f"  - {code(target, 140)} — {where}: {seen}"
            for where, target, seen in score.misses[:limit]
        )
    if not found:
        out.append("None.")
    out.append("")
    return out
