"""Restore the measurement corpora of the shared data directory from git snapshots.

``measure_detection.py`` and ``measure_formats.py`` read third-party data that is not committed
(``../shared/data`` next to the checkout). This script rebuilds the parts of it that come from
public repositories, each directory with a ``SOURCES.md`` (repository, commit, paths, licence,
date read, row or line counts):

``payloads/round2/<class>.tsv``   the round-2 payload lists (:mod:`detection.payload_lists`,
                                  from PayloadsAllTheThings and fuzzdb)
``kev/``                          CISA's Known Exploited Vulnerabilities catalog (CSV)
``sigma-web/``                    SigmaHQ's rules with ``logsource: category: webserver`` from
                                  ``rules/web/`` and ``rules-emerging-threats/``, flat (the
                                  coverage section reads ``sigma-web/*.yml``; each file's path in
                                  the repository is in ``sigma-web/SOURCES.md``)
``public/iis_w3c/``               three IIS W3C sites' daily logs, concatenated in name order
``payloads/round2/legacy-probe-dirb.tsv``  the second legacy-probe corpus
                                  (:mod:`detection.dirb_lists`, from Debian's ``dirb`` package,
                                  fetched with ``apt-get download``)
``payloads/round2/known-exploit.tsv``  the nuclei requests (:mod:`detection.known_exploits`)
                                  from saved templates (``payloads/round2/nuclei-kev/``:
                                  ``MANIFEST.tsv`` and the files under their repository paths);
                                  ``known-exploit-next.tsv`` and ``known-exploit-third.tsv``
                                  from the next 25 templates and the 25 after them

The snapshots are git directories (``fetch`` puts them under
``/work/.mirror/<owner>+<name>/repo``, or ``repo/.git`` for a clone with a work tree); only
``HEAD`` is read. nuclei-templates is too big to fetch whole, so its templates are saved once
(``known_exploits select`` lists the CVEs, the first 75 with an ``http/cves`` template are
used) and kept with the data; ``--templates`` points at another copy of that directory.

Usage (from the checkout's ``bench/``)::

    ../.venv/bin/python -m detection.restore_data [--data DIR] [--mirror DIR]
        [--only payloads|dirb|kev|sigma-web|iis|known-exploit ...] [--templates DIR]
        [--patt GITDIR] [--fuzzdb GITDIR] [--kev GITDIR] [--sigma GITDIR]
        [--knowit GITDIR] [--waikolai GITDIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from detection import dirb_lists, known_exploits, payload_lists

__all__ = ["IIS_LOGS", "PARTS", "Snapshot", "main"]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_MIRROR = Path("/work/.mirror")
KEV = "cisagov/kev-data"
SIGMA = "SigmaHQ/sigma"
KNOWIT = "know-it-peru/WebKnowIT"
WAIKOLAI = "bherila/waikolai"
#: Repositories read, by command-line option.
REPOS = {
    "patt": payload_lists.PATT,
    "fuzzdb": payload_lists.FUZZDB,
    "kev": KEV,
    "sigma": SIGMA,
    "knowit": KNOWIT,
    "waikolai": WAIKOLAI,
}
LICENCES = {
    payload_lists.PATT: "MIT (`LICENSE`)",
    payload_lists.FUZZDB: "New BSD and CC BY (README: cite fuzzdb when used)",
    KEV: "CC0 1.0 (`LICENSE`)",
    SIGMA: "Detection Rule License (DRL) 1.1, https://github.com/SigmaHQ/Detection-Rule-License",
    KNOWIT: "no licence file (public repository)",
    WAIKOLAI: "no licence file (public repository)",
    known_exploits.REPO: "MIT",
}
KEV_CSV = "known_exploited_vulnerabilities.csv"
SIGMA_DIRS = ("rules/web/", "rules-emerging-threats/")
#: (file under public/iis_w3c, repository, directory of daily logs, lines measured before).
IIS_LOGS = (
    ("knowit_peru_W3SVC1.log", KNOWIT, "logs/LogFiles/W3SVC1/", 31_070),
    ("knowit_peru_W3SVC2.log", KNOWIT, "logs/LogFiles/W3SVC2/", 65_543),
    ("waikolai_W3SVC20.log", WAIKOLAI, "logs/W3SVC20/", 38_740),
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A git directory holding a snapshot of ``repo``; everything is read at ``HEAD``."""

    repo: str
    git_dir: Path

    def _git(self, *args: str) -> bytes:
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args], capture_output=True, check=True
        )
        return done.stdout

    def commit(self) -> str:
        """The full id of ``HEAD``."""
        return self._git("rev-parse", "HEAD").decode().strip()

    def date(self) -> str:
        """``HEAD``'s commit date (``YYYY-MM-DD``)."""
        return self._git("log", "-1", "--format=%cs", "HEAD").decode().strip()

    def show(self, path: str) -> bytes:
        """The content of ``path`` at ``HEAD``."""
        return self._git("show", f"HEAD:{path}")

    def files(self, *prefixes: str) -> list[str]:
        """Paths of the files under ``prefixes`` (directories ending in ``/``), sorted."""
        out = self._git("ls-tree", "-r", "--name-only", "-z", "HEAD", "--", *prefixes)
        return sorted(name for name in out.decode("utf-8").split("\0") if name)

    def cite(self) -> str:
        """``owner/name @ commit (date)`` for a provenance table."""
        return f"{self.repo} @ {self.commit()[:10]} ({self.date()})"


