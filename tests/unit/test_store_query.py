"""Store queries: every filter, their combinations, the limit, and the times people type."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lwsyslog.severity import Severity
from lwsyslog.store import AlertFilter, open_reader, parse_timespec, resolve_period, select_alerts
from lwsyslog.store.query import client_range
from tests.unit.store_support import BASE_TIME, fill, local_zone, make_alert

HOUR = 3600.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten alerts an hour apart, each different in one way."""
    path = tmp_path_factory.mktemp("store") / "alerts.db"
    specs = [
        {"client": "203.0.113.9", "rule": "sqli-union-select", "categories": ("sqli",)},
        {"client": "203.0.113.77", "rule": "xss-script-tag", "categories": ("xss",)},
        {"client": "198.51.100.7", "rule": "attack-repeat", "categories": ("sqli",)},
        {
            "client": "2001:db8::1",
            "rule": "path-traversal-dotdot",
            "categories": ("path-traversal",),
        },
        {"client": "2001:db8:0:1::5", "rule": "scan-404-burst", "categories": ("scanner",)},
        {
            "client": "192.0.2.1",
            "rule": "log4shell-jndi",
            "categories": ("log4shell", "code-injection"),
        },
        {
            "client": "203.0.113.9",
            "rule": "sqli-tautology",
            "categories": ("sqli", "xss"),
            "rules": ("sqli-tautology", "xss-script-tag"),
        },
        {"client": "10.1.2.3", "rule": "auth-brute-force", "categories": ("brute-force",)},
        {"client": "crawler.example", "rule": "bad-bot-agent", "categories": ("bad-bot",)},
        {"client": "", "rule": "server-error-storm", "categories": ("server-error",)},
    ]
    severities = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    alerts = [
        make_alert(
            at=BASE_TIME + i * HOUR,
            line=i,
            severity=severities[i % 4],
            host="web2" if i % 3 == 0 else "web1",
            **spec,  # type: ignore[arg-type]
        )
        for i, spec in enumerate(specs)
    ]
    fill(path, alerts)
    return path


def rules(store: Path, **fields: object) -> list[str]:
    conn = open_reader(store)
    try:
        flt = AlertFilter(**{"limit": None, **fields})  # type: ignore[arg-type]
        return [alert.rule for alert in select_alerts(conn, flt)]
    finally:
        conn.close()


def test_no_filter_lists_everything_oldest_first(store: Path) -> None:
    found = rules(store)
    assert (
        len(found) == 10 and found[0] == "sqli-union-select" and found[-1] == "server-error-storm"
    )


def test_since_and_until_select_a_half_open_period(store: Path) -> None:
    assert rules(store, since=BASE_TIME + 2 * HOUR, until=BASE_TIME + 4 * HOUR) == [
        "attack-repeat",
        "path-traversal-dotdot",
    ]


def test_client_exact_address(store: Path) -> None:
    assert rules(store, client="203.0.113.9") == ["sqli-union-select", "sqli-tautology"]


def test_client_ipv4_cidr(store: Path) -> None:
    assert rules(store, client="203.0.113.0/24") == [
        "sqli-union-select",
        "xss-script-tag",
        "sqli-tautology",
    ]


def test_client_ipv6_exact_written_differently_and_cidr(store: Path) -> None:
    assert rules(store, client="2001:DB8:0:0::1") == ["path-traversal-dotdot"]
    assert rules(store, client="2001:db8::/32") == ["path-traversal-dotdot", "scan-404-burst"]


def test_a_cidr_covering_everything_matches_addresses_only(store: Path) -> None:
    assert len(rules(store, client="0.0.0.0/0")) == 6  # the IPv4 clients
    assert "bad-bot-agent" not in rules(store, client="::/0")


def test_client_that_is_not_an_address_matches_exactly(store: Path) -> None:
    assert rules(store, client="crawler.example") == ["bad-bot-agent"]


def test_rule_matches_any_rule_an_alert_names(store: Path) -> None:
    assert rules(store, rule="xss-script-tag") == ["xss-script-tag", "sqli-tautology"]


def test_category_matches_any_category_an_alert_names(store: Path) -> None:
    assert rules(store, category="sqli") == ["sqli-union-select", "attack-repeat", "sqli-tautology"]
    assert rules(store, category="code-injection") == ["log4shell-jndi"]


