"""The argparse parsers of lwsyslog's console scripts, for generated man pages and completions.

The parser of a command is the one the installed command parses with: ``build_parser()`` of
its entry point's module, or, for a module that only has ``parse_options(argv)``
(lwsyslog-omprog today), the parser that function builds, taken at its ``parse_args`` call
before it parses anything.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from importlib.metadata import distribution
from typing import Any, NoReturn

__all__ = ["console_scripts", "parser_of"]


class _BuiltError(Exception):
    """Carries the parser out of ``parse_options`` before it parses anything."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


def _captured(parse_options: Callable[[list[str]], Any]) -> argparse.ArgumentParser:
    original = argparse.ArgumentParser.parse_args

    def stop(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        raise _BuiltError(self)

    argparse.ArgumentParser.parse_args = stop  # type: ignore[method-assign]
    try:
        parse_options([])
    except _BuiltError as built:
        return built.parser
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    raise LookupError(f"{parse_options.__qualname__} built no parser")


def parser_of(module_name: str) -> argparse.ArgumentParser:
    """The argument parser of the console script whose entry point lives in ``module_name``."""
    module = importlib.import_module(module_name)
    build = getattr(module, "build_parser", None)
    if build is not None:
        parser: argparse.ArgumentParser = build()
        return parser
    parse_options = getattr(module, "parse_options", None)
    if parse_options is None:
        raise LookupError(f"{module_name} has neither build_parser() nor parse_options()")
    return _captured(parse_options)


def console_scripts(dist: str = "lwsyslog") -> dict[str, argparse.ArgumentParser]:
    """Each console script of ``dist``, by name, with its parser (``prog`` set to the name)."""
    scripts = {}
    for entry in distribution(dist).entry_points:
        if entry.group == "console_scripts":
            parser = parser_of(entry.module)
            parser.prog = entry.name
            scripts[entry.name] = parser
    if not scripts:
        raise LookupError(f"the {dist} distribution has no console scripts")
    return dict(sorted(scripts.items()))
