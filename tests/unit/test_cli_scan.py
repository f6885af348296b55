"""``lwsyslog scan``: the JSON contract, the summary, exit statuses, hostile input."""

from __future__ import annotations

import gc
import io
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.cli import scan_cmd
from lwsyslog.cli.main import main
from tests.unit.store_support import fill, make_alert, mounted_tmpfs

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logs"
SAMPLE = FIXTURES / "sample-access.log"
NO_SYSTEM_CONFIG: list[str] = []


def scan(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]], str]:
    status = main(["scan", "--json", *args])
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    return status, records, captured.err


def test_sqli_line_is_a_finding_with_file_line_client_and_category(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, records, _ = scan(capsys, str(SAMPLE))
    assert status == 0
    sqli = [r for r in records if r["kind"] == "finding" and r["line"] == 4]
    assert len(sqli) == 1
    record = sqli[0]
    assert record["file"] == str(SAMPLE) and record["log"] == "access"
    assert record["client_ip"] == "203.0.113.9" and record["triage"] == "urgent"
    assert "sqli" in record["categories"] and record["severity"] in ("high", "critical")


def test_benign_lines_produce_no_record(capsys: pytest.CaptureFixture[str]) -> None:
    _, records, _ = scan(capsys, str(SAMPLE))
    lines = {r["line"] for r in records if r["kind"] == "finding"}
    assert not lines & {1, 2, 3, 12, 15}  # home, css, product page, 404 favicon, about


def test_urgent_only_line_has_empty_categories(capsys: pytest.CaptureFixture[str]) -> None:
    _, records, _ = scan(capsys, str(SAMPLE))
    forbidden = [r for r in records if r["kind"] == "finding" and r["line"] == 7]
    assert forbidden and forbidden[0]["triage"] == "urgent"
    assert forbidden[0]["rules"] == [] or forbidden[0]["categories"] != []


def test_six_bare_403s_from_one_client_raise_no_burst_alert(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Refused requests without a serious finding (low access-denied ones) are ordinary
    traffic: urgent-burst counts findings of medium or worse, or of a payload category."""
    _, records, _ = scan(capsys, str(SAMPLE))
    denied = [r for r in records if r["kind"] == "finding" and r["client_ip"] == "192.0.2.44"]
    assert len(denied) == 6 and {r["severity"] for r in denied} == {"low"}
    assert not [r for r in records if r["kind"] == "alert" and r["rule"] == "urgent-burst"]


def test_log4shell_in_user_agent_alerts_alone(capsys: pytest.CaptureFixture[str]) -> None:
    _, records, _ = scan(capsys, str(SAMPLE))
    log4shell = [r for r in records if r["kind"] == "alert" and "log4shell" in r["categories"]]
    assert log4shell and log4shell[0]["key"] == "203.0.113.50"


def test_error_log_line_with_syslog_header_is_recognised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, records, _ = scan(capsys, str(SAMPLE))
    auth = [r for r in records if r["kind"] == "finding" and r["line"] == 14]
    assert auth and auth[0]["log"] == "error" and auth[0]["client_ip"] == "192.0.2.80"
    assert "auth-failure" in auth[0]["categories"]


def test_hostile_bytes_are_counted_never_fatal_never_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / "hostile.log"
    good = SAMPLE.read_bytes().splitlines()[3]  # the SQL injection line
    hostile.write_bytes(
        b"\x00\x01\x02\xff\xfe binary junk\n"
        + b"\xc3\x28 invalid utf-8 \xa0\xa1\n"
        + b'203.0.113.9 - - [23/Nov/2026:14:00:00 +0000] "GET /x HTTP/1.1 200\n'  # cut quote
        + b"A" * (10 * 1024 * 1024)
        + b"\n"
        + good.replace(b"UNION", b"\x1b[2JUNION")
        + b"\r\n"
        + good
        + b"\r\n"
    )
    status, records, err = scan(capsys, str(hostile))
    assert status == 0
    assert "unparsed" in err and "too-long 1" in err
    out_text = "\n".join(json.dumps(r) for r in records)
    assert "\x1b" not in out_text
    assert any(
        r["kind"] == "finding" and r["line"] == 6 and "sqli" in r["categories"] for r in records
    )


def test_missing_file_exits_1_but_scans_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, err = scan(capsys, "/nonexistent/access.log", str(SAMPLE))
    assert status == 1
    assert "/nonexistent/access.log" in err
    assert any(r["kind"] == "finding" for r in records)


def test_bad_config_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[alerts]\nsingle_event_min_severity = 'severe'\n")
    status = main(["scan", "--config", str(config), str(SAMPLE)])
    err = capsys.readouterr().err
    assert status == 2 and "bad.toml:2" in err and "single_event_min_severity" in err


def test_the_garbage_collector_is_on_for_the_lines_and_after_the_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Start-up runs with the collector paused; the lines and whoever called scan get it back,
    also when the configuration was refused."""
    seen: list[bool] = []

    def note(phase: str, info: dict[str, int]) -> None:
        seen.append(True)

    gc.callbacks.append(note)
    try:
        garbage = tmp_path / "many.log"
        garbage.write_bytes(SAMPLE.read_bytes() * 200)
        status, _, _ = scan(capsys, str(garbage))
    finally:
        gc.callbacks.remove(note)
    assert status == 0 and seen and gc.isenabled()
    config = tmp_path / "bad.toml"
    config.write_text("[alerts]\nsingle_event_min_severity = 'severe'\n")
    assert main(["scan", "--config", str(config), str(SAMPLE)]) == 2
    assert gc.isenabled()


def test_stdin_is_read_with_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.read_bytes())))
    status, records, _ = scan(capsys, "-")
    assert status == 0 and any(r["file"] == "-" for r in records if r["kind"] == "finding")


