"""argparse pieces: options given once, checked values."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "MAX_SECONDS",
    "Once",
    "absolute_path",
    "int_between",
    "port",
    "positive_int",
    "seconds",
    "size_bytes",
    "size_text",
]

#: The longest duration a seconds option takes.
MAX_SECONDS = 1_000_000_000
_SEEN = "_lwsyslog_once_seen"
_SIZE = re.compile(r"^([0-9]+)([kmg]?)$", re.I)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class Once(argparse.Action):
    """Store the value of an option that takes one value; a second occurrence is an error.

    argparse's default keeps the last of ``--access-log a --access-log b`` without a word,
    which hides a typo in a long command line.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        seen: set[str] = getattr(namespace, _SEEN, set())
        if self.dest in seen:
            parser.error(f"{option_string} given more than once; it takes a single value")
        setattr(namespace, _SEEN, seen | {self.dest})
        setattr(namespace, self.dest, values)


def positive_int(text: str) -> int:
    """An integer above zero."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def seconds(text: str) -> float:
    """A duration in seconds: a finite number above 0, at most :data:`MAX_SECONDS`.

    ``float()`` takes ``nan`` and ``inf``, which no window or wait can be; the cap keeps
    "now minus the window" a time that dates and ``journalctl --since`` can show.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_SECONDS:  # false for nan too
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {MAX_SECONDS:,} "
            f"(about 31 years), got {text!r}"
        )
    return value


def int_between(low: int, high: int, low_means: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``; ``low_means`` says what
    ``low`` stands for (``0 (all)``), in the message naming the range."""
    shown_low = f"{low:,} ({low_means})" if low_means else f"{low:,}"

    def checked(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {shown_low} to {high:,}, got {value}")
        return value

    return checked


def port(text: str) -> int:
    """A TCP port number, 1-65535."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


def size_bytes(text: str) -> int:
    """A size in bytes: a number, optionally with k, m or g (powers of 1024)."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size (like 131072, 128k, 2g): {text!r}")
    value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text!r}")
    return value


def size_text(text: str) -> str:
    """A size as rsyslog writes it (``1g``, ``500m``), checked and kept as text."""
    size_bytes(text)
    return text.strip().lower()


def absolute_path(text: str) -> str:
    """The path made absolute against the current directory (rsyslogd has another one)."""
    if not text:
        raise argparse.ArgumentTypeError("empty path")
    return os.path.abspath(text)