def git_dir(mirror: Path, repo: str) -> Path:
    """The git directory ``fetch`` made for ``repo`` under ``mirror``."""
    base = mirror / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


_FILE_HEADER = ("local file", "repository @ commit (commit date)", "licence", "read")


def _write_sources(directory: Path, title: str, lines: list[str]) -> None:
    text = "\n".join([f"# {title} — provenance", "", *lines]) + "\n"
    (directory / "SOURCES.md").write_text(text, encoding="utf-8")


@dataclass(slots=True)
class Context:
    """What every part reads: the data directory, the snapshots and the templates."""

    data: Path
    snapshots: dict[str, Snapshot]
    templates: Path

    @property
    def round2(self) -> Path:
        """``payloads/round2`` of the data directory."""
        return self.data / "payloads" / "round2"


def restore_payloads(ctx: Context) -> str:
    """``payloads/round2/<class>.tsv`` from PayloadsAllTheThings and fuzzdb."""
    patt, fuzzdb = ctx.snapshots["patt"], ctx.snapshots["fuzzdb"]
    counts = payload_lists.build(
        {payload_lists.PATT: patt.git_dir, payload_lists.FUZZDB: fuzzdb.git_dir}, ctx.round2
    )
    _round2_sources(ctx)
    return ", ".join(f"{cls} {count}" for cls, count in counts.items())


