"""Sensitive files: probes for secrets, source, backups and server internals."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from lwsyslog.checks import Checker, boolean
from lwsyslog.events import Event
from lwsyslog.formats.addresses import is_local_client
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, NOT_FOUND, PathRule, Rule, RuleMatch
from lwsyslog.rules.dotnames import FORMAT_NAMES, MAX_PASSED, passed_over
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.rules.titles import wiki_title
from lwsyslog.severity import Severity

__all__ = [
    "SensitiveBackupFile",
    "SensitiveDotfile",
    "SensitiveHiddenPath",
    "SensitiveLogFile",
    "SensitiveSecretFile",
    "SensitiveServerStatus",
    "is_local_client",
]


class SensitiveDotfile(PathRule):
    """Version-control metadata, environment files and other dotfiles holding secrets."""

    id = "sensitive-dotfile"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "dotfile with secrets or source requested (/.env, /.git/, /.svn/, .htpasswd)"
    # The name ends where a segment or an extension starts (matched, not reported).
    pattern = Regex(
        r"(?P<frag>(?:^|/)\.(?:env|git|svn|hg|bzr|cvs|htpasswd|htaccess|htdigest|ds_store|aws|ssh"
        r"|bash_history|zsh_history|mysql_history|psql_history|npmrc|pypirc|dockercfg|dockerenv"
        r"|docker|kube|idea|vscode|ftpconfig|netrc|pgpass|my\.cnf|user\.ini|boto|s3cfg"
        r"|git-credentials|gitconfig|composer|config|bashrc|bash_profile|profile|cshrc|tcshrc|zshrc"
        r"|kshrc|forward|history|sh_history|rhosts|shosts|plan|passwd|addressbook|lynx_cookies"
        r"|www_?acl|viminfo|lesshst|xauthority|login))(?:\n?$|[/._~-])"
    )
    segments = frozenset(
        {
            ".env", ".env.local", ".env.dev", ".env.development", ".env.prod", ".env.production",
            ".env.staging", ".env.test", ".env.example", ".env.sample", ".env.bak", ".env.old",
            ".env.save", ".env.backup", ".env~", ".env.swp", ".git", ".gitconfig",
            ".git-credentials", ".svn", ".hg", ".bzr", ".cvs", ".htpasswd", ".htaccess",
            ".htdigest", ".ds_store", ".aws", ".ssh", ".bash_history", ".zsh_history",
            ".mysql_history", ".psql_history", ".npmrc", ".pypirc", ".dockercfg", ".dockerenv",
            ".docker", ".kube", ".idea", ".vscode", ".ftpconfig", ".netrc", ".pgpass", ".my.cnf",
            ".user.ini", ".boto", ".s3cfg", ".composer", ".config", ".bashrc", ".bash_profile",
            ".profile", ".cshrc", ".tcshrc", ".zshrc", ".kshrc", ".forward", ".history",
            ".sh_history", ".rhosts", ".shosts", ".plan", ".passwd", ".addressbook",
            ".lynx_cookies", ".www_acl", ".wwwacl", ".viminfo", ".lesshst", ".xauthority",
            ".login",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/.env", status=404),
        AccessSample(target="/app/.git/config", status=200),
        AccessSample(target="/%2eenv.production", status=404),
        AccessSample(target="/.svn/wc.db", method="HEAD", status=404),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/.aws/credentials"),
        AccessSample(target="/.bashrc", status=404),
        AccessSample(target="/~bob/.rhosts", status=404),
        AccessSample(target="/remote.php/dav/files/../../.env", status=200),
        AccessSample(target="/remote.php/dav/files/alice/%2e%2e/%2e%2e/.git/config", status=200),
        AccessSample(target="/cms/index.php/src/branch/main/.env", status=200),
        # Not a wiki's article: missing, climbing, a folder's file, an environment file.
        AccessSample(target="/wiki/.htaccess", status=404),
        AccessSample(target="/wiki/%2e%2e/.htaccess", status=200),
        AccessSample(target="/wiki/.git/config", status=200),
        AccessSample(target="/wiki/.env", status=200),
        # A wiki title naming credentials or a repository's internals: no article's risk.
        AccessSample(target="/wiki/.htpasswd", status=200),
        AccessSample(target="/wiki/.git", status=200),
        AccessSample(target="/wiki/.aws", status=200),
        # A content route the application did not answer: a probe whatever the prefix.
        AccessSample(target="/x/y/blob/z/.env", status=404),
        AccessSample(target="/remote.php/webdav/x/.env", status=403),
        # Under a code browser: no repository holds .git; a committed secret is published.
        AccessSample(target="/x/y/blob/z/.git/config", status=200),
        AccessSample(target="/owner/repo/raw/branch/main/.env.production", status=200),
        AccessSample(target="/group/project/-/blob/main/deploy/.htpasswd", status=200),
    )
    must_not_match = (
        AccessSample(target="/.well-known/acme-challenge/x1y2z3"),
        AccessSample(target="/docs/environment-variables"),
        AccessSample(target="/static/app.env.js"),
        AccessSample(target="/profile/settings"),
        AccessSample(target="/history.html"),
        AccessSample(target="/owner/repo/raw/branch/main/.env.example"),
        AccessSample(target="/remote.php/dav/files/alice/project/.git/config"),
        AccessSample(target="/group/sub/project/-/blob/main/.htaccess"),
        AccessSample(target="/group/sub/project/-/blob/main/.npmrc", status=304),
        AccessSample(target="/owner/repo/src/branch/main/.env.sample", status=200),
        # A WebDAV share answering its owner's sync client: their own project folder.
        AccessSample(target="/remote.php/webdav/code/app/.env", status=200),
        AccessSample(
            target="/api/v4/projects/alice%2Fsite/repository/files/.env.example/raw?ref=main"
        ),
        # A wiki's article about the file.
        AccessSample(target="/wiki/.htaccess", status=200),
    )

    def served_as_content(self, event: Event, path: str) -> bool:
        """Also a wiki's article named like a dotfile (:func:`wiki_title`)."""
        return super().served_as_content(event, path) or wiki_title(event, path)


