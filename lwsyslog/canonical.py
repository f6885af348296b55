"""The request path as the server behind Apache sees it, which the log does not show.

Apache maps and proxies a request by its path normalised (``ap_normalize_path``), while the
access log keeps the request line as sent: ``POST /mgmt//tm/util/bash`` reaches a backend
as ``/mgmt/tm/util/bash``, and ``POST http://host/uploads/user`` as ``/uploads/user``. A
pattern written for the path an exploit needs (``^/uploads/user$``) reads these forms too
(:class:`~lwsyslog.normalize.EventView` serves them as the fields of
:data:`CANONICAL_FIELDS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = ["CANONICAL_FIELDS", "NO_CANONICAL", "apache_path", "canonical_fields", "servlet_path"]

#: The fields that give an access event's decoded path and target as the server behind Apache
#: sees them (``canonical_*``: :func:`apache_path`, decoded) and as a servlet container behind
#: it maps them (``servlet_*``: :func:`servlet_path` of that), ``""`` when that is the decoded
#: field itself; each with the field a finding names in its place: the log shows no other.
CANONICAL_FIELDS: Final = {
    "canonical_path": "path",
    "canonical_target": "target",
    "servlet_path": "path",
    "servlet_target": "target",
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
    if decode is not None:
        apache = apache and decode(apache)
        servlet = servlet and decode(servlet)
    if apache == path:
        apache = ""
    if servlet in (path, apache):
        servlet = ""
    rest = target[len(path) :]
    return {
        "canonical_path": apache,
        "canonical_target": apache and apache + rest,
        "servlet_path": servlet,
        "servlet_target": servlet and servlet + rest,
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
