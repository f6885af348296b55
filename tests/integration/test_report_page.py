"""The HTML report opened in real headless Chromium: it renders (screenshot), its charts are in
the rendered DOM, the console stays silent, and the numbers it shows are ``alerts --json``'s.

The store is filled by real ``lwsyslog scan --store`` runs over the repository's captures.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import struct
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.cli.main import main

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures"
LOGS = [
    *sorted(str(p) for p in (FIXTURES / "attack-tools").glob("*/*.log")),
    str(FIXTURES / "logs" / "sample-access.log"),
]
PERIOD = ("--since", "2026-11-23T00:00:00+00:00", "--until", "2026-11-24T00:00:00+00:00")
WIDTH, HEIGHT = 1000, 2600


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return path


def run_chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium headless on ``page``; console messages go to stderr as ':CONSOLE' lines."""
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},{HEIGHT}",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def lwsyslog(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The report page of a scanned store, and ``alerts --json`` over the same period."""
    chromium()
    directory = tmp_path_factory.mktemp("report-page")
    db, page = directory / "alerts.db", directory / "report.html"
    lwsyslog("scan", "--store", str(db), *LOGS)
    lwsyslog("report", "--db", str(db), *PERIOD, "--html", str(page))
    records = lwsyslog("alerts", "--db", str(db), "--json", "--limit", "0", *PERIOD)
    return page, [json.loads(line) for line in records.splitlines()]


class Dom(HTMLParser):
    """What the rendered DOM holds: text by element id, table rows, chart bars."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: dict[str, list[tuple[str, list[str]]]] = {}
        self.bars: dict[str, list[dict[str, str]]] = {}
        self._id: str | None = None
        self._table: str | None = None
        self._row: tuple[str, list[str]] | None = None
        self._svg: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if "id" in attributes and tag == "span":
            self._id = attributes["id"]
        if tag == "table":
            self._table = attributes.get("id", "")
        if tag == "tr" and self._table and "data-key" in attributes:
            self._row = (attributes["data-key"], [])
        if tag == "td" and self._row is not None:
            self._cell = []
        if tag == "svg":
            self._svg = attributes.get("id", "")
            self.bars[self._svg] = []
        if tag == "rect" and self._svg and "bar" in attributes.get("class", ""):
            self.bars[self._svg].append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._id = None
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None and self._table:
            self.rows.setdefault(self._table, []).append(self._row)
            self._row = None
        if tag == "table":
            self._table = None
        if tag == "svg":
            self._svg = None

    def handle_data(self, data: str) -> None:
        if self._id:
            self.text[self._id] = self.text.get(self._id, "") + data
        if self._cell is not None:
            self._cell.append(data)


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def dom(report: tuple[Path, list[dict[str, Any]]]) -> Dom:
    page, _ = report
    parsed = Dom()
    parsed.feed(run_chromium(page, "--dump-dom").stdout)
    return parsed


def test_page_renders_to_a_full_screenshot(
    report: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    page, _ = report
    shot = tmp_path / "report.png"
    run_chromium(page, f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(data) > 30_000  # text, tables and coloured charts, not a blank page


def test_charts_are_in_the_rendered_dom(
    dom: Dom, report: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, alerts = report
    timeline = dom.bars["chart-timeline"]
    assert timeline and sum(int(bar["data-count"]) for bar in timeline) == len(alerts)
    leading = Counter(r["categories"][0] if r["categories"] else "(none)" for r in alerts)
    stacked = Counter[str]()
    for bar in timeline:
        stacked[bar["data-series"]] += int(bar["data-count"])
    assert stacked == leading or "other" in stacked
    clients = {bar["data-label"]: int(bar["data-count"]) for bar in dom.bars["chart-clients"]}
    assert clients == Counter(r["client_ip"] for r in alerts if r["client_ip"])


def test_numbers_shown_equal_alerts_json(
    dom: Dom, report: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, alerts = report
    assert number(dom.text["total-alerts"]) == len(alerts)
    clients = Counter(r["client_ip"] for r in alerts if r["client_ip"])
    assert number(dom.text["clients"]) == len(clients)
    severity = {key: number(cells[1]) for key, cells in dom.rows["by-severity"]}
    assert severity == {s: sum(r["severity"] == s for r in alerts) for s in severity}
    categories = {key: number(cells[1]) for key, cells in dom.rows["by-category"]}
    assert categories == Counter(c for r in alerts for c in r["categories"] or [""])
    top = {key: number(cells[1]) for key, cells in dom.rows["top-clients"]}
    assert top == dict(clients.most_common(10))
    rules = {key: number(cells[1]) for key, cells in dom.rows["rules"]}
    assert rules.items() <= Counter(r["rule"] for r in alerts).items()


def test_console_stays_silent(report: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    page, _ = report
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom')</script>")
    # The check can fail: a page with a console error shows up in Chromium's log.
    assert ":CONSOLE" in run_chromium(broken, "--dump-dom").stderr
    log = run_chromium(page, "--dump-dom").stderr
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []
