"""Paths and readers for the real sample logs under ``tests/fixtures/formats``."""

from __future__ import annotations

import json
from pathlib import Path

from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed
from lwsyslog.formats import LineParser

FORMATS = Path(__file__).resolve().parent.parent / "fixtures" / "formats"
NGINX = FORMATS / "nginx"
APACHE_JSON = FORMATS / "apache-json"
IIS = FORMATS / "iis" / "u_ex261205.log"


def lines(path: Path) -> list[str]:
    """The file's lines as the pipeline decodes them (split on LF only, invalid UTF-8
    replaced), without the empty piece after the last newline."""
    pieces = path.read_bytes().decode("utf-8", "replace").split("\n")
    return pieces[:-1] if pieces and pieces[-1] == "" else pieces


def clients(directory: Path) -> dict[str, list[str]]:
    """Client address -> labels of the requests it sent, from the run's manifest."""
    manifest: dict[str, dict[str, list[str]]] = json.loads(
        (directory / "manifest.json").read_text()
    )
    return manifest["clients"]


def parse_all(
    parser: LineParser, path: Path, name: str | None = None
) -> list[AccessEvent | ErrorEvent | Unparsed]:
    """Every line of ``path`` through ``parser``, with the file as origin."""
    source = name or str(path)
    return [parser.parse(text, Origin(source, n)) for n, text in enumerate(lines(path), 1)]