def _round2_sources(ctx: Context) -> None:
    patt, fuzzdb = ctx.snapshots["patt"], ctx.snapshots["fuzzdb"]
    rows: list[list[object]] = []
    names = [*payload_lists.CLASSES, dirb_lists.FILE.removesuffix(".tsv"), *known_exploits.CORPORA]
    for cls in names:
        if not (ctx.round2 / f"{cls}.tsv").exists():
            continue
        loaded = payload_lists.load(ctx.round2, cls)
        splits = Counter(row.split for row in loaded)
        kinds = Counter(row.kind for row in loaded)
        rows.append(
            [
                f"`{cls}.tsv`",
                len(loaded),
                splits["dev"],
                splits["held-out"],
                ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())),
            ]
        )
    lists = [[cls, repo, f"`{path}`", place] for cls, repo, path, place in payload_lists.LISTS]
    _write_sources(
        ctx.round2,
        "Round-2 payload corpora",
        [
            f"Built {_today()} by `bench/detection/restore_data.py` (`payload_lists.build`) "
            "from git snapshots, read at HEAD:",
            "",
            *_table(
                ["repository @ commit (commit date)", "licence"],
                [[s.cite(), LICENCES[s.repo]] for s in (patt, fuzzdb)],
            ),
            "",
            "One payload per row (`split`, `kind`, `place`, `source`, `payload`); the split is "
            "fixed by the SHA-1 of the payload, the kind by `payload_lists.label`. "
            "The `known-exploit*.tsv` files come from nuclei templates: see "
            "`nuclei-kev/SOURCES.md`. "
            "`legacy-probe-dirb.tsv` (`bench/detection/dirb_lists.py`) comes from Debian's "
            f"`dirb` package (GPL-2+), its `wordlists/vulns/` lists {', '.join(dirb_lists.LISTS)}, "
            "as files; a request already in `legacy-probe.tsv` (compared without case) is "
            "left out.",
            "",
            *_table(["file", "rows", "dev", "held-out", "kinds"], rows),
            "",
            "Lists read (class, repository, path, place):",
            "",
            *_table(["class", "repository", "path", "place"], lists),
        ],
    )


def restore_dirb(ctx: Context) -> str:
    """``payloads/round2/legacy-probe-dirb.tsv`` from Debian's dirb package (needs the first
    legacy-probe corpus: its requests are left out)."""
    with tempfile.TemporaryDirectory() as work:
        wordlists, version = dirb_lists.download(Path(work))
        first = payload_lists.load(ctx.round2, dirb_lists.CLASS)
        counts = dirb_lists.build(wordlists, version, first, ctx.round2)
    _round2_sources(ctx)
    return f"dirb {version}: " + ", ".join(f"{name} {n}" for name, n in counts.items())


def restore_kev(ctx: Context) -> str:
    """``kev/known_exploited_vulnerabilities.csv``: CISA's catalog as the snapshot has it."""
    snap = ctx.snapshots["kev"]
    out = ctx.data / "kev"
    out.mkdir(parents=True, exist_ok=True)
    content = snap.show(KEV_CSV)
    (out / KEV_CSV).write_bytes(content)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    catalog: dict[str, Any] = json.loads(snap.show("known_exploited_vulnerabilities.json"))
    _write_sources(
        out,
        "CISA Known Exploited Vulnerabilities",
        [
            *_table(
                [*_FILE_HEADER[:2], "path", *_FILE_HEADER[2:], "rows"],
                [[f"`{KEV_CSV}`", snap.cite(), f"`{KEV_CSV}`", LICENCES[KEV], _today(), len(rows)]],
            ),
            "",
            f"Catalog version {catalog.get('catalogVersion')}, released "
            f"{catalog.get('dateReleased')} ({catalog.get('count')} entries in the JSON twin); "
            f"newest `dateAdded` {max(row['dateAdded'] for row in rows)}. Unchanged copy.",
        ],
    )
    return f"{len(rows)} entries"


def _webserver_rule(text: bytes) -> dict[str, Any] | None:
    try:
        rule = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(rule, dict):
        return None
    logsource = rule.get("logsource")
    if isinstance(logsource, dict) and logsource.get("category") == "webserver":
        return rule
    return None


def restore_sigma(ctx: Context) -> str:
    """``sigma-web/*.yml``: SigmaHQ's webserver rules, unchanged, one directory level."""
    snap = ctx.snapshots["sigma"]
    out = ctx.data / "sigma-web"
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.yml"), *out.glob("*.yaml")]:
        old.unlink()
    rows: list[list[object]] = []
    for path in snap.files(*SIGMA_DIRS):
        if not path.endswith((".yml", ".yaml")):
            continue
        content = snap.show(path)
        rule = _webserver_rule(content)
        if rule is None:
            continue
        name = path.rsplit("/", 1)[1]
        if (out / name).exists():
            raise SystemExit(f"sigma-web: two rules named {name} (second: {path})")
        (out / name).write_bytes(content)
        rows.append([f"`{name}`", f"`{path}`", rule.get("title", ""), rule.get("author", "")])
    _write_sources(
        out,
        "SigmaHQ webserver rules",
        [
            f"The rules of {snap.cite()} under `{'`, `'.join(SIGMA_DIRS)}` whose `logsource` "
            f"has `category: webserver`, read {_today()} at HEAD: {len(rows)} files, copied "
            "unchanged (their `author`, `references` and `id` fields kept) into one directory "
            "(the coverage section reads `sigma-web/*.yml`; `--sigma-dir` of bench_scan.py "
            "reads any depth). The repository path of each is below.",
            "",
            f"Licence: {LICENCES[SIGMA]}. Authors as each rule names them:",
            "",
            *_table(["file", "path in SigmaHQ/sigma", "title", "author"], rows),
        ],
    )
    return f"{len(rows)} rules"


def restore_iis(ctx: Context) -> str:
    """``public/iis_w3c/*.log``: each site's daily W3C logs concatenated in file-name order."""
    out = ctx.data / "public" / "iis_w3c"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[list[object]] = []
    notes: list[str] = []
    by_repo = {s.repo: s for s in ctx.snapshots.values()}
    for name, repo, directory, expected in IIS_LOGS:
        snap = by_repo[repo]
        paths = [p for p in snap.files(directory) if p.endswith(".log")]
        with (out / name).open("wb") as handle:
            for path in paths:
                handle.write(snap.show(path))
        with (out / name).open("rb") as handle:
            lines = sum(1 for _ in handle)
        if lines != expected:
            notes.append(f"{name}: {lines} lines, {expected} measured before")
        first, last = paths[0].rsplit("/", 1)[1], paths[-1].rsplit("/", 1)[1]
        rows.append(
            [
                f"`{name}`",
                snap.cite(),
                f"`{directory}*.log` ({len(paths)} files, {first} … {last})",
                LICENCES[repo],
                _today(),
                lines,
            ]
        )
    _write_sources(
        out,
        "Public IIS W3C logs",
        [
            "Real production logs of small IIS sites, copied from public repositories' git "
            "snapshots (read at HEAD). Each file is the site's daily logs concatenated in "
            "file-name (date) order, unchanged (every daily file keeps its `#Software`/"
            "`#Fields` directives).",
            "",
            *_table([*_FILE_HEADER[:2], "paths", *_FILE_HEADER[2:], "lines"], rows),
        ],
    )
    _mention_in_public_sources(ctx.data / "public" / "SOURCES.md")
    summary = ", ".join(f"{row[0]} {row[-1]}" for row in rows)
    return summary + "".join(f"; NOTE {note}" for note in notes)


