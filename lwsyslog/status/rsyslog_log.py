"""rsyslogd's own error messages about the chain, recognised and put in plain words.

rsyslogd reports a refused TLS peer, a connection that fails or a suspended action only in its
own messages: under systemd they are in the journal of ``rsyslog.service``; a lab or a custom
setup may send them to a file (rsyslogd's standard error). :func:`journal_lines` and
:func:`file_lines` read the recent ones, :func:`recognise` sorts them into a fixed set of
:class:`RsyslogIssue` kinds, each counted, with the latest rsyslog text (sanitized) as
evidence. Lines it does not know are ignored.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.sanitize import sanitize

__all__ = ["RsyslogIssue", "file_lines", "journal_lines", "recognise"]

_TAIL_BYTES = 512 * 1024
_MAX_LINES = 20_000
_DETAIL_CHARS = 300
_JOURNAL_TIMEOUT_SECS = 20.0


@dataclass(frozen=True, slots=True)
class RsyslogIssue:
    """One kind of problem rsyslogd reported: plain words, how often, the latest text.

    ``serious`` issues make ``lwsyslog status`` fail; the others are shown as notes (a failed
    TLS handshake alone is what every port scan leaves behind).
    """

    kind: str
    words: str
    count: int
    detail: str
    serious: bool


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    words: str
    serious: bool = True


_PEER = r"peer is '(?:DNSname: )?(?P<peer>[^;']*)"
_PATTERNS = (
    _Pattern(
        "webhost-name-refused",
        re.compile(r"imrelp\[[^\]]*\]: authentication error 'no permited name found', " + _PEER),
        "a web host was refused: its certificate name '{peer}' is not among this server's "
        "permitted peers (lwsyslog setup server --peer), so none of its lines "
        "get in",
    ),
    _Pattern(
        "server-name-refused",
        re.compile(r"omrelp\[[^\]]*\]: authentication error 'no permited name found', " + _PEER),
        "this web host refused the central server: the server's certificate name '{peer}' is "
        "not the server name this host expects (lwsyslog setup webhost --server-name); rsyslog "
        "disabled the forwarding until it restarts and the lines wait in its queue",
    ),
    _Pattern(
        "peer-not-from-site-ca",
        re.compile(
            r"certificate invalid|unable to get (?:local )?issuer|certificate verify failed"
        ),
        "a TLS peer's certificate is not signed by the site CA (or has expired): the "
        "connection was refused",
    ),
    _Pattern(
        "peer-without-certificate",
        re.compile(r"peer did not return a certificate"),
        "a TLS peer sent no certificate: the connection was refused",
    ),
    _Pattern(
        "server-unreachable",
        re.compile(r"omrelp.*(?:could not connect to remote server|error opening connection)"),
        "this web host cannot reach the central server (is it running, is the RELP port open "
        "in the firewall?); lines wait in the forwarding queue",
    ),
    _Pattern(
        "action-suspended",
        re.compile(r"action '(?P<action>lwsyslog[^']*)' suspended"),
        "rsyslog suspended its action '{action}' (the program or connection behind it "
        "failed; rsyslog retries it)",
    ),
    _Pattern(
        "omprog-exited",
        re.compile(r"omprog: program '[^']*lwsyslog[^']*' \(pid \d+\) (?:exited|terminated)"),
        "the lwsyslog program exited under rsyslog (rsyslog starts it again with the next "
        "line); its own messages are in the omprog output file",
    ),
    _Pattern(
        "tls-handshake-failed",
        re.compile(r"imrelp\[[^\]]*\]: error '(?:relpTcpRtryHandshake|relpTcpLastSSLErrorMsg)"),
        "TLS connections to the RELP port failed before authentication (port scans, or a "
        "web host that does not trust this server's certificate)",
        serious=False,
    ),
)


# A refused TLS handshake: omrelp then also says it "could not connect".
_REFUSALS = frozenset({"server-name-refused", "peer-not-from-site-ca", "peer-without-certificate"})


def recognise(lines: Iterable[str]) -> list[RsyslogIssue]:
    """The known problems among ``lines``, in the order of :data:`_PATTERNS`."""
    counts: dict[str, int] = {}
    latest: dict[str, str] = {}
    names: dict[str, dict[str, None]] = {}
    for line in lines:
        for pattern in _PATTERNS:
            match = pattern.regex.search(line)
            if match is None:
                continue
            counts[pattern.kind] = counts.get(pattern.kind, 0) + 1
            latest[pattern.kind] = line
            for value in match.groupdict().values():
                if value and len(names.setdefault(pattern.kind, {})) < 5:
                    names[pattern.kind][value.strip()] = None
            break
    issues = []
    for pattern in _PATTERNS:
        if pattern.kind not in counts:
            continue
        if pattern.kind == "server-unreachable" and _REFUSALS.intersection(counts):
            continue  # omrelp reports a refused handshake as a failed connection too
        shown = ", ".join(sanitize(name, 100) for name in names.get(pattern.kind, {}))
        words = pattern.words.format(peer=shown, action=shown)
        detail = sanitize(latest[pattern.kind].strip(), _DETAIL_CHARS)
        issues.append(
            RsyslogIssue(pattern.kind, words, counts[pattern.kind], detail, pattern.serious)
        )
    return issues


def file_lines(path: Path, since: float) -> list[str] | None:
    """The tail of ``path`` when it changed after ``since`` ([] when not; None: unreadable).

    A file with rsyslogd's standard error has no time stamps: a file untouched since ``since``
    holds nothing recent.
    """
    try:
        with path.open("rb") as file:
            info = os.fstat(file.fileno())
            if info.st_mtime < since:
                return []
            file.seek(max(info.st_size - _TAIL_BYTES, 0))
            data = file.read(_TAIL_BYTES)
    except OSError:
        return None
    return data.decode("utf-8", "replace").splitlines()[-_MAX_LINES:]


def journal_lines(unit: str, since: float) -> list[str] | None:
    """rsyslogd's messages in the journal of ``unit`` since ``since``; None when the journal
    cannot be read here (no journalctl, or not allowed)."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return None
    command = [
        journalctl, "--unit", unit, "--since", f"@{int(since)}", "--output", "json",
        "--output-fields", "MESSAGE", "--no-pager", "--quiet",
        "--lines", str(_MAX_LINES),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=_JOURNAL_TIMEOUT_SECS, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    lines = []
    for raw in done.stdout.splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        message = entry.get("MESSAGE") if isinstance(entry, dict) else None
        if isinstance(message, list):  # journald's JSON gives binary messages as byte lists
            message = bytes(b for b in message if isinstance(b, int) and 0 <= b < 256).decode(
                "utf-8", "replace"
            )
        if isinstance(message, str):
            lines.append(message)
    return lines