def _not_starting(word: str) -> str:
    """A regex for a path-segment rest that is not ``word`` nor starts with it followed by the
    segment's end: RE2 has no look-ahead, so the refusal is spelled out letter by letter."""
    if not word:
        return r"[^/]"
    head = re.escape(word[0])
    return rf"(?:$|/|[^/{head}]|{head}{_not_starting(word[1:])})"


class SensitiveHiddenPath(PathRule):
    """A hidden file or directory (a name starting with a dot) anywhere in the path.

    Unix keeps settings, history and keys in dotfiles (``.perf``, ``.cobalt``, ``.netrc``);
    a web site links none of them, so a request for one is a probe for what the other rules do
    not name. ``/.well-known/`` is the one dot directory served on purpose (ACME, security.txt,
    app links), and a dot not followed by a letter (``/./``, ``/../``) is no name.
    """

    id = "sensitive-hidden-path"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "hidden (dot-named) file or directory requested (/.perf, /.cobalt/)"
    pattern = Regex(r"(?:^|/)(?P<frag>\.(?:[a-vx-z_]|w" + _not_starting("ell-known") + r")[^/]*)")
    # Spelled out, so that the literal scan selects the rule by ``/.a`` ... ``/._``.
    trigger = "/\\.(?:" + "|".join("abcdefghijklmnopqrstuvwxyz_") + ")"
    must_match = (
        AccessSample(target="/.perf", status=404),
        AccessSample(target="/.cobalt/alert/service.cgi?service=x", status=404),
        AccessSample(target="/.nsf/../winnt/win.ini", status=404),
        AccessSample(target="/~bob/.pinerc", status=404),
        AccessSample(target="/.well-knownx", status=404),
        AccessSample(target="/.w", status=404),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/.xinitrc"),
        AccessSample(target="/nextcloud/remote.php/webdav/..%2f..%2f.perf", status=404),
        # A format name is the last segment only; hidden names before it still count.
        AccessSample(target="/.json/x", status=404),
        AccessSample(target="/.perf/.json", status=404),
        AccessSample(target="/.rsss", status=404),
        AccessSample(target="/wiki/.bashrc", status=404),
        AccessSample(target="/wiki/../.bashrc", status=200),
        AccessSample(target="/wiki/.netrc", status=200),
        AccessSample(target="/owner/repo/src/branch/main/.github/workflows/ci.yml", status=404),
        # Only where such software serves them: at the root, under node_modules; not .netrc.
        AccessSample(target="/x/.auth/me", status=404),
        AccessSample(target="/.vite/deps/react.js", status=404),
        AccessSample(target="/~bob/.netrc", status=404),
        AccessSample(target="/.net", status=404),
        # A hidden file after a passed-over name.
        AccessSample(target="/.auth/.perf", status=404),
        AccessSample(target="/tags/.net/.perf/.json", status=404),
    )
    must_not_match = (
        AccessSample(target="/.well-known/acme-challenge/x1y2z3"),
        AccessSample(target="/.well-known/security.txt"),
        AccessSample(target="/docs/./intro.html"),
        AccessSample(target="/a/../b/index.html"),
        AccessSample(target="/static/app.min.js"),
        AccessSample(target="/search?q=/.env"),
        AccessSample(target="/v1.2/notes"),
        AccessSample(
            target="/remote.php/dav/files/alice/Photos/._photo.jpg", method="PUT", status=201
        ),
        AccessSample(target="/owner/repo/src/branch/main/.github/workflows/ci.yml"),
        # A feed or format suffix on its own (feed readers guess /.rss; Reddit-style /.json).
        AccessSample(target="/.rss", status=404),
        AccessSample(target="/blog/.atom", status=404),
        AccessSample(target="/r/python/.json?limit=10"),
        AccessSample(target="/wiki/.bashrc", status=200),
        AccessSample(target="/wiki/.gitignore", status=200),
        # Dot folders served on purpose, and tags and packages named for .NET.
        AccessSample(target="/.auth/me"),
        AccessSample(target="/.auth/login/aad/callback"),
        AccessSample(target="/.within.website/x/cmd/anubis/api/pass-challenge?redir=%2F"),
        AccessSample(target="/node_modules/.vite/deps/react.js?v=5c3b2a1f"),
        AccessSample(target="/blog/tags/.net"),
        AccessSample(target="/questions/tagged/.net-core"),
        AccessSample(target="/packages/.NETStandard.Library"),
        # A forge's file history, web editor and API, and Bitbucket Server's browser.
        AccessSample(target="/alice/site/-/commits/main/.gitlab-ci.yml"),
        AccessSample(target="/alice/site/-/edit/main/.gitlab-ci.yml"),
        AccessSample(target="/api/v4/projects/3/repository/files/.gitlab-ci.yml/raw?ref=main"),
        AccessSample(target="/alice/site/commits/main/.github/workflows/ci.yml"),
        AccessSample(target="/alice/site/_edit/main/.gitea/workflows/build.yaml"),
        AccessSample(target="/alice/site/commits/branch/main/.editorconfig"),
        AccessSample(target="/projects/OPS/repos/infra/browse/.gitignore"),
    )

    def served_as_content(self, event: Event, path: str) -> bool:
        """Also a wiki's article named like a dotfile (:func:`wiki_title`)."""
        return super().served_as_content(event, path) or wiki_title(event, path)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first hidden name that is a hidden file (:func:`passed_over`), unless it is a
        feed or format suffix (``/.rss``, ``/.json``) ending the path: that names a format of
        the page before it, not a hidden file."""
        match = super().evaluate(event, view)
        if match is None or self.linear is None:
            return match
        path = view.lower("path")
        name, at = match.fragment, path.find("/" + match.fragment)
        for _ in range(MAX_PASSED):
            if at < 0 or not passed_over(path, at, name):
                break
            start = at + 1 + len(name)
            found = self.linear.search(path[start:])
            if found is None:
                return None
            name, at = found, path.find("/" + found, start)
        if name in FORMAT_NAMES and at == path.rfind("/"):
            # The format name is the last segment, and no hidden file comes before it.
            return None
        return RuleMatch("path", name)


class SensitiveBackupFile(PathRule):
    """Editor, backup and dump files that expose source or data when served as plain text."""

    id = "sensitive-backup-file"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "backup, editor-swap or database-dump file requested (*.bak, *.sql, *~)"
    extensions = frozenset(
        {
            "bak", "old", "orig", "save", "swp", "swo", "sql", "sqlite", "sqlite3", "mdb",
            "bkp", "backup", "dump", "php~", "inc~", "pem", "ppk", "kdbx",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/wp-config.php.bak", status=404),
        AccessSample(target="/backup/db.sql", status=200),
        AccessSample(target="/config.php~", status=404),
        ErrorSample(message="File does not exist: /var/www/html/.index.php.swp"),
    )
    must_not_match = (
        AccessSample(target="/blog/sql-tips"),
        AccessSample(target="/downloads/report-2024.pdf"),
        AccessSample(
            target="/remote.php/dav/files/alice/backup/shop.sql", method="PUT", status=201
        ),
    )


# Files a server runs rather than sends: served as text they disclose source and secrets.
_SCRIPT = (
    r"\.(?:php[3-7]?|phtml|aspx?|ascx|asa|asmx|ashx|jspx?|cfml?|pl|py|rb|cgi|inc|config|ini|conf"
    r"|java|cs|vb)"
)


class SensitiveSourceDisclosure(PathRule):
    """A script's source asked for under another name, or in a form the server will not run.

    A copy beside the script (``index.php.bak``, ``.bck``, ``.old2``, ``.orig``, ``.txt``,
    ``.copy``, ``.tmp``, ``.swp``, ``index.php~``, ``Copy of index.php``), Windows tricks that
    reach the file but not its handler (a trailing dot or space, NTFS ``::$DATA``, IIS's
    ``+.htr``), a copy saved with a space before the name (``/ index.php``: no link makes
    one, a browser strips the space), and included or generated sources (``.inc``, a JSP's
    ``.jsp.java``). Plain ``/about-us~draft``, ``/notes.txt`` or a published
    ``/misc/client.java`` (a site that shares code) is no script source and stays quiet.
    """

    id = "sensitive-source-disclosure"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "script source requested (index.php.bak, .php~, ::$DATA, .inc, .jsp.java)"
    # Selected by what follows the script's extension, never by the extension alone: ".php"
    # is in half the requests of a PHP site.
    trigger = (
        r"~|::|\+\.htr|copy[ _()]| copy|/\s|\.inc|\.phps|cvs/|_darcs/|#|\.(?:php[3-7]?|phtml)[._ -]"
        r"|\.(?:aspx?|ascx|asa|asmx|ashx|jspx?)[._ -]|\.(?:cfml?|pl|py|rb|cgi)[._ -]"
        r"|\.(?:config|ini|conf|cs|vb)[._ -]"
    )
    pattern = Regex(
        r"(?P<frag>[^/]*"
        + _SCRIPT
        + r"(?:[._-](?:bak\d?|bck|bk|bkp|old\d?|orig|original|copy|tmp|temp|txt|save|sav|swp|swo"
        r"|dist|back|backup|src|source|\d|bac|saved|cpy|new|default|java|swn|rej|un~|kate-swp"
        r"|\$\$\$|~\d{0,3}~?)|~\d?|\.|\s|#|::\$?data\$?|\+\.htr))$"
        r"|(?P<frag1>[^/]*\.(?:inc|jspx?\.java|phps))$"
        # An archive of a web script (a published .pl or .py may ship compressed).
        r"|(?P<frag4>[^/]*\.(?:php[3-7]?|phtml|aspx?|jspx?|cfml?|inc|config)\.(?:zip|gz|tgz"
        r"|tar|tar\.gz|rar|7z|bz2))$"
        # Emacs' auto-save copy (#index.php#), and the names Windows Explorer and macOS Finder
        # give a copy (index - Copy.php, index copy.php, index (copy).php).
        r"|(?:^|/)(?P<frag5>#[^/]*" + _SCRIPT + r"#)$"
        r"|(?P<frag6>[^/]*(?:\s-\s|\s)\(?copy(?:\s\(\d{1,3}\))?\)?" + _SCRIPT + r")$"
        # Version-control internals that are no dotfiles: CVS and darcs.
        r"|(?:^|/)(?P<frag7>cvs/(?:entries|root|repository|tag)(?:\.log|\.extra)?)$"
        r"|(?:^|/)(?P<frag8>_darcs/(?:prefs|patches|inventory|pristine|hashed_inventory))(?:/|$)"
        r"|(?:^|/)(?P<frag2>copy(?:[ _]\(\d+\))?(?:[ _]of)?[ _][^/]*\.[a-z0-9]{1,5})$"
        r"|/(?P<frag3>\s[^/]*" + _SCRIPT + r")$"
    )
    must_match = (
        AccessSample(target="/index.php.bck", status=404),
        AccessSample(target="/wp-config.PHP.Old", status=404),
        AccessSample(target="/admin/login.aspx.txt", status=404),
        AccessSample(target="/Copy_of_index.php", status=404),
        AccessSample(target="/default.asp::$DATA", status=200),
        AccessSample(target="/default.asp+.htr", status=404),
        AccessSample(target="/includes/config.inc", status=200),
        AccessSample(target="/WEB-INF/classes/Login.jsp.java", status=404),
        AccessSample(target="/index.php.", status=200),
        AccessSample(target="/%20index.php", status=404),
        ErrorSample(message="File does not exist: /var/www/html/settings.py.orig"),
        AccessSample(target="/index.php.BAC", status=404),
        AccessSample(target="/index.php.saved", status=404),
        AccessSample(target="/index.php.~1~", status=404),
        AccessSample(target="/login.asp.$$$", status=404),
        AccessSample(target="/index.php.zip", status=404),
        AccessSample(target="/index.php.java", status=404),
        AccessSample(target="/source.phps", status=404),
        AccessSample(target="/%23index.php%23", status=404),
        AccessSample(target="/index.php%23", status=404),
        AccessSample(target="/index%20-%20Copy.php", status=404),
        AccessSample(target="/index%20copy.php", status=404),
        AccessSample(target="/CVS/Entries", status=404),
        AccessSample(target="/_darcs/prefs/", status=404),
    )
    must_not_match = (
        AccessSample(target="/about-us~draft"),
        AccessSample(target="/notes.txt"),
        AccessSample(target="/robots.txt"),
        AccessSample(target="/downloads/setup.exe.sig"),
        AccessSample(target="/blog/copy-editing-tips.html"),
        AccessSample(target="/index.php?page=2"),
        AccessSample(target="/includes/"),
        AccessSample(target="/misc/client.java"),
        AccessSample(target="/docs/%20notes.txt"),
        AccessSample(target="/search.php?q=%20index.php"),
        AccessSample(target="/downloads/backup-tool.pl.gz"),
        AccessSample(target="/cvs/entries-2024.html"),
        AccessSample(target="/blog/copy-of-the-week.php"),
        AccessSample(target="/docs/webpack.config.js"),
        AccessSample(target="/news/new.php"),
        AccessSample(target="/tags/%23php"),
        AccessSample(target="/owner/repo/raw/branch/main/includes/config.inc"),
    )


_SCRIPT_RAW = r"[^/?]*\.(?:php\d?|phtml|aspx?|asa|jspx?|cfml?|pl|cgi)"
# A letter or digit percent-encoded: no browser encodes one (RFC 3986 says not to). Spelled
# out, so that the literal scan selects the rule by these 62 three-character strings.
_ENCODED_ALNUM = (
    "%(?:" + "|".join(f"{ord(c):02x}" for c in string.digits + string.ascii_letters) + ")"
)
_ENCODED_SUFFIX = linear_search(
    Regex(
        # A script's name, then an encoded dot, space, slash or backslash, or a backslash,
        # that ends the path ...
        rf"(?P<frag>{_SCRIPT_RAW}(?:%(?:25)?(?:20|2e|5c|2f)|\\)+)(?:$|\?)"
        # ... or an encoded NUL, which ends the name for the C library that opens the file ...
        rf"|(?P<frag1>{_SCRIPT_RAW}%(?:25)?00)"
        # ... or the last segment's extension with a letter or digit encoded (.ph%70).
        rf"|^[^?]*/(?P<frag2>[^/?]*\.(?:[a-z0-9]|{_ENCODED_ALNUM})*{_ENCODED_ALNUM}[a-z0-9]*)"
        r"(?:$|\?)"
    )
)


class SensitiveEncodedSuffix(Rule):
    """A script's name followed by an encoded ``.``, space, ``/`` or ``\\`` at the end of the
    path (``/index.jsp%20``, ``/login.php%2e``, ``/default.asp%5c``, ``/index.php\\``) or by an
    encoded NUL (``/index.php%00``), or a file extension with a letter encoded
    (``/index.ph%70``): the old tricks that reach the file on disk but not the handler that
    runs it, so the server sends the source. A browser never encodes a letter or a digit.

    Decoding makes ``index.php%2f`` read like ``index.php/`` (an ordinary PATH_INFO URL), so
    the rule reads the target as logged.
    """

    id = "sensitive-encoded-suffix"
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "script name with an encoded . / \\ space or NUL after it (index.jsp%20)"
    logs = ACCESS
    form = "raw"
    triggers = {
        "target": r"\.(?:php|asp|aspx|jsp|jspx|cfm|pl|cgi|phtml)(?:%(?:20|2e|5c|2f|25|00)|\\)"
        rf"|\.[a-z0-9]*{_ENCODED_ALNUM}"
    }
    must_match = (
        AccessSample(target="/index.jsp%20", status=200),
        AccessSample(target="/login.php%2e", status=404),
        AccessSample(target="/default.asp%5c", status=404),
        AccessSample(target="/app/index.php%252f?x=1", status=404),
        AccessSample(target="/index.php\\", status=404),
        AccessSample(target="/index.php%00", status=404),
        AccessSample(target="/download.php%00.txt", status=404),
        AccessSample(target="/index.ph%70", status=404),
        AccessSample(target="/global.%61sa?x=1", status=404),
    )
    must_not_match = (
        AccessSample(target="/index.php/page/2"),
        AccessSample(target="/index.php?q=a%20b"),
        AccessSample(target="/docs/index.php%20guide.html"),
        AccessSample(target="/%7Ebob/index.html"),
        AccessSample(target="/report%202024.pdf"),
        AccessSample(target="/search.php?file=a.p%64f"),
        AccessSample(target="/files/r%C3%A9sum%C3%A9.pdf"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The script name and the encoded suffix, in the target as logged."""
        target = view.raw("target")
        if not target:
            return None
        fragment = _ENCODED_SUFFIX.search(fold(target))
        return None if fragment is None else RuleMatch("target", fragment)