def _mention_in_public_sources(path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if "iis_w3c/SOURCES.md" not in text:
        line = "\nIIS W3C logs (`iis_w3c/`): provenance in `iis_w3c/SOURCES.md`.\n"
        path.write_text(text.rstrip("\n") + "\n" + line, encoding="utf-8")


def restore_known_exploit(ctx: Context) -> str:
    """``payloads/round2/known-exploit.tsv`` from the saved nuclei templates."""
    saved = ctx.round2 / "nuclei-kev"
    if not (ctx.templates / "MANIFEST.tsv").exists():
        cves = known_exploits.select(ctx.data)
        return (
            f"skipped: no {ctx.templates}/MANIFEST.tsv. Save the templates of the first "
            f"{len(known_exploits.CORPORA) * known_exploits.COUNT} of these {len(cves)} CVEs "
            "that have one "
            "(`python -m detection.known_exploits select --data DIR`) under their paths there"
        )
    if ctx.templates.resolve() != saved.resolve():
        shutil.copytree(ctx.templates, saved, dirs_exist_ok=True)
    counts = known_exploits.build(saved, ctx.round2)
    with (saved / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        manifest = list(csv.DictReader(handle, delimiter="\t"))
    rows = [
        row
        for name in counts
        for row in payload_lists.load(ctx.round2, name, cls=known_exploits.CLASS)
    ]
    per_template = Counter(row.source.rsplit(":", 1)[1] for row in rows)
    used = {entry["cve"] for entry in manifest}
    order = known_exploits.select(ctx.data)
    last = max((order.index(cve) for cve in used if cve in order), default=-1)
    skipped = [cve for cve in order[: last + 1] if cve not in used]
    dates = sorted({entry.get("read", "?") for entry in manifest})
    _write_sources(
        saved,
        "nuclei templates of the known-exploit corpus",
        [
            f"Templates of {known_exploits.REPO} (licence {LICENCES[known_exploits.REPO]}), read "
            f"one file at a time on {', '.join(dates)} (each at the commit the index held it at, "
            "below): for the CVEs the known-exploit rule pack names that are on CISA's KEV list, "
            f"in SHA-1 order of the CVE id, the first {known_exploits.COUNT} with an "
            "`http/cves/<year>/<CVE>.yaml` template for `../known-exploit.tsv`, the next "
            f"{known_exploits.COUNT} for `../{known_exploits.NEXT}.tsv` and the "
            f"{known_exploits.COUNT} after them for `../{known_exploits.THIRD}.tsv` (the "
            "templates of these two read on 2026-12-07, before any rule was written from them; "
            "`known_exploits select`; no "
            f"template was found for {', '.join(skipped) or 'none'} before the last one used). "
            "Each file is its template under the same path, whole or an excerpt that keeps at "
            "least `id`, `info.name`, `variables` and the request blocks (`method`, `path`, "
            "`headers`, `payloads`, `attack`, and of each `raw` request its `@` options, request "
            "line and headers) as the template writes them; `known_exploits.build` reads only "
            "those. `MANIFEST.tsv` lists the files used (`cve`, `path`, `commit`, `read`); a "
            "`SAVED.tsv` beside it, when present, lists more saved templates in corpus order, "
            "for when the pack gains CVEs.",
            "",
            ", ".join(f"`../{name}.tsv`: {count} rows" for name, count in counts.items())
            + f" (distinct request lines), built {_today()} by `known_exploits.build`. Held-out "
            "data for rule writers: measure with them, do not read their held-out rows while "
            "writing rules.",
            "",
            *_table(
                ["cve", "template", "commit", "requests in the corpus"],
                [
                    [e["cve"], f"`{e['path']}`", e["commit"][:10], per_template[e["path"]]]
                    for e in manifest
                ],
            ),
        ],
    )
    _round2_sources(ctx)
    return f"{sum(counts.values())} requests from {len(manifest)} templates"


#: The parts in the order they run (known-exploit needs the KEV list).
PARTS: dict[str, Callable[[Context], str]] = {
    "payloads": restore_payloads,
    "dirb": restore_dirb,
    "kev": restore_kev,
    "sigma-web": restore_sigma,
    "iis": restore_iis,
    "known-exploit": restore_known_exploit,
}


def main(argv: list[str] | None = None) -> int:
    """Rebuild the chosen parts (default: all) and print one line per part."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data directory")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR, help="fetch's snapshots")
    parser.add_argument("--only", action="append", choices=list(PARTS), help="repeatable")
    parser.add_argument(
        "--templates", type=Path, help="saved nuclei-kev dir (default: DATA/payloads/round2/...)"
    )
    for option, repo in REPOS.items():
        parser.add_argument(f"--{option}", type=Path, help=f"git dir of {repo}")
    args = parser.parse_args(argv)
    snapshots = {
        option: Snapshot(repo, getattr(args, option) or git_dir(args.mirror, repo))
        for option, repo in REPOS.items()
    }
    templates = args.templates or args.data / "payloads" / "round2" / "nuclei-kev"
    ctx = Context(args.data, snapshots, templates)
    for name, part in PARTS.items():
        if args.only is None or name in args.only:
            print(f"{name}: {part(ctx)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
