"""Page titles in the path: a wiki's ``/wiki/<Title>`` names an article, not a file.

MediaWiki (and the wikis that copy its short URLs) answers ``/wiki/.htaccess`` with the article
about ``.htaccess``: the title is text the wiki renders, not a file the server sends. So a rule
that names a file by its path may pass over a request for ``/wiki/<one segment>`` that the wiki
*answered* (2xx, 304). It may not when:

- the path climbs (``/wiki/../.htaccess``: decoding read a ``..``, the server resolved it);
- the answer was not a page (404, 403: a static ``/wiki/`` folder refusing a real dotfile);
- the title has a second segment (``/wiki/.git/config``: a wiki's subpage, or a folder's file);
- it names an environment file (``/wiki/.env``): a static folder serving one answers 200 too,
  and leaks every secret in it, while no wiki has an article of that title worth the risk.
"""

from __future__ import annotations

from typing import Final

from lwsyslog.events import Event

__all__ = ["wiki_title"]

_PREFIX: Final = "/wiki/"


def wiki_title(event: Event, path: str) -> bool:
    """Whether ``path`` (decoded, lower-cased) of ``event`` is a wiki article answered
    (module doc)."""
    status = getattr(event, "status", None)
    if status is None or not (200 <= status < 300 or status == 304):
        return False
    if not path.startswith(_PREFIX):
        return False
    title = path[len(_PREFIX) :]
    return bool(title) and "/" not in title and ".." not in title and not title.startswith(".env")