def test_rule_and_category_together(store: Path) -> None:
    assert rules(store, rule="xss-script-tag", category="sqli") == ["sqli-tautology"]


def test_host(store: Path) -> None:
    assert rules(store, host="web2") == [
        "sqli-union-select",
        "path-traversal-dotdot",
        "sqli-tautology",
        "server-error-storm",
    ]


def test_min_severity(store: Path) -> None:
    assert rules(store, min_severity=Severity.CRITICAL) == [
        "path-traversal-dotdot",
        "auth-brute-force",
    ]


def test_filters_combine(store: Path) -> None:
    assert rules(store, category="sqli", min_severity=Severity.HIGH, since=BASE_TIME + HOUR) == [
        "attack-repeat",
        "sqli-tautology",
    ]
    assert rules(store, client="203.0.113.0/24", host="web1") == ["xss-script-tag"]


def test_limit_keeps_the_newest_in_time_order(store: Path) -> None:
    assert rules(store, limit=3) == ["auth-brute-force", "bad-bot-agent", "server-error-storm"]
    assert rules(store, category="sqli", limit=2) == ["attack-repeat", "sqli-tautology"]


def test_bad_cidr_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        client_range("203.0.113.0/33")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("24h", 86400), ("7d", 7 * 86400), ("2w", 14 * 86400), ("90s", 90)],
)
def test_relative_times_count_back(text: str, seconds: int) -> None:
    assert parse_timespec(text).resolve(1_000_000.0) == 1_000_000.0 - seconds


def test_iso_times_with_a_zone_and_without() -> None:
    with_zone = parse_timespec("2026-11-23T14:00:00+01:00")
    assert with_zone.resolve(0) == datetime(2026, 11, 23, 13, tzinfo=UTC).timestamp()
    local = parse_timespec("2026-11-23")
    assert local.resolve(0) == datetime(2026, 11, 23).astimezone().timestamp()


def test_today_and_yesterday_are_local_midnights() -> None:
    noon = datetime(2026, 11, 23, 12).astimezone()
    today = parse_timespec("today", now=noon).resolve(0)
    assert today == noon.replace(hour=0).timestamp()
    assert parse_timespec("yesterday", now=noon).resolve(0) == today - 86400 or (
        # a daylight-saving change between the two midnights
        abs(parse_timespec("yesterday", now=noon).resolve(0) - (today - 86400)) == 3600
    )


def test_unreadable_time_says_what_is_accepted() -> None:
    with pytest.raises(ValueError, match="use 30m, 24h, 7d"):
        parse_timespec("last tuesday")


def test_relative_since_counts_back_from_until() -> None:
    until = datetime(2026, 11, 24, tzinfo=timezone(timedelta(0)))
    since, end = resolve_period(parse_timespec("24h"), parse_timespec(until.isoformat()), now=5.0)
    assert end == until.timestamp() and since == until.timestamp() - 86400
    assert resolve_period(parse_timespec("1h"), None, now=7200.0) == (3600.0, None)


# The days clocks change: spring forward (23 hours), fall back (25 hours).
DST_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
]


def midnight(zone: str, day: date) -> float:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_today_is_local_midnight_at_its_own_offset_on_the_days_clocks_change(
    zone: str, day: date
) -> None:
    with local_zone(zone):
        noon = datetime.combine(day, time(12))  # what datetime.now() gives: local, naive
        assert parse_timespec("today", now=noon).resolve(0) == midnight(zone, day)
        next_noon = datetime.combine(day + timedelta(days=1), time(12))
        assert parse_timespec("yesterday", now=next_noon).resolve(0) == midnight(zone, day)
        assert parse_timespec("today", now=next_noon).resolve(0) == midnight(
            zone, day + timedelta(days=1)
        )


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_today_of_a_time_in_a_named_zone_is_that_zone_s_midnight(zone: str, day: date) -> None:
    with local_zone("UTC"):
        late = datetime.combine(day, time(23, 30), tzinfo=ZoneInfo(zone))
        assert parse_timespec("today", now=late).resolve(0) == midnight(zone, day)
        assert parse_timespec("yesterday", now=late).resolve(0) == midnight(
            zone, day - timedelta(days=1)
        )
