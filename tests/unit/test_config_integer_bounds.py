"""An integer key above what TOML can hold (a signed 64-bit integer; Python's reader takes
any) is refused like any other bad value, naming file, line, table and key, by
``check-config`` and by the loader every command uses: it used to load, and went on to
SQLite and the counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.config import load_config
from lwsyslog.errors import ConfigError

HUGE = 99999999999999999999999
MAX_INTEGER = 2**63 - 1  # TOML's largest integer

# Every integer key of the configuration without a smaller bound of its own.
KEYS = [
    ("store", "max_rows"),
    ("store", "max_bytes"),
    ("alerts", "max_keys"),
    ("alerts", "memory_budget_bytes"),
    ("alerts", "storm_max_alerts"),
    ("detection", "cache_max_bytes"),
    ("hosts", "max_hosts"),
    ("crawlers", "max_in_flight"),
    ("crawlers", "max_pending"),
    ("crawlers", "max_cache_entries"),
    ("crawlers", "max_cache_bytes"),
    ("notify", "outbox_max_bytes"),
]
_CHANNEL = '[notify.channels.w]\ntype = "webhook"\nurl = "https://hooks.example.net/x"\n'


def _config(tmp_path: Path, table: str, key: str, value: int) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(f"# one integer too large\n[{table}]\n{key} = {value}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("table", "key"), KEYS)
def test_an_integer_above_64_bits_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, key: str
) -> None:
    config = _config(tmp_path, table, key, HUGE)
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:3 [{table}] key '{key}': must be " in err, err
    assert f"{MAX_INTEGER}, got {HUGE}" in err, err


@pytest.mark.parametrize(("table", "key"), KEYS)
def test_the_largest_64_bit_integer_is_taken(tmp_path: Path, table: str, key: str) -> None:
    load_config([_config(tmp_path, table, key, MAX_INTEGER)])


@pytest.mark.parametrize("key", ["storm_clients", "rate_limit_messages"])
def test_a_notify_channel_integer_above_64_bits_is_refused(tmp_path: Path, key: str) -> None:
    config = tmp_path / "big.toml"
    config.write_text(f"# channel\n{_CHANNEL}{key} = {HUGE}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value) == (
        f"{config}:5 [notify.channels.w] key '{key}': must be from 0 to {MAX_INTEGER}, got {HUGE}"
    )


def test_a_value_below_the_least_still_says_the_least(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'max_rows': must be >= 1, got 0$"):
        load_config([_config(tmp_path, "store", "max_rows", 0)])
