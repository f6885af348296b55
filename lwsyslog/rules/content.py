"""Paths under which an application serves files as content: a code browser or a WebDAV share.

A forge's code browser (Gitea, Forgejo, GitLab, GitHub-like: ``/owner/repo/src/branch/main/``,
``/group/project/-/blob/main/``, ``/owner/repo/blob/main/``, a file's history and web editor,
GitLab's API ``/api/v4/projects/3/repository/files/``; Bitbucket Server:
``/projects/KEY/repos/name/browse/``; cgit: ``/cgit/repo.git/tree/``) shows a repository's
files, dotfiles and ``shell.php`` included; a Nextcloud/ownCloud WebDAV
share (``/remote.php/dav/files/alice/``, ``/remote.php/webdav/``) syncs a user's files,
``.git/`` folders and Finder's ``._photo.jpg`` included. Neither runs or discloses what it
serves beyond what it is for, so the rules that name a file by its path (dotfiles, source,
backups, web-shell names) pass these paths over.

An attacker can prefix any path, but a prefix changes the resource asked for: on a server
without such an application the request finds nothing. What would undo that is a climb out of
the prefix (``/remote.php/dav/files/../../.env``, in any spelling decoding reads as ``..``),
or a script before the route that runs with the rest as its path info
(``/x/shell.php/src/branch/main/a``): a path with either is never passed over. Nor is a
request the application did not answer (404, 403, 401: a probe whatever its prefix; only 2xx
and 304 are content served).

Under a code browser's route (not a WebDAV share, which syncs a user's own folders, ``.git/``
and ``.env`` included, to its authenticated owner) a file holding credentials is still
reported: ``.git`` cannot be a path in a git repository (git refuses to track it), so
``/x/y/blob/main/.git/config`` is no forge's content but a made-up prefix; and an ``.env``
(not a template: ``.env.example``), ``.htpasswd`` or ``.aws/credentials`` a forge does show is
a committed secret published, worth a finding.
"""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.shares import owner_syncing

__all__ = ["SECRET_NAMES", "answered", "served_as_content"]

# Owner and repository: names as forges allow them ("socket.io", "vue.js", "my_repo-2").
_NAME = r"[a-z0-9_][a-z0-9_.-]{0,99}"
_ROUTE = linear_search(
    Regex(
        # Nextcloud / ownCloud WebDAV, at the root or in its usual install folder.
        r"^(?P<frag>(?:/(?:nextcloud|owncloud|cloud|nc|oc))?/(?:remote|public)\.php"
        r"/(?:dav/(?:files|uploads)/[^/]+|webdav))/[^/]"
        # Gitea / Forgejo: /owner/repo/src/branch/main/..., also raw, media, blame, a file's
        # history (commits); tag, commit; and the web editor (/owner/repo/_edit/main/...).
        rf"|^(?P<frag1>/{_NAME}/{_NAME})/(?:src|raw|media|blame|commits)/(?:branch|tag|commit)"
        r"/[^/]+/[^/]"
        rf"|^(?P<frag5>/{_NAME}/{_NAME})/_edit/[^/]+/[^/]"
        # GitLab, subgroups included: /group/sub/project/-/blob/main/..., also a file's
        # history and the editors; its API's repository files (/api/v4/projects/3/...).
        rf"|^(?P<frag2>(?:/{_NAME}){{2,4}})/-/(?:blob|raw|tree|blame|commits|edit)/[^/]+/[^/]"
        rf"|^(?P<frag6>(?:/{_NAME}){{2,4}})/-/ide/project(?:/{_NAME}){{2,4}}/edit/[^/]+/-/[^/]"
        rf"|^(?P<frag7>/api/v4/projects(?:/{_NAME}){{1,4}}/repository/files)/[^/]"
        # GitHub-like: /owner/repo/blob/main/..., a file's history, the editor.
        rf"|^(?P<frag3>/{_NAME}/{_NAME})/(?:blob|tree|raw|blame|commits|edit)/[^/]+/[^/]"
        # Bitbucket Server / Data Center: /projects/KEY/repos/name/browse/..., raw.
        rf"|^(?P<frag8>/projects/{_NAME}/repos/{_NAME})/(?:browse|raw)/[^/]"
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

#: Dotfiles and folders that hold credentials or a repository's internals (lower-cased): no
#: page serves one as content. ``.env`` and its variants (``.env.production``) are matched
#: by prefix, not listed.
SECRET_NAMES = frozenset(
    {".git", ".git-credentials", ".svn", ".hg", ".bzr", ".htpasswd", ".htdigest", ".aws", ".ssh",
     ".npmrc", ".pypirc", ".docker", ".dockercfg", ".kube", ".netrc", ".pgpass", ".my.cnf",
     ".s3cfg", ".boto", ".bash_history", ".zsh_history", ".sh_history", ".mysql_history",
     ".psql_history", ".history", ".ds_store"}
)  # fmt: skip
# Of those, what a repository commits as ordinary files (a registry's .npmrc, a .docker/
# folder of Dockerfiles, a stray .DS_Store, a vendored .svn): a code browser may show them.
_COMMITTED = frozenset({".npmrc", ".docker", ".kube", ".ds_store", ".svn", ".hg", ".bzr"})
_REPO_SECRETS = SECRET_NAMES - _COMMITTED
# An environment file's templates, committed on purpose: no secret in them.
_ENV_TEMPLATES = frozenset(
    {".env.example", ".env.sample", ".env.dist", ".env.template", ".env.defaults", ".env.schema"}
)


def answered(event: Event) -> bool:
    """Whether the server answered ``event`` with content: a 2xx or 304 status."""
    status = getattr(event, "status", None)
    return status is not None and (200 <= status < 300 or status == 304)


def _names_secret(rest: str) -> bool:
    """Whether ``rest`` (the path under a code browser's route) names a credentials file or
    a repository's internals. Set work over the split, C-speed whatever the segment count."""
    names = set(rest.split("/"))
    if not names.isdisjoint(_REPO_SECRETS):
        return True
    return ".env" in rest and any(
        name.startswith(".env") and name not in _ENV_TEMPLATES for name in names
    )


def served_as_content(event: Event, path: str) -> bool:
    """Whether ``path`` (decoded, lower-cased) of ``event`` names a file under a code
    browser's or a WebDAV share's route that the application answered, without climbing out
    of the route, passing through a script first, or (a code browser) naming a secret; or one
    a signed-in WebDAV client asks about (:func:`owner_syncing`), whatever its route."""
    if ".." in path:
        return False
    if owner_syncing(event):
        return True
    if not answered(event):
        return False
    prefix = _ROUTE.search(path)
    if prefix is None:
        return False
    if prefix.startswith(("/remote.php", "/public.php")) or "/remote.php/" in prefix:
        return True
    if _names_secret(path[len(prefix) :]):
        return False
    if prefix.startswith("/cgi-bin/cgit.cgi/"):
        return True
    return not any(
        segment.rpartition(".")[2] in _SCRIPTS for segment in prefix.split("/") if "." in segment
    )
