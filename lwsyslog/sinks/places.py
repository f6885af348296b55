"""Whether a configured output file can be a file at all, checked before anything runs.

``check-config`` and a SIGHUP reload ask it about the messages file and the alert store: a
path that is a directory, a FIFO (a write would stall the stream until someone reads it), a
socket, or under a file instead of a directory cannot work, whoever runs the program (a
directory that does not exist yet is made by the sink). Whether
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

__all__ = ["check_output_places", "output_file_problem"]


def output_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an output file (None: it can be, or may become one: a missing
    directory is made by the sink)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return "a directory on its path is a file"
    except OSError as error:
        return f"it cannot be looked at ({error.strerror or error})"
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISFIFO(mode):
        return "it is a FIFO (a write would wait for a reader and stall the stream)"
    if stat.S_ISSOCK(mode):
        return "it is a socket"
    return None


def check_output_places(config: Config, running: Config | None = None) -> None:
    """Raise :class:`ConfigError` (file, line, key) for the first enabled output file that
    cannot be one: ``[sinks.messages_file] path``, ``[store] path`` when set (the default, in
    the program's state directory, is made by the program). With the ``running``
    configuration (a reload), only paths it does not already use are judged: a broken path
    the program already copes with must not refuse an unrelated change."""
    places: list[tuple[tuple[str, ...], str]] = []
    if config.messages_file_enabled and config.messages_file_path:
        path = config.messages_file_path
        if running is None or path != running.messages_file_path:
            places.append((("sinks", "messages_file", "path"), path))
    if config.store.enabled and config.store.path:
        path = config.store.path
        if running is None or path != running.store.path:
            places.append((("store", "path"), path))
    for key_path, text in places:
        problem = output_file_problem(Path(text))
        if problem is not None:
            where = config.location(*key_path)
            raise ConfigError(
                f"{sanitize(text)} cannot be written: {problem}",
                file=where.file,
                line=where.line,
                table=".".join(key_path[:-1]),
                key=key_path[-1],
            )
