"""Processes as ``/proc`` shows them: which rsyslogd and lwsyslog-omprog run, and their parents.

Read only, by pid; a process that exits while it is being read is simply not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Process", "find_processes", "process"]

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Process:
    """One live process: pid, parent pid, name (``comm``) and command line."""

    pid: int
    ppid: int
    name: str
    cmdline: tuple[str, ...]

    @property
    def is_rsyslogd(self) -> bool:
        """True for an rsyslogd."""
        return self.name == "rsyslogd"

    @property
    def is_omprog(self) -> bool:
        """True for the lwsyslog omprog program (the script or ``-m lwsyslog.omprog.main``)."""
        return any(
            part.endswith("lwsyslog-omprog") or part == "lwsyslog.omprog.main"
            for part in self.cmdline[:3]
        )


def process(pid: int, proc: Path = _PROC) -> Process | None:
    """The live process ``pid`` (a zombie counts as gone), or None."""
    if pid <= 0:
        return None
    base = proc / str(pid)
    try:
        stat = (base / "stat").read_text(encoding="utf-8", errors="replace")
        raw = (base / "cmdline").read_bytes()
    except OSError:
        return None
    name_end = stat.rfind(")")
    fields = stat[name_end + 2 :].split()
    if name_end < 0 or len(fields) < 2 or fields[0] in ("Z", "X"):
        return None
    name = stat[stat.find("(") + 1 : name_end]
    cmdline = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    return Process(pid, int(fields[1]), name, cmdline)


def find_processes(proc: Path = _PROC) -> list[Process]:
    """Every running rsyslogd and lwsyslog-omprog, by pid."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        found_process = process(int(entry.name), proc)
        if found_process is not None and (found_process.is_rsyslogd or found_process.is_omprog):
            found.append(found_process)
    return sorted(found, key=lambda p: p.pid)
