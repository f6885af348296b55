"""Compiled matching databases kept on disk between runs, so a start loads what the last built.

Hyperscan compiles the database of a field's literals in tens of milliseconds (the target
field's ~2,900: 40 ms) and loads a serialized one in a tenth of a millisecond; every run of
``lwsyslog scan`` and every start of the program compiled the same databases again. As in
Suricata's ``detect.sgh-mpm-caching``, a database is stored under the SHA-256 of everything
that makes it (:func:`cache_key`: library version, CPU, flags, mode, ids and literals), so a
changed rule or library finds no entry and compiles afresh.

A loaded database runs as native code's input, so the cache is trusted only as far as the
user running lwsyslog is: the directory must be that user's (else the cache is not used) and
is made, or set to, ``0700``; a file is loaded only when it is a regular file of that user
that no one else may write, bears its own key and the SHA-256 of its contents. Anything else
(another owner, a truncated or corrupt file, a database the library refuses) is ignored: the
database is compiled and the file replaced, never an error.
Files are written whole and renamed into place; the least recently used go first once the
directory holds more than ``max_bytes``.

The command that owns the process picks the cache (:func:`using`): ``lwsyslog scan`` the
user's ``$XDG_CACHE_HOME/lwsyslog``, ``lwsyslog-omprog`` a directory in its state directory;
anything else (tests, the library) compiles as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lwsyslog.settings import DatabaseCacheSettings

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUFFIX",
    "DatabaseCache",
    "Usage",
    "active",
    "cache_key",
    "configured",
    "describe",
    "host_fingerprint",
    "program_dir",
    "scan_dir",
    "use",
    "using",
]

DEFAULT_MAX_BYTES = 32 << 20
SUFFIX = ".hsdb"
_MAGIC = b"lwsyslog matching database 1\n"
_DIGEST = 32
_DIR_MODE = 0o700
_FILE_MODE = 0o600
#: A temporary file older than this was left by a run that died while writing it.
_STALE_TEMP_SECS = 3600.0
_TEMP_PREFIX = ".tmp-"

_active: DatabaseCache | None = None


def active() -> DatabaseCache | None:
    """The cache of this process (``None``: databases are compiled every time)."""
    return _active


def use(database_cache: DatabaseCache | None) -> None:
    """Make ``database_cache`` the process's cache (``None``: none)."""
    global _active  # noqa: PLW0603  (one cache per process, chosen by its command)
    _active = database_cache


@contextlib.contextmanager
def using(database_cache: DatabaseCache | None) -> Iterator[None]:
    """Run the block with ``database_cache`` as the process's cache, then restore the one
    before (a command run in a test leaves no cache behind)."""
    before = _active
    use(database_cache)
    try:
        yield
    finally:
        use(before)


def configured(settings: DatabaseCacheSettings, default_dir: Path) -> DatabaseCache | None:
    """The cache ``settings`` ask for (in ``default_dir``, the command's place, unless they
    name a directory); ``None`` when they turn it off."""
    if not settings.enabled:
        return None
    return DatabaseCache(Path(settings.directory or default_dir), settings.max_bytes)


def describe(settings: DatabaseCacheSettings, program_state_dir: Path) -> str:
    """One line for ``check-config`` and ``lwsyslog rules``: where the databases are kept
    and how much of the bound they take (the directory is not made to say so)."""
    if not settings.enabled:
        return "off ([detection] cache = false)"
    store = DatabaseCache(Path(settings.directory or scan_dir()), settings.max_bytes)
    refusal = store.refusal()
    if refusal:
        return f"not used: {refusal}"
    usage = store.usage()
    line = (
        f"{store.directory}: {usage.files} databases, {usage.size / 2**20:.1f} MiB of at most "
        f"{settings.max_bytes / 2**20:g} MiB"
    )
    if settings.directory:
        return line
    return f"{line} (lwsyslog-omprog: {program_dir(program_state_dir)})"


def scan_dir() -> Path:
    """``$XDG_CACHE_HOME/lwsyslog``, by default ``~/.cache/lwsyslog``: where ``lwsyslog scan``
    keeps its databases."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec: a relative path is invalid and is ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "lwsyslog"


def program_dir(state_dir: Path) -> Path:
    """Where ``lwsyslog-omprog`` keeps its databases: ``cache`` in its state directory."""
    return state_dir / "cache"


@cache
def host_fingerprint() -> bytes:
    """The machine and its CPU's features: a database Hyperscan built for one CPU is not
    loaded on another (it could refuse it, or run slower than one built here)."""
    flags = b""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", "rb") as cpuinfo:
        for line in cpuinfo:
            if line.startswith((b"flags", b"Features")):
                flags = line
                break
    return b"|".join((platform.machine().encode(), flags))


def cache_key(*parts: bytes) -> str:
    """The hex SHA-256 of ``parts``, each length-prefixed (no two lists of parts share one)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Usage:
    """What the cache directory holds, for ``check-config``."""

    files: int
    size: int


