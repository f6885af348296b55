"""The HTML report opened in real headless Chromium: it renders (screenshot), its charts are in
the rendered DOM, the console stays silent, and the numbers it shows are ``alerts --json``'s.

The store is filled by real ``lwsyslog scan --store`` runs over the repository's captures.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import struct
import subprocess
import zlib
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


def png_colours(data: bytes) -> Counter[tuple[int, int, int]]:
    """Pixels per RGB colour of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width, height, kind = 8, [], 0, 0, 0
    while pos < len(data):
        size, name = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if name == b"IHDR":
            width, height, depth, kind = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and kind in (2, 6)
        elif name == b"IDAT":
            chunks.append(body)
    raw = zlib.decompress(b"".join(chunks))
    bpp = 3 if kind == 2 else 4
    stride = width * bpp
    previous = bytearray(stride)
    colours: Counter[tuple[int, int, int]] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if method == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif method == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
        elif method in (3, 4):
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
                if method == 3:
                    line[i] = (line[i] + (left + up) // 2) & 255
                    continue
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                           (abs(guess - corner), 2, corner))  # fmt: skip
                line[i] = (line[i] + near[2]) & 255
        colours.update(zip(line[0::bpp], line[1::bpp], line[2::bpp], strict=True))
        previous = line
    return colours


_BAR = re.compile(r'<rect class="bar"[^>]*>(?:<title>[^<]*</title></rect>)?')


def test_chart_bars_are_painted_at_their_size(
    report: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Each bar's colour covers about the bar's area in the screenshot: comparing with the same
    page without its bars (legend swatches, text and grid are the same in both)."""
    page, _ = report
    html = page.read_text()
    bars = _BAR.findall(html)
    assert bars
    expected: Counter[tuple[int, int, int]] = Counter()
    for bar in bars:
        fields = dict(re.findall(r'([\w-]+)="([^"]*)"', bar.split(">")[0]))
        colour = tuple(int(fields["fill"][i : i + 2], 16) for i in (1, 3, 5))
        expected[colour] += round(float(fields["width"]) * float(fields["height"]))  # type: ignore[index]
    bare = tmp_path / "bare.html"
    bare.write_text(_BAR.sub("", html))
    shots = []
    for name, source in (("with", page), ("without", bare)):
        shot = tmp_path / f"{name}.png"
        run_chromium(source, f"--screenshot={shot}")
        shots.append(png_colours(shot.read_bytes()))
    painted = {colour: shots[0][colour] - shots[1][colour] for colour in expected}
    assert sum(expected.values()) > 2000
    for colour, area in expected.items():
        # Anti-aliased edges of bars at fractional positions are not exactly the colour.
        assert 0.6 * area - 50 <= painted[colour] <= 1.05 * area + 50, (colour, area, painted)
