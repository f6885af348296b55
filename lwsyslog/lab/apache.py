"""A real apache2 on 127.0.0.1 with a minimal configuration and a Basic-auth area."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from lwsyslog.lab.procs import stop_process, wait_port

__all__ = ["APACHE2", "APACHE_MODULES", "ApacheInstance"]

APACHE2 = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")


class ApacheInstance:
    """apache2 on 127.0.0.1:``port`` with a configuration of its own (never /etc/apache2's).

    The document root has a few files and a Basic-auth protected ``/private`` (user
    :attr:`USER`, password :attr:`PASSWORD`); the access log (``combined``) and the error log
    are written into ``workdir``. Request lines up to :attr:`LIMIT_REQUEST_LINE` bytes are
    accepted (Apache's default is 8,190), so tests can send requests padded past 8 KB.
    """

    LIMIT_REQUEST_LINE = 16384
    USER = "alice"
    PASSWORD = "wonderland"
    _MODULES = (
        "mpm_event",
        "authz_core",
        "authn_core",
        "authn_file",
        "auth_basic",
        "authz_user",
        "dir",
        "mime",
    )

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.access_log = workdir / "apache-access.log"
        self.error_log = workdir / "apache-error.log"
        self.pidfile = workdir / "apache.pid"
        self.conf = workdir / "apache.conf"
        self._proc: subprocess.Popen[bytes] | None = None
        self._site: Path | None = None

    def _write_site(self) -> Path:
        # www-data must read the document root, and a caller's work dir may be private to root.
        site = Path(tempfile.mkdtemp(prefix="lwsyslog-apache-"))
        site.chmod(0o755)
        docroot = site / "htdocs"
        (docroot / "private").mkdir(parents=True)
        (docroot / "index.html").write_text("<h1>lwsyslog lab</h1>\n")
        (docroot / "about.html").write_text("<p>about</p>\n")
        (docroot / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        (docroot / "private" / "secret.txt").write_text("secret\n")
        digest = base64.b64encode(hashlib.sha1(self.PASSWORD.encode()).digest()).decode()
        (site / "htpasswd").write_text(f"{self.USER}:{{SHA}}{digest}\n")
        for path in (docroot, docroot / "private", *docroot.rglob("*"), site / "htpasswd"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        return site

    def start(self, timeout: float = 15.0) -> ApacheInstance:
        """Write the configuration, start ``apache2 -DFOREGROUND`` and wait for the port."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._site = site = self._write_site()
        loads = "\n".join(
            f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in self._MODULES
        )
        self.conf.write_text(
            f"""ServerRoot "/etc/apache2"
{loads}
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile {self.pidfile}
DefaultRuntimeDir {self.workdir}
Mutex file:{self.workdir} default
User www-data
Group www-data
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
LimitRequestLine {self.LIMIT_REQUEST_LINE}
TypesConfig /etc/mime.types
DocumentRoot {site}/htdocs
DirectoryIndex index.html
LogLevel info
ErrorLog {self.error_log}
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" combined
CustomLog {self.access_log} combined
<Directory />
    Require all denied
    AllowOverride None
</Directory>
<Directory {site}/htdocs>
    Require all granted
</Directory>
<Location /private>
    AuthType Basic
    AuthName "lwsyslog lab"
    AuthBasicProvider file
    AuthUserFile {site}/htpasswd
    Require valid-user
</Location>
""",
            encoding="utf-8",
        )
        with (self.workdir / "apache.out").open("ab") as out:
            self._proc = subprocess.Popen(
                [APACHE2, "-DFOREGROUND", "-f", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
                start_new_session=True,
            )
        try:
            wait_port(self.port, timeout, self._proc)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            log = (self.workdir / "apache.out").read_text(errors="replace")
            raise RuntimeError(f"apache2 did not start: {exc}\n{log}") from exc
        return self

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Stop Apache (TERM to the parent, which stops its children) and remove the site."""
        if self._proc is not None:
            stop_process(self._proc, 10)
            self._proc = None
        if self._site is not None:
            shutil.rmtree(self._site, ignore_errors=True)
            self._site = None
