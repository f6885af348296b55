"""One rsyslogd of our own, and ways to feed a syslog TCP input."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from lwsyslog.lab.journal import JournalNamespace
from lwsyslog.lab.pki import WEBHOST_NAME
from lwsyslog.lab.procs import child_pids, stop_process, wait_port

__all__ = ["RSYSLOGD", "RsyslogInstance", "StatsReport", "inject", "syslog_line"]

RSYSLOGD = "/usr/sbin/rsyslogd"

StatsReport = dict[str, dict[str, int]]
"""One impstats report: each counter object's numeric counters by object name (``main Q``,
``NAME queue``, ``imptcp(127.0.0.1/PORT/IPv4)``, ...)."""


class RsyslogInstance:
    """``rsyslogd -n -f CONF -i PIDFILE`` with a private work directory.

    The configuration gets ``global(workDirectory=...)`` in front and a catch-all for
    rsyslogd's own messages at the end (``internal_log``). Nothing listens on /dev/log unless
    the configuration says so. With ``namespace`` the daemon (and every omprog child) runs in
    the private journal's mount namespace. With ``stats`` impstats writes every queue's and
    input's counters into ``stats_file`` once a second (:meth:`stats_reports`); nothing of it
    passes through a ruleset.
    """

    def __init__(
        self,
        conf_text: str,
        workdir: Path,
        *,
        name: str = "rsyslog",
        port: int | None = None,
        namespace: JournalNamespace | None = None,
        extra_global: str = "",
        stats: bool = False,
    ) -> None:
        self.workdir = workdir
        self.name = name
        self.port = port
        self.namespace = namespace
        self.spool = workdir / f"{name}-spool"
        self.conf = workdir / f"{name}.conf"
        self.pidfile = workdir / f"{name}.pid"
        self.internal_log = workdir / f"{name}-internal.log"
        self.output = workdir / f"{name}.out"
        self.stats_file = workdir / f"{name}-stats.json"
        self._stats_start = 0
        self._proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self.spool.mkdir(exist_ok=True)
        impstats = (
            f'module(load="impstats" interval="1" format="json" log.syslog="off" '
            f'log.file="{self.stats_file}")\n'
            if stats
            else ""
        )
        self.conf.write_text(
            f'global(workDirectory="{self.spool}"{extra_global})\n'
            f"{impstats}{conf_text}\n"
            f'*.* action(type="omfile" file="{self.internal_log}")\n',
            encoding="utf-8",
        )

    def start(self, timeout: float = 15.0) -> RsyslogInstance:
        """Start rsyslogd and wait until its listener port (if any) accepts connections."""
        argv = [RSYSLOGD, "-n", "-f", str(self.conf), "-i", str(self.pidfile)]
        # Counters start again at 0 with every rsyslogd: report only this one's.
        self._stats_start = self.stats_file.stat().st_size if self.stats_file.exists() else 0
        if self.namespace is not None:
            argv = self.namespace.command(*argv)
        with self.output.open("ab") as out:
            # A session of its own: a ^C at the terminal reaches only the caller, which then
            # stops everything in order (rsyslogd saves its queues on TERM).
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        if self.port is not None:
            try:
                wait_port(self.port, timeout, self._proc)
            except (RuntimeError, TimeoutError) as exc:
                self.stop()
                raise RuntimeError(f"{self.name}: {exc}\n{self.diagnostics()}") from exc
        return self

    @property
    def pid(self) -> int:
        """rsyslogd's pid (nsenter execs it, so this is rsyslogd itself)."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._proc.pid

    def running(self) -> bool:
        """True while rsyslogd is alive."""
        return self._proc is not None and self._proc.poll() is None

    def children(self) -> list[int]:
        """Pids of rsyslogd's live children (the omprog programs)."""
        return child_pids(self.pid) if self.running() else []

    def stop(self, timeout: float = 15.0) -> int:
        """TERM rsyslogd (it saves its queues, stops its children), KILL after ``timeout``."""
        if self._proc is None:
            return 0
        status = stop_process(self._proc, timeout)
        self._proc = None
        return status

    def stats_reports(self) -> list[StatsReport]:
        """impstats' complete reports since the last :meth:`start`, oldest first (needs
        ``stats``).

        A report is complete once the next one has begun: the last one may still be being
        written, and an object missing from it would read as an old value of another report.
        """
        if not self.stats_file.exists():
            return []
        with self.stats_file.open("rb") as stats:
            stats.seek(self._stats_start)
            lines = stats.read().decode(errors="replace").splitlines()
        reports: list[StatsReport] = [{}]
        seen: set[tuple[str, str]] = set()
        for line in lines:
            start = line.find("{")
            if start < 0:
                continue
            try:
                record = json.loads(line[start:])
            except json.JSONDecodeError:  # a line still being written
                continue
            name = str(record.get("name"))
            # Every report lists each object once (two are both "global": origin tells them
            # apart), so an object seen again starts the next report.
            key = (name, str(record.get("origin")))
            if key in seen:
                reports.append({})
                seen.clear()
            seen.add(key)
            reports[-1][name] = {
                counter: value
                for counter, value in record.items()
                if isinstance(value, int) and not isinstance(value, bool)
            }
        return [report for report in reports[:-1] if report]

    def diagnostics(self) -> str:
        """rsyslogd's stdout/stderr and own messages, for failure reports."""
        parts = []
        for path in (self.output, self.internal_log):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)


def syslog_line(msg: bytes | str, tag: str = "apache-access", host: str = WEBHOST_NAME) -> bytes:
    """One RFC 3164 line (local6.info) as a TCP syslog sender writes it, LF-terminated."""
    body = msg.encode() if isinstance(msg, str) else msg
    stamp = time.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
    return b"<182>%s %s %s: %s\n" % (stamp.encode(), host.encode(), tag.encode(), body)


def inject(port: int, lines: Iterable[bytes]) -> int:
    """Write already-framed syslog lines to a TCP syslog input on 127.0.0.1; how many."""
    count = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        chunk: list[bytes] = []
        for line in lines:
            chunk.append(line)
            count += 1
            if len(chunk) >= 512:
                sock.sendall(b"".join(chunk))
                chunk.clear()
        sock.sendall(b"".join(chunk))
    return count
