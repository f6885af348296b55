"""The TLS syslog input for Windows hosts, with real rsyslogd on both ends.

A sender rsyslogd stands in for NXLog CE's ``om_ssl``: it forwards IIS lines as RFC 5424 syslog
with octet-counted framing over TLS, presenting a client certificate (what ``docs/windows.md``
configures NXLog to send). The receiver runs the shipped server drop-in plus the rendered TLS
input, with the trivial consumer as its omprog program. Proved: the lines arrive whole at the
program with the expected host and tag, and parse as IIS; other tags from a permitted sender are
dropped; a sender whose certificate is from another CA, or names a host that is not permitted,
gets nothing through, over a rsyslog sender and over eight fresh TLS connections each (the
OpenSSL driver of rsyslog 8.2302 let such a name through about one connection in three).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import harness
import pytest

from lwsyslog import lab
from lwsyslog.deploy import certs, rsyslog_setup
from lwsyslog.deploy.tls_syslog_input import TlsSyslogInputSettings, render
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import LineParser

pytestmark = pytest.mark.integration

IIS_LOG = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "iis" / "u_ex261205.log"
WINDOWS = "win1.win.lwsyslog.test"
TAG = "apache-iis"
DRIVERS = Path("/usr/lib/x86_64-linux-gnu/rsyslog")

_SENDER = """\
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port="{inject}" ruleset="to_central")
ruleset(name="to_central") {{
    action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
           streamDriver="ossl" streamDriverMode="1" streamDriverAuthMode="x509/name"
           streamDriverPermittedPeers="{server}"
           streamDriver.CAFile="{ca}" streamDriver.CertFile="{cert}" streamDriver.KeyFile="{key}"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}}
"""


def _require() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (rsyslogd binds and writes its own spool)")
    if not Path(lab.RSYSLOGD).exists() or not (DRIVERS / "lmnsd_ossl.so").exists():
        pytest.skip("needs rsyslogd and rsyslog-openssl (the sender)")
    if not (DRIVERS / "lmnsd_gtls.so").exists():
        pytest.skip("needs rsyslog-gnutls (the receiver's driver)")
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")


@dataclass
class Setup:
    """The receiver, its consumer's output, and the certificates of the senders."""

    receiver: lab.RsyslogInstance
    consumer: Path
    port: int
    ca: certs.CertFiles
    windows: certs.CertFiles
    foreign: certs.CertFiles
    wrong_name: certs.CertFiles
    workdir: Path

    def records(self, marker: str = "") -> list[dict[str, object]]:
        """What the consumer received (one JSON record per line) containing ``marker``."""
        return [r for r in harness.read_consumer(self.consumer) if marker in str(r["msg"])]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A receiver rsyslogd: the server drop-in and the TLS syslog input on 127.0.0.1."""
    _require()
    work = tmp_path_factory.mktemp("tls-input")
    pki = lab.make_chain_pki(work / "pki")
    other = certs.make_ca(work / "pki" / "other", "some other ca")
    windows = certs.make_cert(work / "pki", pki.ca, WINDOWS, "client")
    foreign = certs.make_cert(work / "pki" / "other", other, "win2.win.lwsyslog.test", "client")
    wrong = certs.make_cert(work / "pki", pki.ca, "intruder.lwsyslog.test", "client")
    consumer = work / "consumer.jsonl"
    port = lab.free_port()
    dropin = render(
        TlsSyslogInputSettings(
            ca_cert=str(pki.ca.cert),
            cert=str(pki.server.cert),
            key=str(pki.server.key),
            permitted_peers=("*.win.lwsyslog.test",),
            port=port,
            address="127.0.0.1",
        )
    )
    server = lab.server_conf(
        pki, lab.free_port(), work, harness.consumer_command(consumer), transactions=False
    )
    validation = rsyslog_setup.validate(server + dropin)
    assert validation.ok, validation.messages
    receiver = lab.RsyslogInstance(server + dropin, work / "receiver", name="receiver", port=port)
    receiver.start()
    try:
        yield Setup(receiver, consumer, port, pki.ca, windows, foreign, wrong, work)
    finally:
        receiver.stop()


def _send(setup: Setup, client: certs.CertFiles, name: str, lines: list[bytes]) -> None:
    """Start a sender with ``client``'s certificate, give it ``lines``, let it work, stop it."""
    inject = lab.free_port()
    conf = _SENDER.format(
        inject=inject,
        port=setup.port,
        server=lab.SERVER_NAME,
        ca=setup.ca.cert,
        cert=client.cert,
        key=client.key,
    )
    sender = lab.RsyslogInstance(conf, setup.workdir / name, name=name, port=inject).start()
    try:
        lab.inject(inject, lines)
        time.sleep(1.0)
    finally:
        sender.stop()


