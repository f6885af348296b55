"""The generators behind the Debian package: the commented conffile and the commands' parsers."""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))

import cli_parsers
import gen_conffile

from lwsyslog.config import load_config

DEFAULTS = resources.files("lwsyslog").joinpath("data/defaults.toml").read_text("utf-8")


def test_conffile_sets_nothing_and_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    """The shipped lwsyslog.toml changes no setting; removing each added '#' restores all."""
    output = tmp_path / "lwsyslog.toml"
    assert gen_conffile.main([str(_defaults_file(tmp_path)), str(output), "9.9"]) == 0
    text = output.read_text()
    assert "lwsyslog 9.9" in text
    assert "\n#cooldown_secs = 300\n" in text
    assert "\n[thresholds.urgent-burst]\n" in text
    loaded = load_config([output])
    assert replace(loaded, files=()) == replace(load_config([]), files=())
    generated, settings = gen_conffile.commented_defaults(DEFAULTS, "9.9")
    assert generated == text
    assert tomllib.loads(gen_conffile.uncomment(text, settings)) == tomllib.loads(DEFAULTS)


def test_conffile_comments_every_line_of_a_multiline_value() -> None:
    """A list spread over lines is commented whole, its table header and explanations kept."""
    defaults = (
        '# about this file\n\n[a]\n# why\nitems = [\n    "x",  # note\n    "]",\n]\n[b]\nn = 1\n'
    )
    text, settings = gen_conffile.commented_defaults(defaults)
    body = text.split("\n\n", 1)[1]
    assert body == ('[a]\n# why\n#items = [\n#    "x",  # note\n#    "]",\n#]\n[b]\n#n = 1\n')
    assert tomllib.loads(text) == {"a": {}, "b": {}}
    assert tomllib.loads(gen_conffile.uncomment(text, settings)) == tomllib.loads(defaults)


def test_conffile_refuses_defaults_that_end_inside_a_value(tmp_path: Path) -> None:
    """A broken defaults file stops the build instead of shipping half a setting."""
    broken = tmp_path / "defaults.toml"
    broken.write_text("[a]\nitems = [\n  1,\n")
    try:
        gen_conffile.main([str(broken), str(tmp_path / "out.toml")])
    except ValueError as error:
        assert "items = [" in str(error)
    else:
        raise AssertionError("no error for a value that never ends")
    assert not (tmp_path / "out.toml").exists()


def test_every_console_script_has_a_parser() -> None:
    """The man pages and completions can be made for both commands, from their real options."""
    scripts = cli_parsers.console_scripts()
    assert list(scripts) == ["lwsyslog", "lwsyslog-omprog"]
    lwsyslog, omprog = scripts["lwsyslog"], scripts["lwsyslog-omprog"]
    commands = next(
        action for action in lwsyslog._actions if isinstance(action, argparse._SubParsersAction)
    )
    assert {"scan", "rules", "check-config", "setup"} <= set(commands.choices)
    assert "--state-dir" in omprog._option_string_actions
    assert omprog.prog == "lwsyslog-omprog"
    # Taking omprog's parser left argparse as it was.
    assert omprog.parse_args(["--instance", "a"]).instance == "a"


def _defaults_file(directory: Path) -> Path:
    path = directory / "defaults.toml"
    path.write_text(DEFAULTS)
    return path
