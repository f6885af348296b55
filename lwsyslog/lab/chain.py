"""The whole chain on one machine: Apache -> web-host rsyslogd -> RELP/TLS -> central
rsyslogd -> an omprog program, with the central side inside a private journal namespace."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from lwsyslog.lab.apache import ApacheInstance
from lwsyslog.lab.chain_conf import server_conf, webhost_conf
from lwsyslog.lab.journal import JournalNamespace
from lwsyslog.lab.pki import WEBHOST_NAME, ChainPki, make_chain_pki
from lwsyslog.lab.procs import free_port
from lwsyslog.lab.rsyslog import RsyslogInstance

__all__ = ["LocalChain"]


class LocalChain:
    """Two rsyslogd instances (and optionally Apache) on 127.0.0.1 running the shipped drop-ins.

    Everything is prepared in the constructor (certificates unless ``pki`` is given,
    configuration files); :meth:`start` starts the processes, :meth:`stop` stops them by pid.
    The web host also listens on a TCP syslog port (:attr:`input_port`) and on the drop-in's
    test socket (:attr:`input_socket`, in a 0700 directory, for :meth:`logger`), both bound to
    the forwarding ruleset, and on :attr:`system_socket`, a stand-in for /dev/log bound to
    nothing (its lines land in the web host's ``internal_log``, never at the server). The
    central rsyslogd, and so the omprog ``program``, runs inside ``journal``'s namespace and
    logs into that private journald. ``server_overrides`` sets more fields of the server's
    :class:`~lwsyslog.deploy.rsyslog_setup.ServerSettings`. ``webhost_stats`` makes the web
    host's rsyslogd write impstats counters (``webhost.stats_reports()``, the TCP input's under
    :attr:`input_stats_name`).
    """

    def __init__(
        self,
        workdir: Path,
        program: str,
        journal: JournalNamespace,
        *,
        pki: ChainPki | None = None,
        apache: bool = True,
        window_size: int = 4096,
        batch_size: int = 1024,
        server_prelude: str = "",
        shards: int = 1,
        transactions: bool | None = None,
        server_overrides: Mapping[str, object] | None = None,
        webhost_stats: bool = False,
    ) -> None:
        self.workdir = workdir
        self.shards = shards
        self.journal = journal
        workdir.mkdir(parents=True, exist_ok=True)
        self.pki = pki or make_chain_pki(workdir / "pki")
        self.server_port = free_port()
        self.input_port = free_port()
        self.server_dir = workdir / "server"
        self.raw_dir = self.server_dir / "raw"
        self.omprog_stderr = self.server_dir / "omprog.stderr"
        self.omprog_stderrs = (
            [self.omprog_stderr]
            if shards == 1
            else [self.server_dir / f"omprog.stderr_{n}" for n in range(shards)]
        )
        webhost_dir = workdir / "webhost"
        webhost_dir.mkdir(parents=True, exist_ok=True)
        private = webhost_dir / "private"
        private.mkdir(mode=0o700, exist_ok=True)
        private.chmod(0o700)
        self.input_socket = private / "logger.sock"
        self.system_socket = webhost_dir / "devlog.sock"
        self.apache = ApacheInstance(workdir / "apache", free_port()) if apache else None
        access_log = self.apache.access_log if self.apache else webhost_dir / "no-access.log"
        error_log = self.apache.error_log if self.apache else webhost_dir / "no-error.log"
        self.server = RsyslogInstance(
            server_prelude
            + server_conf(
                self.pki,
                self.server_port,
                self.server_dir,
                program,
                shards=shards,
                transactions=transactions,
                overrides=server_overrides,
            ),
            self.server_dir,
            name="server",
            port=self.server_port,
            namespace=journal,
        )
        self.webhost = RsyslogInstance(
            webhost_conf(
                self.pki,
                self.server_port,
                access_log,
                error_log,
                input_port=self.input_port,
                input_socket=self.input_socket,
                system_socket=self.system_socket,
                window_size=window_size,
                batch_size=batch_size,
            ),
            webhost_dir,
            name="webhost",
            port=self.input_port,
            extra_global=f' localHostName="{WEBHOST_NAME}"',
            stats=webhost_stats,
        )
        self.input_stats_name = f"imptcp(127.0.0.1/{self.input_port}/IPv4)"
        """The impstats object counting the lines :attr:`input_port` took in (``submitted``)."""

    def __enter__(self) -> LocalChain:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LocalChain:
        """Start Apache, the central rsyslogd, then the web host's; all or nothing."""
        try:
            if self.apache is not None:
                self.apache.start()
            self.server.start()
            self.webhost.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the web host's rsyslogd, the central one (which stops its program), Apache."""
        try:
            self.webhost.stop()
        finally:
            try:
                self.server.stop()
            finally:
                if self.apache is not None:
                    self.apache.stop()

    def logger_command(
        self,
        message: str,
        *,
        tag: str = "apache-access",
        priority: str = "local6.info",
        socket: Path | None = None,
    ) -> list[str]:
        """The ``logger`` command that writes ``message`` into the web host's test socket
        (or ``socket``)."""
        return [
            "logger", "--socket", str(socket or self.input_socket), "--socket-errors=on",
            "--size", "131072", "-t", tag, "-p", priority, "--", message,
        ]  # fmt: skip

    def logger(
        self,
        message: str,
        *,
        tag: str = "apache-access",
        priority: str = "local6.info",
        socket: Path | None = None,
    ) -> None:
        """Inject ``message`` with ``logger``, as root on the web host would (into the test
        socket, or ``socket``: :attr:`system_socket` is how any local user would try)."""
        subprocess.run(
            self.logger_command(message, tag=tag, priority=priority, socket=socket),
            check=True,
            capture_output=True,
        )

    def omprog_pids(self) -> list[int]:
        """The running omprog program(s): the central rsyslogd's children."""
        return self.server.children()

    def alerts(self, *matches: str) -> list[dict[str, object]]:
        """lwsyslog's alerts in the private journal (``matches`` like ``LWSYSLOG_RULE=x``)."""
        return self.journal.entries("SYSLOG_IDENTIFIER=lwsyslog", *matches)

    def diagnostics(self) -> str:
        """Both rsyslogds' output and the program's stderr, for failure reports."""
        parts = [self.webhost.diagnostics(), self.server.diagnostics()]
        if self.omprog_stderr.exists():
            text = self.omprog_stderr.read_text(errors="replace")[-4000:]
            parts.append(f"--- omprog.stderr\n{text}")
        return "\n".join(parts)
