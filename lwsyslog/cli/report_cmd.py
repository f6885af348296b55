"""``lwsyslog report``: a digest of the alert store over a period (text, JSON, HTML page)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

from lwsyslog.cli.alerts_cmd import add_store_option, period, timespec_arg
from lwsyslog.cli.argtypes import int_between
from lwsyslog.cli.common import add_config_options, config_from_args
from lwsyslog.cli.messages import say
from lwsyslog.errors import SinkError
from lwsyslog.notify.email_send import Attachment, send_report
from lwsyslog.notify.settings import NotifySettings
from lwsyslog.report import Digest, build_digest, render_html, render_text, report_mail
from lwsyslog.store import open_reader, parse_timespec

__all__ = ["PAGE_MODE", "register", "run", "write_page"]

EXIT_OK = 0
EXIT_IO = 1
EXIT_USAGE = 2
MAX_TOP = 10_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` sub-command."""
    parser = subparsers.add_parser(
        "report",
        help="digest of the alert store over a period",
        description=(
            "Alerts by severity and category, top clients and what they tried, hosts most "
            "targeted, new clients against the previous period of the same length, the "
            "noisiest rules. --html writes one self-contained page with charts; --mail sends "
            "the report (text, the page, the page attached) through the e-mail channels of "
            "[notify.channels] instead of printing it."
        ),
    )
    add_store_option(parser)
    parser.add_argument(
        "--since",
        type=timespec_arg,
        default=parse_timespec("24h"),
        metavar="WHEN",
        help="start of the period (default 24h: the last 24 hours)",
    )
    parser.add_argument(
        "--until", type=timespec_arg, metavar="WHEN", help="end of the period (default: now)"
    )
    parser.add_argument(
        "--top",
        type=int_between(1, MAX_TOP),
        default=10,
        metavar="N",
        help=f"clients, hosts, rules listed, 1 to {MAX_TOP:,} (10)",
    )
    parser.add_argument("--json", action="store_true", help="the digest as one JSON object")
    parser.add_argument("--html", metavar="FILE", help="also write the report page to FILE")
    parser.add_argument(
        "--mail",
        action="store_true",
        help="send the report through the configured e-mail channels (nothing on stdout "
        "unless --json; exit 1 when a channel could not send it)",
    )
    parser.add_argument(
        "--mail-channel",
        action="append",
        metavar="NAME",
        help="with --mail: only this e-mail channel (repeatable; default: every one)",
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the digest; write the page when asked. Exit 2 when the store cannot be read or
    the period is wrong, 1 when the page cannot be written."""
    now = time.time()
    resolved = period(args, now)
    if resolved is None:
        return EXIT_USAGE
    since, until = resolved
    until = now if until is None else until
    assert since is not None  # --since has a default
    if since >= until:
        say("error: --since must be before --until")
        return EXIT_USAGE
    if args.mail_channel and not args.mail:
        say("error: --mail-channel needs --mail")
        return EXIT_USAGE
    # Read the configuration first: a bad one is reported before the store is read.
    config = config_from_args(args) if args.mail else None
    conn = open_reader(args.db)
    try:
        digest = build_digest(conn, since, until, top=args.top)
    finally:
        conn.close()
    if args.json:
        sys.stdout.write(json.dumps(digest.record(), ensure_ascii=False) + "\n")
    elif not args.mail:
        sys.stdout.write(render_text(digest))
    if config is not None and not _mail(config.notify, digest, args.mail_channel):
        return EXIT_IO
    if args.html:
        sys.stdout.flush()  # the text first, when the page goes to the same place
        try:
            write_page(Path(args.html), render_html(digest))
        except OSError as error:
            say(f"{args.html}: {error.strerror or error}")
            return EXIT_IO
        say(f"report page written to {args.html}")
    return EXIT_OK


def _mail(settings: NotifySettings, digest: Digest, channels: list[str] | None) -> bool:
    """Send the report; False (after saying why on stderr) when a channel could not."""
    mail = report_mail(digest)
    page = Attachment(mail.filename, "text/html", mail.html.encode("utf-8"))
    try:
        sent = send_report(
            settings, mail.subject, mail.text, mail.html, channels=channels, attachments=[page]
        )
    except SinkError as error:
        say(str(error))
        return False
    say(f"report mailed through {', '.join(sent)}")
    return True


# Client addresses and attacker-written text, as in the store: owner and group only.
PAGE_MODE = 0o640


def write_page(path: Path, html: str) -> None:
    """Write ``html`` to ``path``, mode 0640 narrowed by the umask (0600 under umask 077),
    never wider.

    A new path or a regular file is replaced atomically (a temporary file renamed over it:
    a reader never sees half a page). A terminal, a pipe or a character device
    (``/dev/stdout``, ``/dev/full``, a FIFO), or a symbolic link to one, is written through,
    as a shell's ``>`` would: renaming over it would put a regular file in place of the
    system's device node or link. Anything else is refused: a block device (a page never
    belongs on a disk), and a symbolic link to a file or to nothing. The report runs as root
    and its documented place is the service user's directory: following such a link would let
    that user make root overwrite, or create, any file.
    """
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is None or stat.S_ISREG(found.st_mode):
        _replace(path, html)
        return
    if stat.S_ISLNK(found.st_mode):
        try:
            target = os.stat(path).st_mode
        except FileNotFoundError:
            target = 0
        if not _streams(target):
            raise OSError(
                errno.ELOOP,
                "a symbolic link to a file or to nothing: give the file itself (a link is not "
                "followed there)",
            )
    elif not _streams(found.st_mode):
        raise OSError(errno.EINVAL, "not a file, a pipe or a character device")
    _write_through(path, html)


def _streams(mode: int) -> bool:
    """A terminal, a character device or a pipe: written to as a stream, never replaced."""
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _replace(path: Path, html: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(temporary, PAGE_MODE & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_through(path: Path, html: str) -> None:
    """Open the stream at ``path`` (never creating anything) and write the page to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        if not _streams(os.fstat(fd).st_mode):  # the path changed since it was looked at
            raise OSError(errno.EINVAL, "not a pipe or a character device any more")
        handle.write(html)


def _umask() -> int:
    """The process's umask (reading it means setting it: set back at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask
