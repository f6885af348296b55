"""The messages file: one human-readable line per alert, appended, reopened on SIGHUP.

Each alert line goes to the kernel in one ``write`` on a file opened ``O_APPEND``. When a write
fails part-way (disk full, quota), the file is cut back to where the line began, so a line is
in the file whole or not at all and the retry never leaves a torn or doubled line behind.

Each line carries the alert's id (the start of its replay fingerprint). A sink made with
``skip_written`` reads the ids at the end of an existing file when it opens it and does not
write those alerts again: a program killed after the file took an alert but before its replay
guard recorded it, given the same line again after its restart, adds no second line. A
new file is created ``0640`` whatever the umask, and given to the ``adm`` group when the
program may do so (as Debian's /var/log files are: readable by administrators, not by all).
"""

from __future__ import annotations

import contextlib
import errno
import grp
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.sanitize import sanitize

__all__ = ["FILE_MODE", "TAIL_BYTES", "MessagesFileSink", "alert_id", "format_alert_line"]

_MAX_SAMPLE_CHARS = 1000
#: How much of an existing file's end a ``skip_written`` sink reads for the alerts it holds.
TAIL_BYTES = 1 << 20
_ID_CHARS = 16
# The fields before the id hold no space (client, categories are sanitised, rule ids are
# names), so a sample cannot place an id here.
_WRITTEN_ID = re.compile(rb"^\S+ \S+ \S+ client=\S+ categories=\S+ count=\d+ id=([0-9a-f]{16}) ")
#: Mode of a messages file the sink creates.
FILE_MODE = 0o640


def format_alert_line(alert: Alert) -> str:
    """The messages-file line for ``alert`` (no newline inside, ever).

    ``2026-11-23T14:00:05+00:00 critical sqli-union client=203.0.113.9 count=1 id=... message
    [source web1/apache-access:1234] line: GET /?id=1' UNION SELECT ...``
    """
    when = _iso(alert.last_time)
    categories = ",".join(alert.categories) or "-"
    return (
        f"{when} {alert.severity} {alert.rule} client={sanitize(alert.client_ip, 64) or '-'} "
        f"categories={categories} count={alert.count} id={alert_id(alert)} "
        f"{sanitize(alert.message, 500)} "
        f"[source {sanitize(alert.last.describe(), 300)}] "
        f"line: {sanitize(alert.sample, _MAX_SAMPLE_CHARS)}"
    )


def alert_id(alert: Alert) -> str:
    """The id a messages line gives ``alert``: the start of its replay fingerprint."""
    return alert.fingerprint[:_ID_CHARS]


def _iso(when: float | None) -> str:
    if when is None:
        return "-"
    try:
        return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
    except (OverflowError, ValueError, OSError):
        # The parsers return no such time; should one come, one alert must not fail its line
        # forever and block the backlog behind it.
        return f"epoch:{when:.0f}"


class MessagesFileSink:
    """Appends alert lines to ``path``, each whole or not at all (see the module docstring).

    With ``fsync`` each line is also synced to the disk before :meth:`write` returns (it then
    survives a power loss, at about a millisecond per alert); without, it is in the kernel's
    page cache, which survives a crash or kill of the program.
    """

    name = "messages-file"

    def __init__(
        self, path: str | os.PathLike[str], fsync: bool = False, *, skip_written: bool = False
    ) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._fd = -1
        self._skip_written = skip_written
        #: Ids of the alerts found at the end of the file when it was opened.
        self._written: frozenset[str] = frozenset()

    def open(self) -> None:
        """Open the file now (created ``0640``, group ``adm``, when missing) so a problem shows
        at start, not at the first alert; raises ``OSError``."""
        self._open()

    def _open(self) -> int:
        if self._fd < 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
            try:
                fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
            except FileExistsError:
                fd = os.open(self.path, flags)
                if self._skip_written:
                    self._written = _ids_at_end(self.path)
            else:
                os.fchmod(fd, FILE_MODE)  # the mode asked for, not what the umask left
                _give_to_adm(fd)
            self._fd = fd
        return self._fd

    def write(self, alert: Alert) -> None:
        """Append one line; raises ``OSError`` (and leaves the file as it was) on failure.

        An alert whose id was at the end of the file when it was opened is taken without a
        second line (``skip_written``)."""
        fd = self._open()
        if self._written and alert_id(alert) in self._written:
            return
        data = (format_alert_line(alert) + "\n").encode("utf-8", "backslashreplace")
        start = os.fstat(fd).st_size
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, "short write (disk full?)")
            if self._fsync:
                os.fsync(fd)
        except OSError:
            _cut_back(fd, start)
            raise

    def reopen(self) -> None:
        """Close so the next write opens the (possibly rotated) path anew."""
        self.close()

    def close(self) -> None:
        """Close the file if open."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def _ids_at_end(path: Path) -> frozenset[str]:
    """The alert ids in the last :data:`TAIL_BYTES` of ``path`` (none when unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return frozenset()
    try:
        size = os.fstat(fd).st_size
        start = max(size - TAIL_BYTES, 0)
        tail = os.pread(fd, size - start, start)
    except OSError:
        return frozenset()
    finally:
        os.close(fd)
    lines = tail.split(b"\n")
    if start:
        del lines[0]  # cut by the read's start
    ids = (_WRITTEN_ID.match(line) for line in lines)
    return frozenset(found.group(1).decode("ascii") for found in ids if found)


def _give_to_adm(fd: int) -> None:
    # No adm group, or not ours to give: the file stays with the program's group.
    with contextlib.suppress(KeyError, OSError):
        os.fchown(fd, -1, grp.getgrnam("adm").gr_gid)


def _cut_back(fd: int, size: int) -> None:
    """Remove what a failed write left after ``size`` (best effort: the disk may be gone)."""
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
    except OSError:
        pass
