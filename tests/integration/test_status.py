"""``lwsyslog status`` against real rsyslogd pairs and the real program: healthy, a stopped
server, a silent web host that comes back, and certificate names refused on either end. Alerts
land in the private journald with the web host in their MESSAGE."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
import pytest
from conftest import WEBHOST_HOSTNAME, require_lab

from lwsyslog import lab
from lwsyslog.deploy import certs

pytestmark = pytest.mark.integration


class StatusChain(lab.LocalChain):
    """The chain with the real program, impstats on the server, and the lab's own config."""

    def __init__(
        self,
        workdir: Path,
        journal: lab.JournalNamespace,
        pki: lab.ChainPki,
        config: str = "",
    ) -> None:
        self.state = workdir / "state"
        self.impstats = workdir / "impstats.json"
        program = lab.omprog_command(
            config=lab.write_lab_config(workdir / "lwsyslog.toml", config),
            state_dir=self.state,
            messages_file=workdir / "messages",
        )
        prelude = (
            'module(load="impstats" interval="1" format="json" log.syslog="off" '
            f'log.file="{self.impstats}")\n'
        )
        super().__init__(
            workdir / "chain", program, journal, pki=pki, apache=False, server_prelude=prelude
        )

    def status(self, role: str = "server", *extra: str) -> tuple[int, dict[str, Any]]:
        """``lwsyslog status --json`` as an administrator runs it here: exit status, report."""
        logs = self.server.output if role == "server" else self.webhost.output
        command = [
            *(sys.executable, "-m", "lwsyslog.cli.main", "status", "--json", "--role", role),
            *("--state-dir", str(self.state), "--impstats", str(self.impstats)),
            *("--rsyslog-unit", "", "--rsyslog-log", str(logs), *extra),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode in (0, 1), done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        return done.returncode, report

    def journal_alerts(self, *matches: str) -> list[dict[str, object]]:
        return self.journal.entries("SYSLOG_IDENTIFIER=lwsyslog", *matches)

    def wait(self, predicate: Any, what: str, timeout: float = 30) -> None:
        try:
            lab.wait_for(predicate, timeout, what)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from exc


@pytest.fixture
def chains(
    tmp_path_factory: pytest.TempPathFactory, journal: lab.JournalNamespace
) -> Iterator[list[StatusChain]]:
    require_lab()
    started: list[StatusChain] = []
    yield started
    for chain in started:
        chain.stop()


def _start(
    chains: list[StatusChain],
    tmp_path_factory: pytest.TempPathFactory,
    journal: lab.JournalNamespace,
    pki: lab.ChainPki,
    config: str = "",
) -> StatusChain:
    chain = StatusChain(tmp_path_factory.mktemp("status"), journal, pki, config)
    chains.append(chain)
    return chain.start()


def _sqli(client: str) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    return f'{client} - - [{stamp}] "GET /?id=1%27%20UNION%20SELECT%201-- HTTP/1.1" 200 5 "-" "c"'


def _client() -> str:
    return "10.{}.{}.{}".format(*(random.randrange(1, 255) for _ in range(3)))


def test_healthy_chain_then_stopped_server(
    chains: list[StatusChain],
    tmp_path_factory: pytest.TempPathFactory,
    journal: lab.JournalNamespace,
    pki: harness.Pki,
) -> None:
    chain = _start(chains, tmp_path_factory, journal, pki, "[metrics]\ninterval_secs = 0.5\n")
    client = _client()
    chain.logger(_sqli(client))
    chain.wait(lambda: chain.journal_alerts(f"LWSYSLOG_CLIENT_IP={client}") != [], "the alert")
    (alert,) = chain.journal_alerts(f"LWSYSLOG_CLIENT_IP={client}")
    assert str(alert["MESSAGE"]).startswith(f"critical sqli-union-select on {WEBHOST_HOSTNAME}: ")

    def settled() -> bool:
        report = chain.status()[1]
        queues = {queue["name"] for queue in report["queues"]}
        hosts = {host["host"] for host in report["hosts"]}
        return WEBHOST_HOSTNAME in hosts and "lwsyslog_omprog queue" in queues

    chain.wait(settled, "the status file and impstats to show the line")
    code, report = chain.status()
    assert (code, report["problems"]) == (0, [])
    (program,) = report["programs"]
    assert program["running"] and [program["pid"]] == chain.omprog_pids()
    assert program["parent_pid"] == chain.server.pid and program["stats"]["alerts"] >= 1
    assert chain.server.pid in report["rsyslogd"]
    # The lab's port probes left failed TLS handshakes in rsyslogd's output: noted, not wrong.
    assert all(not m["serious"] for m in report["rsyslog_messages"])
    assert chain.status("webhost")[0] == 0

    server_pid = chain.server.pid
    chain.server.stop()
    time.sleep(2.5)  # impstats (every second) stops with rsyslogd
    code, report = chain.status("server", "--impstats-max-age-secs", "2")
    assert code == 1
    assert any(
        f"rsyslogd (pid {server_pid}), which ran the lwsyslog program" in problem
        for problem in report["problems"]
    ), report["problems"]
    assert any("impstats file" in p and "was last written" in p for p in report["problems"])
    assert report["programs"][0]["running"] is False


def test_silent_web_host_and_its_return(
    chains: list[StatusChain],
    tmp_path_factory: pytest.TempPathFactory,
    journal: lab.JournalNamespace,
    pki: harness.Pki,
) -> None:
    config = "[hosts]\nsilent_after_secs = 4\n[metrics]\ninterval_secs = 0.5\n"
    chain = _start(chains, tmp_path_factory, journal, pki, config)
    silent_before = len(chain.journal_alerts("LWSYSLOG_RULE=host-silent"))
    back_before = len(chain.journal_alerts("LWSYSLOG_RULE=host-back"))
    chain.logger(_sqli(_client()))

    def silenced() -> bool:
        return len(chain.journal_alerts("LWSYSLOG_RULE=host-silent")) > silent_before

    chain.wait(silenced, "a host-silent alert in the journal")
    silent = chain.journal_alerts("LWSYSLOG_RULE=host-silent")[-1]
    assert silent["LWSYSLOG_HOST"] == WEBHOST_HOSTNAME and silent["PRIORITY"] == "3"
    assert str(silent["MESSAGE"]).startswith(
        f"high host-silent on {WEBHOST_HOSTNAME}: sent nothing for"
    )
    code, report = chain.status()
    assert code == 1
    assert any(f"web host {WEBHOST_HOSTNAME} sent nothing for" in p for p in report["problems"])

    chain.logger(_sqli(_client()))
    chain.wait(
        lambda: len(chain.journal_alerts("LWSYSLOG_RULE=host-back")) > back_before,
        "a host-back alert in the journal",
    )
    back = chain.journal_alerts("LWSYSLOG_RULE=host-back")[-1]
    assert str(back["MESSAGE"]).startswith(f"low host-back on {WEBHOST_HOSTNAME}: sends again")
    code, report = chain.status()
    assert (code, report["problems"]) == (0, [])


def test_a_web_host_certificate_name_the_server_does_not_permit(
    chains: list[StatusChain],
    tmp_path_factory: pytest.TempPathFactory,
    journal: lab.JournalNamespace,
    pki: harness.Pki,
) -> None:
    wrong = lab.ChainPki(ca=pki.ca, server=pki.server, webhost=pki.wrong_name)
    chain = _start(chains, tmp_path_factory, journal, wrong)
    chain.logger(_sqli(_client()))
    chain.wait(
        lambda: "no permited name found" in chain.server.output.read_text(errors="replace"),
        "the server to refuse the web host",
    )
    code, report = chain.status()
    assert code == 1
    assert any(
        "a web host was refused: its certificate name 'intruder.lwsyslog.test' is not among"
        in problem
        for problem in report["problems"]
    ), report["problems"]
    assert any("no status file of the lwsyslog program" in p for p in report["problems"])


def test_a_web_host_expecting_another_server_name(
    chains: list[StatusChain],
    tmp_path_factory: pytest.TempPathFactory,
    journal: lab.JournalNamespace,
    pki: harness.Pki,
) -> None:
    directory = tmp_path_factory.mktemp("other-server")
    other = certs.make_cert(directory, pki.ca, "other.lwsyslog.test", "server")
    chain = _start(
        chains,
        tmp_path_factory,
        journal,
        lab.ChainPki(ca=pki.ca, server=other, webhost=pki.webhost),
    )
    chain.logger(_sqli(_client()))
    chain.wait(
        lambda: "no permited name found" in chain.webhost.output.read_text(errors="replace"),
        "the web host to refuse the server",
    )
    code, report = chain.status("webhost")
    assert code == 1
    (problem,) = report["problems"]
    assert problem.startswith(
        "rsyslogd: this web host refused the central server: the server's certificate name "
        "'other.lwsyslog.test' is not the server name this host expects"
    )
