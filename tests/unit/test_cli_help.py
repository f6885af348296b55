"""``--help`` of every command: a description, every option explained, no docstring markup."""

from __future__ import annotations

import argparse

import pytest

from lwsyslog.cli.main import COMMANDS, build_parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _every_parser() -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    todo = [("lwsyslog", build_parser())]
    while todo:
        name, parser = todo.pop()
        found.append((name, parser))
        todo.extend((f"{name} {sub}", p) for sub, p in _subparsers(parser).items())
    return found


def _help_texts(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: str(choice.help) for choice in action._choices_actions}
    return {}


@pytest.mark.parametrize(("name", "parser"), _every_parser(), ids=str)
def test_help_has_a_description_and_explains_every_option(
    name: str, parser: argparse.ArgumentParser
) -> None:
    text = parser.format_help()
    assert parser.description, f"{name}: no description"
    for marker in ("``", ":class:", ":func:", ":data:", ":meth:"):
        assert marker not in text, f"{name}: docstring markup {marker!r} in --help"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
            continue
        assert action.help, f"{name}: {'/'.join(action.option_strings) or action.dest} has no help"


def test_the_command_list_matches_what_each_command_registers() -> None:
    full = _help_texts(build_parser())
    assert full == {name: help_text for name, _, help_text in COMMANDS}
    for name, _, help_text in COMMANDS:
        assert _help_texts(build_parser(name))[name] == help_text
