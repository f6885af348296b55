"""An alert keeps a bounded part of its line, so alerts waiting for a sink are bounded in bytes.

A required sink that is down keeps up to 10,000 alerts in memory. Each used to carry its whole
line (up to ``max_line_bytes``, 128 KiB) and, for a ``%h`` client that is any text, that text
whole in its client, key and message: about 1.3 GB per sink for an attacker sending long lines.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from lwsyslog.alerts import SAMPLE_MAX_CHARS, Alert
from lwsyslog.config import load_config
from lwsyslog.errors import SinkError
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.sinks import MemorySink
from lwsyslog.sinks.backlog import Backlog, alert_to_record
from lwsyslog.sinks.journald import journald_fields
from lwsyslog.sinks.messages_file import format_alert_line
from tests.unit.store_support import make_alert

_LONG = 100_000


def _sqli(client: str, second: int, pad: int = 0) -> str:
    return (
        f"{client} - - [23/Nov/2026:14:{second // 60 % 60:02d}:{second % 60:02d} +0000] "
        f'"GET /item?id=1%27%20UNION%20SELECT%20password%20FROM%20users--&pad={"a" * pad} '
        'HTTP/1.1" 500 10 "-" "Mozilla/5.0"'
    )


class _Down:
    """A required sink that refuses every alert (journald down)."""

    name = "down"
    required = True

    def write(self, alert: Alert) -> None:
        raise SinkError("down")

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        pass


def _held_bytes(pad: int, alerts: int, client: str = "10.0.{hi}.{lo}") -> tuple[int, int]:
    """Bytes held after ``alerts`` attacks of ``pad`` extra characters wait for a down sink."""
    engine = Pipeline(load_config([]), [_Down()], clock=lambda: 1_795_000_000.0)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for n in range(alerts):
            engine.process(
                _sqli(client.format(hi=n // 256, lo=n % 256, n=n), n, pad), Origin("a", n)
            )
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return held, engine.dispatcher.pending


def test_alerts_waiting_for_a_down_sink_do_not_keep_whole_long_lines() -> None:
    short, pending_short = _held_bytes(0, 60)
    long, pending_long = _held_bytes(_LONG, 60)
    assert pending_short >= 60 and pending_long >= 60
    # Each waiting alert may keep a sample of SAMPLE_MAX_CHARS (2 bytes a character once the
    # ellipsis is in), not the 100 KB line.
    assert (long - short) / pending_long < 3 * SAMPLE_MAX_CHARS


def test_a_host_name_client_of_any_length_is_held_cut() -> None:
    short, _ = _held_bytes(0, 40, client="h{n}.example")
    long, _ = _held_bytes(0, 40, client="h{n}" + "x" * 50_000)
    assert (long - short) / 40 < 3 * SAMPLE_MAX_CHARS


def test_the_sample_is_the_start_of_the_line_cut_visibly() -> None:
    sink = MemorySink()
    engine = Pipeline(load_config([]), [sink])
    line = _sqli("203.0.113.9", 0, _LONG)
    engine.process(line, Origin("a", 1))
    (alert,) = sink.alerts
    assert len(alert.sample) == SAMPLE_MAX_CHARS
    assert alert.sample == line[: SAMPLE_MAX_CHARS - 1] + "…"
    # What the sinks write is what they wrote from the whole line.
    assert dict(journald_fields(alert))["LWSYSLOG_SAMPLE"] == line[:1999] + "…"
    assert format_alert_line(alert).endswith(f"line: {line[:999]}…")


def test_a_short_line_is_the_sample_whole() -> None:
    sink = MemorySink()
    line = _sqli("203.0.113.9", 0, SAMPLE_MAX_CHARS - len(_sqli("203.0.113.9", 0)))
    assert len(line) == SAMPLE_MAX_CHARS
    Pipeline(load_config([]), [sink]).process(line, Origin("a", 1))
    assert sink.alerts[0].sample == line


def test_a_long_client_is_cut_in_the_alert_and_its_message() -> None:
    sink = MemorySink()
    client = "evil" + "x" * 5000
    Pipeline(load_config([]), [sink]).process(_sqli(client, 0), Origin("a", 1))
    (alert,) = sink.alerts
    assert alert.client_ip == alert.key == client[:63] + "…"
    assert len(alert.message) < 1000 and client[:63] + "… sent" in alert.message


def test_a_threshold_alert_from_long_lines_keeps_a_cut_sample() -> None:
    sink = MemorySink()
    engine = Pipeline(load_config([]), [sink])
    client = "h" + "y" * 5000
    for n in range(40):
        line = (
            f'{client} - - [23/Nov/2026:14:00:{n:02d} +0000] "GET /missing{n}?{"b" * _LONG} '
            'HTTP/1.1" 404 10 "-" "Mozilla/5.0"'
        )
        engine.process(line, Origin("a", n))
    crossed = [a for a in sink.alerts if a.count > 1]
    assert crossed, "expected a missing-page threshold alert"
    for alert in crossed:
        assert len(alert.sample) == SAMPLE_MAX_CHARS and alert.sample.endswith("…")
        assert len(alert.client_ip) <= 64 and len(alert.message) <= 1000


def test_the_fingerprint_of_a_long_line_is_stable() -> None:
    line = _sqli("203.0.113.9", 0, _LONG)
    prints = []
    for _ in range(2):
        sink = MemorySink()
        Pipeline(load_config([]), [sink]).process(line, Origin("a", 1))
        prints.append(sink.alerts[0].fingerprint)
    assert prints[0] == prints[1]


def test_an_alert_of_a_long_line_spilled_to_the_spool_is_delivered(tmp_path: Path) -> None:
    """A spool record longer than the 64 KiB read chunk was taken for damage: it and every
    alert after it in the spool were dropped. A cut sample always fits."""
    backlog = Backlog(tmp_path / "backlog-journald.jsonl", max_memory=1)
    sink = MemorySink()
    engine = Pipeline(load_config([]), [sink])
    for n in range(3):
        engine.process(_sqli(f"203.0.113.{n}", n, _LONG), Origin("a", n))
    backlog.extend(sink.alerts)
    delivered = []
    while (alert := backlog.first()) is not None:
        delivered.append(alert)
        backlog.pop_first()
    assert delivered == sink.alerts and backlog.damaged == 0


def test_a_spool_an_older_version_wrote_is_read_back_cut(tmp_path: Path) -> None:
    spool = tmp_path / "backlog-journald.jsonl"
    spool.write_bytes(alert_to_record(make_alert(sample="z" * 30_000)) + b"\n")
    alert = Backlog(spool, max_memory=1).first()
    assert alert is not None
    assert alert.sample == "z" * (SAMPLE_MAX_CHARS - 1) + "…"
