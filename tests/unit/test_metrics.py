"""Prometheus metrics of the real program: scraped over HTTP and read from the textfile, each
figure equal to the program's own stats line for the same run."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lwsyslog import lab
from lwsyslog.cli.main import main
from lwsyslog.config import load_config
from lwsyslog.errors import ConfigError
from lwsyslog.metrics.exporter import MetricsExporter
from lwsyslog.metrics.figures import ChannelFigures, Figures
from lwsyslog.metrics.labels import label_value
from lwsyslog.omprog.options import parse_options
from lwsyslog.status.monitor import Monitor
from tests.notify.servers import WEBHOOK_SECRET, WebhookReceiver, free_port
from tests.unit.omprog_run import (
    BENIGN,
    SQLI,
    RunningProgram,
    base_config,
    envelope,
    wait_until,
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text: str = response.read().decode("utf-8")
        return text


def samples(text: str) -> Samples:
    """Every sample as (name, sorted labels) -> value."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def total(found: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        value
        for (sample, sample_labels), value in found.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


def check_against_stats(found: Samples, stats: dict[str, str], *, hosts: bool = True) -> None:
    """Every figure the stats line shows, as the metrics show it (``hosts``: also the host
    figures, which change between lines, when both were taken at the same moment)."""
    pairs = {
        "received": total(found, "lwsyslog_lines_received_total"),
        "lines": total(found, "lwsyslog_lines_total"),
        "access": total(found, "lwsyslog_events_total", log="access"),
        "error": total(found, "lwsyslog_events_total", log="error"),
        "urgent": total(found, "lwsyslog_urgent_lines_total"),
        "alerts": total(found, "lwsyslog_alerts_total"),
        "unparsed": total(found, "lwsyslog_unparsed_lines_total"),
        "invalid_utf8": total(found, "lwsyslog_invalid_utf8_lines_total"),
        "bad_envelope": total(found, "lwsyslog_bad_envelopes_total"),
        "answered_ok": total(found, "lwsyslog_answers_total", answer="ok"),
        "answered_error": total(found, "lwsyslog_answers_total", answer="error"),
        "replays": total(found, "lwsyslog_replayed_lines_total"),
        "pending_alerts": total(found, "lwsyslog_pending_alerts"),
        "sink_failures": total(found, "lwsyslog_sink_failures_total"),
        "sink_dropped": total(found, "lwsyslog_sink_dropped_alerts_total"),
        "storm_alerts_folded": total(found, "lwsyslog_storm_alerts_folded_total"),
    }
    if hosts:
        pairs["hosts"] = total(found, "lwsyslog_hosts")
        pairs["hosts_silent"] = total(found, "lwsyslog_hosts_silent")
    assert {name: int(value) for name, value in pairs.items()} == {
        name: int(stats[name]) for name in pairs
    }


@pytest.fixture
def port() -> int:
    return lab.free_port()


