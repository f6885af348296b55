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
from typing import Final

__all__ = ["CANONICAL_FIELDS", "NO_CANONICAL", "canonical_fields", "canonical_paths"]

#: The fields that give an access event's decoded path and target as the server behind Apache
#: sees them (:func:`canonical_paths`; ``""`` when that is the decoded field itself), each with
#: the field a finding names in its place: the log shows no other.
CANONICAL_FIELDS: Final = {
    "canonical_path": "path",
    "canonical_target": "target",
    "servlet_path": "path",
    "servlet_target": "target",
}


#: :func:`canonical_fields` of a path the server sees as it is logged.
NO_CANONICAL: Final = dict.fromkeys(CANONICAL_FIELDS, "")


def canonical_fields(path: str, target: str) -> dict[str, str] | None:
    """The text of each of :data:`CANONICAL_FIELDS` for a decoded ``path`` and the decoded
    ``target`` it starts (the path, or the path, ``?`` and the query); ``None`` when every
    one is ``""`` (a new dict otherwise)."""
    apache, servlet = canonical_paths(path)
    if not apache and not servlet:
        return None
    rest = target[len(path) :]
    return {
        "canonical_path": apache,
        "canonical_target": apache and apache + rest,
        "servlet_path": servlet,
        "servlet_target": servlet and servlet + rest,
    }


# An absolute request target's scheme and authority ("http://host"), which Apache takes off.
_ABSOLUTE: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^/]*", re.IGNORECASE)
# A Java path parameter (";jsessionid=1"), which servlet containers take off each segment.
_PATH_PARAMETER: Final = re.compile(r";[^/]*")


def canonical_paths(path: str) -> tuple[str, str]:
    """The decoded ``path`` as the server behind Apache sees it: ``(apache, servlet)``, each
    ``""`` when it is ``path`` itself (most paths: one check of a few substrings).

    Apache maps and proxies the path of an absolute target (``GET http://host/x``) with its
    ``//`` merged, ``/./`` removed and ``seg/../`` resolved, while the log keeps the request
    as sent: ``/mgmt//tm/util/bash`` reaches a backend as ``/mgmt/tm/util/bash``. ``servlet``
    is that path with every segment's ``;parameters`` removed and resolved again, as Tomcat
    and Jetty map it (``/x/..;/y`` is ``/y`` there); ``""`` when it is ``apache`` too. Going
    above the root stays at the root (Apache refuses such a request: nothing is served).
    """
    if (
        "//" not in path
        and "/." not in path
        and ";" not in path
        and (path[:1] == "/" or _ABSOLUTE.match(path) is None)
    ):
        return "", ""
    apache = _resolved(path)
    servlet = _resolved(_PATH_PARAMETER.sub("", apache)) if ";" in apache else apache
    return ("" if apache == path else apache), ("" if servlet in (apache, path) else servlet)


def _resolved(path: str) -> str:
    """``path`` without an absolute target's scheme and authority, with ``//`` merged and
    ``.`` and ``..`` segments resolved (not above the root), as ``ap_normalize_path`` does
    with ``MergeSlashes On`` (the default)."""
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
