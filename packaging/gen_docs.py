"""Man pages and bash completions for lwsyslog's console scripts, from their argparse parsers.

Usage: ``python gen_docs.py ROOT VERSION`` (run by build-deb.sh with the package's own venv
python, argparse-manpage and shtab on PYTHONPATH).

Writes ``ROOT/usr/share/man/man1/NAME.1`` (argparse-manpage, plus the sections in
``packaging/man/NAME.1.include``) and ``ROOT/usr/share/bash-completion/completions/NAME``
(shtab) for every console script of the lwsyslog distribution, from the parser the installed
command parses with (see :mod:`cli_parsers`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import shtab
from argparse_manpage.manpage import Manpage
from cli_parsers import console_scripts

__all__ = ["main"]

INCLUDES = Path(__file__).resolve().parent / "man"
MANUAL_TITLE = "lwsyslog manual"
# The NAME line (whatis, apropos): short, unlike the parsers' descriptions.
SUMMARIES = {
    "lwsyslog": "Apache log security monitor for the rsyslog stack",
    "lwsyslog-omprog": "the program rsyslog's omprog action runs to find attacks in Apache logs",
}


def _manpage(parser: argparse.ArgumentParser, name: str, version: str) -> str:
    page = Manpage(parser)
    page.source = f"lwsyslog {version}"
    page.manual = MANUAL_TITLE
    page.description = SUMMARIES.get(name) or (parser.description or name).split(". ")[0]
    include = INCLUDES / f"{name}.1.include"
    if include.is_file():
        page.parse_include(str(include))
    return str(page)


def main(argv: list[str]) -> int:
    """Write a man page and a completion file per console script under ``ROOT``."""
    if len(argv) != 2:
        print("usage: gen_docs.py ROOT VERSION", file=sys.stderr)
        return 2
    root, version = Path(argv[0]), argv[1]
    man_dir = root / "usr/share/man/man1"
    completion_dir = root / "usr/share/bash-completion/completions"
    man_dir.mkdir(parents=True, exist_ok=True)
    completion_dir.mkdir(parents=True, exist_ok=True)
    for name, parser in console_scripts().items():
        (man_dir / f"{name}.1").write_text(_manpage(parser, name, version), "utf-8")
        (completion_dir / name).write_text(shtab.complete(parser, shell="bash"), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
