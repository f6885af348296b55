"""Fixtures for the integration tests: certificates, a private journald, the live chains."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import debpkg
import harness

from lwsyslog import lab

WEBHOST_HOSTNAME = lab.WEBHOST_NAME


def require_lab() -> None:
    """Skip unless this machine can run the lab (root, rsyslogd, apache2, journald)."""
    reason = lab.missing_requirements()
    if reason:
        pytest.skip(f"integration tests: {reason}")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> harness.Pki:
    """The site CA, the server and web-host certificates, and two intruders' certificates."""
    return harness.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lab.JournalNamespace]:
    """A journald of our own in a private mount namespace (never the host's journal)."""
    require_lab()
    with lab.JournalNamespace(tmp_path_factory.mktemp("journal")) as ns:
        yield ns


class Chain(lab.LocalChain):
    """Apache -> web-host rsyslog -> RELP/TLS -> server rsyslog -> trivial consumer."""

    def __init__(self, workdir: Path, journal: lab.JournalNamespace, pki: harness.Pki) -> None:
        self.consumer_out = workdir / "consumer.jsonl"
        super().__init__(
            workdir,
            harness.consumer_command(self.consumer_out, journal=True),
            journal,
            pki=pki,
            webhost_stats=True,
        )

    def received(self, marker: str) -> list[dict[str, object]]:
        """Records at the consumer whose msg contains ``marker``."""
        return [r for r in harness.read_consumer(self.consumer_out) if marker in str(r["msg"])]

    def wait_received(
        self, marker: str, count: int = 1, timeout: float = 20
    ) -> list[dict[str, object]]:
        """Wait until ``count`` records with ``marker`` arrived; they are returned."""
        try:
            lab.wait_for(lambda: len(self.received(marker)) >= count, timeout, marker)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from exc
        return self.received(marker)


@pytest.fixture(scope="module")
def chain(
    tmp_path_factory: pytest.TempPathFactory,
    pki: harness.Pki,
    journal: lab.JournalNamespace,
) -> Iterator[Chain]:
    """The whole chain on 127.0.0.1 with the trivial consumer, in the journal namespace."""
    require_lab()
    with Chain(tmp_path_factory.mktemp("chain"), journal, pki) as running:
        yield running


class LiveChain(lab.LocalChain):
    """The chain with the real lwsyslog-omprog writing to the private journald and a file."""

    def __init__(
        self,
        workdir: Path,
        journal: lab.JournalNamespace,
        pki: harness.Pki,
        program: str = "",
        *,
        transactions: bool | None = None,
    ) -> None:
        self.messages = workdir / "messages"
        program = program or lab.omprog_command(
            config=lab.write_lab_config(workdir / "lwsyslog.toml"),
            state_dir=workdir / "state",
            messages_file=self.messages,
        )
        super().__init__(workdir, program, journal, pki=pki, transactions=transactions)

    def wait_alerts(
        self, *matches: str, count: int = 1, timeout: float = 20
    ) -> list[dict[str, object]]:
        """Wait until ``count`` alerts match ``matches`` in the journal; they are returned."""
        try:
            lab.wait_for(lambda: len(self.alerts(*matches)) >= count, timeout, str(matches))
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from exc
        return self.alerts(*matches)

    def messages_lines(self) -> list[str]:
        """The messages file's lines (alerts)."""
        if not self.messages.exists():
            return []
        return self.messages.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    pki: harness.Pki,
    journal: lab.JournalNamespace,
) -> Iterator[LiveChain]:
    """The whole chain on 127.0.0.1 with the real omprog program."""
    require_lab()
    with LiveChain(tmp_path_factory.mktemp("live"), journal, pki) as running:
        yield running


@pytest.fixture(scope="session")
def deb_installer() -> Iterator[debpkg.Installer]:
    """The Debian package built from this checkout (dist/'s when the sources did not change).

    Installed by :func:`installed_package`; purged at the end of the session unless it was
    installed before the session.
    """
    reason = debpkg.missing_requirements()
    if reason:
        pytest.skip(f"package tests: {reason}")
    installer = debpkg.Installer(debpkg.build())
    yield installer
    installer.finish()


@pytest.fixture
def installed_package(deb_installer: debpkg.Installer) -> debpkg.Installer:
    """The package installed with apt, as an admin would (a test that purged it is undone)."""
    deb_installer.ensure_installed()
    return deb_installer