def test_scrape_and_textfile_match_the_stats_line(
    tmp_path: Path, port: int, programs: list[RunningProgram]
) -> None:
    textfile = tmp_path / "node-exporter" / "lwsyslog-{instance}.prom"
    textfile.parent.mkdir()
    config = base_config(
        tmp_path,
        f'[metrics]\ninterval_secs = 0.2\ntextfile = "{textfile}"\nlisten = "127.0.0.1:{port}"\n',
    )
    program = RunningProgram(
        tmp_path, config, "--instance", "shard-a", "--stats-interval-secs", "0.3"
    )
    programs.append(program)
    lines = [b'{"msg": 5}', b'{"host": "web1", "msg": "bad \xff byte"}']
    lines += [envelope("not an access line at all"), envelope("")]
    lines += [envelope(BENIGN.format(n=n)) for n in range(6)]
    # The last line of a round is the one whose lag is sampled: it carries a time.
    lines += [envelope(SQLI.format(ip=f"203.0.113.{n}"), host="web2") for n in (1, 2)]
    assert program.send(*lines) == ["OK"] * len(lines)

    wait_until(
        lambda: any(s.get("received") == str(len(lines)) for s in program.stats_lines()),
        "a stats line with every line counted",
    )
    stats = program.stats_lines()[-1]

    def exported() -> bool:
        found = samples(scrape(port))
        return (
            total(found, "lwsyslog_lines_received_total") == len(lines)
            and total(found, "lwsyslog_processing_lag_seconds_count") >= 1
        )

    wait_until(exported, "the endpoint to show every line and a lag sample")
    found = samples(scrape(port))
    # Hosts are counted at housekeeping, after the stats line the last line brought.
    check_against_stats(found, stats, hosts=False)
    assert int(stats["alerts"]) >= 2 and int(stats["unparsed"]) >= 1
    assert total(found, "lwsyslog_alerts_total", rule="sqli-union-select", severity="critical")
    assert total(found, "lwsyslog_findings_total", category="sqli") == 2
    assert total(found, "lwsyslog_unparsed_lines_total", reason="no-format-matched") >= 1
    assert total(found, "lwsyslog_bad_envelopes_total", reason="wrong-type") == 1
    assert total(found, "lwsyslog_threshold_memory_budget_bytes") == float(
        load_config([]).memory_budget_bytes
    )
    assert total(found, "lwsyslog_threshold_keys") >= 1
    assert total(found, "lwsyslog_processing_lag_seconds_count") >= 1
    assert total(found, "lwsyslog_host_last_line_timestamp_seconds", host="web2") > 0
    assert all(dict(labels)["omprog_instance"] == "shard-a" for _, labels in found)

    assert program.finish() == 0
    final = program.stats_lines()[-1]  # written at exit, with the textfile's last figures
    assert final["hosts"] == "2"
    written = Path(str(textfile).replace("{instance}", "shard-a"))
    check_against_stats(samples(written.read_text(encoding="utf-8")), final)
    assert not list(written.parent.glob("*.tmp")) and len(list(written.parent.iterdir())) == 1


