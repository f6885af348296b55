"""The request path as the server behind Apache sees it, which the log does not show.

Apache maps and proxies a request by its path normalised (``ap_normalize_path``), while the
access log keeps the request line as sent: ``POST /mgmt//tm/util/bash`` reaches a backend
as ``/mgmt/tm/util/bash``, and ``POST http://host/uploads/user`` as ``/uploads/user``. A
pattern written for the path an exploit needs (``^/uploads/user$``) reads these forms too
(:class:`~lwsyslog.normalize.EventView` serves them as the fields of
:data:`CANONICAL_FIELDS`).

Apache also resolves the ``..`` a traversal exploit needs (``/cgi-bin/.%2e/.%2e/etc/passwd``,
``/public/plugins/x/../../../etc/passwd``): behind it the attempt is harmless, but still an
attempt, and spelled with a ``//`` or a ``/x/..`` before it, the pattern of its CVE finds
it neither as sent nor as served. :func:`traversal_path` is the path normalised but for
that traversal: the attempt as the pattern reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = [
    "CANONICAL_FIELDS",
    "NO_CANONICAL",
    "apache_path",
    "canonical_fields",
    "servlet_path",
    "traversal_path",
]

#: The fields that give an access event's decoded path and target as the server behind Apache
#: sees them (``canonical_*``: :func:`apache_path`, decoded) and as a servlet container behind
#: it maps them (``servlet_*``: :func:`servlet_path` of that), and as Apache normalises them
#: but for the traversal it resolves (``traversal_*``: :func:`traversal_path`), ``""`` when
#: that is the decoded field itself or another form; each with the field a finding names in
#: its place: the log shows no other.
CANONICAL_FIELDS: Final = {
    "canonical_path": "path",
    "canonical_target": "target",
    "servlet_path": "path",
    "servlet_target": "target",
    "traversal_path": "path",
    "traversal_target": "target",
}


#: :func:`canonical_fields` of a path the server sees as it is logged.
NO_CANONICAL: Final = dict.fromkeys(CANONICAL_FIELDS, "")

# An absolute request target's scheme and authority ("http://host"), which Apache takes off.
_ABSOLUTE: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^/]*", re.IGNORECASE)
# A Java path parameter (";jsessionid=1"), which servlet containers take off each segment.
_PATH_PARAMETER: Final = re.compile(r";[^/]*")


def apache_path(path: str) -> str:
    """The path of a request target as logged (``path``: undecoded) as Apache maps and
    proxies it, ``""`` when that is ``path`` itself (most paths: one check of a few
    substrings).

    As ``ap_normalize_path`` with ``MergeSlashes On`` (the default): an absolute target's
    scheme and host taken off, ``%2e`` read as the ``.`` it stands for (an unreserved
    character), ``//`` merged, ``.`` segments removed and ``seg/..`` resolved, never above
    the root (Apache refuses such a request: nothing is served). Nothing else is decoded:
    ``..%2f`` and ``%252e%252e/`` reach the backend as they are, and a traversal there too.
    """
    if (
        "//" not in path
        and "/." not in path
        and "%2e" not in path
        and "%2E" not in path
        and (path[:1] == "/" or _ABSOLUTE.match(path) is None)
    ):
        return ""
    served = _resolved(_dotted(path))
    return "" if served == path else served


def servlet_path(path: str) -> str:
    """An undecoded path as a servlet container (Tomcat, Jetty) maps it: each segment's
    ``;parameters`` dropped, then ``.`` and ``..`` resolved (``/x/..;/y`` is ``/y``);
    ``""`` when that is ``path`` itself."""
    if ";" not in path:
        return ""
    mapped = _resolved(_dotted(_PATH_PARAMETER.sub("", path)))
    return "" if mapped == path else mapped


def traversal_path(path: str) -> str:
    """An undecoded path as Apache normalises it (:func:`apache_path`) but for its traversal:
    of its runs of ``.`` and ``..`` segments, the one with the most ``..`` (the last of
    those) is kept as sent, the others resolved; ``""`` when the path (``%2e`` read as
    ``.``) has no ``.`` or ``..`` segment. A ``.`` is a trick of its own
    (``/s/x/_/%2e/WEB-INF/``, which a filter reads as no ``/_/WEB-INF/``).

    ``//public/x/../plugins/a/../../../etc/passwd`` is ``/public/plugins/a/../../../etc/passwd``:
    the exploit as its pattern reads it, without the spelling before it. Linear: a step per
    run of ``.`` and ``..`` segments, per run of others and per segment dropped
    (:func:`_pieces`), or, where ``.`` and ``..`` are most segments, a step per segment.
    """
    dotted = _dotted(path)
    absolute = _ABSOLUTE.match(dotted)
    if absolute is not None:
        dotted = dotted[absolute.end() :] or "/"
    if not dotted.startswith("/") or "/." not in dotted:
        return ""
    if _dense(dotted):
        return _traversal_by_segment(dotted)
    pieces: list[str] = []
    dots: list[bool] = []  # whether each piece is a run of "." and ".." segments
    for index, piece in enumerate(_pieces(_merged(dotted).removesuffix("/"))):
        if piece:
            pieces.append(piece)
            dots.append(index % 2 == 1)
    kept = _kept_run(pieces, dots)
    if kept is None:
        return ""
    start, end = kept
    stack = _Segments()
    for index, piece in enumerate(pieces):
        if start <= index < end:
            stack.push(piece, dotted=True)
        elif not dots[index]:
            stack.push(piece, dotted=False)
        else:
            climbs = piece.count("/..")
            left = climbs - stack.drop(climbs)
            if left and index > end:
                # Climbing on past the kept run: a traversal too.
                stack.push("/.." * left, dotted=True)
    text = stack.text()
    ending = "/" if dotted.endswith("/") and text else ""
    return (text or "/") + ending


def _kept_run(pieces: list[str], dots: list[bool] | None) -> tuple[int, int] | None:
    """Where the run of ``.`` and ``..`` pieces (``dots``; ``None``: the pieces are segments,
    ``.`` and ``..`` themselves) with the most ``..`` (the last of those) starts and ends in
    ``pieces``; ``None`` when there is no run."""
    best: tuple[int, int] | None = None
    most = 0
    index, count = 0, len(pieces)
    while index < count:
        if not _is_dot(pieces, dots, index):
            index += 1
            continue
        start = index
        while index < count and _is_dot(pieces, dots, index):
            index += 1
        run = pieces[start:index]
        # Segments: a C-level count of the ".." among them; pieces: of the ".." in each.
        climbs = run.count("..") if dots is None else sum(piece.count("..") for piece in run)
        if climbs >= most:
            best, most = (start, index), climbs
    return best


def _is_dot(pieces: list[str], dots: list[bool] | None, index: int) -> bool:
    """Whether ``pieces[index]`` is a run of ``.`` and ``..`` (see :func:`_kept_run`)."""
    if dots is None:
        return pieces[index] in (".", "..")
    return dots[index]


def _dense(path: str) -> bool:
    """Whether ``.`` and ``..`` segments are a large share of ``path``'s: a step per segment
    then costs less than a step per run (:func:`_pieces`), which does more per step."""
    return path.count("/.") * 4 > path.count("/")


def _traversal_by_segment(dotted: str) -> str:
    """:func:`traversal_path` of ``dotted`` (starting with ``/``, ``%2e`` read), a step per
    segment."""
    segments = [segment for segment in dotted.split("/")[1:] if segment]
    kept = _kept_run(segments, None)
    if kept is None:
        return ""
    start, end = kept
    stack: list[str] = []
    for index, segment in enumerate(segments):
        if start <= index < end:
            stack.append(segment)
        elif segment == "..":
            if stack and stack[-1] not in ("..", "."):
                stack.pop()
            elif index > end:
                stack.append(segment)  # climbing on past the kept run: a traversal too
        elif segment != ".":
            stack.append(segment)
    ending = "/" if dotted.endswith("/") and stack else ""
    return "/" + "/".join(stack) + ending


def canonical_fields(
    raw: str, path: str, target: str, decode: Callable[[str], str] | None = None
) -> dict[str, str] | None:
    """The text of each of :data:`CANONICAL_FIELDS` for the path ``raw`` as logged, whose
    decoded text is ``path``, starting the decoded ``target`` (the path, or the path, ``?``
    and the query); ``decode`` decodes a path (``None``: ``raw`` needs no decoding).
    ``None`` when every one is ``""`` (a new dict otherwise)."""
    apache = apache_path(raw)
    servlet = servlet_path(apache or raw)
    if not apache and not servlet:
        return None
    # Only where Apache changed the path: a ".." it leaves is in the path as sent.
    traversal = traversal_path(raw) if apache else ""
    if decode is not None:
        apache = apache and decode(apache)
        servlet = servlet and decode(servlet)
        traversal = traversal and decode(traversal)
    if apache == path:
        apache = ""
    if servlet in (path, apache):
        servlet = ""
    if traversal in (path, apache, servlet):
        traversal = ""
    rest = target[len(path) :]
    return {
        "canonical_path": apache,
        "canonical_target": apache and apache + rest,
        "servlet_path": servlet,
        "servlet_target": servlet and servlet + rest,
        "traversal_path": traversal,
        "traversal_target": traversal and traversal + rest,
    }


def _dotted(path: str) -> str:
    """``path`` with ``%2e`` read as ``.``."""
    return path.replace("%2e", ".").replace("%2E", ".") if "%2" in path else path


def _resolved(path: str) -> str:
    """``path`` without an absolute target's scheme and authority, with ``//`` merged and
    ``.`` and ``..`` segments resolved (not above the root)."""
    absolute = _ABSOLUTE.match(path)
    if absolute is not None:
        path = path[absolute.end() :] or "/"
    if not path.startswith("/") or ("//" not in path and "/." not in path):
        return path
    if "/." not in path:
        return _merged(path)
    if _dense(path):
        return _resolved_by_segment(path)
    path = _merged(path)
    # "/a/" and "/a/." and "/a/b/.." end with the slash.
    ending = "/" if path.endswith(("/", "/.", "/..")) else ""
    pieces = _pieces(path.removesuffix("/"))
    kept = _Segments()
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            kept.push(piece, dotted=False)
        else:
            kept.drop(piece.count("/.."))
    text = kept.text()
    return text + ending if text else "/"


def _resolved_by_segment(path: str) -> str:
    """:func:`_resolved` of a path starting with ``/``, a step per segment."""
    segments = path.split("/")
    last = len(segments) - 1
    kept: list[str] = []
    for index in range(1, last + 1):
        segment = segments[index]
        if segment in ("", ".", ".."):
            if segment == ".." and kept:
                kept.pop()
            if index == last:
                kept.append("")  # "/a/" and "/a/." and "/a/b/.." end with the slash
            continue
        kept.append(segment)
    return "/" + "/".join(kept)


def _merged(path: str) -> str:
    """``path`` with each run of ``/`` merged into one: a replacement per halving of the
    longest run, not a step per segment."""
    while "//" in path:
        path = path.replace("//", "/")
    return path


def _dot_segment(path: str, at: int, size: int) -> int:
    """The length of the ``/.`` or ``/..`` segment at ``at`` of ``path`` (of length ``size``),
    0 when the ``/.`` there starts another segment (``/.git``, ``/...``)."""
    after = at + 2
    if after == size or path[after] == "/":
        return 2
    if path[after] == "." and (after + 1 == size or path[after + 1] == "/"):
        return 3
    return 0


# A run of "." and ".." segments, each followed by a "/" or the end.
_DOT_RUN: Final = re.compile(r"(?:/\.\.?)+(?=/|\Z)")


def _pieces(path: str) -> list[str]:
    """``path`` (starting with ``/``, without ``//``) cut around its runs of ``.`` and ``..``
    segments: runs of other segments (``/a/b``, or ``""``) at even indexes, and between them
    the runs of ``/.`` and ``/..`` (``/../.``), each found in one C-level match. The steps
    that read them are per piece, not per segment: a path of 4,000 ``/*`` segments is one of
    an attacker's cheapest lines to send."""
    pieces: list[str] = []
    run_start = 0
    at = path.find("/.")
    size = len(path)
    while at >= 0:
        stop = at + _dot_segment(path, at, size)
        if stop == at:
            at = path.find("/.", at + 1)
            continue
        if path.startswith("/.", stop):
            # More than one: the run's end in one match (most runs are one segment, read
            # without a match).
            run = _DOT_RUN.match(path, at)
            if run is not None:
                stop = run.end()
        pieces.append(path[run_start:at])
        pieces.append(path[at:stop])
        run_start = stop
        at = path.find("/.", run_start)
    pieces.append(path[run_start:])
    return pieces


class _Segments:
    """A path being resolved: runs of segments, each ``/a/b`` (``/..`` and ``/.`` kept as
    sent are runs of their own), with the length of each run still kept, so dropping a
    segment costs that segment, not a copy of the run."""

    __slots__ = ("ends", "runs", "sent")

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.ends: list[int] = []
        self.sent: list[bool] = []

    def push(self, run: str, *, dotted: bool) -> None:
        """Add ``run`` (``""`` adds nothing); ``dotted``: a ``/.`` or ``/..`` kept as sent."""
        if run:
            self.runs.append(run)
            self.ends.append(len(run))
            self.sent.append(dotted)

    def drop(self, count: int) -> int:
        """Drop up to ``count`` segments from the end, stopping at a ``.`` or ``..`` kept as
        sent; how many were dropped. A step per segment dropped."""
        dropped = 0
        while dropped < count and self.runs and not self.sent[-1]:
            run, end = self.runs[-1], self.ends[-1]
            while dropped < count and end > 0:
                end = run.rfind("/", 0, end)
                dropped += 1
            if end <= 0:
                self.runs.pop()
                self.ends.pop()
                self.sent.pop()
            else:
                self.ends[-1] = end
        return dropped

    def text(self) -> str:
        """The segments kept, as a path (``""`` when none)."""
        return "".join(run[:end] for run, end in zip(self.runs, self.ends, strict=True))