class SensitiveSecretFile(PathRule):
    """Well-known names of private keys, credential and configuration files."""

    id = "sensitive-secret-file"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "credential, key or configuration file requested (id_rsa, web.config, ...)"
    segments = frozenset(
        {
            "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials", "secrets.yml",
            "database.yml", "docker-compose.yml", "web.config", "phpinfo.php", "info.php",
            "config.inc.php", "configuration.php.bak", "wp-config.txt", "local.xml",
            "settings.php.bak", "backup.zip", "backup.tar.gz", "www.zip", "site.zip",
            "htdocs.zip", "dump.sql.gz", "php.ini",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/.ssh/id_rsa", status=404),
        AccessSample(target="/app/config/database.yml", status=404),
        AccessSample(target="/phpinfo.php", status=200),
        AccessSample(target="/php.ini", status=404),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/backup.zip"),
    )
    must_not_match = (
        AccessSample(target="/account/credentials-help"),
        AccessSample(target="/docs/config/overview"),
        AccessSample(target="/docs/php.ini-guide"),
        AccessSample(target="/owner/repo/blob/main/docker-compose.yml"),
    )


class SensitiveLogFile(PathRule):
    """A server or application log asked for over the web (``/access_log``, ``/sqlnet.log``).

    Logs hold addresses, session ids, tokens in URLs and error details; a site links none of
    them, so asking for one is a probe, and a 200 is the disclosure itself.
    """

    id = "sensitive-log-file"
    content_routes_pass = True
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "server or application log file requested (/access_log, /logs/error.log)"
    # Servers' default names count at any answer (a 200 is a disclosure); any other ``.log``
    # only answered 404/410, because a site may publish one (a sample for a tutorial).
    segments = frozenset(
        {
            "access_log", "error_log", "access-log", "error-log", "ssl_error_log",
            "access.log", "error.log",
        }
    )  # fmt: skip
    extensions = frozenset({"log"})
    must_match = (
        AccessSample(target="/access_log", status=404),
        AccessSample(target="/logs/error_log", status=404),
        AccessSample(target="/sqlnet.log", status=404),
        AccessSample(target="/install.log", status=404),
        AccessSample(target="/logs/access.log", status=200),
        AccessSample(target="/logs/access-log", status=200),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/debug.log"),
    )
    must_not_match = (
        AccessSample(target="/blog/"),
        AccessSample(target="/changelog"),
        AccessSample(target="/catalog/log-cabins"),
        AccessSample(target="/logs/"),
        AccessSample(target="/log/in"),
        AccessSample(target="/img/logo.png"),
        AccessSample(target="/search?q=error.log"),
        AccessSample(target="/misc/sample.log", status=200),
        AccessSample(target="/remote.php/webdav/logs/error.log", status=200),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A default log name at any answer; any other ``.log`` only when not found."""
        found = super().evaluate(event, view)
        if found is None or event.log != "access" or getattr(event, "status", None) in NOT_FOUND:
            return found
        # A name match reports the name (also with a release suffix); an extension match reports
        # the last segment, which is then no default name.
        by_extension = found.fragment.endswith(".log") and found.fragment not in self.segments
        return None if by_extension else found


class SensitiveServerStatus(PathRule):
    """Apache's ``server-status``/``server-info`` pages, requested from off the host.

    By default not from a client of the local network either (private, CGNAT, loopback,
    link-local and unique-local addresses, :func:`is_local_client`): that is a monitoring
    host scraping ``/server-status?auto`` every few seconds, not a probe.
    ``[rules.sensitive-server-status] ignore_local_clients = false`` reports those too.
    """

    id = "sensitive-server-status"
    categories = ("sensitive-file",)
    severity = Severity.MEDIUM
    description = "mod_status/mod_info page requested by a remote client"
    # The same pages of mod_perl (Apache::Status), Stronghold and mod_jk's status worker.
    segments = frozenset(
        {
            "server-status", "server-info", "balancer-manager", "perl-status",
            "stronghold-status", "stronghold-info", "jkstatus", "jk-status",
        }
    )  # fmt: skip
    options: ClassVar[Mapping[str, Checker]] = {"ignore_local_clients": boolean}
    #: Whether a client of the local network is ignored (see the class docstring).
    ignore_local: ClassVar[bool] = True
    must_match = (
        AccessSample(target="/server-status", status=403),
        AccessSample(target="/server-info?config", status=200),
        AccessSample(target="/perl-status?inc", status=404),
        AccessSample(target="/stronghold-status", status=404),
        AccessSample(target="/jkstatus", status=401),
        ErrorSample(
            message="AH01630: client denied by server configuration: /var/www/html/server-status"
        ),
    )
    must_not_match = (
        AccessSample(target="/server-status?auto", client_ip="127.0.0.1"),
        AccessSample(target="/status/server-health"),
        AccessSample(target="/docs/perl-status-page.html"),
    )

    @classmethod
    def configured(cls, options: Mapping[str, Any]) -> Self:
        """The rule, reporting local clients too when ``ignore_local_clients`` is false."""
        if options.get("ignore_local_clients", True):
            return cls()
        reporting = type(
            cls.__name__,
            (cls,),
            {"__doc__": cls.__doc__, "__module__": cls.__module__, "ignore_local": False},
        )
        instance: Self = reporting()
        return instance

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A status page asked for by a client that is not the host itself (nor, by
        default, on its local network)."""
        found = super().evaluate(event, view)
        if found is None:
            return None
        client = event.client_ip
        if client in _LOOPBACK or (self.ignore_local and is_local_client(client)):
            return None
        return found


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
