"""The real lwsyslog-omprog as rsyslog runs it (a child on pipes), for the monitoring tests."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "omprog" / "lwsyslog-omprog"
HANG_GUARD_SECS = 30.0  # only stops a broken program from hanging the suite; never a measure

SQLI = (
    "{ip} - - [23/Nov/2026:14:00:05 +0000] "
    '"GET /item.php?id=-1%20UNION%20ALL%20SELECT%201,2,concat(user,0x3a,password)-- HTTP/1.1" '
    '200 512 "-" "Mozilla/5.0"'
)
BENIGN = (
    '198.51.100.7 - - [23/Nov/2026:14:00:0{n} +0000] "GET /index.html HTTP/1.1" 200 512 "-" '
    '"Mozilla/5.0"'
)


def envelope(msg: str, host: str = "web1", time_text: str = "") -> bytes:
    """One line as rsyslog's lwsyslog_json template writes it."""
    record = {
        "host": host,
        "tag": "apache-access:",
        "program": "apache-access",
        "time": time_text or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "facility": "local6",
        "severity": "info",
        "msg": msg,
    }
    return json.dumps(record).encode()


def base_config(tmp_path: Path, extra: str = "") -> Path:
    """A configuration: journald off, the messages file in ``tmp_path``, plus ``extra``."""
    path = tmp_path / "lwsyslog.toml"
    path.write_text(
        "[sinks.journald]\nenabled = false\n\n"
        f"[sinks.messages_file]\npath = {json.dumps(str(tmp_path / 'messages'))}\n\n" + extra,
        encoding="utf-8",
    )
    return path


class RunningProgram:
    """lwsyslog-omprog started on pipes, answering ``OK`` once ready."""

    def __init__(self, tmp_path: Path, config: Path, *args: str) -> None:
        self.state = tmp_path / "state"
        self.stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115  (closed in finish())
        self.proc = subprocess.Popen(
            [
                *(sys.executable, str(PROGRAM), "--user", "root", "--no-journald"),
                *("--config", str(config), "--state-dir", str(self.state), *args),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._buffer = b""
        assert self.read_answer() == "OK"

    def read_answer(self) -> str:
        """The next status line (fails the test instead of hanging)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + HANG_GUARD_SECS
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            assert ready, f"no answer from the program; stderr: {self.stderr()}"
            chunk = os.read(fd, 65536)
            assert chunk, f"program closed stdout; stderr: {self.stderr()}"
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def send(self, *lines: bytes) -> list[str]:
        """Write ``lines``; their answers."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(line + b"\n" for line in lines))
        self.proc.stdin.flush()
        return [self.read_answer() for _ in lines]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stats_lines(self) -> list[dict[str, str]]:
        """Every stats line so far, as ``name: value``."""
        return [
            dict(re.findall(r"(\w+)=(\S+)", line.split("stats: ", 1)[1]))
            for line in self.stderr().splitlines()
            if "stats: " in line
        ]

    def finish(self) -> int:
        """End of input; the exit status."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.stdout.read()
        try:
            return self.proc.wait(HANG_GUARD_SECS)
        finally:
            self.close()

    def close(self) -> None:
        """Kill the program if it still runs, close the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = HANG_GUARD_SECS) -> None:
    """Poll ``predicate``; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
