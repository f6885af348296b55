"""A WebDAV user's own files: the paths of a Nextcloud or ownCloud user's share (what the
server answers only to the signed-in owner, not a public link's ``public.php``), and the
requests of a signed-in WebDAV client going through its folders."""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search

__all__ = ["own_share", "owner_syncing"]

_OWN_SHARE = linear_search(
    Regex(r"^(?:/(?:nextcloud|owncloud|cloud|nc|oc))?/remote\.php/(?:dav/files/[^/]+|webdav)/")
)
_SHARE_STARTS = ("/remote.php/", "/nextcloud/", "/owncloud/", "/cloud/", "/nc/", "/oc/")


def own_share(path: str) -> bool:
    """Whether ``path`` is under a Nextcloud or ownCloud user's own WebDAV share
    (``/remote.php/dav/files/alice/``, ``/remote.php/webdav/``)."""
    return path.startswith(_SHARE_STARTS) and _OWN_SHARE.search(path) is not None


# WebDAV's own methods, which only a WebDAV client sends.
_DAV_METHODS = frozenset({"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"})


def owner_syncing(event: Event) -> bool:
    """Whether ``event`` is a WebDAV method of a signed-in user (a user name logged, and not
    refused): a sync client or a file manager (Finder, Windows Explorer, davfs2) going through
    its owner's own folders, which looks for ``.DS_Store``, ``._report.pdf``, ``.hidden`` in
    each one, found or not."""
    return (
        getattr(event, "method", "") in _DAV_METHODS
        and bool(getattr(event, "user", ""))
        and getattr(event, "status", None) not in (401, 403)
    )
