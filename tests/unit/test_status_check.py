"""``lwsyslog status``: the verdicts from status files, processes, impstats and rsyslogd's words.

The checks run on inputs gathered by hand (a process table as /proc would show it, impstats
lines and rsyslogd messages as rsyslogd 8.2302 writes them); the command itself runs against a
status file the real program wrote. The lab tests (tests/integration/test_status.py) run it
against real rsyslogd pairs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.cli.main import main
from lwsyslog.metrics.figures import ChannelFigures, Figures
from lwsyslog.status.check import Inputs, Limits, Role, evaluate
from lwsyslog.status.file import (
    read_status,
    saved_hosts,
    status_path,
    status_record,
    write_status,
)
from lwsyslog.status.impstats import read_impstats
from lwsyslog.status.procs import Process, find_processes, process
from lwsyslog.status.render import render_text
from lwsyslog.status.rsyslog_log import file_lines, recognise
from tests.unit.omprog_run import BENIGN, RunningProgram, base_config, envelope

NOW = 1_800_000_000.0
RSYSLOGD = Process(100, 1, "rsyslogd", ("/usr/sbin/rsyslogd", "-n"))
PROGRAM = Process(200, 100, "python3", ("/usr/bin/python3", "/usr/bin/lwsyslog-omprog"))

# rsyslogd 8.2302's own words, as measured in the lab (tests/integration/test_status.py).
REFUSED_WEBHOST = (
    "rsyslogd: imrelp[40425]: authentication error 'no permited name found', peer is "
    "'DNSname: intruder.lwsyslog.test; ' [v8.2302.0 try https://www.rsyslog.com/e/2353 ]"
)
REFUSED_SERVER = (
    "rsyslogd: omrelp[127.0.0.1:41647]: authentication error 'no permited name found', peer is "
    "'DNSname: other.lwsyslog.test; ' - DISABLING action [v8.2302.0 try "
    "https://www.rsyslog.com/e/2353 ]"
)
HANDSHAKE = (
    "rsyslogd: imrelp[37903]: error 'relpTcpRtryHandshake_ossl: Server handshake failed with 1 "
    "- Aborting handshake.', object  'lstn 37903: conn to clt 127.0.0.1/localhost' - input may "
    "not work as intended [v8.2302.0 try https://www.rsyslog.com/e/2353 ]"
)
NO_CONNECTION = (
    "rsyslogd: omrelp: could not connect to remote server, librelp error 10034 [v8.2302.0 try "
    "https://www.rsyslog.com/e/2291 ]"
)
IMFILE = (
    "rsyslogd: imfile: on startup file '/var/log/apache2/access.log' does not exist but is "
    "configured in static file monitor - this may indicate a misconfiguration."
)


def record(**changes: Any) -> dict[str, Any]:
    """A status record as a healthy program writes it."""
    base: dict[str, Any] = {
        "version": 1,
        "instance": "default",
        "pid": PROGRAM.pid,
        "parent_pid": RSYSLOGD.pid,
        "parent_name": "rsyslogd",
        "started": NOW - 3600,
        "written": NOW - 5,
        "interval_secs": 10.0,
        "state": "running",
        "stats": {"received": 1200, "unparsed": 3, "alerts": 2, "pending_alerts": 0},
        "sink_errors": {},
        "lag_secs": 0.4,
        "hosts": {"web1": {"last_line": NOW - 30, "silent": False, "silent_after_secs": 900}},
        "metrics": {},
    }
    base.update(changes)
    return base


def inputs(
    *statuses: Mapping[str, Any] | None,
    processes: tuple[Process, ...] = (RSYSLOGD, PROGRAM),
    role: Role = "server",
    impstats: Path | None = None,
    messages: tuple[str, ...] = (),
) -> Inputs:
    table = {p.pid: p for p in processes}
    path = impstats or Path("/nonexistent/impstats.json")
    return Inputs(
        now=NOW,
        role=role,
        state_dir=Path("/var/lib/lwsyslog"),
        statuses=[(Path(f"/state/omprog-{n}.status.json"), s) for n, s in enumerate(statuses)],
        processes=processes,
        lookup=table.get,
        impstats_path=path,
        impstats=read_impstats(path),
        issues=recognise(messages),
        limits=Limits(),
    )


def impstats_file(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "impstats.json"
    path.write_text(
        "".join(f"Sat Dec  5 17:16:13 2026: {json.dumps(r)}\n" for r in records),
        encoding="utf-8",
    )
    os.utime(path, (NOW - 20, NOW - 20))
    return path


def queue(name: str, size: int = 0, **more: int) -> dict[str, Any]:
    counters = {"size": size, "enqueued": 10, "full": 0, "discarded.full": 0}
    return {"name": name, "origin": "core.queue", **counters, "discarded.nf": 0,
            "maxqsize": size, **more}  # fmt: skip


def action(name: str, **counters: int) -> dict[str, Any]:
    return {"name": name, "origin": "core.action", "processed": 9, "failed": 1, **counters}


def test_a_healthy_server_is_ok_and_shows_its_figures() -> None:
    report = evaluate(inputs(record()))
    assert report.ok, report.problems
    text = render_text(report)
    assert text.splitlines()[0] == "lwsyslog status: OK (server)"
    assert "running, pid 200 under rsyslogd 100" in text
    assert "web1" in text and "received 1,200" in text


def test_a_dead_program_a_stuck_one_and_a_stopped_rsyslogd_are_problems() -> None:
    dead = evaluate(inputs(record(), processes=(RSYSLOGD,)))
    assert any("gone without stopping cleanly" in p for p in dead.problems)
    stuck = evaluate(inputs(record(written=NOW - 600)))
    assert any("has not written its status for 10 min" in p for p in stuck.problems)
    stopped = evaluate(inputs(record(state="stopped"), processes=()))
    assert "no rsyslogd is running on this machine" in stopped.problems
    assert any("rsyslogd (pid 100), which ran" in p for p in stopped.problems)
    quiet = evaluate(inputs(record(state="stopped"), processes=(RSYSLOGD,)))
    assert quiet.ok and any("starts it again with the next line" in n for n in quiet.notes)


def test_a_silent_web_host_is_a_problem_named_with_its_last_line() -> None:
    hosts = {
        "web1": {"last_line": NOW - 1000, "silent": True, "silent_after_secs": 900},
        "web2": {"last_line": NOW - 10, "silent": False, "silent_after_secs": 900},
        "batch": {"last_line": NOW - 10**6, "silent": False, "silent_after_secs": 0},
    }
    report = evaluate(inputs(record(hosts=hosts)))
    assert report.problems == [
        "web host web1 sent nothing for 17 min (last line at 2027-01-15T07:43:20Z; limit 15 min)"
    ]
    assert [h["silent"] for h in report.hosts] == [False, True, False]  # batch, web1, web2
    assert "SILENT" in render_text(report)


def test_figures_from_outside_are_made_visible_in_the_report() -> None:
    hosts = {"evil\x1b[31m\n": {"last_line": NOW - 5000, "silent": True, "silent_after_secs": 1}}
    report = evaluate(inputs(record(hosts=hosts, instance="x\x07")))
    text = render_text(report) + json.dumps(report.as_json())
    assert "\x1b" not in text and "\x07" not in text and "evil\\x1b[31m" in text


def test_sink_errors_lag_and_no_status_at_all() -> None:
    failing = record(sink_errors={"messages-file": "No space left on device"})
    failing["stats"]["pending_alerts"] = 4
    report = evaluate(inputs(failing, record(lag_secs=900.0, instance="b")))
    assert "4 alerts wait for sink messages-file: No space left on device" in report.problems
    behind = [p for p in report.problems if "processes lines 15 min after their time" in p]
    assert behind and "--shards" in behind[0]  # and what to do about it
    nothing = evaluate(inputs())
    assert any("no status file of the lwsyslog program" in p for p in nothing.problems)
    webhost = evaluate(inputs(role="webhost"))
    assert webhost.ok
    hidden = replace(inputs(), state_unreadable="cannot read /var/lib/lwsyslog: run as root")
    assert evaluate(hidden).problems[0] == "cannot read /var/lib/lwsyslog: run as root"


def test_impstats_queues_actions_and_staleness(tmp_path: Path) -> None:
    path = impstats_file(
        tmp_path,
        queue("lwsyslog_omprog queue", size=5),
        queue("lwsyslog_omprog queue", size=25_000),  # the latest record counts
        queue("main Q", **{"discarded.full": 7}),
        queue("other queue", size=99_999),
        action("lwsyslog_relp", suspended=3, resumed=2),
        action("lwsyslog_raw"),
    )
    report = evaluate(inputs(record(), impstats=path))
    assert report.problems == [
        "25,000 lines wait in rsyslog's queue 'lwsyslog_omprog queue' (they are not getting "
        "through; see the problems above)",
        "rsyslog's queue 'main Q' discarded 7 lines (it was full)",
        "rsyslog's action 'lwsyslog_relp' is suspended: what it writes to (the program, or the "
        "central server) is failing; rsyslog retries it",
    ]
    assert [q["name"] for q in report.queues] == ["lwsyslog_omprog queue", "main Q"]
    os.utime(path, (NOW - 3600, NOW - 3600))
    stale = evaluate(inputs(record(), impstats=path))
    assert any("was last written 60 min ago" in p for p in stale.problems)
    missing = evaluate(inputs(record()))
    assert missing.ok and any("no impstats file" in n for n in missing.notes)


def test_rsyslogd_refusals_are_told_in_plain_words_and_probes_are_only_noted() -> None:
    issues = recognise([IMFILE, HANDSHAKE, REFUSED_WEBHOST, REFUSED_WEBHOST, HANDSHAKE])
    assert [(i.kind, i.count, i.serious) for i in issues] == [
        ("webhost-name-refused", 2, True),
        ("tls-handshake-failed", 2, False),
    ]
    assert "certificate name 'intruder.lwsyslog.test' is not among" in issues[0].words
    (server,) = recognise([REFUSED_SERVER, NO_CONNECTION])  # the refusal says it all
    assert server.kind == "server-name-refused" and "'other.lwsyslog.test'" in server.words
    report = evaluate(inputs(role="webhost", messages=(REFUSED_SERVER, HANDSHAKE)))
    (problem,) = report.problems
    assert problem.startswith("rsyslogd: this web host refused the central server")
    assert "DISABLING action" in problem and any("port scans" in n for n in report.notes)
    assert evaluate(inputs(role="webhost", messages=(HANDSHAKE, IMFILE))).ok
    (down,) = recognise([NO_CONNECTION])
    assert down.kind == "server-unreachable" and down.serious


def test_rsyslog_text_is_made_visible() -> None:
    (issue,) = recognise([REFUSED_WEBHOST.replace("intruder", "in\x1b[2Jtruder")])
    assert "\x1b" not in issue.words + issue.detail and "\\x1b[2J" in issue.words


def test_a_log_file_untouched_in_the_window_holds_nothing_recent(tmp_path: Path) -> None:
    path = tmp_path / "rsyslogd.out"
    path.write_text(REFUSED_WEBHOST + "\n", encoding="utf-8")
    assert file_lines(path, since=0) == [REFUSED_WEBHOST]
    os.utime(path, (NOW - 5000, NOW - 5000))
    assert file_lines(path, since=NOW - 900) == []
    assert file_lines(tmp_path / "missing", since=0) is None


def test_status_file_round_trip_and_junk(tmp_path: Path) -> None:
    path = status_path(tmp_path, "a")
    write_status(path, record())
    assert read_status(path) == record()
    assert saved_hosts(read_status(path)) == {"web1": (NOW - 30, False)}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    path.write_text("{not json", encoding="utf-8")
    assert read_status(path) is None
    path.write_text('{"version": 99}', encoding="utf-8")
    assert read_status(path) is None and saved_hosts(None) == {}


def test_processes_are_read_from_proc() -> None:
    me = process(os.getpid())
    assert me is not None and me.ppid == os.getppid() and not me.is_omprog
    assert process(0) is None and all(p.is_rsyslogd or p.is_omprog for p in find_processes())


def test_the_command_reports_a_stopped_program_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = RunningProgram(tmp_path, base_config(tmp_path))
    try:
        assert program.send(envelope(BENIGN.format(n=1), host="web7")) == ["OK"]
        assert program.finish() == 0  # its parent (this test) is no rsyslogd
    finally:
        program.close()
    argv = ["status", "--role", "server", "--state-dir", str(tmp_path / "state")]
    argv += ["--rsyslog-unit", "", "--impstats", str(tmp_path / "none.json")]
    assert main([*argv, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["role"] == "server"
    assert any("which ran the lwsyslog program" in p for p in report["problems"])
    assert [h["host"] for h in report["hosts"]] == ["web7"]
    assert report["programs"][0]["stats"]["received"] == 1
    assert main(argv) == 1
    assert capsys.readouterr().out.startswith("lwsyslog status: ")


def test_an_impstats_dropin_that_has_not_written_yet_is_not_called_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In rsyslogd's first interval the impstats file does not exist yet: status says it is
    configured and waiting, not that the admin should add it."""
    rsyslog_dir, impstats = tmp_path / "rsyslog.d", tmp_path / "log" / "impstats.json"
    rsyslog_dir.mkdir()
    argv = ["status", "--role", "webhost", "--state-dir", str(tmp_path / "state"),
            "--rsyslog-dir", str(rsyslog_dir), "--impstats", str(impstats),
            "--rsyslog-unit", "", "--json"]  # fmt: skip
    main(argv)
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("no impstats file" in note for note in notes)
    (rsyslog_dir / "05-lwsyslog-impstats.conf").write_text(
        f'module(load="impstats" interval="60" format="json" log.file="{impstats}")\n'
    )
    main(argv)
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("impstats is configured but has not written" in note for note in notes)
    assert not any("no impstats file" in note for note in notes)


