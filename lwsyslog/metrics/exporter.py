"""Prometheus exposition of the omprog program's figures: an HTTP endpoint and/or a textfile.

The program hands a fresh :class:`~lwsyslog.metrics.figures.Figures` to
:meth:`MetricsExporter.publish` at its export interval (between lines, never per line). The
endpoint (``[metrics] listen``) is prometheus-client's own HTTP server in a daemon thread; a
scrape renders the latest snapshot and never touches the live counters. The textfile
(``[metrics] textfile``) is written whole to a temporary file and renamed over the old one,
so node-exporter's textfile collector never reads half a file.

rsyslog runs one program per omprog action (``forceSingleInstance="on"``), but it restarts
the program when it dies or is stopped, and the one stopping may hold the port for a moment:
a port in use is reported and tried again at every interval, never fatal. So is any other
failure to listen, each told by its errno (an address not of this machine is no port in use).
Shards of one server read the same configuration, so give them a textfile path with
``{instance}`` in it (or each its own ``--metrics-listen``).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server, write_to_textfile
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from lwsyslog.metrics.families import families
from lwsyslog.metrics.figures import Figures

__all__ = ["MetricsExporter", "Report", "listen_trouble"]

Report = Callable[[str, str], None]
"""``report(key, message)``: a warning, rate-limited per key by the caller."""


class _Latest(Collector):
    """Collects the most recent snapshot (a reference swapped in whole by the main thread)."""

    def __init__(self) -> None:
        self.figures: Figures | None = None

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        if figures is not None:
            yield from families(figures)

    def describe(self) -> Iterator[Metric]:
        return iter(())


class MetricsExporter:
    """Serves and/or writes the latest figures (see the module docstring)."""

    def __init__(
        self,
        *,
        instance: str,
        textfile: str = "",
        listen: tuple[str, int] | None = None,
        report: Report | None = None,
    ) -> None:
        self.textfile = textfile.replace("{instance}", instance) if textfile else ""
        self.listen = listen
        self._report = report or (lambda key, message: None)
        self.registry = CollectorRegistry(auto_describe=False)
        self._latest = _Latest()
        self.registry.register(self._latest)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.textfile_failures = 0
        self.listen_failures = 0

    @property
    def enabled(self) -> bool:
        """True when there is anything to export to."""
        return bool(self.textfile or self.listen)

    @property
    def address(self) -> tuple[str, int] | None:
        """The endpoint's address while it serves, else None."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def publish(self, figures: Figures) -> None:
        """Make ``figures`` what a scrape sees, and write the textfile when one is set."""
        self._latest.figures = figures
        if self.listen is not None and self._server is None:
            self._start_server(self.listen)
        if self.textfile:
            try:
                write_to_textfile(self.textfile, self.registry)
            except OSError as error:
                self.textfile_failures += 1
                self._report(
                    "metrics-textfile",
                    f"metrics textfile {self.textfile} not written ({type(error).__name__}: "
                    f"{error}); the directory must be writable by this program's user",
                )

    def _start_server(self, listen: tuple[str, int]) -> None:
        host, port = listen
        try:
            self._server, self._thread = start_http_server(port, host, self.registry)
        except OSError as error:
            self.listen_failures += 1
            self._report(
                "metrics-listen",
                f"metrics endpoint {host}:{port} not started ({type(error).__name__}: {error}; "
                f"{listen_trouble(error, host)}); trying again at every metrics interval",
            )

    def close(self) -> None:
        """Stop the endpoint (the textfile stays: node-exporter shows the last figures)."""
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(OSError):
                server.shutdown()
                server.server_close()


def listen_trouble(error: OSError, host: str) -> str:
    """What a failure to listen on ``host`` means, in words, from its errno."""
    if isinstance(error, socket.gaierror):
        return f"{host} is not an address, nor a name this machine resolves"
    if error.errno == errno.EADDRINUSE:
        return "another program, or a previous lwsyslog-omprog still stopping, holds the port"
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine: listen on one of its own addresses, "
            "or on 0.0.0.0 or :: for all of them"
        )
    if error.errno == errno.EACCES:
        return "a port below 1024 needs a privilege this program's user does not have"
    return "the operating system refused it"
