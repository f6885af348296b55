"""Process and port helpers shared by the lab's servers: wait, probe, stop by pid."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "child_pids",
    "free_port",
    "pid_alive",
    "stop_process",
    "wait_for",
    "wait_port",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> None:
    """Poll ``predicate`` until it is true; ``TimeoutError`` naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column


def _listening(port: int) -> bool:
    """True when a TCP socket listens on ``port`` (any address), read from /proc/net/tcp*.

    Not a connection: a probe that connects and closes made imrelp log a TLS "Server
    handshake failed" on every start, which read like a real RELP failure in test reports.
    """
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if (
                len(fields) > 3
                and fields[3] == _LISTEN
                and int(fields[1].rpartition(":")[2], 16) == port
            ):
                return True
    return False


def wait_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until ``port`` is listening, so 127.0.0.1:``port`` accepts connections (fail
    fast if ``proc`` dies). Nothing connects: the server sees no probe."""

    def ready() -> bool:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        return _listening(port)

    wait_for(ready, timeout, f"port {port}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """TERM the process, KILL it after ``timeout`` seconds; returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaps counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def child_pids(pid: int) -> list[int]:
    """The live children of ``pid`` (all its threads'), from /proc."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return [kid for kid in dict.fromkeys(kids) if pid_alive(kid)]
