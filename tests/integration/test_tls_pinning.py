"""TLS on the RELP link is pinned (``tls.tlscfgcmd``) and refuses every peer it should.

``openssl s_client`` against the server drop-in's imrelp, ``openssl s_server`` against the
web-host drop-in's omrelp: only TLS 1.2+ with ECDHE and AES-GCM/ChaCha20 completes a handshake.
Then intruders over and over, each on a fresh connection (rsyslog's imtcp OpenSSL driver let
a wrong-name certificate through on some connections, rsyslog issue 6350): none gets a line in.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import harness
import pytest
from conftest import require_lab

from lwsyslog import lab
from lwsyslog.deploy import certs

pytestmark = pytest.mark.integration

REPEATS = 20


def _s_client(port: int, pki: lab.ChainPki, *args: str) -> str:
    """The negotiated "PROTOCOL CIPHER", or "" when the handshake failed."""
    proc = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(pki.ca.cert),
         "-cert", str(pki.webhost.cert), "-key", str(pki.webhost.key), *args],
        input=b"", capture_output=True, timeout=20, check=False,
    )  # fmt: skip
    # "New, TLSv1.0, Cipher is X" names the cipher's first version; the session block, when
    # there is one (not for TLS 1.3), names the protocol in use.
    new = re.search(rb"New, (\S+), Cipher is (\S+)", proc.stdout)
    if proc.returncode != 0 or new is None or new[2] == b"(NONE)":
        return ""
    protocol = re.search(rb"Protocol *: *(\S+)", proc.stdout) or new
    return f"{protocol[1].decode()} {new[2].decode()}"


class _Server:
    """The server drop-in in an rsyslogd of its own, feeding the trivial consumer."""

    def __init__(self, workdir: Path, pki: lab.ChainPki, *, pinned: bool = True) -> None:
        self.port = lab.free_port()
        self.out = workdir / "consumer.jsonl"
        text = lab.server_conf(pki, self.port, workdir, harness.consumer_command(self.out))
        if not pinned:
            text = re.sub(r'\n\s*tls\.tlscfgcmd="[^"]*"', "", text)
            assert "tlscfgcmd" not in text
        self.rsyslogd = lab.RsyslogInstance(text, workdir, name="server", port=self.port)

    def received(self, marker: str) -> int:
        return sum(marker in str(r["msg"]) for r in harness.read_consumer(self.out))


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, pki: harness.Pki
) -> Iterator[dict[str, tuple[_Server, lab.ChainPki]]]:
    """Pinned servers with an ECDSA and with an RSA certificate, and an unpinned control."""
    require_lab()
    base = tmp_path_factory.mktemp("tls")
    rsa = certs.make_cert(base / "rsa", pki.ca, lab.SERVER_NAME, "server", key_type="rsa")
    rsa_pki = replace(pki, server=rsa)
    running = {
        "ec": (_Server(base / "ec", pki), pki),
        "rsa": (_Server(base / "rsa", rsa_pki), rsa_pki),
        "unpinned": (_Server(base / "unpinned", pki, pinned=False), pki),
    }
    try:
        for server, _pki in running.values():
            server.rsyslogd.start()
        yield running
    finally:
        for server, _pki in running.values():
            server.rsyslogd.stop()


# So that the client itself offers what the server must refuse; each case offers only that.
LEGACY = "DEFAULT:@SECLEVEL=0"


@pytest.mark.parametrize("key", ["ec", "rsa"])
@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("-tls1_1", "-cipher", LEGACY), "TLS 1.1"),
        (("-tls1", "-cipher", LEGACY), "TLS 1.0"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"), "CBC"),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384"), "CBC"),
        (("-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384"), "RSA key exchange"),
        (("-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"), "DHE key exchange"),
        (("-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"), "TLS 1.3 CCM"),
    ],
)
def test_imrelp_refuses_old_protocols_and_weak_ciphers(
    servers: dict[str, tuple[_Server, lab.ChainPki]], key: str, args: tuple[str, ...], label: str
) -> None:
    server, pki = servers[key]
    assert _s_client(server.rsyslogd.port or 0, pki, *args) == "", label


@pytest.mark.parametrize("key", ["ec", "rsa"])
def test_imrelp_accepts_tls12_ecdhe_aead_and_tls13(
    servers: dict[str, tuple[_Server, lab.ChainPki]], key: str
) -> None:
    server, pki = servers[key]
    port = server.rsyslogd.port or 0
    auth = "ECDSA" if key == "ec" else "RSA"
    for cipher in (f"ECDHE-{auth}-AES128-GCM-SHA256", f"ECDHE-{auth}-CHACHA20-POLY1305"):
        assert _s_client(port, pki, "-tls1_2", "-cipher", cipher) == f"TLSv1.2 {cipher}"
    assert _s_client(port, pki, "-tls1_3").startswith("TLSv1.3 TLS_")


def test_the_pin_is_what_refuses_cbc(servers: dict[str, tuple[_Server, lab.ChainPki]]) -> None:
    """Control: the same drop-in without tls.tlscfgcmd accepts what the pinned one refuses."""
    server, pki = servers["unpinned"]
    cbc = ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    assert _s_client(server.rsyslogd.port or 0, pki, *cbc) == "TLSv1.2 ECDHE-ECDSA-AES128-SHA"


@pytest.mark.parametrize(
    ("server_args", "accepted"),
    [
        (("-tls1_1", "-cipher", LEGACY), False),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"), False),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"), False),
        (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), True),
    ],
)
def test_omrelp_refuses_a_server_offering_only_old_tls(
    tmp_path: Path, pki: harness.Pki, server_args: tuple[str, ...], accepted: bool
) -> None:
    require_lab()
    port, input_port = lab.free_port(), lab.free_port()
    fake = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1",
         "-cert", str(pki.server.cert), "-key", str(pki.server.key),
         "-CAfile", str(pki.ca.cert), "-Verify", "1", *server_args],
        # stdin stays open: at its end s_server stops.
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert fake.stdin is not None and fake.stdout is not None
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.extend(iter(fake.stdout.readline, b"")))
    reader.start()
    web = lab.RsyslogInstance(
        lab.webhost_conf(pki, port, tmp_path / "a.log", tmp_path / "e.log", input_port=input_port),
        tmp_path,
        name="webhost",
        port=input_port,
    )
    try:
        lab.wait_for(lambda: b"ACCEPT\n" in output, 10, "s_server listening")
        web.start()
        lab.inject(input_port, [lab.syslog_line("probe")])

        def decided() -> bool:
            text = b"".join(output)
            return b"CIPHER is" in text or b"ERROR" in text or fake.poll() is not None

        lab.wait_for(decided, 20, "the handshake's outcome")
    finally:
        web.stop()
        if fake.poll() is None:
            fake.kill()
        fake.wait()
        reader.join(5)
        fake.stdin.close()
        fake.stdout.close()
    text = b"".join(output).decode(errors="replace")
    assert ("CIPHER is " in text) is accepted, text[-2000:]


def _relp_send(port: int, ca: Path, client: certs.CertFiles | None, msg: str, tls13: bool) -> str:
    """Open a RELP session with TLS as ``client`` and send one syslog frame; what came back."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    if client is not None:
        ctx.load_cert_chain(client.cert, client.key)
    offer = b"relp_version=0\nrelp_software=lwsyslog-test\ncommands=syslog"
    frame = msg.encode()
    answer = b""
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            # Both frames at once, right after the handshake: no waiting for the server's
            # verdict on our certificate.
            tls.sendall(b"1 open %d %s\n2 syslog %d %s\n" % (len(offer), offer, len(frame), frame))
            tls.settimeout(2)
            while b"2 rsp" not in answer:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except (OSError, ssl.SSLError) as exc:
        answer += f" [{type(exc).__name__}]".encode()
    return answer.decode(errors="replace")