def test_human_summary_lists_lines_categories_clients_and_alerts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "lines        16" in out
    assert "sqli" in out and "192.0.2.44" in out and "log4shell-jndi" in out


def test_forced_common_format_parses_common_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "common.log"
    log.write_text('192.0.2.1 - - [23/Nov/2026:14:00:00 +0000] "GET /.env HTTP/1.1" 404 12\n')
    status, records, _ = scan(capsys, "--log", "access", "--format", "common", str(log))
    assert status == 0
    assert any("sensitive-file" in r["categories"] for r in records if r["kind"] == "finding")


def test_json_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """`lwsyslog scan --json FILE | head -1`: no traceback, no 'Broken pipe' complaint, exit 0."""
    log = tmp_path / "attacks.log"
    line = SAMPLE.read_text(encoding="utf-8").splitlines()[3]  # the UNION SELECT line
    log.write_text((line + "\n") * 5000, encoding="utf-8")  # far more JSON than a pipe holds
    with subprocess.Popen(
        [sys.executable, "-m", "lwsyslog", "scan", "--json", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, err
    assert json.loads(first)["kind"] in ("finding", "alert")
    assert "Broken pipe" not in err and "Traceback" not in err and "failed" not in err


def corrupt_store(path: Path) -> Path:
    """A store whose identity index is overwritten: it opens, and refuses every insert."""
    fill(path, [make_alert()])
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'alerts_identity'")
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root[0] - 1) * page_size)
        handle.write(b"\xff" * page_size)
    return path


def alerts_line(summary: str) -> int:
    """The count on the summary's ``alerts`` line."""
    (count,) = re.findall(r"^alerts +([\d,]+)$", summary, re.MULTILINE)
    return int(count.replace(",", ""))


def test_a_store_that_takes_no_alert_fails_the_scan_saying_how_many_and_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = corrupt_store(tmp_path / "alerts.db")
    status = main(["scan", "--store", str(db), str(SAMPLE)])
    out, err = capsys.readouterr()
    raised = alerts_line(out)
    assert status == 1 and raised > 0
    assert f"{raised} NOT stored" in out
    assert f"error: {raised} alerts not stored in the alert store" in err
    assert "database disk image is malformed" in err
    assert "messages file" not in err  # a scan has none


def test_a_full_disk_under_the_store_is_said_in_a_few_lines_with_the_real_cause(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "many.log"
    log.write_text(
        "".join(
            f"10.0.{i // 250}.{i % 250} - - [07/Dec/2026:12:{i // 60 % 60:02d}:{i % 60:02d} +0000]"
            f' "GET /index.php?id=1%27%20UNION%20SELECT%20{i}%20FROM%20users-- HTTP/1.1" 200 1'
            ' "-" "x"\n'
            for i in range(3000)
        )
    )
    with mounted_tmpfs(tmp_path / "small") as disk:
        status = main(["scan", "--store", str(disk / "alerts.db"), str(log)])
    out, err = capsys.readouterr()
    raised = alerts_line(out)
    (stored,) = re.findall(r"^store +([\d,]+) new alerts", out, re.MULTILINE)
    missing = raised - int(stored.replace(",", ""))
    assert status == 1 and missing > 1000  # more than the store's backlog holds
    assert f"error: {missing:,} alerts not stored in the alert store" in err
    assert "database or disk is full" in err and "rollback" not in err
    assert len(err.splitlines()) <= 5, err[:2000]
    assert "messages file" not in err


def test_a_line_without_end_is_read_as_its_head_and_the_next_line_is_still_scanned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 6 MiB with no newline, then an attack: the scan keeps only the head of the long line
    # (what the pipeline reads), whatever its length, and finds the attack after it.
    attack = (
        '198.51.100.7 - - [07/Dec/2026:10:00:00 +0000] "GET /x?f=../../../etc/passwd HTTP/1.1"'
        ' 200 9 "-" "UA"'
    )
    data = b"A" * (6 << 20) + b"\n" + attack.encode() + b"\n"
    batches = list(scan_cmd._chunks(io.BytesIO(data)))
    lines = [line for batch, _ in batches for line in batch]
    assert [len(line) for line in lines] == [scan_cmd._LINE_HEAD_BYTES, len(attack)]
    assert batches[-1][1] == len(data)
    log = tmp_path / "long.log"
    log.write_bytes(data)
    status, records, err = scan(capsys, "--no-system-config", str(log))
    assert status == 0 and "too-long 1" in err
    assert [r["line"] for r in records if r["kind"] == "finding"] == [2]


def test_a_file_saved_with_a_byte_order_mark_has_its_first_line_scanned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = (
        '198.51.100.7 - - [07/Dec/2026:10:00:00 +0000] "GET /x?f=../../etc/passwd HTTP/1.1" 200 9'
    )
    log = tmp_path / "saved-on-windows.log"
    log.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\r\n")
    status, records, err = scan(capsys, "--no-system-config", str(log))
    assert status == 0 and "no-format-matched" not in err
    assert [r["line"] for r in records if r["kind"] == "finding"] == [1]
