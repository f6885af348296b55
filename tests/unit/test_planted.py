"""webshell-planted-fetch: the request for the script a client's own attack just planted.

Each case is a short access log run through ``lwsyslog scan --json`` as a user runs it: the
exploit that writes a script, then the request that runs it, and the near misses that must
stay quiet (a WebDAV client publishing its own page, another client, a read that is no write,
a request after the window). The memory it keeps is bounded in clients and in bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.cli.main import main
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.rules.planted import DEPTH, PLANTED_FETCH, PlantedScripts, script_name
from lwsyslog.severity import Severity

ATTACKER = "198.51.100.23"
VISITOR = "192.0.2.80"
START = 1_796_000_000  # 2026-11-30


def line(client: str, second: float, method: str, target: str, status: int) -> str:
    """A combined-format access line of ``client`` at ``second`` after START."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(START + second))
    return f'{client} - - [{stamp}] "{method} {target} HTTP/1.1" {status} 64 "-" "curl/8.5.0"'


def scan(lines: list[str], where: Path, *config: str) -> list[dict[str, Any]]:
    """``lwsyslog scan --json`` over ``lines`` (with a config file of ``config`` lines when
    given): the finding records, in line order."""
    log = where / "access.log"
    log.write_text("".join(text + "\n" for text in lines))
    args = ["scan", "--json", "--no-system-config", str(log)]
    if config:
        conf = where / "lwsyslog.toml"
        conf.write_text("\n".join(config) + "\n")
        args[3:3] = ["--config", str(conf)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    records = [json.loads(text) for text in out.getvalue().splitlines() if text.startswith("{")]
    return [record for record in records if record["kind"] == "finding"]


def planted_match(records: list[dict[str, Any]], number: int) -> dict[str, Any] | None:
    """The webshell-planted-fetch match of line ``number``, if it has one."""
    for record in records:
        if record["line"] == number:
            for match in record["matches"]:
                if match["rule"] == PLANTED_FETCH:
                    return {**match, "record": record}
    return None


def test_tomcat_put_then_the_jsp_it_wrote_is_flagged_with_the_put_exploits_cve(
    tmp_path: Path,
) -> None:
    records = scan(
        [
            line(ATTACKER, 0, "PUT", "/a7Fq2.jsp/", 201),
            line(ATTACKER, 2, "GET", "/a7Fq2.jsp", 200),
        ],
        tmp_path,
    )
    match = planted_match(records, 2)
    assert match is not None
    assert match["fragment"] == "a7fq2.jsp"
    record = match["record"]
    # The GET carries nothing of Tomcat: without the PUT before it, no rule flags it.
    assert record["rules"] == [PLANTED_FETCH]
    assert set(record["categories"]) == {"webshell", "known-exploit"}
    assert {"CVE-2017-12615", "CVE-2017-12617"} <= set(record["cve"])
    assert record["severity"] == "critical"  # answered 200: it may have worked


def test_confluence_upload_outside_its_folder_then_the_page_it_wrote(tmp_path: Path) -> None:
    upload = (
        "/plugins/drag-and-drop/upload.action?draftId=65611&filename=../../../../../../opt/"
        "atlassian/confluence/confluence/pages/Qz3.jsp&size=8&mimeType=text%2Fplain"
    )
    records = scan(
        [line(ATTACKER, 0, "POST", upload, 200), line(ATTACKER, 1, "GET", "/pages/Qz3.jsp", 404)],
        tmp_path,
    )
    match = planted_match(records, 2)
    assert match is not None
    assert "CVE-2019-3398" in match["record"]["cve"]


@pytest.mark.parametrize(
    ("put", "get"),
    [
        ("/x.jsp%20", "/x.jsp"),
        ("/x.jsp::$DATA", "/x.jsp"),
        ("/x.jsp/", "/X.JSP?cmd=id"),
        ("/x.jsp/", "/x.jsp;jsessionid=0A1B"),
    ],
    ids=["trailing space", "NTFS stream", "case and query", "path parameter"],
)
def test_the_names_windows_and_tomcat_write_are_the_same_file(
    tmp_path: Path, put: str, get: str
) -> None:
    records = scan(
        [line(ATTACKER, 0, "PUT", put, 201), line(ATTACKER, 1, "GET", get, 200)], tmp_path
    )
    assert planted_match(records, 2) is not None


def test_a_webdav_client_publishing_its_own_page_plants_nothing(tmp_path: Path) -> None:
    # No rule flags the PUT (a page of the site, not a web shell): the GET that checks the
    # published page is the site's own use.
    records = scan(
        [
            line(VISITOR, 0, "PUT", "/blog/index.php", 201),
            line(VISITOR, 3, "GET", "/blog/index.php", 200),
        ],
        tmp_path,
    )
    assert planted_match(records, 2) is None


def test_another_client_asking_for_the_name_is_not_the_follow_up(tmp_path: Path) -> None:
    # The attacker names the file: anyone's later request for a name it chose (index.jsp)
    # must not become an alert on the site's visitors.
    records = scan(
        [line(ATTACKER, 0, "PUT", "/index.jsp/", 201), line(VISITOR, 1, "GET", "/index.jsp", 200)],
        tmp_path,
    )
    assert planted_match(records, 2) is None


def test_a_read_of_a_script_is_no_write(tmp_path: Path) -> None:
    # A GET asking to read a script's source (flagged as traversal) plants nothing.
    records = scan(
        [
            line(ATTACKER, 0, "GET", "/download?file=../../index.php", 200),
            line(ATTACKER, 1, "GET", "/index.php", 200),
        ],
        tmp_path,
    )
    assert records and records[0]["line"] == 1
    assert planted_match(records, 2) is None


def test_a_request_after_the_window_or_for_another_script_is_not_flagged(tmp_path: Path) -> None:
    records = scan(
        [
            line(ATTACKER, 0, "PUT", "/a7Fq2.jsp/", 201),
            line(ATTACKER, 5, "GET", "/b8Gr3.jsp", 404),
            line(ATTACKER, 5, "GET", "/a7Fq2.jspx", 404),
            line(ATTACKER, 3601, "GET", "/a7Fq2.jsp", 200),
        ],
        tmp_path,
    )
    assert [planted_match(records, n) for n in (2, 3, 4)] == [None, None, None]


def test_window_secs_and_enabled_are_configured_like_any_rule(tmp_path: Path) -> None:
    lines = [
        line(ATTACKER, 0, "PUT", "/a7Fq2.jsp/", 201),
        line(ATTACKER, 90, "GET", "/a7Fq2.jsp", 200),
    ]
    assert planted_match(scan(lines, tmp_path), 2) is not None
    short = scan(lines, tmp_path, f"[rules.{PLANTED_FETCH}]", "window_secs = 60")
    assert planted_match(short, 2) is None
    off = scan(lines, tmp_path, f"[rules.{PLANTED_FETCH}]", "enabled = false")
    assert planted_match(off, 2) is None
    lowered = scan(lines, tmp_path, f"[rules.{PLANTED_FETCH}]", 'severity = "low"')
    match = planted_match(lowered, 2)
    assert match is not None
    assert match["record"]["severity"] == "medium"  # low, one step up: answered 200


def test_a_bad_window_names_the_file_line_and_key(tmp_path: Path) -> None:
    conf = tmp_path / "lwsyslog.toml"
    conf.write_text(f"[rules.{PLANTED_FETCH}]\nwindow_secs = -5\n")
    log = tmp_path / "access.log"
    log.write_text(line(ATTACKER, 0, "GET", "/", 200) + "\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["scan", "--no-system-config", "--config", str(conf), str(log)])
    assert code != 0
    assert f"{conf}:2 [rules.{PLANTED_FETCH}] key 'window_secs'" in err.getvalue()


def test_rules_lists_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--no-system-config"]) == 0
    assert PLANTED_FETCH in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("/a/b/Shell.JSP/", "shell.jsp"),
        ("/x.php%00.png", "x.php"),
        ("..%5C..%5Cwebroot%5Ccmd.aspx", "cmd.aspx"),
        ("/x.jsp.", "x.jsp"),
        ("/x.png", None),
        ("/jsp", None),
        ("/" + "a" * 300 + ".php", None),
    ],
)
def test_script_name(text: str, name: str | None) -> None:
    assert script_name(text) == name


