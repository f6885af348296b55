"""The lab's reading of rsyslogd's impstats counters (no rsyslogd needed)."""

from __future__ import annotations

from pathlib import Path

from lwsyslog.lab.rsyslog import RsyslogInstance


def _report(submitted: int, main_q: int) -> str:
    stamp = "Mon Dec  7 01:19:57 2026: "
    return "".join(
        stamp + line + "\n"
        for line in (
            '{ "name": "global", "origin": "dynstats", "values": { } }',
            '{ "name": "global", "origin": "percentile", "values": { } }',
            '{ "name": "imptcp(127.0.0.1\\/41243\\/IPv4)", "origin": "imptcp", '
            f'"submitted": {submitted} }}',
            f'{{ "name": "main Q", "origin": "core.queue", "size": {main_q}, "enqueued": 9 }}',
        )
    )


def test_stats_reports_are_complete_reports_of_the_running_rsyslogd(tmp_path: Path) -> None:
    instance = RsyslogInstance("", tmp_path, name="web", stats=True)
    assert 'module(load="impstats"' in instance.conf.read_text()
    assert instance.stats_reports() == []
    instance.stats_file.write_text(_report(1, 5))
    assert instance.stats_reports() == []  # the only report may still be being written
    instance.stats_file.write_text(_report(1, 5) + _report(7, 0) + _report(9, 0)[:90])
    reports = instance.stats_reports()
    assert [r["imptcp(127.0.0.1/41243/IPv4)"]["submitted"] for r in reports] == [1, 7]
    assert reports[1]["main Q"] == {"size": 0, "enqueued": 9}
    assert reports[0]["global"] == {}


def test_no_impstats_unless_asked(tmp_path: Path) -> None:
    assert 'impstats"' not in RsyslogInstance("", tmp_path).conf.read_text()