def test_an_alert_store_that_is_off_is_a_problem_with_its_reason() -> None:
    """Red team: a store locked at start, newer or deleted was off and status said nothing."""
    off = record(sink_errors={"store": "alert store off: a.db: made by a newer lwsyslog"})
    off["stats"].update(store_off=1, pending_alerts=2)
    report = evaluate(inputs(off))
    (problem,) = [p for p in report.problems if "the alert store is off" in p]
    assert "made by a newer lwsyslog" in problem and "SIGHUP" in problem
    quiet = record()
    quiet["stats"].update(store_off=1)  # no alert waits yet: the reason is in the log
    assert any("the program's log says why" in p for p in evaluate(inputs(quiet)).problems)
    on = record()
    on["stats"].update(store_off=0, store_inserted=5)
    assert evaluate(inputs(on)).ok


def test_pruning_is_a_note_and_deleting_alerts_the_retention_keeps_a_problem() -> None:
    """Red team: max_rows pruned 24,150 alerts to 9,900 and status said nothing."""
    aged = record()
    aged["stats"].update(store_off=0, store_pruned_age=40)
    report = evaluate(inputs(aged))
    assert report.ok
    assert any("deleted 40 alerts since the program started: 40 older" in n for n in report.notes)
    full = record()
    full["stats"].update(store_off=0, store_pruned_rows=14250, store_pruned_young=14250)
    report = evaluate(inputs(full))
    assert any("14,250 over max_rows" in n for n in report.notes)
    (problem,) = report.problems
    assert "deleted 14,250 alerts younger than [store] retention_days" in problem


