"""Write /etc/lwsyslog/lwsyslog.toml for the package: the built-in defaults, every key commented.

Usage: ``python gen_conffile.py DEFAULTS_TOML OUTPUT [VERSION]``

The file is generated from ``lwsyslog/data/defaults.toml`` at build time, so the explanations
and default values an admin reads in /etc never drift from what the program uses. Explanatory
comments and ``[table]`` headers are kept as they are; each setting (with all the lines of a
multi-line value) gets a ``#`` in front, so removing that ``#`` is all it takes to override a
key. The leading comment block of defaults.toml, which talks about that file itself, is replaced
by a header about this one.

Two checks make the build fail rather than ship a wrong file: the output parses as TOML with
no value set (only empty tables), and removing the added ``#`` gives back exactly the defaults.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["commented_defaults", "main", "uncomment"]

HEADER = """\
# /etc/lwsyslog/lwsyslog.toml: this site's lwsyslog settings (a dpkg conffile: your changes
# are kept on upgrade).
#
# Every setting below is commented out and shows its built-in default. To change one, remove
# the '#' in front of the key (its [table] header is already active) and edit the value.
# Files in /etc/lwsyslog/lwsyslog.d/*.toml are merged after this one, in sorted order.
# Option names carry their unit (_secs, _bytes). Unknown keys and wrong types are errors:
# check with `lwsyslog check-config`, then send rsyslogd a HUP (or restart it) to apply.
"""

# Marks a setting line: "#" directly followed by the key, so "# text" stays an explanation.
SETTING_MARK = "#"


def _is_header(line: str) -> bool:
    return line.lstrip().startswith("[")


def _is_plain(line: str) -> bool:
    """A blank or comment line outside any value."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _body(defaults: str) -> list[str]:
    """The lines after the leading comment block (and the blank lines that end it)."""
    lines = defaults.splitlines()
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    return lines[index:]


def commented_defaults(defaults: str, version: str = "") -> tuple[str, list[int]]:
    """The conffile text and the 0-based numbers of the lines that carry a setting."""
    header = HEADER
    if version:
        header += f"# Generated from the built-in defaults of lwsyslog {version}.\n"
    out = [*header.splitlines(), ""]
    settings: list[int] = []
    statement: list[str] = []
    for line in _body(defaults):
        if not statement and (_is_plain(line) or _is_header(line)):
            out.append(line)
            continue
        statement.append(line)
        # A value may span lines (a long list): it is complete once it parses on its own.
        try:
            tomllib.loads("\n".join(statement))
        except tomllib.TOMLDecodeError:
            continue
        for part in statement:
            settings.append(len(out))
            out.append(SETTING_MARK + part)
        statement = []
    if statement:
        raise ValueError(f"defaults end inside a value: {statement[0]!r}")
    return "\n".join(out) + "\n", settings


def uncomment(text: str, settings: list[int]) -> str:
    """``text`` with the setting lines' mark removed: the defaults, active again."""
    lines = text.splitlines()
    for number in settings:
        lines[number] = lines[number].removeprefix(SETTING_MARK)
    return "\n".join(lines) + "\n"


def _leaves(table: dict[str, Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for key, value in table.items():
        if isinstance(value, dict):
            found.extend(_leaves(value, f"{prefix}{key}."))
        else:
            found.append(prefix + key)
    return found


def main(argv: list[str]) -> int:
    """Generate, check and write the conffile; exit 1 with the reason when a check fails."""
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    defaults_path, output = Path(argv[0]), Path(argv[1])
    defaults = defaults_path.read_text("utf-8")
    text, settings = commented_defaults(defaults, argv[2] if len(argv) == 3 else "")
    active = _leaves(tomllib.loads(text))
    if active:
        print(f"gen_conffile: left active: {', '.join(active)}", file=sys.stderr)
        return 1
    if tomllib.loads(uncomment(text, settings)) != tomllib.loads(defaults):
        print(f"gen_conffile: uncommenting does not give {defaults_path} back", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
