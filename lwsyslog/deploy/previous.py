"""A file ``lwsyslog setup`` replaces is kept first, and what changes is shown.

Re-running setup is the upgrade path (docs/deploy.md, Upgrading), and a drop-in may have been
edited by hand since it was written. So when the file setup is about to replace differs from
the new text, it is first copied to ``NAME.lwsyslog-old`` (a name rsyslog's ``*.conf`` include
does not load). When that name already holds another earlier version, the copy goes to
``NAME.lwsyslog-old.1``, ``.2`` ... instead: no version is ever lost. :func:`short_diff` is the
unified diff setup prints: escaped and bounded, whatever the old file holds.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.errors import SetupError
from lwsyslog.sanitize import sanitize

__all__ = ["MAX_DIFF_LINES", "OLD_SUFFIX", "Kept", "keep_previous", "short_diff"]

OLD_SUFFIX = ".lwsyslog-old"
"""Appended to the name of the file kept: not ``.conf``, so rsyslog never loads it."""

MAX_DIFF_LINES = 40
"""Diff lines shown at most; the rest is counted, and ``diff -u`` shows it all."""

_MAX_KEPT = 100  # NAME.lwsyslog-old and .1 to .99
_MAX_COMPARED = 256 << 10  # a drop-in is a few KiB; a larger file is not diffed line by line
_MAX_LINE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Kept:
    """The earlier version of a replaced file: where it is kept, and the diff to the new one."""

    path: Path
    diff: list[str]


def keep_previous(target: Path, new_text: str, *, copy: bool = True) -> Kept | None:
    """Keep the file at ``target`` before ``new_text`` replaces it; None when there is no file
    or it holds ``new_text`` already. ``copy=False`` only says where it would be kept."""
    try:
        with target.open("rb") as file:
            old = file.read(_MAX_COMPARED + 1)
    except FileNotFoundError:
        return None
    new = new_text.encode("utf-8")
    if old == new:
        return None
    path = _kept_path(target, old)
    if copy and not path.exists():
        _copy(target, path)
    return Kept(path, short_diff(old, new, str(path), str(target)))


def _kept_path(target: Path, old: bytes) -> Path:
    """The first of ``NAME.lwsyslog-old``, ``.1`` ... that is free or already holds ``old``."""
    for number in range(_MAX_KEPT):
        name = target.name + OLD_SUFFIX + (f".{number}" if number else "")
        path = target.with_name(name)
        if not path.exists() or (len(old) <= _MAX_COMPARED and _holds(path, old)):
            return path
    raise SetupError(
        f"{target} differs from what setup writes, and {_MAX_KEPT} earlier versions are kept "
        f"already ({target.name}{OLD_SUFFIX}*): remove those no longer needed; nothing written"
    )


def _holds(path: Path, data: bytes) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def _copy(target: Path, path: Path) -> None:
    """Copy ``target`` (content, mode, times) to ``path`` whole or not at all."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        shutil.copy2(target, tmp)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def short_diff(old: bytes, new: bytes, old_name: str, new_name: str) -> list[str]:
    """``diff -u old new``, each line escaped and cut, at most :data:`MAX_DIFF_LINES` lines."""
    if len(old) > _MAX_COMPARED:
        return [f"(not shown: {sanitize(old_name)} is larger than {_MAX_COMPARED >> 10} KiB)"]
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(),
            new.decode("utf-8", "replace").splitlines(),
            old_name,
            new_name,
            n=1,
            lineterm="",
        )
    )
    shown = [sanitize(line, _MAX_LINE_CHARS) for line in lines[:MAX_DIFF_LINES]]
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        shown.append(f"... {more} more lines: diff -u {sanitize(old_name)} {sanitize(new_name)}")
    return shown