def test_dropped_alerts_and_notifications_and_failing_channels_are_problems() -> None:
    """Red team: notify_dropped 204,850, notify_delivered 0, notify_failures 2: status OK."""
    failing = record(sink_dropped={"store": 7, "journald": 0})
    failing["stats"].update(
        notify_dropped=204850,
        notify_dropped_full=204850,
        notify_dropped_expired=0,
        notify_delivered=0,
        notify_failures=2,
        store_dropped=3,
    )
    problems = evaluate(inputs(failing)).problems
    assert any("204,850 notifications dropped (204,850 at the queue's bound" in p for p in problems)
    assert any("every notification attempt failed (2 failures" in p for p in problems)
    assert any("7 alerts never reached sink store" in p for p in problems)
    assert any("3 alerts the alert store took were dropped" in p for p in problems)
    assert not any("journald" in p for p in problems)
    recovering = record()
    recovering["stats"].update(notify_delivered=10, notify_failures=2)
    assert evaluate(inputs(recovering)).ok  # some got through: a passing failure


WRITTEN = NOW - 5  # when record() was written
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"


def channels(mail_since: float, **mail: Any) -> dict[str, Any]:
    """A status file's ``notify_channels``: an e-mail channel failing since ``mail_since`` (0:
    it delivers) next to a webhook that delivers."""
    return {
        "mail": {"kind": "email", "attempts": 14, "delivered": 3, "failures": 11,
                 "failing_since": mail_since, "last_error": REFUSED, **mail},
        "hook": {"kind": "webhook", "attempts": 20, "delivered": 20, "failures": 0,
                 "failing_since": 0.0, "last_error": ""},
    }  # fmt: skip