class DatabaseCache:
    """Serialized databases in ``directory`` under their keys, at most ``max_bytes`` of them."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._checked: str | None = None

    def problem(self) -> str:
        """Why the directory is not used (empty when it is), checked once: made ``0700``
        when missing, refused when another user owns it."""
        if self._checked is None:
            self._checked = self._check_directory(make=True)
        return self._checked

    def refusal(self) -> str:
        """Why the directory would not be used, without making it (for ``check-config``)."""
        return self._check_directory(make=False) if self.directory.exists() else ""

    def _check_directory(self, make: bool) -> str:
        try:
            if make:
                self.directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
            status = os.stat(self.directory)
        except OSError as error:
            return f"cannot make {self.directory}: {error.strerror or error}"
        if not stat.S_ISDIR(status.st_mode):
            return f"{self.directory} is not a directory"
        if status.st_uid != os.geteuid():
            return f"{self.directory} belongs to uid {status.st_uid}, not to this user"
        if make and stat.S_IMODE(status.st_mode) != _DIR_MODE:
            try:
                os.chmod(self.directory, _DIR_MODE)
            except OSError as error:
                return f"cannot make {self.directory} private: {error.strerror or error}"
        return ""

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The database stored under ``key``, or ``None`` when there is none this user can
        trust whole (see the module docstring)."""
        if self.problem():
            return None
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            status = os.fstat(fd)
            if not _trusted(status) or status.st_size > self.max_bytes:
                return None
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read()
        except OSError:
            return None
        finally:
            os.close(fd)
        payload = _unwrap(data, key)
        if payload is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: pruned last
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` (written whole, then renamed into place), then
        prune; a directory that cannot be written is left as it is."""
        if self.problem() or len(payload) + len(_MAGIC) + 2 * _DIGEST > self.max_bytes:
            return
        data = b"".join((_MAGIC, bytes.fromhex(key), hashlib.sha256(payload).digest(), payload))
        temp = ""
        try:
            fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=SUFFIX, dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _FILE_MODE)
                handle.write(data)
            os.replace(temp, self._path(key))
            temp = ""
        except OSError:
            return
        finally:
            if temp:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        self.prune(keep=key)

    def prune(self, keep: str = "") -> None:
        """Remove the least recently used databases until at most ``max_bytes`` are left (the
        one under ``keep`` stays), and temporary files that a dead run left."""
        entries: list[tuple[float, int, str]] = []
        now = time.time()
        with contextlib.suppress(OSError), os.scandir(self.directory) as listing:
            for entry in listing:
                if not entry.name.endswith(SUFFIX):
                    continue
                try:
                    status = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name.startswith(_TEMP_PREFIX):
                    if now - status.st_mtime > _STALE_TEMP_SECS:
                        _remove(Path(entry.path))
                    continue
                entries.append((status.st_mtime, status.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        kept = str(self._path(keep)) if keep else ""
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path != kept:
                _remove(Path(path))
                total -= size

    def usage(self) -> Usage:
        """How many databases the directory holds and their size in bytes."""
        files = size = 0
        with contextlib.suppress(OSError), os.scandir(self.directory) as listing:
            for entry in listing:
                if entry.name.endswith(SUFFIX) and not entry.name.startswith(_TEMP_PREFIX):
                    with contextlib.suppress(OSError):
                        size += entry.stat(follow_symlinks=False).st_size
                        files += 1
        return Usage(files, size)


def _trusted(status: os.stat_result) -> bool:
    """A regular file of this user that no one else may write."""
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_uid == os.geteuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _unwrap(data: bytes, key: str) -> bytes | None:
    """The payload of a file's ``data`` when it bears ``key`` and its payload's digest."""
    head = len(_MAGIC)
    if not data.startswith(_MAGIC) or len(data) < head + 2 * _DIGEST:
        return None
    if data[head : head + _DIGEST] != bytes.fromhex(key):
        return None
    digest = data[head + _DIGEST : head + 2 * _DIGEST]
    payload = data[head + 2 * _DIGEST :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
