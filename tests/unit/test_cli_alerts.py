"""``lwsyslog alerts`` / ``report`` / ``scan --store`` on a store filled by a real scan of
the attack-tool captures."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.cli.alerts_cmd import print_table
from lwsyslog.cli.main import main
from lwsyslog.cli.table import Column, cell_width, render_table
from lwsyslog.store import AlertFilter, open_reader, select_alerts
from tests.unit.store_support import fill, make_alert

# The runs captured on 2026-11-23 (the day these tests report on); dirb-vulns was captured later.
FIXTURES = sorted(
    str(path)
    for path in (Path(__file__).parent.parent / "fixtures" / "attack-tools").glob("*/*.log")
    if path.parent.name != "dirb-vulns"
)
DAY_START, DAY_END = "2026-11-23T00:00:00+00:00", "2026-11-24T00:00:00+00:00"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A store written by ``lwsyslog scan --store``, and the same scan's JSON alert records."""
    path = tmp_path_factory.mktemp("scan") / "alerts.db"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["scan", "--json", "--store", str(path), *FIXTURES])
    assert status == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return path, [r for r in records if r["kind"] == "alert"]


def alerts_json(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> list[dict[str, Any]]:
    status, out, _ = run(capsys, "alerts", "--db", str(db), "--json", "--limit", "0", *args)
    assert status == 0
    return [json.loads(line) for line in out.splitlines()]


def test_scan_store_holds_every_alert_the_scan_reported(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, scan_alerts = scanned
    stored = alerts_json(capsys, db)
    assert len(scan_alerts) >= 20 and len(stored) == len(scan_alerts)

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["rule"], r["key"], r["count"], r["severity"], tuple(r["categories"]))

    assert Counter(map(key, stored)) == Counter(map(key, scan_alerts))
    last = Counter(f"{r['last']['file']}:{r['last']['line']}" for r in scan_alerts)
    assert Counter(r["last_source"] for r in stored) == last


def test_scanning_again_stores_nothing_twice(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, scan_alerts = scanned
    status, out, _ = run(capsys, "scan", "--store", str(db), *FIXTURES)
    assert status == 0
    assert f"store        0 new alerts in {db} ({len(scan_alerts)} already there)" in out
    assert len(alerts_json(capsys, db)) == len(scan_alerts)


def test_one_line_raising_an_alert_per_category_has_each_stored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A traversal and a JNDI lookup in one request, three times: the repeats raise an
    # attack-repeat alert per category, with one rule, client and sample.
    line = (
        '198.51.100.4 - - [07/Dec/2026:10:00:00 +0000] "GET /x?a=../../../etc/passwd'
        '&b=${jndi:ldap://x/a} HTTP/1.1" 404 0 "-" "UA"'
    )
    log = tmp_path / "access.log"
    log.write_text((line + "\n") * 3, encoding="utf-8")
    db = tmp_path / "alerts.db"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["scan", "--json", "--no-system-config", "--store", str(db), str(log)]) == 0
    reported = [json.loads(row) for row in out.getvalue().splitlines()]
    alerts = [(r["rule"], tuple(r["categories"])) for r in reported if r["kind"] == "alert"]
    repeats = [categories for rule, categories in alerts if rule == "attack-repeat"]
    assert len(repeats) >= 2 and len(set(repeats)) == len(repeats)
    stored = alerts_json(capsys, db)
    assert Counter((r["rule"], tuple(r["categories"])) for r in stored) == Counter(alerts)


def test_filters_from_the_command_line(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, scan_alerts = scanned
    sqli = alerts_json(capsys, db, "--category", "sqli")
    assert sqli and all("sqli" in r["categories"] for r in sqli)
    assert len(sqli) == sum("sqli" in r["categories"] for r in scan_alerts)
    repeat = alerts_json(capsys, db, "--rule", "attack-repeat")
    assert len(repeat) == sum(r["rule"] == "attack-repeat" for r in scan_alerts)
    assert len(alerts_json(capsys, db, "--client", "127.0.0.0/8")) == len(scan_alerts)
    assert alerts_json(capsys, db, "--client", "10.0.0.0/8") == []
    critical = alerts_json(capsys, db, "--min-severity", "critical")
    assert critical and {r["severity"] for r in critical} == {"critical"}
    assert alerts_json(capsys, db, "--host", "web1") == []
    assert len(alerts_json(capsys, db, "--host", "")) == len(scan_alerts)  # offline: no host
    window = alerts_json(
        capsys, db, "--since", "2026-11-23T16:01:30+00:00", "--until", "2026-11-23T16:01:40+00:00"
    )
    assert window and all("16:01:3" in r["time"] for r in window)


def test_limit_keeps_the_newest_and_says_so(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, _ = scanned
    everything = alerts_json(capsys, db)
    status, out, err = run(capsys, "alerts", "--db", str(db), "--json", "--limit", "3")
    assert status == 0 and [json.loads(x) for x in out.splitlines()] == everything[-3:]
    note = f"the newest 3 of {len(everything)} alerts (--limit N for more, --all for every one)"
    assert note in err
    # --all is --limit 0; a limit that cuts nothing says nothing.
    status, out, err = run(capsys, "alerts", "--db", str(db), "--json", "--all")
    assert [json.loads(x) for x in out.splitlines()] == everything and err == ""
    status, out, err = run(capsys, "alerts", "--db", str(db), "--limit", str(len(everything)))
    assert len(out.splitlines()) == len(everything) + 1 and err == ""


def test_a_long_list_streams_in_the_columns_of_its_first_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Past the first 256 alerts, lines keep those columns; a longer cell is not cut."""
    alerts = [make_alert(at=1_795_449_600.0 + n, line=n, client=f"198.51.100.{n % 200}",
                         rule="short-rule" if n < 300 else "a-much-longer-rule-name")
              for n in range(400)]  # fmt: skip
    fill(tmp_path / "a.db", alerts)
    status, out, err = run(capsys, "alerts", "--db", str(tmp_path / "a.db"), "--all")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 401
    client_at = lines[0].index("CLIENT")
    assert all(line[client_at:].startswith("198.51.100.") for line in lines[1:301])
    assert lines[-1].split()[3] == "a-much-longer-rule-name"
    times = [line[:19] for line in lines[1:]]
    assert times == sorted(times) and len(set(times)) == 400  # oldest first, each once


def test_table_has_aligned_columns_and_one_line_per_alert(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, scan_alerts = scanned
    status, out, _ = run(capsys, "alerts", "--db", str(db), "--limit", "0")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == len(scan_alerts) + 1
    header = lines[0]
    assert header.split() == [
        "TIME", "SEVERITY", "RULE", "CLIENT", "HOST", "COUNT", "CATEGORIES", "MESSAGE"
    ]  # fmt: skip
    rule_at, client_at = header.index("RULE"), header.index("CLIENT")
    for line in lines[1:]:
        assert line[rule_at - 2 : rule_at] == "  " and line[rule_at] != " "
        assert line[client_at:].startswith("127.0.0.1")


def test_table_fits_the_terminal_counting_wide_characters() -> None:
    rows = [("2026-11-23 16:00:00", "critical", "漢字漢字" * 5, "x" * 300)]
    columns = [Column("TIME"), Column("SEVERITY"), Column("RULE", 12), Column("MESSAGE")]
    lines = render_table(columns, rows, total_width=80)
    assert all(cell_width(line) <= 80 for line in lines)
    assert "漢字漢字漢…" in lines[1] and lines[1].endswith("…")


def test_table_of_hostile_alerts_stays_on_one_line_each(tmp_path: Path) -> None:
    fill(tmp_path / "a.db", [make_alert(message="evil\n\x1b[2Jforged line", host="h\r\n")])
    conn = open_reader(tmp_path / "a.db")
    alerts = select_alerts(conn, AlertFilter())
    conn.close()
    out = io.StringIO()
    print_table(alerts, out)
    text = out.getvalue()
    assert text.count("\n") == 2 and "\x1b" not in text and "\r" not in text


def test_report_numbers_equal_what_alerts_json_returns(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, _ = scanned
    stored = alerts_json(capsys, db, "--since", DAY_START, "--until", DAY_END)
    status, out, _ = run(
        capsys, "report", "--db", str(db), "--since", DAY_START, "--until", DAY_END, "--json"
    )
    assert status == 0
    report = json.loads(out)
    assert report["alerts"] == len(stored)
    assert report["by_severity"] == {
        s: sum(r["severity"] == s for r in stored) for s in ("critical", "high", "medium", "low")
    }
    assert report["by_category"] == dict(
        Counter(c for r in stored for c in r["categories"] or [""])
    )
    by_rule = Counter(r["rule"] for r in stored)
    assert report["rules"] == dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    (client,) = report["top_clients"]
    assert client["client"] == "127.0.0.1" and client["alerts"] == len(stored)
    assert client["first_seen"] == min(r["time"] for r in stored)
    assert client["last_seen"] == max(r["time"] for r in stored)
    assert report["new_clients"] == 1 and report["previous_alerts"] == 0


def test_text_report_prints_the_digest(
    capsys: pytest.CaptureFixture[str], scanned: tuple[Path, list[dict[str, Any]]]
) -> None:
    db, scan_alerts = scanned
    status, out, _ = run(
        capsys, "report", "--db", str(db), "--since", DAY_START, "--until", DAY_END
    )
    assert status == 0
    assert out.startswith("lwsyslog report 2026-11-2")
    assert f"alerts       {len(scan_alerts)} (previous 24h: 0)" in out
    assert "  127.0.0.1  " in out and "noisiest rules:" in out


def test_report_html_writes_the_page(
    capsys: pytest.CaptureFixture[str],
    scanned: tuple[Path, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    db, _ = scanned
    page = tmp_path / "report.html"
    status, _, err = run(
        capsys, "report", "--db", str(db), "--since", DAY_START, "--until", DAY_END,
        "--html", str(page),
    )  # fmt: skip
    assert status == 0 and f"report page written to {page}" in err
    assert page.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("command", ["alerts", "report"])
def test_missing_or_wrong_store_is_exit_2_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "missing.db"
    status, _, err = run(capsys, command, "--db", str(missing))
    assert status == 2 and f"{missing}: no alert store there" in err
    assert not missing.exists()  # reading never creates a store
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database " * 200)
    status, _, err = run(capsys, command, "--db", str(notes))
    assert status == 2 and f"{notes}: not an lwsyslog alert store" in err
    status, _, err = run(capsys, command, "--db", str(tmp_path))
    assert status == 2 and "is a directory" in err


def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args in (
        ["--since", "yesterday-ish"],
        ["--client", "10.0.0.0/99"],
        ["--category", "sql-injection"],
        ["--limit", "-1"],
        ["--min-severity", "urgent"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(["alerts", "--db", str(tmp_path / "x.db"), *args])
        assert exit_info.value.code == 2
    assert "unknown category 'sql-injection'" in capsys.readouterr().err


def test_scan_store_that_cannot_be_a_store_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "scan", "--store", str(tmp_path), FIXTURES[0])
    assert status == 2 and f"{tmp_path}: is a directory, not an alert store" in err
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database " * 200)
    status, _, err = run(capsys, "scan", "--store", str(notes), FIXTURES[0])
    assert status == 2 and f"{notes}: cannot use as an alert store" in err
    assert notes.read_text() == "not a database " * 200


YEAR_10000 = 253_402_387_139.0  # 10000-01-01T23:58:59Z: what a log line dated 9999 -2359 made
YEAR_0 = -62_135_683_140.0  # 0000-12-31T00:01:00Z


@pytest.fixture
def odd_times(tmp_path: Path) -> Path:
    """A store holding alerts at times no date can show, as older versions stored them."""
    path = tmp_path / "odd.db"
    fill(
        path,
        [
            make_alert(at=YEAR_10000, client="192.0.2.10"),
            make_alert(at=YEAR_0, client="192.0.2.11", line=2),
            make_alert(client="192.0.2.12", line=3),
        ],
    )
    return path


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ((), ["epoch -62135683140", "epoch 253402387139"]),
        (("--since", "1h"), ["epoch 253402387139"]),
        (("--client", "192.0.2.10"), ["epoch 253402387139"]),
        (("--client", "192.0.2.0/24", "--until", "1970-01-02T00:00:00+00:00"),
         ["epoch -62135683140"]),
    ],
)  # fmt: skip
def test_alerts_at_times_no_date_can_show_are_listed_with_their_epoch_seconds(
    capsys: pytest.CaptureFixture[str], odd_times: Path, args: tuple[str, ...], shown: list[str]
) -> None:
    status, out, err = run(capsys, "alerts", "--db", str(odd_times), *args)
    assert status == 0 and err == ""
    assert [line.split("  ")[0] for line in out.splitlines()[1:] if "epoch" in line] == shown


@pytest.mark.parametrize(
    ("command", "args", "said"),
    [
        ("report", ("--since", "999999d"), "--since 999999d: reaches about year -711"),
        ("report", ("--until", "2w", "--since", "999999w"), "--since 999999w: reaches about"),
        ("alerts", ("--since", "999999w"), "--since 999999w: reaches about year -17138"),
    ],
)
def test_a_period_reaching_beyond_the_dates_is_a_usage_error_naming_the_option(
    capsys: pytest.CaptureFixture[str],
    odd_times: Path,
    command: str,
    args: tuple[str, ...],
    said: str,
) -> None:
    status, out, err = run(capsys, command, "--db", str(odd_times), *args)
    assert status == 2 and out == ""
    assert f"lwsyslog: error: {said}" in err and "0001-01-02 to 9999-12-31" in err


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_beyond_the_range_is_refused_by_the_argument_parser(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, when: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["alerts", "--db", str(tmp_path / "x.db"), "--until", when])
    assert exit_info.value.code == 2
    assert f"argument --until: time '{when}' is out of range" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("client", "words"),
    [("999.1.1.1", "not an address"), ("10.0.0.0/99", "not a network"),
     ("2001:db8::zz", "not an address"), ("1.2.3", "not an address")],
)  # fmt: skip
def test_a_client_meant_as_an_address_must_be_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, client: str, words: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["alerts", "--db", str(tmp_path / "alerts.db"), "--client", client])
    assert exit_.value.code == 2
    assert f"argument --client: {words}: {client!r}" in capsys.readouterr().err


@pytest.mark.parametrize("client", ["203.0.113.9", "::ffff:203.0.113.9", "crawl.example.org"])
def test_an_address_or_a_host_name_is_a_client(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, client: str
) -> None:
    db = tmp_path / "alerts.db"
    fill(db, [make_alert(client="203.0.113.9"), make_alert(client="crawl.example.org")])
    (found,) = alerts_json(capsys, db, "--since", "2000-01-01", "--client", client)
    assert found["client_ip"] == client.removeprefix("::ffff:")
