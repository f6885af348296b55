"""Page titles in the path: a wiki's ``/wiki/<Title>`` names an article, not a file.

MediaWiki (and the wikis that copy its short URLs) answers ``/wiki/.htaccess`` with the article
about ``.htaccess``: the title is text the wiki renders, not a file the server sends. So a rule
that names a file by its path may pass over a request for ``/wiki/<one segment>`` that the wiki
*answered* (2xx, 304). It may not when:

- the path climbs (``/wiki/../.htaccess``: decoding read a ``..``, the server resolved it);
- the answer was not a page (404, 403: a static ``/wiki/`` folder refusing a real dotfile);
- the title has a second segment (``/wiki/.git/config``: a wiki's subpage, or a folder's file);
- it names an environment file (``/wiki/.env``) or another file of credentials or a
  repository's internals (``.htpasswd``, ``.git``, ``.aws``, ``.ssh``, ``.netrc``,
  ``.bash_history``, ``.DS_Store``...: :data:`~lwsyslog.rules.content.SECRET_NAMES`): a static
  folder serving one answers 200 too, and leaks what it holds (``.DS_Store`` the folder's file
  names, what a scanner probes in every folder it finds), while no wiki has an article of that
  title worth the risk. ``.htaccess`` (configuration, the usual article) stays an article.
"""

from __future__ import annotations

from typing import Final

from lwsyslog.events import Event
from lwsyslog.rules.content import SECRET_NAMES, answered

__all__ = ["wiki_title"]

_PREFIX: Final = "/wiki/"


def wiki_title(event: Event, path: str) -> bool:
    """Whether ``path`` (decoded, lower-cased) of ``event`` is a wiki article answered
    (module doc)."""
    if not answered(event) or not path.startswith(_PREFIX):
        return False
    title = path[len(_PREFIX) :]
    return (
        bool(title)
        and "/" not in title
        and ".." not in title
        and not title.startswith(".env")
        and title not in SECRET_NAMES
    )
