"""Whether a configured output file can be a file at all, checked before anything runs.

``check-config`` and a SIGHUP reload ask it about the messages file and the alert store: a
path that is a directory, a FIFO (a write would stall the stream until someone reads it), or
that sits in a directory that does not exist cannot work, whoever runs the program. Whether
the program's user may write there is not judged here (the check may run as another user);
the program reports that itself when it opens the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lwsyslog.errors import ConfigError
from lwsyslog.sanitize import sanitize
from lwsyslog.settings import Config

__all__ = ["MISSING_DIRECTORY", "check_output_places", "output_file_problem"]

#: How :func:`output_file_problem` begins the reason of a path whose directory is missing.
MISSING_DIRECTORY = "its directory"


def output_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an output file (None: it can be, or may become one)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        parent = path.parent
        if not parent.exists():
            return f"{MISSING_DIRECTORY} {parent} does not exist"
        if not parent.is_dir():
            return f"{parent} is not a directory"
        return None
    except OSError as error:
        return f"it cannot be looked at ({error.strerror or error})"
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISFIFO(mode):
        return "it is a FIFO (a write would wait for a reader and stall the stream)"
    if stat.S_ISSOCK(mode):
        return "it is a socket"
    return None


def check_output_places(config: Config, *, missing_directory_is_error: bool = True) -> list[str]:
    """Raise :class:`ConfigError` (file, line, key) for the first enabled output file that
    cannot be one: ``[sinks.messages_file] path``, ``[store] path`` when set (the default, in
    the program's state directory, is made by the program). With ``missing_directory_is_error``
    false, a path whose directory does not exist yet (a machine not set up yet) is a warning,
    returned with its place, instead."""
    places: list[tuple[tuple[str, ...], Path]] = []
    if config.messages_file_enabled and config.messages_file_path:
        places.append((("sinks", "messages_file", "path"), Path(config.messages_file_path)))
    if config.store.enabled and config.store.path:
        places.append((("store", "path"), Path(config.store.path)))
    warnings: list[str] = []
    for key_path, path in places:
        problem = output_file_problem(path)
        if problem is None:
            continue
        where = config.location(*key_path)
        error = ConfigError(
            f"{sanitize(str(path))} cannot be written: {problem}",
            file=where.file,
            line=where.line,
            table=".".join(key_path[:-1]),
            key=key_path[-1],
        )
        if problem.startswith(MISSING_DIRECTORY) and not missing_directory_is_error:
            warnings.append(str(error))
        else:
            raise error
    return warnings
