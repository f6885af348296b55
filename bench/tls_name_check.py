#!/usr/bin/env python3
"""Does rsyslog's imtcp keep out a client whose certificate names a host that is not permitted?

For each TLS stream driver (``gtls``, ``ossl``) it starts a receiver rsyslogd on 127.0.0.1 with
``streamDriver.authMode="x509/name"`` and ``permittedPeer=["*.win.lwsyslog.test"]``, then opens
``--connections`` TLS connections presenting a certificate from the same CA named
``intruder.lwsyslog.test`` (each sends one syslog line at once), and one connection with a
permitted certificate (which must get in). It prints, per driver, how many intruder lines
reached the receiver's output and the connections per second, plus the process's peak RSS.

Why: rsyslog 8.2302's OpenSSL driver sometimes skips the name check (rsyslog issue 6350, fixed
by pull request 6412), which is why the TLS syslog input drop-in uses GnuTLS.

Usage (root, rsyslog-gnutls and rsyslog-openssl installed):
``.venv/bin/python bench/tls_name_check.py [--connections N]``.
"""

from __future__ import annotations

import argparse
import resource
import socket
import ssl
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lwsyslog import lab  # noqa: E402
from lwsyslog.deploy import certs  # noqa: E402

__all__ = ["main", "measure"]

_RECEIVER = """\
module(load="imtcp")
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="r"
      streamDriver.name="{driver}" streamDriver.mode="1" streamDriver.authMode="x509/name"
      permittedPeer=["*.win.lwsyslog.test"]
      streamDriver.caFile="{ca}" streamDriver.certFile="{cert}" streamDriver.keyFile="{key}")
template(name="line" type="string" string="%msg%\\n")
ruleset(name="r") {{ action(type="omfile" file="{out}" template="line") }}
"""


def _connect(port: int, ca: Path, client: certs.CertFiles, line: bytes) -> None:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    context.load_cert_chain(str(client.cert), str(client.key))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=lab.SERVER_NAME) as tls,
        ):
            tls.sendall(line)
            tls.recv(1)
    except (OSError, ssl.SSLError):
        pass


def measure(
    driver: str, work: Path, pki: lab.ChainPki, clients: tuple[certs.CertFiles, certs.CertFiles],
    connections: int,
) -> tuple[int, bool, float]:  # fmt: skip
    """``(intruder lines that got in, permitted line got in, connections/s)`` for ``driver``."""
    intruder, permitted = clients
    port, out = lab.free_port(), work / f"{driver}.out"
    conf = _RECEIVER.format(
        port=port, driver=driver, ca=pki.ca.cert, cert=pki.server.cert, key=pki.server.key, out=out
    )
    receiver = lab.RsyslogInstance(conf, work / driver, name=driver, port=port).start()
    try:
        start = time.perf_counter()
        for n in range(connections):
            _connect(port, pki.ca.cert, intruder, lab.syslog_line(f"INTRUDER-{n}", tag="t"))
        elapsed = time.perf_counter() - start
        _connect(port, pki.ca.cert, permitted, lab.syslog_line("PERMITTED", tag="t"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (out.exists() and "PERMITTED" in out.read_text()):
            time.sleep(0.1)
    finally:
        receiver.stop()
    text = out.read_text() if out.exists() else ""
    return text.count("INTRUDER-"), "PERMITTED" in text, connections / elapsed


def main(argv: list[str] | None = None) -> int:
    """Measure both drivers and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lwsyslog-tls-name-") as tmp:
        work = Path(tmp)
        pki = lab.make_chain_pki(work / "pki")
        intruder = certs.make_cert(work / "pki", pki.ca, "intruder.lwsyslog.test", "client")
        permitted = certs.make_cert(work / "pki", pki.ca, "win1.win.lwsyslog.test", "client")
        print("| driver | intruder connections | intruder lines accepted | permitted line "
              "accepted | connections/s |")  # fmt: skip
        print("|---|---:|---:|---|---:|")
        for driver in ("gtls", "ossl"):
            got, ok, rate = measure(driver, work, pki, (intruder, permitted), args.connections)
            print(f"| {driver} | {args.connections} | {got} | {'yes' if ok else 'NO'} | "
                  f"{rate:,.0f} |")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this script {peak:.1f} MiB (the receivers are separate processes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
