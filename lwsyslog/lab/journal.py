"""A systemd-journald of our own in a private mount namespace, never the host's journal."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from lwsyslog.lab.procs import pid_alive, stop_process, wait_for

__all__ = ["JOURNALD", "JOURNAL_DIR", "JournalNamespace", "field_values"]

JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_DIR = "/run/log/journal"
"""Where the private journald writes, as seen inside the namespace (``journalctl -D``)."""


def field_values(entry: Mapping[str, object], name: str) -> list[str]:
    """Every value of field ``name`` in a ``journalctl -o json`` entry: the output gives one
    value as a string and a field that comes more than once as a list."""
    value = entry.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


class JournalNamespace:
    """A journald in a private mount namespace.

    A holder process (``unshare -m --propagation private``) mounts tmpfs over /run/systemd,
    /run/log and /var/log/journal, starts journald and sleeps; processes that must log into
    that journald are started with :meth:`command` (``nsenter -t HOLDER -m``). The tmpfs mounts
    (and so the journal) disappear with the holder.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._holder: subprocess.Popen[bytes] | None = None
        self._journald_pid = 0

    def __enter__(self) -> JournalNamespace:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> JournalNamespace:
        """Create the namespace and wait until journald's socket exists in it."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        pidfile = self.workdir / "journald.pid"
        script = (
            "set -e\n"
            "mount -t tmpfs -o mode=0755 lwsyslog-lab /run/systemd\n"
            "mount -t tmpfs -o mode=0755 lwsyslog-lab /run/log\n"
            "mount -t tmpfs -o mode=2755 lwsyslog-lab /var/log/journal\n"
            f"mkdir -p /run/systemd/journal {JOURNAL_DIR}\n"
            f"{JOURNALD} </dev/null >{self.workdir}/journald.out 2>&1 &\n"
            f'echo $! > "{pidfile}"\n'
            "exec sleep 86400\n"
        )
        self._holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

        def ready() -> bool:
            if self._holder is not None and self._holder.poll() is not None:
                raise RuntimeError("the journald namespace holder exited")
            if not self._journald_pid and pidfile.exists():
                # journald's pid is known as soon as the holder wrote it: remember it at once
                # so stop() finds it even if the socket never shows up.
                with contextlib.suppress(ValueError):
                    self._journald_pid = int(pidfile.read_text().strip())
            probe = subprocess.run(
                self.command("test", "-S", "/run/systemd/journal/socket"), check=False
            )
            return probe.returncode == 0

        try:
            wait_for(ready, 10, "journald in the private namespace", interval=0.1)
            if not self._journald_pid:
                self._journald_pid = int(pidfile.read_text().strip())
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def holder_pid(self) -> int:
        """The pid whose mount namespace holds the private journal."""
        if self._holder is None:
            raise RuntimeError("the namespace is not started")
        return self._holder.pid

    @property
    def journald_pid(self) -> int:
        """journald's pid (to stop and continue it in fault tests)."""
        if not self._journald_pid:
            raise RuntimeError("the namespace is not started")
        return self._journald_pid

    def command(self, *argv: str) -> list[str]:
        """``argv`` prefixed so that it runs inside the namespace."""
        return ["nsenter", "-t", str(self.holder_pid), "-m", "--", *argv]

    def journalctl(self, *args: str) -> list[str]:
        """``journalctl -D JOURNAL_DIR --no-pager ARGS`` as a command inside the namespace."""
        return self.command("journalctl", "-D", JOURNAL_DIR, "--no-pager", *args)

    def entries(self, *matches: str) -> list[dict[str, object]]:
        """The journal's entries as JSON objects (``matches`` like ``SYSLOG_IDENTIFIER=x``)."""
        proc = subprocess.run(
            self.journalctl("-o", "json", *matches), capture_output=True, check=False
        )
        entries: list[dict[str, object]] = []
        for line in proc.stdout.splitlines():
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        return entries

    def stop(self) -> None:
        """Stop journald, then the holder: the namespace and its tmpfs mounts go with them."""
        try:
            if self._journald_pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._journald_pid, signal.SIGTERM)
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and pid_alive(self._journald_pid):
                    time.sleep(0.05)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._journald_pid, signal.SIGKILL)
                self._journald_pid = 0
        finally:
            if self._holder is not None:
                stop_process(self._holder, 5)
                self._holder = None