def test_no_intruder_line_gets_in_on_any_fresh_connection(
    servers: dict[str, tuple[_Server, lab.ChainPki]], pki: harness.Pki
) -> None:
    server, _ = servers["ec"]
    port = server.rsyslogd.port or 0
    marker = f"i{uuid.uuid4().hex[:12]}"
    line = "<182>Nov 23 10:00:00 web9.web.lwsyslog.test apache-access: {} {}"

    # The client works: the web host's own certificate gets its line in, both TLS versions.
    for tls13 in (False, True):
        answer = _relp_send(port, pki.ca.cert, pki.webhost, line.format("GOOD", marker), tls13)
        assert "2 rsp 6 200 OK" in answer, answer

    intruders = {"wrong-name": pki.wrong_name, "foreign-ca": pki.foreign, "no-cert": None}
    answers: dict[str, set[str]] = {}
    for name, client in intruders.items():
        for tls13 in (False, True):
            for n in range(REPEATS):
                msg = line.format(f"INTRUDER-{name}-{n}", marker)
                answer = _relp_send(port, pki.ca.cert, client, msg, tls13)
                answers.setdefault(name, set()).add(answer[:60])
                assert "200 OK" not in answer, (name, tls13, n, answer)

    lab.wait_for(lambda: server.received(f"GOOD {marker}") >= 2, 15, "the good lines")
    time.sleep(1)
    print(f"{REPEATS} connections per intruder and TLS version; answers: {answers}")
    assert server.received("INTRUDER") == 0
