"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.dns_server import LocalDns
from tests.unit.omprog_run import RunningProgram


@pytest.fixture
def dns_server(tmp_path: Path) -> Iterator[LocalDns]:
    """A real DNS server (dnsmasq) on 127.0.0.1 with the test records, stopped after."""
    server = LocalDns(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def programs() -> Iterator[list[RunningProgram]]:
    """The omprog programs a test starts (append them), closed after it."""
    started: list[RunningProgram] = []
    yield started
    for program in started:
        program.close()