def test_a_port_in_use_is_tried_again_and_never_stops_the_program(
    tmp_path: Path, port: int, programs: list[RunningProgram]
) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        config = base_config(
            tmp_path, f'[metrics]\ninterval_secs = 0.2\nlisten = "127.0.0.1:{port}"\n'
        )
        program = RunningProgram(tmp_path, config)
        programs.append(program)
        assert program.send(envelope(BENIGN.format(n=1))) == ["OK"]
        wait_until(
            lambda: f"metrics endpoint 127.0.0.1:{port} not started" in program.stderr(),
            "the program to report the port in use",
        )
        assert program.send(envelope(BENIGN.format(n=2))) == ["OK"]
    finally:
        holder.close()

    def serving() -> bool:
        try:
            found = samples(scrape(port))
        except OSError:
            return False
        return total(found, "lwsyslog_lines_received_total") == 2

    wait_until(serving, "the endpoint once the port is free")
    assert program.finish() == 0


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ('[metrics]\nlisten = "localhost"\n', "listen", "expected HOST:PORT"),
        ('[metrics]\nlisten = "127.0.0.1:99999"\n', "listen", "port must be"),
        ("[metrics]\ninterval_secs = 0\n", "interval_secs", "from 0.1 to 315360000, got 0"),
        ("[hosts]\nsilent_after_secs = -5\n", "silent_after_secs", "from 0 to 315360000, got -5"),
        (
            '[hosts.silent_after_secs_per_host]\n"web1.example.org" = "soon"\n',
            "silent_after_secs_per_host",
            "host 'web1.example.org'",
        ),
        ("[hosts]\nsilent_hosts = 1\n", "silent_hosts", "unknown key"),
    ],
)
def test_bad_monitoring_settings_name_file_line_table_and_key(
    tmp_path: Path, toml: str, key: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("# monitoring\n" + toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    message = str(caught.value)
    assert f"{path}:" in message and f"key '{key}'" in message and words in message
    assert "[metrics]" in message or "[hosts" in message


def test_monitoring_settings_load_with_their_units(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        '[hosts]\nsilent_after_secs = 600\nseverity = "medium"\n'
        '[hosts.silent_after_secs_per_host]\n"batch.example.org" = 0\n'
        '[metrics]\nlisten = "[::1]:9721"\ntextfile = "/x/lw.prom"\n',
        encoding="utf-8",
    )
    config = load_config([path])
    assert config.hosts.limit_for("batch.example.org") == 0.0
    assert config.hosts.limit_for("web1") == 600.0
    assert config.metrics.listen == "[::1]:9721"


def test_check_config_accepts_the_monitoring_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "monitoring.toml"
    path.write_text(
        "[hosts]\nsilent_after_secs = 300\n[metrics]\n"
        'listen = "127.0.0.1:9721"\ntextfile = "/tmp/lw-{instance}.prom"\n',
        encoding="utf-8",
    )
    assert main(["check-config", "--config", str(path)]) == 0
    assert "configuration OK" in capsys.readouterr().out


def test_metrics_listen_option_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_options(["--metrics-listen", "nine"])
    assert caught.value.code == 2
    assert "--metrics-listen" in capsys.readouterr().err
    assert parse_options(["--metrics-listen", "127.0.0.1:9722"]).metrics_listen == (
        "127.0.0.1:9722"
    )


def test_notification_figures_become_counters_and_queue_sizes_gauges() -> None:
    exporter = MetricsExporter(instance="default")
    figures = Figures(
        "default",
        1,
        0.0,
        0.0,
        {"received": 3},
        notify={"notify_attempts": 4, "notify_failures": 1, "notify_queued_messages": 2},
    )
    exporter.publish(figures)  # nothing to serve or write: the registry still holds them
    assert not exporter.enabled
    text = generate_latest(exporter.registry).decode()
    assert "# TYPE lwsyslog_notify_attempts_total counter" in text
    assert 'lwsyslog_notify_failures_total{omprog_instance="default"} 1.0' in text
    assert "# TYPE lwsyslog_notify_queued_messages gauge" in text


def test_each_channel_s_failing_time_and_counts_are_labelled_by_channel() -> None:
    exporter = MetricsExporter(instance="default")
    taken = 1_800_000_000.0
    channels = {
        "mail": ChannelFigures("email", 14, 3, 11, taken - 360, "refused"),
        "hook": ChannelFigures("webhook", 20, 20, 0),
        "evil\x1b[31m": ChannelFigures("webhook", 1, 0, 1, taken - 5),
    }
    exporter.publish(Figures("default", 1, 0.0, taken, {}, notify_channels=channels))
    text = generate_latest(exporter.registry).decode()
    assert "# TYPE lwsyslog_notify_channel_failing_seconds gauge" in text
    assert "# TYPE lwsyslog_notify_channel_failures_total counter" in text
    found = samples(text)
    failing = "lwsyslog_notify_channel_failing_seconds"
    assert total(found, failing, channel="mail") == 360.0
    assert total(found, failing, channel="hook") == 0.0
    assert total(found, failing, channel=label_value("evil\x1b[31m")) == 5.0
    assert total(found, "lwsyslog_notify_channel_delivered_total", channel="mail") == 3
    assert total(found, "lwsyslog_notify_channel_failures_total", channel="mail") == 11
    assert "\x1b" not in text
    exporter.publish(Figures("default", 1, 0.0, taken, {}))  # no [notify]
    assert "lwsyslog_notify_channel" not in generate_latest(exporter.registry).decode()


def test_a_dead_channel_next_to_a_delivering_one_is_scraped_and_noted_by_status(
    tmp_path: Path, port: int, programs: list[RunningProgram], capsys: pytest.CaptureFixture[str]
) -> None:
    """The real program, its sender and a real webhook receiver: the channel whose server is
    down shows in the metrics and, under 5 minutes, as a note of `lwsyslog status`."""
    receiver = WebhookReceiver()
    receiver.start()
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    each = 'group_interval_secs = 0\nstorm_clients = 0\nmin_severity = "medium"\n'
    config = base_config(
        tmp_path,
        f'[metrics]\ninterval_secs = 0.2\nlisten = "127.0.0.1:{port}"\n\n'
        "[notify]\nretry_initial_secs = 0.2\nretry_max_secs = 1.0\n\n"
        f'[notify.channels.hook]\ntype = "webhook"\nurl = "{receiver.url}/hook"\n'
        f'secret = "{WEBHOOK_SECRET}"\n{each}\n'
        f'[notify.channels.pager]\ntype = "webhook"\nurl = "{dead}"\n{each}',
    )
    try:
        program = RunningProgram(tmp_path, config)
        programs.append(program)
        assert program.send(envelope(SQLI.format(ip="203.0.113.40"))) == ["OK"]

        def failing_and_delivered() -> bool:
            try:
                found = samples(scrape(port))
            except OSError:  # the endpoint opens at the program's first export
                return False
            return (
                total(found, "lwsyslog_notify_channel_failing_seconds", channel="pager") > 0
                and total(found, "lwsyslog_notify_channel_delivered_total", channel="hook") == 1
            )

        wait_until(failing_and_delivered, "the dead channel failing, the other delivering")
        found = samples(scrape(port))
        assert total(found, "lwsyslog_notify_channel_failing_seconds", channel="hook") == 0
        assert total(found, "lwsyslog_notify_channel_failures_total", channel="pager") >= 1

        argv = ["status", "--role", "server", "--state-dir", str(tmp_path / "state"),
                "--rsyslog-unit", "", "--impstats", str(tmp_path / "none.json")]  # fmt: skip
        main([*argv, "--json"])
        report = json.loads(capsys.readouterr().out)
        (note,) = [n for n in report["notes"] if "notification channel" in n]
        assert "channel pager (webhook) has failed for " in note and "Connection refused" in note
        assert not any("notification" in p for p in report["problems"])
        shown = report["programs"][0]["notify_channels"]
        assert shown["hook"]["delivered"] == 1 and shown["pager"]["failing_since"] > 0
        assert program.finish() == 0
    finally:
        receiver.stop()


def _unsafe(char: str) -> bool:
    """A character a terminal or a dashboard would act on: C0 (but the line break), DEL, C1,
    and the other non-printables (bidi overrides)."""
    return char != "\n" and not char.isprintable()


def test_hostile_host_names_are_scraped_escaped_bounded_and_distinct(
    tmp_path: Path, port: int, programs: list[RunningProgram]
) -> None:
    terminal = "\x1b[31mevil\x1b]0;pwn\x07"
    hosts = [
        "web1",
        terminal,
        "\\x1b[31mevil\\x1b]0;pwn\\x07",  # the escaped text, literally: another host
        # The program keeps 255 characters of a host name; escaped, these two need more than a
        # label holds, and share all but their last character: the cut must not merge them.
        "\x07" * 254 + "A",
        "\x07" * 254 + "B",
        "C" * 5000,  # kept as its first 255 characters, which a label holds whole
        "x\u202ey\x85z\nw",
    ]
    config = base_config(tmp_path, f'[metrics]\ninterval_secs = 0.2\nlisten = "127.0.0.1:{port}"\n')
    program = RunningProgram(tmp_path, config)
    programs.append(program)
    lines = [envelope(BENIGN.format(n=n), host=host) for n, host in enumerate(hosts)]
    assert program.send(*lines) == ["OK"] * len(lines)
    wait_until(
        lambda: total(samples(scrape(port)), "lwsyslog_hosts") == len(hosts),
        "the endpoint to show every host",
    )

    text = scrape(port)
    assert not [char for char in text if _unsafe(char)]
    # A label holds 255 characters; the exposition format doubles each backslash in it.
    assert max(len(line) for line in text.splitlines()) < 700
    shown = [
        dict(labels)["host"]
        for name, labels in samples(text)
        if name == "lwsyslog_host_last_line_timestamp_seconds"
    ]
    assert len(shown) == len(set(shown)) == len(hosts)
    assert all(len(host) <= 255 and not any(map(_unsafe, host)) for host in shown)
    # The program escapes what a host name cannot hold before anything else sees the name.
    assert "web1" in shown and "%1B%5B31mevil%1B%5D0%3Bpwn%07" in shown
    assert "%5Cx1b%5B31mevil%5Cx1b%5D0%3Bpwn%5Cx07" in shown
    assert "x%E2%80%AEy%C2%85z%0Aw" in shown
    cut = [host for host in shown if host.startswith("%07%07")]
    assert len(cut) == 2 and all("… #" in host for host in cut)
    assert "C" * 255 in shown
    assert program.finish() == 0


def test_the_alert_store_figures_become_a_gauge_and_counters_by_reason() -> None:
    exporter = MetricsExporter(instance="default")
    counters = {"store_off": 1, "store_inserted": 9, "store_pruned_rows": 210}
    exporter.publish(Figures("default", 1, 0.0, 0.0, {**counters, "store_pruned_young": 210}))
    text = generate_latest(exporter.registry).decode()
    assert 'lwsyslog_store_off{omprog_instance="default"} 1.0' in text
    assert 'lwsyslog_store_inserted_alerts_total{omprog_instance="default"} 9.0' in text
    assert (
        'lwsyslog_store_pruned_alerts_total{omprog_instance="default",reason="rows"} 210.0' in text
    )
    assert 'lwsyslog_store_pruned_young_alerts_total{omprog_instance="default"} 210.0' in text
    exporter.publish(Figures("default", 1, 0.0, 0.0, {"received": 1}))  # no store
    assert "lwsyslog_store_off" not in generate_latest(exporter.registry).decode()


def test_made_up_host_names_share_one_series_beyond_the_configured_and_200_others(
    tmp_path: Path,
) -> None:
    """A sender that keeps naming new hosts gets 200 series, then only ``host="_other"``;
    the hosts named in [hosts] always have their own, also when they were heard from last."""
    prom = tmp_path / "lw.prom"
    config = tmp_path / "lwsyslog.toml"
    config.write_text(
        "[hosts]\nmax_hosts = 500\n"
        '[hosts.silent_after_secs_per_host]\n"web-a.example.org" = 600\n"_other" = 600\n'
        f"[metrics]\ntextfile = {json.dumps(str(prom))}\n",
        encoding="utf-8",
    )
    now = [1000.0]
    monitor = Monitor(
        load_config([config]),
        state_dir=tmp_path / "state",
        instance="default",
        report=lambda key, message: None,
        wall_clock=lambda: now[0],
        clock=lambda: now[0],
    )

    def export(hosts: list[str]) -> Samples:
        for host in hosts:
            now[0] += 1
            monitor.hosts.seen([host])
        tracked = monitor.hosts.snapshot()
        monitor.export(Figures("default", 1, 0.0, now[0], {}, hosts=tracked))
        found = samples(prom.read_text(encoding="utf-8"))
        shown = {
            dict(labels)["host"]: value
            for (name, labels), value in found.items()
            if name == "lwsyslog_host_last_line_timestamp_seconds"
        }
        assert total(found, "lwsyslog_hosts") == len(tracked)
        assert total(found, "lwsyslog_hosts_unlabelled") == len(tracked) - len(shown) + 1
        return shown

    try:
        made_up = [f"h{n}-" + "x" * 250 for n in range(1500)]
        first = export([*made_up[:300], "_other", "web-a.example.org"])
        assert len(first) == 1 + 200 + 1
        assert first["web-a.example.org"] == now[0]  # configured: its own, heard from last
        assert first["_other"] == now[0] - 1  # the latest of the 101 others (the last, "_other")
        assert set(made_up[:200]) < set(first)
        seen = set(first)
        for start in range(300, 1500, 400):  # the tracker forgets and hears of new names
            seen |= set(export(made_up[start : start + 400]))
        assert seen == set(first)  # not one series more over the program's life
        assert monitor.hosts.evictions > 0
    finally:
        monitor.close()
