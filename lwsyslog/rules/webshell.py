"""Web shells: known shell scripts, commands passed to a shell, scripts run from upload folders."""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import BOTH, PathRule, PatternRule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["WebshellCommand", "WebshellKnownName", "WebshellUploadExec"]


class WebshellKnownName(PathRule):
    """File names of widely used web shells (c99, r57, WSO, b374k...).

    Usually a scanner looking for another intruder's shell; a 2xx means one is there.
    """

    id = "webshell-known-name"
    content_routes_pass = True
    categories = ("webshell",)
    severity = Severity.HIGH
    description = "known web-shell file name requested (c99.php, r57.php, wso.php, ...)"
    segments = frozenset(
        {
            "c99.php", "c100.php", "r57.php", "wso.php", "wso2.php", "wso25.php", "b374k.php",
            "webshell.php", "shell.php", "cmd.php", "alfa.php", "alfashell.php", "indoxploit.php",
            "priv8.php", "sh3ll.php", "leaf.php", "0byte.php", "bypass.php", "c99shell.php",
            "r00t.php", "cmd.jsp", "shell.jsp", "jspspy.jsp", "cmd.asp", "cmdasp.asp",
            "cmd.aspx", "shell.aspx", "shell.asp", "aspxspy.aspx", "tunnel.nosocket.php",
            "filesman.php", "up.php", "uploader.php", "mini.php", "x.php", "zz.php",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/c99.php", status=404),
        AccessSample(target="/wp-content/uploads/wso.php?act=ls", status=200),
        ErrorSample(message="File does not exist: /var/www/html/r57.php"),
        AccessSample(target="/x/shell.php/src/branch/main/a.txt", status=200),
        AccessSample(target="/owner/repo/blob/main/../../../shell.php", status=200),
    )
    must_not_match = (
        AccessSample(target="/shells/seashell-necklace.html"),
        AccessSample(target="/docs/cmd-line.php"),
        AccessSample(target="/owner/repo/blob/main/src/shell.php", status=200),
    )


class WebshellCommand(PatternRule):
    """A shell command passed in a web-shell parameter, or a ReGeorg tunnel verb."""

    id = "webshell-command"
    categories = ("webshell",)
    severity = Severity.CRITICAL
    description = "OS command in a shell parameter (?cmd=id) or ReGeorg tunnel (cmd=connect)"
    logs = BOTH
    fields = ("query",)
    # The command word ends the value or a word (what follows is matched, not reported).
    pattern = Regex(
        r"(?P<frag>(?:^|&)(?:cmd|command|exec|execute|shell|run|system|cmd_exec)=\s*"
        r"(?:/(?:usr/)?s?bin/)?(?:id|whoami|uname|ls|dir|cat|pwd|wget|curl|echo|ipconfig|ifconfig"
        r"|net\s+user|systeminfo|ps|hostname|ver|type|nc|bash|sh|python\d?|perl))(?:$|[\s&;|])"
        r"|(?:^|&)cmd=(?:connect|read|forward|disconnect)(?:&|$)"
    )
    trigger = r"(?:cmd|command|exec|execute|shell|run|system)="
    must_match = (
        AccessSample(target="/uploads/image.php?cmd=id", status=200),
        AccessSample(target="/x.php?cmd=cat+/etc/passwd", status=200),
        AccessSample(target="/tunnel.jsp?cmd=connect&target=10.0.0.5&port=22", method="POST"),
    )
    must_not_match = (
        AccessSample(target="/help?command=list-topics"),
        AccessSample(target="/jobs?run=nightly&cmd=status"),
    )


# A script at most six folders below an upload folder.
_SCRIPT = linear_search(
    Regex(
        r"(?P<frag>/(?:wp-content/uploads|uploads?|upload_files|userfiles|user_uploads|files"
        r"|images|media|tmp|temp)/(?:[^/]+/){0,6}[^/]+\.(?:php\d?|phtml|phar|jsp|jspx|aspx?|ashx"
        r"|cgi|pl))\n?$"
    )
)


class WebshellUploadExec(PathRule):
    """A server-side script that exists and runs inside an upload folder: a planted shell."""

    id = "webshell-upload-exec"
    content_routes_pass = True
    categories = ("webshell",)
    severity = Severity.CRITICAL
    description = "script executed from an upload folder (/uploads/x.php answered, not 404)"
    logs = frozenset({"access"})
    segments = frozenset(
        {"uploads", "upload", "upload_files", "userfiles", "user_uploads", "files", "images",
         "media", "tmp", "temp"}
    )  # fmt: skip
    must_match = (
        AccessSample(target="/wp-content/uploads/2024/05/avatar.php", method="POST", status=200),
        AccessSample(target="/images/thumb.phtml?x=1", status=200),
        AccessSample(target="/uploads/remote.php/dav/files/a/x.php", status=200),
    )
    must_not_match = (
        AccessSample(target="/wp-content/uploads/2024/05/avatar.jpg", status=200),
        AccessSample(target="/uploads/avatar.php", status=404),
        AccessSample(target="/remote.php/dav/files/alice/uploads/avatar.php", status=200),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match when the path is a script under an upload folder and was not a 404."""
        status = getattr(event, "status", None)
        if status is None or status == 404 or status >= 500:
            return None
        path = view.lower("path")
        if self.served_as_content(event, path):
            return None
        fragment = _SCRIPT.search(path)
        return None if fragment is None else RuleMatch("path", fragment)
