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
    """A shell command passed in a web-shell parameter, or a ReGeorg tunnel verb.

    Not elFinder's own ``ls`` (``/elfinder/php/connector.minimal.php?cmd=ls&target=l1_Lw``):
    the file manager's connector names its commands so, and ``ls`` lists a folder it shows.
    """

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
    # The verdict also reads the path (elFinder's connector): evaluated on the event.
    field_local = False
    must_match = (
        AccessSample(target="/uploads/image.php?cmd=id", status=200),
        AccessSample(target="/x.php?cmd=cat+/etc/passwd", status=200),
        AccessSample(target="/tunnel.jsp?cmd=connect&target=10.0.0.5&port=22", method="POST"),
        AccessSample(target="/elfinder/php/connector.minimal.php?cmd=id", status=200),
        AccessSample(target="/uploads/x.php?cmd=ls", status=200),
    )
    must_not_match = (
        AccessSample(target="/help?command=list-topics"),
        AccessSample(target="/jobs?run=nightly&cmd=status"),
        AccessSample(
            target="/elfinder/php/connector.minimal.php?cmd=ls&target=l1_Lw&intersect%5B%5D=a.txt"
        ),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The pattern's match, unless it is elFinder's ``ls`` asked of its connector."""
        match = super().evaluate(event, view)
        if match is None or match.fragment.rpartition("=")[2] != "ls":
            return match
        path = view.lower("path")
        return None if path.endswith(_ELFINDER_CONNECTORS) else match


#: elFinder's connector scripts (its PHP back end), the only scripts it sends ``cmd=`` to.
_ELFINDER_CONNECTORS = ("/connector.php", "/connector.minimal.php")


#: Folders only uploads go to (see :data:`_SCRIPT`).
_UPLOAD_FOLDERS = frozenset(
    {"uploads", "upload", "upload_files", "userfiles", "user_uploads", "tmp", "temp"}
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
    """A server-side script that exists and runs inside an upload folder: a planted shell.

    ``files``, ``images`` and ``media`` are also where sites keep scripts of their own (a
    CAPTCHA's ``/images/captcha.php``, a thumbnailer's ``/images/thumb.php?src=``, Nextcloud's
    ``/apps/files/ajax/list.php``): under only such folders, a ``GET`` or ``HEAD`` of a script
    with its ordinary extension is no sign; another method (a shell takes its commands by
    ``POST``) or an extension that slips past an upload filter (``.phtml``, ``.phar``,
    ``.php5``) is. A GET that passes a command (``?cmd=id``) is ``webshell-command``'s.
    """

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
        AccessSample(target="/uploads/avatar.php", status=200),
        AccessSample(target="/images/x.php", method="POST", status=200),
        AccessSample(target="/images/uploads/x.php", status=200),
        AccessSample(target="/files/x.php5", status=200),
        AccessSample(target="/media/x.phar", method="HEAD", status=200),
    )
    must_not_match = (
        AccessSample(target="/wp-content/uploads/2024/05/avatar.jpg", status=200),
        AccessSample(target="/uploads/avatar.php", status=404),
        AccessSample(target="/remote.php/dav/files/alice/uploads/avatar.php", status=200),
        AccessSample(target="/images/captcha.php", status=200),
        AccessSample(target="/images/thumb.php?src=a.jpg&w=200", status=200),
        AccessSample(target="/files/index.php", status=200),
        AccessSample(target="/index.php/apps/files/ajax/getstoragestats.php", status=200),
        AccessSample(target="/apps/files/ajax/list.php?dir=%2F", status=200),
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
        if fragment is None or _site_script(fragment, getattr(event, "method", "")):
            return None
        return RuleMatch("path", fragment)


#: Folders where sites also keep scripts of their own (see :class:`WebshellUploadExec`).
_SHARED_FOLDERS = frozenset({"files", "images", "media"})
_READS = frozenset({"GET", "HEAD"})
_ORDINARY_SCRIPTS = frozenset({"php", "asp", "aspx", "jsp", "cgi", "pl"})


def _site_script(fragment: str, method: str) -> bool:
    """Whether ``fragment`` (a folder and the script below it, from :data:`_SCRIPT`) read by
    ``method`` is a script a site keeps among its files or images, not a planted one."""
    folders = fragment.split("/")[1:-1]
    if not folders or folders[0] not in _SHARED_FOLDERS:
        return False
    if not _UPLOAD_FOLDERS.isdisjoint(folders):
        return False
    extension = fragment.rpartition(".")[2]
    return method in _READS and extension in _ORDINARY_SCRIPTS
