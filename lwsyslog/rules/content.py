"""Paths under which an application serves files as content: a code browser or a WebDAV share.

A forge's code browser (Gitea, Forgejo, GitLab, GitHub-like: ``/owner/repo/src/branch/main/``,
``/group/project/-/blob/main/``, ``/owner/repo/blob/main/``; cgit: ``/cgit/repo.git/tree/``)
shows a repository's files, dotfiles and ``shell.php`` included; a Nextcloud/ownCloud WebDAV
share (``/remote.php/dav/files/alice/``, ``/remote.php/webdav/``) syncs a user's files,
``.git/`` folders and Finder's ``._photo.jpg`` included. Neither runs or discloses what it
serves beyond what it is for, so the rules that name a file by its path (dotfiles, source,
backups, web-shell names) pass these paths over.

An attacker can prefix any path, but a prefix changes the resource asked for: on a server
without such an application the request finds nothing. What would undo that is a climb out of
the prefix (``/remote.php/dav/files/../../.env``, in any spelling decoding reads as ``..``),
or a script before the route that runs with the rest as its path info
(``/x/shell.php/src/branch/main/a``): a path with either is never passed over.
"""

from __future__ import annotations

from lwsyslog.matching.linear import Regex, linear_search

__all__ = ["served_as_content"]

# Owner and repository: names as forges allow them ("socket.io", "vue.js", "my_repo-2").
_NAME = r"[a-z0-9_][a-z0-9_.-]{0,99}"
_ROUTE = linear_search(
    Regex(
        # Nextcloud / ownCloud WebDAV, at the root or in its usual install folder.
        r"^(?P<frag>(?:/(?:nextcloud|owncloud|cloud|nc|oc))?/(?:remote|public)\.php"
        r"/(?:dav/(?:files|uploads)/[^/]+|webdav))/[^/]"
        # Gitea / Forgejo: /owner/repo/src/branch/main/..., also raw, media, blame; tag, commit.
        rf"|^(?P<frag1>/{_NAME}/{_NAME})/(?:src|raw|media|blame)/(?:branch|tag|commit)/[^/]+/[^/]"
        # GitLab, subgroups included: /group/sub/project/-/blob/main/...
        rf"|^(?P<frag2>(?:/{_NAME}){{2,4}})/-/(?:blob|raw|tree|blame)/[^/]+/[^/]"
        # GitHub-like: /owner/repo/blob/main/...
        rf"|^(?P<frag3>/{_NAME}/{_NAME})/(?:blob|tree|raw|blame)/[^/]+/[^/]"
        # cgit: /cgit/repo.git/tree/..., plain, blob... (the branch is in ?h=): under cgit's
        # usual folder or program, or below a repository named *.git.
        rf"|^(?P<frag4>(?:/cgi-bin/cgit\.cgi|/cgit)(?:/{_NAME}){{1,3}}|(?:/{_NAME}){{0,2}}/{_NAME}\.git)"
        r"/(?:tree|plain|blob|blame|log)/[^/]"
    )
)
# What a server runs when it is a segment's extension (the rest of the path is then the
# script's path info).
_SCRIPTS = frozenset(
    {"php", "php3", "php4", "php5", "php7", "phtml", "phar", "asp", "aspx", "ashx", "asmx",
     "jsp", "jspx", "cgi", "pl", "py", "rb", "cfm", "shtml", "dll", "exe"}
)  # fmt: skip


def served_as_content(path: str) -> bool:
    """Whether ``path`` (decoded, lower-cased) names a file under a code browser's or a
    WebDAV share's route, without climbing out of it or passing through a script first."""
    if ".." in path:
        return False
    prefix = _ROUTE.search(path)
    if prefix is None:
        return False
    if prefix.startswith(("/remote.php", "/public.php", "/cgi-bin/cgit.cgi/")):
        return True
    if "/remote.php/" in prefix:
        return True
    return not any(
        segment.rpartition(".")[2] in _SCRIPTS for segment in prefix.split("/") if "." in segment
    )
