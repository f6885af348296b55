"""A metrics endpoint that cannot listen says why in the words of its errno."""

from __future__ import annotations

import errno
import socket

import pytest

from lwsyslog.metrics.exporter import MetricsExporter, listen_trouble
from lwsyslog.metrics.figures import Figures

# TEST-NET-1 (RFC 5737): never an address of this machine.
FOREIGN = "192.0.2.77"


def test_an_address_not_of_this_machine_is_not_called_a_port_in_use() -> None:
    said: list[str] = []
    exporter = MetricsExporter(
        instance="x", listen=(FOREIGN, 9722), report=lambda key, message: said.append(message)
    )
    try:
        exporter.publish(Figures("x", 1, 0.0, 0.0, {"received": 1}))
    finally:
        exporter.close()
    (message,) = said
    assert message.startswith(f"metrics endpoint {FOREIGN}:9722 not started")
    assert f"{FOREIGN} is not an address of this machine" in message
    assert "hold" not in message and exporter.listen_failures == 1


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.EADDRINUSE, "in use"), "holds the port"),
        (OSError(errno.EACCES, "denied"), "below 1024"),
        (socket.gaierror(socket.EAI_NONAME, "unknown"), "nor a name this machine resolves"),
        (OSError(errno.ENOBUFS, "no buffers"), "the operating system refused it"),
    ],
)
def test_each_listen_failure_is_told_by_its_errno(error: OSError, words: str) -> None:
    assert words in listen_trouble(error, "metrics.example")
