"""Path traversal: climbing out of the document root, or naming OS files directly."""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView, decode
from lwsyslog.rules.base import BOTH, PatternRule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["TraversalDotDot", "TraversalSystemFile"]

_FIELDS = ("target", "cookie", "referer", "message")
# A file name ends here: not "etc/passwords" or "etc/hosts-file". The character is matched
# (RE2 has no look-ahead) and left out of the report (the name is group "frag...").
_END = r"(?:$|[^\w-])"
# "/etc/" also with empty or "." segments after it ("/etc//passwd", "/etc/./passwd": the
# same file to the OS, a different string to a filter).
_ETC = r"etc/(?:\.?/)*"
# Unix password files, named anywhere in a value.
_PASSWD = rf"(?P<frag>/?{_ETC}(?:passwd|shadow|gshadow|master\.passwd|security/passwd))" + _END
# Before a name that needs no "/": the start of the value, or no part of a word or a file
# name (a separator, a quote), or "..".
_BEFORE = r"(?:^|[^\w.-])"


def _names(ended: str, open_ended: str, first: int, dots: bool = False) -> str:
    """Names after a "/" (reported with it) or after :data:`_BEFORE` (or "..", with
    ``dots``): ``ended`` ones end where a file name does, ``open_ended`` ones need not.
    Report groups ``frag{first}`` to ``frag{first + 3}``."""
    before = r"(?:^|[^\w.-]|\.\.)" if dots else _BEFORE
    return (
        rf"(?P<frag{first}>/(?:{open_ended}))|(?P<frag{first + 1}>/(?:{ended})){_END}"
        rf"|{before}(?P<frag{first + 2}>{open_ended})|{before}(?P<frag{first + 3}>{ended}){_END}"
    )


# What the error log may name only because a request asked for it: the server names its own
# configs (httpd.conf, /etc/httpd/, .htaccess) in ordinary messages.
_MESSAGE_FILES = linear_search(
    Regex(
        rf"{_PASSWD}|"
        + _names(
            rf"{_ETC}(?:group|hosts|issue|motd|crontab|sudoers)|(?:boot|win|system)\.ini"
            r"|global\.asa",
            r"(?:windows|winnt)/system32|system32/(?:cmd\.exe|config/sam)|web-inf/web\.xml"
            r"|inetpub/wwwroot",
            1,
        )
    )
)


# A parameter value that climbs one level to a page (``?return=../index.html``,
# ``?next=../account/``): a site's own relative link, which the browser follows. Names, "/"
# between them, then "/", ".html"/".htm" or nothing (a dotless segment) at the end, then the
# value's end; anchored at the start of what follows "=../". Never a script or a source file
# (".php", ".inc", ".env"): what an include parameter reads.
_PAGE_LINK = linear_search(Regex(r"^(?:[a-z0-9_-]+/)*[a-z0-9_-]+(?:/|\.html?)?(?:[?#&]|$)"))
# The parameters such a link is given in (exact names): where to go next. An include-ish name
# (file, page, lang, path, template, view...) reads what it names, and never is one.
_NAVIGATION = frozenset(
    {"return", "return_to", "returnto", "returnurl", "return_url", "next", "back", "redirect",
     "redirect_to", "goto", "url", "continue", "ref"}
)  # fmt: skip
# What ends a parameter's name on its left: the query's, a pair's or a cookie's separator.
_NAME_START = "?&; /"
# The longest navigation name, and some room: a longer run before "=" is no such name.
_NAME_ROOM = 16
# What no relative link to a page names: a single "../" to one of these is a file read.
_SECRET_WORDS = (
    "config", "passw", "secret", "credential", "database", "backup", "dump",
    "shadow", "id_rsa", "id_dsa", "private",
)  # fmt: skip


def _navigation_name(head: str) -> bool:
    """Whether ``head`` (the text before an "=") ends with a navigation parameter's name."""
    tail = head[-_NAME_ROOM:]
    cut = max(tail.rfind(mark) for mark in _NAME_START)
    return (cut >= 0 or len(head) < _NAME_ROOM) and tail[cut + 1 :] in _NAVIGATION


# How many one-level links one field may hold before the rule stops reading on (a longer run
# of them is reported: the work per line stays bounded).
_MAX_PAGE_LINKS = 8


