"""What a user of ``scan`` and ``check-config`` sees when the logs spell clients oddly: proxy
layouts that log only X-Forwarded-For still raise per-client alerts, a client logged with its
port is one client, an IPv4-mapped client reads as IPv4, and a format that can name no client
is reported where it was configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

XFF_FIRST = '%{X-Forwarded-For}i %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
NO_CLIENT = '%l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
FAILED_LOGINS = 12


def _xff_first_log(path: Path) -> Path:
    path.write_text(
        "".join(
            f"198.51.100.23, 10.0.0.5 - admin [06/Dec/2026:10:00:{n:02d} +0000] "
            f'"GET /private/ HTTP/1.1" 401 381 "-" "curl/8"\n'
            for n in range(FAILED_LOGINS)
        )
    )
    return path


def _json_log(path: Path, clients: list[str]) -> Path:
    path.write_text(
        "".join(
            json.dumps(
                {
                    "time_iso8601": f"2026-12-06T10:00:{n:02d}+00:00",
                    "remote_addr": client,
                    "request": "GET /private/ HTTP/1.1",
                    "status": 401,
                    "body_bytes_sent": 381,
                    "remote_user": "admin",
                    "http_user_agent": "curl/8",
                }
            )
            + "\n"
            for n, client in enumerate(clients)
        )
    )
    return path


def _records(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["scan", "--json", "--no-system-config", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _alerts(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    return [r for r in _records(capsys, *args) if r["kind"] == "alert"]


def _brute_force_keys(alerts: list[dict[str, object]]) -> list[object]:
    return [a["key"] for a in alerts if a["rule"] == "auth-brute-force"]


def test_a_proxy_layout_logging_only_x_forwarded_for_raises_brute_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _xff_first_log(tmp_path / "access.log")
    alerts = _alerts(capsys, "--format", XFF_FIRST, str(log))
    # No proxy is configured as trusted: the entry the nearest proxy appended is the client.
    assert _brute_force_keys(alerts) == ["10.0.0.5"]


def test_behind_a_trusted_proxy_the_alert_names_the_forwarded_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _xff_first_log(tmp_path / "access.log")
    config = tmp_path / "proxy.toml"
    config.write_text('[input]\ntrusted_proxies = ["10.0.0.0/8"]\n')
    alerts = _alerts(capsys, "--config", str(config), "--format", XFF_FIRST, str(log))
    assert _brute_force_keys(alerts) == ["198.51.100.23"]


@pytest.mark.parametrize(
    ("clients", "key"),
    [
        (["198.51.100.23, 10.0.0.5"] * FAILED_LOGINS, "10.0.0.5"),
        ([f"198.51.100.23:{40000 + n}" for n in range(FAILED_LOGINS)], "198.51.100.23"),
        ([f"[2001:db8::1]:{40000 + n}" for n in range(FAILED_LOGINS)], "2001:db8::/64"),
    ],
    ids=["listed", "with-port", "ipv6-with-port"],
)
def test_json_clients_listed_or_with_a_port_are_one_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clients: list[str], key: str
) -> None:
    log = _json_log(tmp_path / "access.json", clients)
    assert _brute_force_keys(_alerts(capsys, str(log))) == [key]


def test_mapped_clients_read_as_ipv4_and_count_with_the_ipv4_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    half = FAILED_LOGINS // 2
    clients = ["::ffff:66.249.66.1"] * half + ["66.249.66.1"] * half
    log = _json_log(tmp_path / "access.json", clients)
    records = _records(capsys, str(log))
    findings = [r for r in records if r["kind"] == "finding"]
    assert len(findings) == FAILED_LOGINS
    assert {r["client_ip"] for r in records} == {"66.249.66.1"}
    assert _brute_force_keys([r for r in records if r["kind"] == "alert"]) == ["66.249.66.1"]


def test_an_ipv4_allow_entry_covers_its_mapped_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "allow.toml"
    config.write_text('[allow]\nclients = ["66.249.66.0/24"]\n')
    rules = []
    for spelling in ("66.249.66.1", "::ffff:66.249.66.1"):
        log = _json_log(tmp_path / "access.json", [spelling] * FAILED_LOGINS)
        rules.append([a["rule"] for a in _alerts(capsys, "--config", str(config), str(log))])
    assert "auth-brute-force" not in rules[0]  # the allowed client's findings are dropped
    assert rules[1] == rules[0]


def test_check_config_and_scan_warn_of_a_format_without_a_client_and_say_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text(
        f"[input]\n# behind the balancer\naccess_formats = ['combined', '{NO_CLIENT}']\n"
    )
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    where = f"{config}:3 [input] key 'access_formats'"
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, out
    assert where in warnings[0] and repr(NO_CLIENT) in warnings[0]
    assert "per-client thresholds" in warnings[0]
    log = _xff_first_log(tmp_path / "access.log")
    assert main(["scan", "--no-system-config", "--config", str(config), str(log)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and where in err


def test_a_format_without_a_client_given_by_option_is_named_as_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _xff_first_log(tmp_path / "access.log")
    assert main(["scan", "--no-system-config", "--format", NO_CLIENT, str(log)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "--format: access format" in err


@pytest.mark.parametrize(
    "formats",
    [
        "['combined', 'common', 'vhost_combined', 'json', 'iis']",
        f"['{XFF_FIRST}']",
        "['%{c}a %l %u %t \"%r\" %>s %b']",
    ],
)
def test_formats_that_name_a_client_draw_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], formats: str
) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(f"[input]\naccess_formats = {formats}\n")
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_an_iis_field_list_without_a_client_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "iis.toml"
    config.write_text(
        "[input]\naccess_formats = ['iis']\n"
        "iis_fields = ['date', 'time', 'cs-method', 'cs-uri-stem', 'sc-status']\n"
    )
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {config}:3 [input] key 'iis_fields'" in out
