"""Test-only helpers for the integration tests and bench_chain; the reusable lab (journald
namespace, rsyslogd, Apache, certificates, drop-in rendering) is :mod:`lwsyslog.lab`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from lwsyslog import lab
from lwsyslog.deploy import certs

__all__ = [
    "CONSUMER",
    "RECORDER",
    "Pki",
    "consumer_command",
    "make_pki",
    "read_consumer",
    "recorder_command",
]

CONSUMER = Path(__file__).with_name("trivial_consumer.py")
"""The stand-in omprog program: answers OK per line and appends the line to a file."""

RECORDER = Path(__file__).with_name("recording_omprog.py")
"""The real omprog program, also appending every line it confirmed to a file."""


@dataclass(frozen=True)
class Pki(lab.ChainPki):
    """The chain's certificates plus intruders' for the refusal tests."""

    other_ca: certs.CertFiles
    foreign: certs.CertFiles
    """A client certificate with a permitted name, signed by another CA."""
    wrong_name: certs.CertFiles
    """A client certificate from the site CA with a name that is not permitted."""


def make_pki(directory: Path) -> Pki:
    """Every certificate the tests need, made with :mod:`lwsyslog.deploy.certs`."""
    chain = lab.make_chain_pki(directory, ca_name="lwsyslog test site")
    other = certs.make_ca(directory / "other", "some other ca")
    return Pki(
        ca=chain.ca,
        server=chain.server,
        webhost=chain.webhost,
        other_ca=other,
        foreign=certs.make_cert(directory / "other", other, "web2.web.lwsyslog.test", "client"),
        wrong_name=certs.make_cert(directory, chain.ca, "intruder.lwsyslog.test", "client"),
    )


def consumer_command(output: Path, *, journal: bool = False) -> str:
    """The omprog ``binary=`` value that runs the trivial consumer into ``output``."""
    flag = " --journal" if journal else ""
    return f"{sys.executable} {CONSUMER} {output}{flag}"


def recorder_command(record: Path, work: Path, config: str = "") -> str:
    """The omprog ``binary=`` value running the real program that also records its lines
    (``config``: TOML added to the lab's configuration)."""
    real = lab.omprog_command(
        config=lab.write_lab_config(work / "lwsyslog.toml", config),
        state_dir=work / "state",
        messages_file=work / "messages",
    )
    python, _script, *options = real.split(" ")
    return " ".join([python, str(RECORDER), str(record), *options])


def read_consumer(path: Path) -> list[dict[str, object]]:
    """What the consumer received, one JSON object per line (a line that is not JSON fails)."""
    if not path.exists():
        return []
    records = []
    for raw in path.read_bytes().splitlines():
        # Strict: rsyslog's template must give valid UTF-8 JSON, whatever the log line held.
        records.append(json.loads(raw.decode("utf-8")))
    return records
