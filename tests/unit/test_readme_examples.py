"""The README's configuration examples load: a rule id or key there that the code does not
know would send users straight into a config error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lwsyslog.config import load_config

README = Path(__file__).resolve().parents[2] / "README.md"
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _toml_examples() -> list[str]:
    return _TOML_BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_configuration_examples() -> None:
    assert _toml_examples()


@pytest.mark.parametrize("index", range(len(_toml_examples())))
def test_each_readme_configuration_example_loads(tmp_path: Path, index: int) -> None:
    path = tmp_path / "example.toml"
    path.write_text(_toml_examples()[index], encoding="utf-8")
    config = load_config([path])
    assert str(path) in config.files
