"""The command line's standard streams: closed ones, and output that cannot be written.

A program started with a standard stream closed (``lwsyslog rules >&-``, ``scan - <&-``)
finds ``sys.stdout`` or ``sys.stdin`` set to None by Python: ``print`` then writes nothing
without a word and ``sys.stdin.buffer`` is an AttributeError. :func:`guard` puts stand-ins
in their place that fail like a closed descriptor, so a command that reads or writes one
ends with one line on stderr and a non-zero exit, and a command that never touches it runs
as usual. :func:`output_failure` turns an OSError that reached the entry point into that
line, naming standard output when it is what failed (``rules > /dev/full``).
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import TextIO, cast

from lwsyslog.cli.messages import say

__all__ = [
    "EXIT_IO",
    "STANDARD_OUTPUT",
    "ClosedStreamError",
    "finish",
    "guard",
    "output_failure",
]

EXIT_IO = 1
STANDARD_OUTPUT = "standard output"
_STDIN, _STDOUT, _STDERR = 0, 1, 2


class ClosedStreamError(OSError):
    """A read or write of a standard stream the program was started without."""


class _ClosedBinary(io.RawIOBase):
    """Bytes of a closed standard stream: every read or write is EBADF, with ``why``."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self._why = why

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise ClosedStreamError(errno.EBADF, self._why)

    def write(self, data: object) -> int:
        raise ClosedStreamError(errno.EBADF, self._why)

    def fileno(self) -> int:
        raise ClosedStreamError(errno.EBADF, self._why)


class _ClosedText(io.TextIOBase):
    """Text of a closed standard stream. Nothing is buffered, so nothing is left for the
    interpreter to fail on when it flushes the streams at exit."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self._why = why
        self._binary = _ClosedBinary(why)

    @property
    def buffer(self) -> io.RawIOBase:
        """The bytes side, closed the same way (``sys.stdin.buffer.read``)."""
        return self._binary

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        raise ClosedStreamError(errno.EBADF, self._why)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise ClosedStreamError(errno.EBADF, self._why)

    def write(self, text: str) -> int:
        raise ClosedStreamError(errno.EBADF, self._why)

    def fileno(self) -> int:
        raise ClosedStreamError(errno.EBADF, self._why)


class _Output(io.TextIOWrapper):
    """Standard output whose write errors name it: an error that reaches the entry point
    then says "standard output: No space left on device", not a bare errno text."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except OSError as error:
            raise _named(error) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            raise _named(error) from None


def _named(error: OSError) -> OSError:
    if error.filename is None:
        error.filename = STANDARD_OUTPUT
    return error


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def guard() -> None:
    """Give every closed standard stream a stand-in (see the module docstring).

    The closed descriptors themselves are taken by /dev/null: otherwise the next file
    opened (the alert store, a log) would become descriptor 1, and anything writing to
    "standard output" below Python would write into it.
    """
    for fd in (_STDIN, _STDOUT, _STDERR):
        if not _is_open(fd):
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    _name_output()
    if sys.stdin is None:
        sys.stdin = cast(TextIO, _ClosedText("standard input is closed"))
    if sys.stdout is None:
        sys.stdout = cast(TextIO, _ClosedText("standard output is closed"))
    if sys.stderr is None:
        # Nowhere to say anything: the exit status is all that is left.
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _name_output() -> None:
    """Put :class:`_Output` over the interpreter's own standard output (not over one a
    caller, such as a test, put in its place), keeping its encoding and buffering."""
    out = sys.stdout
    if out is None or out is not sys.__stdout__ or not isinstance(out, io.TextIOWrapper):
        return
    out.flush()
    sys.stdout = _Output(
        out.buffer,
        encoding=out.encoding,
        errors=out.errors,
        newline="\n",
        line_buffering=out.line_buffering,
        write_through=out.write_through,
    )


def finish(status: int) -> int:
    """Flush standard output after a command that returned ``status``: ``status`` when
    done (or when the reader went away), else, after saying why, :data:`EXIT_IO`."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_output()
    except OSError as error:
        return _output_failed(error)
    return status


def output_failure(error: OSError) -> int:
    """Say what ``error`` (uncaught by the command) was, in one line; the exit status."""
    if isinstance(error, BrokenPipeError | ClosedStreamError) or (
        error.filename == STANDARD_OUTPUT
    ):
        return _output_failed(error)
    where = f"{error.filename}: " if error.filename else ""
    say(f"error: {where}{error.strerror or error}")
    return EXIT_IO


def _output_failed(error: OSError) -> int:
    """Report a failed standard output, and send what is still pending nowhere (the
    interpreter would otherwise fail again on it at exit, with a traceback-like note)."""
    _discard_output()
    if isinstance(error, BrokenPipeError):
        return 0  # the reader went away (`| head`): stop quietly, as a filter does
    if isinstance(error, ClosedStreamError):
        say(f"error: {error.strerror}")
    else:
        say(f"error: {STANDARD_OUTPUT}: {error.strerror or error}")
    return EXIT_IO


def _discard_output() -> None:
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
