"""The report digest equals what the stored alerts say, over aligned and unaligned periods,
after pruning; its text, HTML and mail forms escape what came from logs."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lwsyslog.cli.main import main
from lwsyslog.report import build_digest, render_html, render_text, report_mail
from lwsyslog.report.digest import MAX_BUCKETS, pick_bucket
from lwsyslog.report.text import local_time
from lwsyslog.severity import Severity
from lwsyslog.store import AlertFilter, AlertStore, StoredAlert, open_reader, select_alerts
from lwsyslog.store.rows import client_key, iso_utc
from tests.unit.store_support import BASE_TIME, fill, local_zone, make_alert

HOUR = 3600.0
DAY = 86400.0
START = BASE_TIME - 3 * DAY


def random_alerts(seed: int, count: int) -> list[Any]:
    rng = random.Random(seed)
    clients = [f"198.51.100.{i}" for i in range(30)] + ["2001:db8::7", "", "crawler.example"]
    categories: list[tuple[str, ...]] = [("sqli",), ("xss", "sqli"), ("scanner",), (), ("dos",)]
    rules = ["sqli-union-select", "xss-script-tag", "scan-404-burst", "request-flood"]
    hosts = ["web1", "web2", "shop.example", ""]
    return [
        make_alert(
            at=START + rng.random() * 4 * DAY,
            line=i,
            client=rng.choice(clients),
            categories=rng.choice(categories),
            rule=rng.choice(rules),
            host=rng.choice(hosts),
            severity=rng.choice(list(Severity)),
        )
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "alerts.db"
    fill(path, random_alerts(1, 1500))
    return path


def stored(path: Path) -> list[StoredAlert]:
    conn = open_reader(path)
    try:
        return select_alerts(conn, AlertFilter(limit=None))
    finally:
        conn.close()


def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(((k, v) for k, v in counter.items() if v), key=lambda kv: (-kv[1], kv[0]))


def expected(alerts: Sequence[StoredAlert], since: float, until: float) -> dict[str, Any]:
    """The digest's numbers recomputed from the alerts themselves."""
    inside = [a for a in alerts if since <= a.time < until]
    before = {a.client_ip for a in alerts if since - (until - since) <= a.time < since}
    clients: dict[str, list[StoredAlert]] = {}
    for alert in inside:
        if alert.client_ip:
            clients.setdefault(alert.client_ip, []).append(alert)
    # Ties in address order (the store's key order), not text order.
    top = sorted(clients.items(), key=lambda kv: (-len(kv[1]), client_key(kv[0])))[:10]
    categories = Counter(c for a in inside for c in (a.categories or ("",)))
    return {
        "alerts": len(inside),
        "previous_alerts": sum(1 for a in alerts if since - (until - since) <= a.time < since),
        "by_severity": {s: sum(a.severity == s for a in inside) for s in _order()},
        "by_category": dict(ranked(categories)),
        "clients": len(clients),
        "new_clients": len(set(clients) - before),
        "hosts": dict(ranked(Counter(a.host for a in inside))[:10]),
        "rules": dict(ranked(Counter(a.rule for a in inside))[:10]),
        "top_clients": [
            {
                "client": client,
                "alerts": len(mine),
                "first_seen": iso_utc(min(a.time for a in mine)),
                "last_seen": iso_utc(max(a.time for a in mine)),
                "categories": dict(
                    ranked(Counter(c for a in mine for c in (a.categories or ("",))))
                ),
                "rules": dict(ranked(Counter(a.rule for a in mine))),
                "hosts": dict(ranked(Counter(a.host for a in mine))),
                "new": client not in before,
            }
            for client, mine in top
        ],
    }


def _order() -> list[str]:
    return ["critical", "high", "medium", "low"]