class TraversalDotDot(PatternRule):
    """``../`` (after every decoding: ``..%2f``, ``%252e%252e``, ``..\\``, overlong UTF-8).

    Also the spellings filters miss: ``....//`` and ``.../`` (what is left after a filter strips
    ``../``), ``..;/`` (a path parameter Tomcat drops), dots or separators written as ``0x2e`` /
    ``0x2f`` / ``0x5c`` (dotdotpwn's hex template), and a run of dots opening a path segment.
    ``%u2216`` (set minus, a backslash look-alike IIS maps to ``\\``) is a separator too.

    One plain ``../`` opening a navigation parameter's value (``return``, ``ReturnUrl``,
    ``next``, ``redirect``, ``goto``, ``url``... by exact name) and leading to a page (a folder,
    ``.html``, a dotless name: ``?return=../index.html``, ``?next=../account/``) is a site's own
    relative link, not a climb. Everything else stays: several levels (``../../``), a filter
    bypass spelling, a file (``../.env``, ``../wp-config.php``, ``?next=../shell.php``), and any
    ``../`` in a parameter that reads what it names (``?lang=../uploads/shell.php``,
    ``?page=../admin/users``, ``?file=../index.php``).
    """

    id = "path-traversal-dotdot"
    categories = ("path-traversal",)
    severity = Severity.HIGH
    description = "parent-directory sequence (../) in the path or a parameter"
    logs = BOTH
    fields = _FIELDS
    pattern = Regex(
        r"(?:^|[/=:;,\s'\"])(?:\.|0x2e){2,}(?:;?[/\u2216]|0x2f|0x5c)+"
        r"(?:(?:\.|0x2e){2,}(?:;?[/\u2216]|0x2f|0x5c)+)*"
        r"|/\.{3,}|(?P<frag>/\.\.)(?:$|[^\w./-])|0x2e0x2e|/\./+\./|/\.//"
    )
    trigger = r"\.\.|0x2e|/\./"
    must_match = (
        AccessSample(target="/cgi-bin/view?file=../../../../etc/passwd"),
        AccessSample(target="/static/..%2f..%2f..%2fetc/shadow"),
        AccessSample(target="/%252e%252e/%252e%252e/windows/win.ini"),
        AccessSample(target="/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir"),
        AccessSample(target="/download?f=..%5c..%5cboot.ini"),
        ErrorSample(
            message="File does not exist: /var/www/html/scripts/..%5c../winnt/system32/cmd.exe"
        ),
        AccessSample(target="/img?src=....//....//....//etc/hosts"),
        AccessSample(target="/app/..;/manager/html"),
        AccessSample(target="/dl?f=/0x2e0x2e/0x2e0x2e/etc/hosts"),
        AccessSample(target="/dl?f=/..0x5c..0x5cwindows/win.ini"),
        AccessSample(target="/dl?f=/..........etc/hosts"),
        AccessSample(target="/dl?f=/.//././/./etc/hosts"),
        AccessSample(target="/dl?f=..%u2216..%u2216boot.ini"),
        AccessSample(target="/dl?f=../.env"),
        AccessSample(target="/download.php?file=../wp-config.php"),
        AccessSample(target="/dl?f=../"),
        AccessSample(target="/login?return=../index.html&f=..%2f..%2fetc/hosts"),
        AccessSample(target="/dl?f=../index.php.bak"),
        AccessSample(target="/dl?f=..;/index.html"),
        # An include parameter reads what it names; a navigation one never reaches a script.
        AccessSample(target="/index.php?lang=../uploads/shell.php"),
        AccessSample(target="/download.php?file=../index.php"),
        AccessSample(target="/view?page=../admin/users"),
        AccessSample(target="/view?template=../index.html"),
        AccessSample(target="/login?next=../uploads/shell.php"),
        AccessSample(target="/login?returnpage=../account/"),
        AccessSample(target="/login?next=../config/"),
        AccessSample(target="/Account/Login?ReturnUrl=../web.config"),
    )
    must_not_match = (
        AccessSample(target="/compare/v1.2..v1.3"),
        AccessSample(target="/items?range=1..10"),
        AccessSample(target="/books/the-end...-or-is-it"),
        AccessSample(target="/search?q=wait...+what%3F"),
        AccessSample(target="/color?hex=0x2e8b57"),
        AccessSample(target="/docs/./intro.html"),
        AccessSample(target="/login?return=../index.html"),
        AccessSample(target="/login?next=../account/", status=302),
        AccessSample(target="/login?next=..%2Faccount%2Fsettings&lang=en"),
        AccessSample(target="/login?Return_To=../account/"),
        AccessSample(target="/docs?goto=../intro.htm#setup"),
        AccessSample(target="/pricing?lang=en&ref=../plans"),
        AccessSample(target="/Account/Login?ReturnUrl=..%2FManage%2FIndex", status=302),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The first climb in ``text``, passing over one-level links to an ordinary page."""
        rest = text
        for _ in range(_MAX_PAGE_LINKS):
            fragment = self.linear.search(rest)
            # A one-level match reports "=../" at the first "=../" (the leftmost match).
            if fragment != "=../":
                return fragment
            start = rest.find("=../") + 4
            page = _PAGE_LINK.search(rest[start:])
            if (
                page is None
                or any(word in page for word in _SECRET_WORDS)
                or not _navigation_name(rest[: start - 4])
            ):
                return fragment
            rest = rest[start:]
        return self.linear.search(rest)


def _encoded_separators(path: str) -> str:
    """``path`` (as parsed) decoded and lower-cased, its own "/" read as "_": the only
    separators left are the encoded ones (``%2f``, ``%252f``, ``%5c``...), so a system file
    is found only where the request encoded its path (``/file/%252fetc%252fpasswd``), not in
    a site's own path segments (``/docs/etc/passwd-reset.html``)."""
    return decode(path.replace("/", "_")).lower()


class TraversalSystemFile(PatternRule):
    """A well-known OS, server or application file (``/etc/passwd``, ``win.ini``) as a parameter.

    The list is the kind OWASP CRS keeps for its LFI rules: files every Unix, Windows or Java
    server has, whose content proves a read worked. ``etc/passwd`` and ``etc/shadow`` match
    anywhere in a value (what a filter left of ``....//`` or ``/aaa..`` does not matter); the
    other names need a separator or a run of dots before them (``....web-inf/``: what is left
    when a filter strips separators or ``../``), dotfiles and server configs a ``/``. A drive
    letter and colon directly before ``windows``, ``winnt`` or ``inetpub``
    (``C:windows\\win.ini``) is a Windows drive-relative path, valid without a separator. In
    the path itself such a name counts only where the request encoded its separators
    (``/download/file/%252fetc%252fpasswd``: an absolute path handed to a route as one
    segment); a site's own segments (``/docs/etc/passwd-reset.html``) are not read, and after
    ``../`` the dot-dot rule reports it. In the error log's message only OS files count:
    Apache names its own configs there.
    """

    id = "path-traversal-system-file"
    categories = ("path-traversal",)
    severity = Severity.HIGH
    description = "operating-system file (/etc/passwd, win.ini, system32) as a parameter"
    logs = BOTH
    fields = ("query", "cookie", "message")
    # The second branch is a Windows drive-relative path: a drive letter and colon directly
    # followed by a system directory (``C:windows\win.ini`` is ``windows\win.ini`` under drive
    # C's current directory, valid Windows syntax that filters looking for ``C:\`` miss).
    # ``C:boot.ini`` needs no branch of its own: the file names below may follow a colon.
    pattern = Regex(
        rf"{_PASSWD}|{_BEFORE}(?P<frag1>[a-z]:(?:windows|winnt|inetpub))|"
        + _names(
            rf"{_ETC}(?:group|hosts|issue|motd|crontab|sudoers|hostname|resolv\.conf|fstab|mtab"
            r"|inittab)|(?:boot|win|system)\.ini|autoexec\.bat|global\.asa"
            r"|(?:web|applicationhost)\.config|unattend\.xml|repair/sam|inetpub/wwwroot"
            r"|(?:windows|winnt)/(?:system32|repair|panther)|system32/(?:cmd\.exe|config/sam)",
            rf"{_ETC}(?:apache2|httpd|nginx|mysql|ssh)/|(?:windows|winnt)/(?:system32|repair|panther)/"
            r"|system32/(?:drivers/etc|inetsrv)|(?:web|meta)-inf/",
            2,
            dots=True,
        )
        + rf"|(?P<frag6>/\.(?:htaccess|htpasswd|bash_history|aws/credentials)){_END}|/\.ssh/"
        rf"|(?P<frag7>/(?:httpd|apache2|nginx|my|php)\.(?:conf|cnf|ini)){_END}"
    )
    # Selected by one of these words whole, or by the drive-relative trigger; and only in a
    # field that holds a "/" or a ":" (the gate: a bare file name with neither is no path).
    words = frozenset(
        {
            "passwd", "shadow", "gshadow", "etc", "ini", "bat", "windows", "winnt", "system32",
            "repair", "inetpub", "asa", "config", "xml", "inf", "htaccess", "htpasswd",
            "bash_history", "ssh", "aws", "conf", "cnf",
        }
    )  # fmt: skip
    trigger = r"[a-z]:(?:windows|winnt|inetpub)"
    gate = "/:"
    # A percent-encoded separator in the path: "%2f", "%5c", encoded again ("%252f",
    # "%25252f"). Not every "%" (a path of distinct escapes would be decoded twice).
    raw_literals = {"path": frozenset({"%2f", "%5c", "252f", "255c"})}
    must_match = (
        AccessSample(target="/index.php?page=/etc/passwd"),
        AccessSample(target="/view?doc=C:%5CWindows%5Cwin.ini"),
        AccessSample(target="/x?file=%2Fetc%2Fshadow%00.jpg"),
        AccessSample(target="/x?file=WEB-INF/web.xml"),
        AccessSample(target="/x?file=d:/inetpub/wwwroot/global.asa"),
        AccessSample(target="/x?file=/aaaaaaaaaaaaaaaa..etc/passwd"),
        AccessSample(target="/x?file=/etc/httpd/conf/httpd.conf"),
        AccessSample(target="/x?file=/root/.ssh/id_rsa"),
        AccessSample(target="/x?file=c:%5Cwindows%5Csystem32%5Cdrivers%5Cetc%5Chosts"),
        AccessSample(target="/x?file=c:/xampp/apache/conf/httpd.conf"),
        AccessSample(target="/x?file=C:/Windows/Panther/Unattend.xml"),
        AccessSample(target="/x?file=/home/www/.htpasswd"),
        ErrorSample(message="File does not exist: /var/www/html/etc/passwd"),
        AccessSample(target="/x?file=....web-inf/web.xml"),
        AccessSample(target="/x?file=..etc/hosts"),
        AccessSample(target="/x?file=C:windows%5Cwin.ini"),
        AccessSample(target="/x?file=c:windowssystem32"),
        AccessSample(target="/x?file=d:inetpub%5Cwwwroot%5Cglobal.asa"),
        AccessSample(target="/x?file=c:boot.ini"),
        AccessSample(target="/view.php?file=/etc//passwd"),
        AccessSample(target="/view.php?file=/etc/./passwd"),
        AccessSample(target="/view.php?file=/etc/.//./hosts"),
        AccessSample(target="/download/file/%252fetc%252fpasswd"),
        AccessSample(target="/download/file/%2Fetc%2Fshadow"),
        AccessSample(target="/static/C:%5CWindows%5Cwin.ini"),
    )
    must_not_match = (
        AccessSample(target="/blog/etc/passwords-best-practices"),
        AccessSample(target="/downloads/windows/installer.exe"),
        AccessSample(target="/docs?page=linux/etc/hosts-file-explained"),
        AccessSample(target="/search?q=htaccess+redirect+rules"),
        AccessSample(target="/search?q=windows+system32+folder+size"),
        AccessSample(target="/search?q=darwin.ini+settings"),
        AccessSample(target="/files?name=my.config.backup"),
        AccessSample(target="/compare/v1.2..v1.3?file=v1.2..v1.3"),
        AccessSample(target="/search?q=team.windows+phone"),
        AccessSample(target="/search?q=vs:windows+11"),
        AccessSample(target="/x?time=12:winnt"),
        AccessSample(target="/files?name=site.web.config"),
        AccessSample(target="/docs?page=etc/./passwords-guide"),
        AccessSample(target="/docs?page=etc/../passwd-reset-help"),
        AccessSample(target="/docs/etc/passwd-reset.html"),
        AccessSample(target="/docs/etc%2Fpasswd-reset.html"),
        AccessSample(target="/repos/a%2Fb/files/etc/passwd"),
        AccessSample(target="/files/my%20docs/boot.ini"),
        ErrorSample(message="workerEnv.init() ok /etc/httpd/conf/workers2.properties"),
        ErrorSample(
            message="AH01630: client denied by server configuration: /srv/www/.htaccess",
            code="AH01630",
        ),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The file named in ``text`` (for the error-log message, only an OS file)."""
        return (_MESSAGE_FILES if field == "message" else self.linear).search(text)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The file named in ``fields``, else behind encoded separators in the path."""
        match = super().evaluate(event, view)
        if match is None and self.raw_holds(view, "path"):
            fragment = self.linear.search(_encoded_separators(view.raw("path")))
            if fragment is not None:
                return RuleMatch("path", fragment)
        return match