def _event(client: str, method: str, target: str, when: float) -> AccessEvent:
    return AccessEvent(Origin("t", 1), "", client, when, method, target)


def _attack(event: AccessEvent) -> Finding:
    return Finding(
        "exploit-x", ("known-exploit",), Severity.CRITICAL, event.client_ip, event.origin,
        "access", event.time, "path", "x", ("CVE-2017-12615",),
    )  # fmt: skip


def test_memory_is_bounded_in_clients_and_bytes_whatever_the_attacker_plants() -> None:
    planted = PlantedScripts(capacity=1000)
    tracemalloc.start()
    try:
        for n in range(20_000):
            # Long names, many per line: only digests are kept, DEPTH per client.
            client = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            query = "&".join(f"f{k}=../{'q' * 200}{n}_{k}.jsp" for k in range(40))
            event = _event(client, "POST", f"/upload?{query}", START + n / 100)
            planted.observe(event, [_attack(event)])
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(planted) == 1000
    assert planted.evictions == 19_000
    # 1,000 clients of DEPTH records each: well under a kilobyte a client.
    assert size < 1000 * 1024
    event = _event("10.0.78.31", "GET", f"/{'q' * 200}19999_{DEPTH - 1}.jsp", START + 200.0)
    assert [f.rule_id for f in planted.observe(event, [])] == [PLANTED_FETCH]
    forgotten = _event("10.0.0.1", "GET", f"/{'q' * 200}1_0.jsp", START + 200.0)
    assert planted.observe(forgotten, []) == []


def test_once_every_name_is_out_of_the_window_lines_are_no_longer_shown_to_it() -> None:
    planted = PlantedScripts(window_secs=60)
    event = _event(ATTACKER, "PUT", "/x.jsp/", START)
    planted.observe(event, [_attack(event)])
    assert planted.armed
    planted.observe(_event(VISITOR, "GET", "/", START + 61), [])
    assert not planted.armed
    assert len(planted) == 0
