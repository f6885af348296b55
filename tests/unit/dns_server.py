"""A real DNS server for the crawler tests: dnsmasq on 127.0.0.1, on a free high port, with the
records a test writes, and a "black hole" UDP socket that never answers (for timeouts).

The zones every test uses (addresses are global ones: private addresses are not checked by
default; no packet leaves the machine, dnsmasq answers everything itself):

- ``REAL`` 66.249.66.1: PTR crawl-66-249-66-1.googlebot.com, whose A record is the address;
- ``FORGED`` 93.184.216.34: PTR crawl-93-184-216-34.googlebot.com, whose A record is another
  address (a PTR record its owner set to claim Google's name);
- ``FOREIGN`` 45.5.5.5: PTR static.5.5.5.45.clients.example.net (not a crawler's domain);
- ``NO_PTR`` 45.79.1.1: no reverse name (NXDOMAIN);
- ``SLOW`` 91.99.75.10: its reverse zone is forwarded to the black hole, so the PTR
  question is never answered;
- ``REAL6`` 2001:4860:4801:10::1: PTR crawl-v6.googlebot.com with that AAAA record;
  ``NO_PTR6`` 2a01:4f8::1: no reverse name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.resolver
import pytest

REAL = "66.249.66.1"
FORGED = "93.184.216.34"
FOREIGN = "45.5.5.5"
NO_PTR = "45.79.1.1"
SLOW = "91.99.75.10"
REAL6 = "2001:4860:4801:10::1"
NO_PTR6 = "2a01:4f8::1"
GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT_UA = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
_START_SECS = 10.0


def access_line(ip: str, user_agent: str = GOOGLEBOT_UA, second: int = 0, path: str = "/") -> str:
    """A combined-format access line from ``ip`` with ``user_agent``."""
    return (
        f'{ip} - - [23/Nov/2026:14:00:{second:02d} +0000] "GET {path} HTTP/1.1" 200 512 "-" '
        f'"{user_agent}"'
    )


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (dnsmasq takes both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def _reverse(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


class BlackHole:
    """A UDP socket on 127.0.0.1 that receives questions and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()


class LocalDns:
    """dnsmasq with the module's records (and ``extra`` config lines), stopped by pid."""

    def __init__(self, workdir: Path, extra: tuple[str, ...] = ()) -> None:
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not Path(binary).exists():
            pytest.skip("dnsmasq is not installed (bootstrap.sh installs dnsmasq-base)")
        self.hole = BlackHole()
        self.port = free_port()
        self.log = workdir / f"dnsmasq-{self.port}.log"
        conf = workdir / f"dnsmasq-{self.port}.conf"
        lines = [
            f"port={self.port}",
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "keep-in-foreground",
            "pid-file=",
            "log-queries",
            "log-facility=-",
            "cache-size=0",
            # Answer from these records only: anything else is NXDOMAIN, nothing is forwarded.
            "local=/in-addr.arpa/",
            "local=/ip6.arpa/",
            "local=/com/",
            "local=/net/",
            "host-record=ready.example.com,192.0.2.1",  # asked until dnsmasq answers
            f"host-record=crawl-66-249-66-1.googlebot.com,{REAL}",
            f"host-record=crawl-v6.googlebot.com,{REAL6}",
            f"ptr-record={_reverse(FORGED)},crawl-93-184-216-34.googlebot.com",
            "host-record=crawl-93-184-216-34.googlebot.com,66.249.66.9",
            f"ptr-record={_reverse(FOREIGN)},static.5.5.5.45.clients.example.net",
            f"server=/{_reverse(SLOW)}/127.0.0.1#{self.hole.port}",
            *extra,
        ]
        if os.geteuid() == 0:
            lines.append("user=nobody")
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._log_file = open(self.log, "wb")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(
            [binary, f"--conf-file={conf}"], stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self.address = f"127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        deadline = time.monotonic() + _START_SECS
        while True:
            assert self.proc.poll() is None, f"dnsmasq exited: {self.log.read_text()}"
            try:
                resolver.resolve("ready.example.com", "A", lifetime=0.5)
                return
            except dns.exception.DNSException:
                assert time.monotonic() < deadline, "dnsmasq did not answer"
                time.sleep(0.05)

    def queries(self, kind: str = "PTR") -> list[str]:
        """The names asked with question type ``kind`` so far (from dnsmasq's log)."""
        marker = f"query[{kind}] "
        text = self.log.read_text(encoding="utf-8", errors="replace")
        names = [
            line.split(marker, 1)[1].split(" ", 1)[0]
            for line in text.splitlines()
            if marker in line
        ]
        return [name for name in names if name != "ready.example.com"]

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): questions queue up unanswered, as with a hung server."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again."""
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop dnsmasq (by its pid) and close the black hole."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()
        self.hole.close()


def crawler_config(dns_server: LocalDns, extra: str = "", **keys: object) -> str:
    """A ``[crawlers]`` table verifying against ``dns_server`` (``keys`` override)."""
    values: dict[str, object] = {
        "verify": True,
        "resolver": dns_server.address,
        "timeout_secs": 1,
        **keys,
    }
    body = "\n".join(f"{key} = {_toml(value)}" for key, value in values.items())
    return f"[crawlers]\n{body}\n{extra}"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
