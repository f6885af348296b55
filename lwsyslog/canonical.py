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
    the exploit as its pattern reads it, without the spelling before it. Linear: one split.
    """
    dotted = _dotted(path)
    absolute = _ABSOLUTE.match(dotted)
    if absolute is not None:
        dotted = dotted[absolute.end() :] or "/"
    if not dotted.startswith("/") or "/." not in dotted:
        return ""
    segments = [segment for segment in dotted.split("/")[1:] if segment]
    kept = _kept_run(segments)
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


def _kept_run(segments: list[str]) -> tuple[int, int] | None:
    """Where the run of ``.`` and ``..`` segments with the most ``..`` (the last of those)
    starts and ends in ``segments``; ``None`` when there is no run."""
    best: tuple[int, int] | None = None
    most = 0
    index, count = 0, len(segments)
    while index < count:
        if segments[index] not in (".", ".."):
            index += 1
            continue
        start = index
        while index < count and segments[index] in (".", ".."):
            index += 1
        climbs = segments[start:index].count("..")
        if climbs >= most:
            best, most = (start, index), climbs
    return best


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