def delivering(notify_channels: dict[str, Any]) -> dict[str, Any]:
    """A record whose notifier delivered some and failed some (not "every attempt failed")."""
    status = record(notify_channels=notify_channels)
    status["stats"].update(notify_attempts=34, notify_delivered=23, notify_failures=11)
    return status


def test_a_channel_failing_for_6_minutes_while_another_delivers_is_a_problem() -> None:
    """Red team: a dead mail server next to a working webhook, and status said OK."""
    report = evaluate(inputs(delivering(channels(WRITTEN - 360))))
    (problem,) = report.problems
    assert problem == (
        "the lwsyslog program (instance default, pid 200): notification channel mail (email) "
        f"has failed for 6 minutes (11 failed attempts in all; last error: {REFUSED}): its "
        "notifications wait in the outbox and are retried"
    )
    text = render_text(report)
    assert text.splitlines()[0] == "lwsyslog status: 1 problem (server)"
    assert "notify mail (email): 3 delivered, 11 failed attempts, FAILING for 6 min" in text
    assert "notify hook (webhook): 20 delivered, 0 failed attempts, ok" in text
    shown = report.as_json()["programs"][0]["notify_channels"]
    assert shown["mail"]["failing_secs"] == 360.0 and shown["hook"]["failing_secs"] == 0.0
    long = evaluate(inputs(delivering(channels(WRITTEN - 7500)))).problems
    assert len(long) == 1 and "has failed for 2 hours 5 minutes (" in long[0]