def _iis_lines() -> list[str]:
    return [line.rstrip("\r") for line in IIS_LOG.read_text(encoding="utf-8").split("\n") if line]


def test_iis_lines_from_a_permitted_windows_host_reach_the_program(setup: Setup) -> None:
    lines = _iis_lines()
    framed = [lab.syslog_line(line, tag=TAG, host=WINDOWS) for line in lines]
    framed.append(lab.syslog_line("EVENTLOG-MARKER 4624 logon", tag="eventlog", host=WINDOWS))
    _send(setup, setup.windows, "sender-windows", framed)
    try:
        lab.wait_for(lambda: len(setup.records()) >= len(lines), 20, "IIS lines at the consumer")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{setup.receiver.diagnostics()}") from exc
    records = setup.records()
    assert [r["msg"] for r in records] == lines  # whole, in order, nothing else
    assert {(r["host"], r["program"]) for r in records} == {(WINDOWS, TAG)}
    parser = LineParser()
    events = [
        parser.parse(str(r["msg"]), Origin(f"{r['host']}/{r['program']}", n, str(r["host"]), TAG))
        for n, r in enumerate(records, 1)
    ]
    access = [e for e in events if isinstance(e, AccessEvent)]
    assert len(access) == sum(1 for line in lines if not line.startswith("#"))
    assert {"203.0.113.21", "192.0.2.10"} <= {e.client_ip for e in access}


def test_other_tags_from_a_permitted_sender_are_dropped(setup: Setup) -> None:
    # sent in the previous test, after the IIS lines that did arrive
    assert setup.records("EVENTLOG-MARKER") == []


def _tls_connections(setup: Setup, client: certs.CertFiles, line: bytes, count: int) -> None:
    """``count`` fresh TLS connections presenting ``client``'s certificate, each sending
    ``line`` at once (the server may close before or after reading it)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(setup.ca.cert))
    context.load_cert_chain(str(client.cert), str(client.key))
    for _ in range(count):
        try:
            with (
                socket.create_connection(("127.0.0.1", setup.port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=lab.SERVER_NAME) as tls,
            ):
                tls.sendall(line)
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("foreign", "certificate invalid: signer not found"),
        ("wrong_name", "peer name not authorized"),
    ],
)
def test_a_sender_with_the_wrong_certificate_gets_nothing_through(
    setup: Setup, who: str, refusal: str
) -> None:
    marker = f"REFUSED-{who}"
    client = setup.foreign if who == "foreign" else setup.wrong_name
    entry = f"2026-12-05 10:00:00 10.0.2.10 GET /{marker} - 443 - 192.0.2.66 - - 200 0 0 1"
    framed = lab.syslog_line(entry, tag=TAG, host=WINDOWS)
    _send(setup, client, f"sender-{who}", [framed] * 3)
    _tls_connections(setup, client, framed, 8)
    # A barrier: a permitted sender's line sent afterwards arrives, so anything the refused
    # connections had delivered would be at the consumer by now.
    barrier = f"BARRIER-{who}"
    barrier_line = lab.syslog_line(barrier, tag=TAG, host=WINDOWS)
    _send(setup, setup.windows, f"barrier-{who}", [barrier_line])
    lab.wait_for(lambda: bool(setup.records(barrier)), 20, barrier)
    assert setup.records(marker) == []
    refusals = setup.receiver.output.read_text(errors="replace").count(refusal)
    assert refusals >= 9  # the rsyslog sender's connection(s) and the eight others
