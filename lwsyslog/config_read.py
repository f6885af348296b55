"""Reading configuration files: which exist, their text, and their TOML.

A configuration file must be a regular file (or /dev/null, read as an empty one) of at most
:data:`MAX_CONFIG_BYTES`: a FIFO given as ``--config`` blocked the program for good,
``/dev/zero`` grew it by gigabytes, and a directory or FIFO named ``x.toml`` in the drop-in
directory was passed over without a word. Each
problem is a :class:`ConfigError` naming the file, and the line when there is one (a byte order
mark, a byte that is not UTF-8, a TOML syntax error).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from lwsyslog.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "config_files", "decode_config", "parse_toml", "read_config"]

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""The largest configuration file read: 4 MiB, about a hundred times the shipped defaults."""

_BOM = b"\xef\xbb\xbf"
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def config_files(main: Path, dropin_dir: Path) -> list[Path]:
    """The override files, in merge order: ``main`` when it exists, then every ``*.toml`` of
    ``dropin_dir`` sorted. Entries that are not regular files are listed too, so that reading
    them refuses them by name rather than passing over them."""
    files = [main] if main.exists() or main.is_symlink() else []
    if dropin_dir.is_dir():
        files.extend(sorted(dropin_dir.glob("*.toml")))
    return files


def read_config(path: Path) -> str:
    """The text of the configuration file ``path``.

    Raises :class:`ConfigError` for a file that cannot be opened, is not a regular file, is
    larger than :data:`MAX_CONFIG_BYTES`, starts with a byte order mark or is not UTF-8.
    """
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO to read would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror or error}", file=name) from None
    info = os.fstat(fd)
    if not (stat.S_ISREG(info.st_mode) or _is_null_device(info)):
        os.close(fd)
        kind = next((what for test, what in _KINDS if test(info.st_mode)), "not a regular file")
        raise ConfigError(
            f"is {kind}, not a regular file: a configuration file must be a regular file",
            file=name,
        )
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"is larger than {MAX_CONFIG_BYTES >> 20} MiB, the most a configuration file may hold",
            file=name,
        )
    return decode_config(data, name)


def _is_null_device(info: os.stat_result) -> bool:
    """Whether ``info`` is /dev/null's: ``--config /dev/null``, an empty file, is an idiom."""
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == null.st_rdev


def decode_config(data: bytes, name: str) -> str:
    """``data`` as text; a :class:`ConfigError` with the line of a BOM or of a bad byte."""
    if data.startswith(_BOM):
        raise ConfigError(
            "starts with a UTF-8 byte order mark, which TOML does not allow: save the file "
            "as UTF-8 without one",
            file=name,
            line=1,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        bad = " ".join(f"0x{byte:02x}" for byte in data[error.start : error.end])
        raise ConfigError(
            f"not valid UTF-8: byte {bad} at column {column} (a TOML file must be UTF-8)",
            file=name,
            line=line,
        ) from None


def parse_toml(text: str, name: str) -> dict[str, Any]:
    """The tables of ``text``; a :class:`ConfigError` with the line of a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise ConfigError(
            f"not valid TOML: {error}", file=name, line=int(match.group(1)) if match else None
        ) from None