def test_a_channel_failing_under_5_minutes_is_a_note_and_once_it_delivers_nothing() -> None:
    report = evaluate(inputs(delivering(channels(WRITTEN - 90))))
    assert report.ok, report.problems
    (note,) = [n for n in report.notes if "notification channel" in n]
    assert "channel mail (email) has failed for 1 minute (11 failed attempts" in note
    assert note.endswith("(a problem once it has failed for 5 minutes)")
    recovered = evaluate(inputs(delivering(channels(0.0, delivered=4))))
    assert recovered.ok
    assert not any("notification channel" in n for n in recovered.notes)
    assert "FAILING" not in render_text(recovered)


def test_when_no_channel_ever_delivered_each_failing_channel_is_named_once() -> None:
    dead = record(notify_channels=channels(WRITTEN - 600, delivered=0))
    dead["notify_channels"]["hook"].update(failing_since=WRITTEN - 30, delivered=0, failures=2)
    dead["stats"].update(notify_delivered=0, notify_failures=13)
    report = evaluate(inputs(dead))
    every, mail = report.problems
    assert every.endswith(
        "every notification attempt failed (13 failures, none delivered): no channel reaches "
        "anyone (each failing channel is named with its error)"
    )
    assert "channel mail (email) has failed for 10 minutes" in mail
    assert [n for n in report.notes if "channel hook (webhook) has failed for 30 seconds" in n]
    old = record()  # a status file without notify_channels (an older program)
    old["stats"].update(notify_delivered=0, notify_failures=2)
    assert any("(the program's log names the error)" in p for p in evaluate(inputs(old)).problems)


