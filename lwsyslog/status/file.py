"""The omprog program's status file: what ``lwsyslog status`` reads about a running program.

``STATE_DIR/omprog-INSTANCE.status.json``, rewritten whole (temporary file, then rename) at
every export interval, and a last time when the program stops. It holds the program's pid and
parent, when it started and wrote, the stats line's figures, the sinks' last errors, each
notification channel's figures (``notify_channels``: since when it fails, its last error), the
processing lag and each web host's last line time. It is also where the program finds the
hosts it knew before a restart (so a host that went quiet across the restart is still
noticed). Its size is bounded by ``[hosts] max_hosts``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lwsyslog.hostnames import host_shown
from lwsyslog.metrics.figures import Figures
from lwsyslog.omprog.envelope import MAX_NAME_CHARS

__all__ = [
    "STATUS_VERSION",
    "read_status",
    "saved_hosts",
    "status_files",
    "status_path",
    "status_record",
    "write_status",
]

STATUS_VERSION = 1
_SUFFIX = ".status.json"
_MODE = 0o640
_MAX_BYTES = 16 << 20  # far above max_hosts' worth; a bigger file is not ours


def status_path(state_dir: Path, instance: str) -> Path:
    """Where the program of ``instance`` writes its status."""
    return state_dir / f"omprog-{instance}{_SUFFIX}"


def status_files(state_dir: Path) -> list[Path]:
    """Every program's status file in ``state_dir`` (one per instance), sorted."""
    return sorted(state_dir.glob(f"omprog-*{_SUFFIX}"))


def status_record(
    figures: Figures,
    *,
    interval_secs: float,
    parent_pid: int,
    parent_name: str,
    host_limits: Mapping[str, float],
    stopped: bool = False,
    metrics: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON object of the status file for ``figures``."""
    return {
        "version": STATUS_VERSION,
        "instance": figures.instance,
        "pid": figures.pid,
        "parent_pid": parent_pid,
        "parent_name": parent_name,
        "started": figures.started,
        "written": figures.taken,
        "interval_secs": interval_secs,
        "state": "stopped" if stopped else "running",
        "stats": dict(figures.counters),
        "unparsed": dict(figures.unparsed),
        "sink_failures": dict(figures.sink_failures),
        "sink_dropped": dict(figures.sink_dropped),
        "sink_errors": dict(figures.sink_errors),
        "notify": dict(figures.notify),
        "notify_channels": {
            name: asdict(channel) for name, channel in figures.notify_channels.items()
        },
        "lag_secs": figures.lag.last_secs,
        "hosts": {
            host: {
                "last_line": last,
                "silent": silent,
                "silent_after_secs": host_limits.get(host, figures.silent_after_secs),
            }
            for host, (last, silent) in figures.hosts.items()
        },
        "host_evictions": figures.host_evictions,
        "metrics": dict(metrics or {}),
    }


def write_status(path: Path, record: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``record`` at once (a reader never sees half a file)."""
    data = json.dumps(record, ensure_ascii=True, sort_keys=True).encode("ascii")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, _MODE)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def read_status(path: Path) -> dict[str, Any] | None:
    """The record in ``path``; None when it is missing, unreadable or not a status file."""
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_BYTES:
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("version") != STATUS_VERSION:
        return None
    return record


def saved_hosts(record: Mapping[str, Any] | None) -> dict[str, tuple[float, bool]]:
    """``host: (last line time, silent)`` from a status record (what is well-formed of it)."""
    hosts = record.get("hosts") if record else None
    if not isinstance(hosts, dict):
        return {}
    saved: dict[str, tuple[float, bool]] = {}
    for host, entry in hosts.items():
        if not isinstance(entry, dict):
            continue
        last = entry.get("last_line")
        if isinstance(last, int | float) and not isinstance(last, bool):
            # An older program kept names raw: shown as the lines name them now.
            saved[host_shown(str(host)[:MAX_NAME_CHARS])] = (
                float(last),
                entry.get("silent") is True,
            )
    return saved