def digest_record(path: Path, since: float, until: float) -> dict[str, Any]:
    conn = open_reader(path)
    try:
        return build_digest(conn, since, until).record()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (BASE_TIME - DAY, BASE_TIME),  # whole days
        (BASE_TIME - DAY + 1234.5, BASE_TIME + 1234.5),  # 24h off the hour and the day
        (BASE_TIME - 2 * DAY - 600, BASE_TIME + 7 * HOUR + 1),  # days, hours and edges
        (BASE_TIME - 1800, BASE_TIME - 60),  # under an hour
        (START - DAY, START + 10 * DAY),  # everything
    ],
)
def test_digest_numbers_equal_the_stored_alerts(store: Path, since: float, until: float) -> None:
    record = digest_record(store, since, until)
    want = expected(stored(store), since, until)
    for key, value in want.items():
        assert record[key] == value, key
    series = record["timeline"]["series"]
    assert sum(sum(values) for values in series.values()) == record["alerts"]


def test_timeline_buckets_cover_the_period_and_count_each_alert_once(store: Path) -> None:
    since, until = BASE_TIME - DAY + 1234.5, BASE_TIME + 1234.5
    record = digest_record(store, since, until)
    timeline = record["timeline"]
    assert timeline["bucket_secs"] == HOUR and len(timeline["starts"]) == 25
    inside = [a for a in stored(store) if since <= a.time < until]
    per_bucket = Counter(int(a.time // HOUR) for a in inside)
    totals = [sum(column) for column in zip(*timeline["series"].values(), strict=True)]
    first = int(since // HOUR)
    assert totals == [per_bucket.get(first + i, 0) for i in range(len(totals))]


def test_digest_stays_exact_after_retention_cuts_into_a_day(tmp_path: Path) -> None:
    path = tmp_path / "alerts.db"
    fill(path, random_alerts(2, 800))
    # Cut at 13:37 on the second day: part of a day's alerts per client go, part stay.
    store = AlertStore(path, retention_days=2.5, clock=lambda: START + 3 * DAY + 13 * HOUR)
    assert store.prune() > 0
    store.close()
    since, until = START, START + 5 * DAY
    record = digest_record(path, since, until)
    want = expected(stored(path), since, until)
    for key, value in want.items():
        assert record[key] == value, key


def test_pick_bucket_keeps_the_chart_readable() -> None:
    assert pick_bucket(1800) == 300
    assert pick_bucket(DAY) == HOUR
    assert pick_bucket(7 * DAY) == 6 * HOUR
    assert pick_bucket(30 * DAY) == DAY
    # Past 47 weeks the bars grow by whole weeks; never more than MAX_BUCKETS of them.
    for days in (400, 3650, 700_000):
        bucket = pick_bucket(days * DAY)
        assert bucket % (7 * DAY) == 0
        assert days * DAY / bucket <= MAX_BUCKETS - 1, days


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    fill(
        path,
        [
            make_alert(host="<script>alert(1)</script>\x1b[31m", client="crawler<b>x</b>"),
            make_alert(at=BASE_TIME + 1, line=2, host="web1", rule='r"><img src=x onerror=1>'),
        ],
    )
    return path


def test_text_report_has_the_sections_and_no_control_characters(hostile: Path) -> None:
    conn = open_reader(hostile)
    text = render_text(build_digest(conn, BASE_TIME - DAY, BASE_TIME + DAY))
    conn.close()
    for heading in ("by category:", "top clients:", "hosts most targeted:", "noisiest rules:"):
        assert heading in text
    assert "\x1b" not in text and "<script>alert(1)</script>\\x1b[31m" in text
    assert all(line.isprintable() for line in text.splitlines())


def test_html_report_escapes_log_text_and_loads_nothing(hostile: Path) -> None:
    conn = open_reader(hostile)
    page = render_html(build_digest(conn, BASE_TIME - DAY, BASE_TIME + DAY))
    conn.close()
    assert "<script" not in page and "<img" not in page and "<b>x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src &#x27;none&#x27;" not in page
    assert "default-src 'none'" in page
    # Nothing is fetched: no element has a URL but the empty data: icon.
    parser = _Elements()
    parser.feed(page)
    assert parser.urls == ["data:,"] and "script" not in parser.tags
    assert parser.tags.count("svg") == 2


class _Elements(HTMLParser):
    """The tags of a page and the URLs its attributes hold."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action")]


def test_report_mail_has_a_one_line_subject_and_both_parts(hostile: Path) -> None:
    conn = open_reader(hostile)
    mail = report_mail(build_digest(conn, BASE_TIME - DAY, BASE_TIME + DAY))
    conn.close()
    assert mail.subject.startswith("lwsyslog report: 2 alerts (2 high)")
    assert "\n" not in mail.subject and "<" not in mail.subject
    assert "top clients:" in mail.text and mail.html.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("when", "shown", "iso"),
    [
        (253_402_387_139.0, "epoch 253402387139", "10000-01-01T23:58:59Z"),
        (-62_135_683_140.0, "epoch -62135683140", "0000-12-31T00:01:00Z"),
        (1e20, "epoch 100000000000000000000", None),
        (float("nan"), "epoch nan", None),
    ],
)
def test_a_time_no_date_can_show_is_shown_as_epoch_seconds(
    when: float, shown: str, iso: str | None
) -> None:
    assert local_time(when) == shown and local_time(when, seconds=True) == shown
    assert iso_utc(when) == iso  # JSON: null where even the C library has no date


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o640), (0o000, 0o640), (0o077, 0o600)])
def test_the_report_page_is_for_owner_and_group_at_most_whatever_the_umask(
    hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: int, mode: int
) -> None:
    page = tmp_path / "report.html"
    page.write_text("yesterday's page")
    page.chmod(0o644)
    before = os.umask(umask)
    try:
        status = main(
            ["report", "--db", str(hostile), "--since", "2026-11-22", "--until", "2026-11-25",
             "--html", str(page)]
        )  # fmt: skip
    finally:
        os.umask(before)
    assert status == 0 and f"report page written to {page}" in capsys.readouterr().err
    assert page.stat().st_mode & 0o777 == mode
    assert "203.0.113.9" in page.read_text()


def at_local(zone: str, day: date, hour: int = 0, minute: int = 0) -> float:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", date(2026, 12, 7)),
        ("America/New_York", date(2026, 11, 1)),  # 25 hours
        ("Europe/Berlin", date(2026, 3, 29)),  # 23 hours
        ("Europe/Berlin", date(2026, 10, 25)),  # 25 hours
    ],
)
def test_the_daily_chart_counts_local_days_under_their_own_date(
    tmp_path: Path, zone: str, day: date
) -> None:
    path = tmp_path / "alerts.db"
    midnight = at_local(zone, day)
    times = [
        at_local(zone, day, 0, 30),  # just after local midnight: UTC still says the day before
        at_local(zone, day, 10),
        at_local(zone, day, 23, 30),  # just before the next local midnight
        midnight - 1800,  # the evening before
    ]
    fill(path, [make_alert(at=when, line=i) for i, when in enumerate(times)])
    with local_zone(zone):
        conn = open_reader(path)
        digest = build_digest(conn, midnight - 20 * DAY, midnight + 10 * DAY)
        conn.close()
        page = render_html(digest)
    timeline = digest.timeline
    assert timeline.bucket_secs == DAY
    index = timeline.starts.index(midnight)
    assert timeline.starts[index + 1] == at_local(zone, day + timedelta(days=1))
    assert timeline.totals()[index - 1 : index + 2] == [1, 3, 0]
    assert f"<title>{day.isoformat()} 00:00: sqli 3</title>" in page


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Asia/Kathmandu"])
@pytest.mark.parametrize(
    ("since", "until"),
    [
        (BASE_TIME - DAY + 1234.5, BASE_TIME + 1234.5),  # hours
        (START, START + 4 * DAY),  # 3 hours
        (BASE_TIME - 3 * HOUR - 17, BASE_TIME),  # 5 minutes
    ],
)
def test_local_buckets_start_on_the_local_clock_and_count_each_alert_where_it_falls(
    store: Path, zone: str, since: float, until: float
) -> None:
    with local_zone(zone):
        conn = open_reader(store)
        timeline = build_digest(conn, since, until).timeline
        conn.close()
        minutes = {datetime.fromtimestamp(start).minute for start in timeline.starts}
    assert minutes <= set(range(0, 60, timeline.bucket_secs // 60 or 60))
    inside = [a.time for a in stored(store) if since <= a.time < until]
    ends = [*timeline.starts[1:], until]
    want = [
        sum(start <= when < end for when in inside)
        for start, end in zip(timeline.starts, ends, strict=True)
    ]
    assert timeline.totals() == want