def test_channel_names_and_errors_from_the_status_file_are_made_visible_and_bounded() -> None:
    evil = {"kind": "email\x07", "failures": 1, "failing_since": WRITTEN - 400,
            "last_error": "\x1b]0;pwn\x07" + "x" * 5000}  # fmt: skip
    hostile = {"mail\x1b[31m\n": evil, "nan": {"failing_since": float("nan")}, "junk": [1]}
    report = evaluate(inputs(delivering(hostile)))
    (problem,) = report.problems
    assert "channel mail\\x1b[31m\\x0a (email\\x07) has failed for 6 minutes" in problem
    assert "(1 failed attempt in all; last error: \\x1b]0;pwn\\x07xxx" in problem
    assert "\n" not in problem and len(problem) < 600
    text = render_text(report) + json.dumps(report.as_json())
    assert "\x1b" not in text and "\x07" not in text


def test_the_program_s_channel_figures_reach_the_status_file_and_the_report(
    tmp_path: Path,
) -> None:
    mail = ChannelFigures("email", 14, 3, 11, WRITTEN - 360, REFUSED)
    figures = Figures("default", PROGRAM.pid, NOW - 3600, WRITTEN, {"notify_delivered": 23,
                      "notify_failures": 11}, notify_channels={"mail": mail,
                      "hook": ChannelFigures("webhook", 20, 20)})  # fmt: skip
    path = status_path(tmp_path, "default")
    written = status_record(figures, interval_secs=10.0, parent_pid=RSYSLOGD.pid,
                            parent_name="rsyslogd", host_limits={})  # fmt: skip
    write_status(path, written)
    saved = read_status(path)
    assert saved is not None and saved["notify_channels"]["mail"]["failing_since"] == WRITTEN - 360
    (problem,) = evaluate(inputs(saved)).problems
    assert "channel mail (email) has failed for 6 minutes" in problem


def test_a_state_dir_that_is_a_file_and_an_impstats_file_of_junk_are_told_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "run as root" (the caller may be root already), and not silence about junk."""
    state, junk, rsyslog_dir = tmp_path / "state", tmp_path / "junk.bin", tmp_path / "rsyslog.d"
    state.write_text("not a directory\n")
    junk.write_bytes(bytes(range(256)) * 64)
    rsyslog_dir.mkdir()
    argv = ["status", "--role", "server", "--state-dir", str(state), "--impstats", str(junk),
            "--rsyslog-dir", str(rsyslog_dir), "--rsyslog-unit", "", "--json"]  # fmt: skip
    assert main(argv) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    (state_problem,) = [p for p in problems if p.startswith(str(state))]
    assert "is not a directory" in state_problem and "as root" not in state_problem
    assert any(p.startswith(f"{junk} holds no impstats records: it is not") for p in problems)


def test_an_empty_impstats_file_is_only_a_note(tmp_path: Path) -> None:
    path = impstats_file(tmp_path)
    report = evaluate(inputs(record(), impstats=path))
    assert report.ok and any("is empty" in note for note in report.notes)
