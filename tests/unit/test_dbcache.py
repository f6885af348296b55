"""The matching-database cache: a scan from stored databases finds what a compiling scan
finds; a stored file that cannot be trusted is ignored and replaced; the cache stays bounded."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.matching import dbcache
from lwsyslog.matching.scanner import engine_name

from .omprog_run import SQLI, RunningProgram, base_config, envelope

pytestmark = pytest.mark.skipif(
    engine_name() != "hyperscan", reason="only Hyperscan databases are cached"
)

SAMPLE = Path(__file__).parent.parent / "fixtures" / "logs" / "sample-access.log"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's ``XDG_CACHE_HOME``; the scan's cache is ``home / "lwsyslog"``."""
    path = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(path))
    return path


def _scan(capsys: pytest.CaptureFixture[str], *options: str) -> list[dict[str, object]]:
    status = main(["scan", "--json", "--no-system-config", *options, str(SAMPLE)])
    out = capsys.readouterr().out
    assert status == 0
    return [json.loads(line) for line in out.splitlines()]


def _files(directory: Path) -> dict[str, os.stat_result]:
    return {path.name: path.stat() for path in sorted(directory.glob(f"*{dbcache.SUFFIX}"))}


def _uncached(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *options: str
) -> list[dict[str, object]]:
    config = tmp_path / "nocache.toml"
    config.write_text("[detection]\ncache = false\n", encoding="utf-8")
    return _scan(capsys, *options, "--config", str(config))


def test_a_scan_from_stored_databases_finds_what_a_compiling_scan_finds(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _uncached(capsys, tmp_path)
    assert not (home / "lwsyslog").exists()  # cache = false writes nothing
    assert any(record["kind"] == "finding" for record in expected)
    assert any(record["kind"] == "alert" for record in expected)
    assert _scan(capsys) == expected  # compiles and stores
    directory = home / "lwsyslog"
    stored = _files(directory)
    assert stored and stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(s.st_mode) == 0o600 for s in stored.values())
    assert _scan(capsys) == expected  # loads
    again = _files(directory)
    assert again.keys() == stored.keys()
    assert [s.st_ino for s in again.values()] == [s.st_ino for s in stored.values()]


def _tamper_and_rescan(
    home: Path, capsys: pytest.CaptureFixture[str], tamper: Callable[[Path], None]
) -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, os.stat_result]]:
    expected = _scan(capsys)
    directory = home / "lwsyslog"
    before = _files(directory)
    for name in before:
        tamper(directory / name)
    found = _scan(capsys)
    return expected, found, before


def _writable_by_others(path: Path) -> None:
    path.chmod(0o666)


def _bit_flipped(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def _garbage_with_a_good_digest(path: Path) -> None:
    """A file that bears its key and the digest of its contents, whose contents are no
    database: only the library can refuse it."""
    head = len(b"lwsyslog matching database 1\n") + 32
    payload = b"\x00not a hyperscan database\xff" * 64
    path.write_bytes(path.read_bytes()[:head] + hashlib.sha256(payload).digest() + payload)


@pytest.mark.parametrize(
    "tamper", [_writable_by_others, _bit_flipped, _truncated, _garbage_with_a_good_digest]
)
def test_a_cache_file_that_cannot_be_trusted_is_ignored_and_replaced(
    home: Path, capsys: pytest.CaptureFixture[str], tamper: Callable[[Path], None]
) -> None:
    expected, found, before = _tamper_and_rescan(home, capsys, tamper)
    assert found == expected
    after = _files(home / "lwsyslog")
    assert after.keys() == before.keys()
    for name, status in after.items():
        assert status.st_ino != before[name].st_ino, f"{name} was not written again"
        assert stat.S_IMODE(status.st_mode) == 0o600
    # What was written again is good: the next scan loads it.
    assert _scan(capsys) == expected
    assert [s.st_ino for s in _files(home / "lwsyslog").values()] == [
        s.st_ino for s in after.values()
    ]


def test_a_symlink_in_the_cache_is_not_followed_and_its_target_is_untouched(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _scan(capsys)
    directory = home / "lwsyslog"
    name = next(iter(_files(directory)))
    elsewhere = tmp_path / "elsewhere.hsdb"
    elsewhere.write_bytes((directory / name).read_bytes())
    (directory / name).unlink()
    (directory / name).symlink_to(elsewhere)
    assert _scan(capsys) == expected
    assert not (directory / name).is_symlink()
    assert elsewhere.read_bytes() == (directory / name).read_bytes()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files to another user")
def test_a_cache_of_another_user_is_never_loaded(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = 65534
    expected, found, _ = _tamper_and_rescan(
        home, capsys, lambda path: os.chown(path, nobody, nobody)
    )
    assert found == expected
    assert all(s.st_uid == os.geteuid() for s in _files(home / "lwsyslog").values())
    # A directory of another user is not used at all: nothing is read or written there.
    directory = home / "lwsyslog"
    os.chown(directory, nobody, nobody)
    for path in directory.iterdir():
        path.unlink()
    assert _scan(capsys) == expected
    assert not list(directory.iterdir())


def test_the_cache_stays_within_its_bound_as_the_rules_change(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = home / "lwsyslog"
    _scan(capsys)
    one_set = sum(s.st_size for s in _files(directory).values())
    first = set(_files(directory))
    # Room for one set of databases, not for two: each change of rules below replaces some.
    bound = max(int(one_set * 1.25), 1 << 20)
    configs = []
    for rule in ("log4shell-jndi", "log4shell-lookup", "shellshock-function-def"):
        config = tmp_path / f"without-{rule}.toml"
        config.write_text(
            f"[detection]\ncache_max_bytes = {bound}\n[rules.{rule}]\nenabled = false\n",
            encoding="utf-8",
        )
        configs.append(config)
    for config in configs:
        expected = _uncached(capsys, tmp_path, "--config", str(config))
        assert _scan(capsys, "--config", str(config)) == expected
        assert sum(s.st_size for s in _files(directory).values()) <= bound
        newest = {name: s.st_ino for name, s in _files(directory).items()}
        assert _scan(capsys, "--config", str(config)) == expected
        # This configuration's databases were kept, not pruned: the scan loaded them all.
        assert {name: s.st_ino for name, s in _files(directory).items()} == newest
    assert first - set(_files(directory)), "nothing was ever pruned: the bound was not tested"


def test_the_least_recently_used_databases_go_first(tmp_path: Path) -> None:
    store = dbcache.DatabaseCache(tmp_path / "cache", max_bytes=3 * 1100)
    keys = [dbcache.cache_key(str(n).encode()) for n in range(4)]
    for key in keys[:3]:
        store.put(key, bytes(1000))
    for number, key in enumerate(keys[:3]):  # oldest first, whatever the clock's resolution
        os.utime(store.directory / f"{key}{dbcache.SUFFIX}", (1000 + number, 1000 + number))
    assert store.get(keys[0]) == bytes(1000)  # used again: now the most recent
    store.put(keys[3], bytes(1000))
    assert store.get(keys[1]) is None
    assert all(store.get(key) == bytes(1000) for key in (keys[0], keys[2], keys[3]))
    assert store.usage().size <= store.max_bytes


def test_a_damaged_or_renamed_file_is_not_returned(tmp_path: Path) -> None:
    """What the library might still load (one changed byte, another key's database) never
    reaches it."""
    store = dbcache.DatabaseCache(tmp_path / "cache")
    first, second = dbcache.cache_key(b"first"), dbcache.cache_key(b"second")
    store.put(first, b"payload of the first database")
    path = store.directory / f"{first}{dbcache.SUFFIX}"
    assert store.get(first) == b"payload of the first database"
    (store.directory / f"{second}{dbcache.SUFFIX}").write_bytes(path.read_bytes())
    assert store.get(second) is None
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x20
    path.write_bytes(bytes(data))
    assert store.get(first) is None


def test_check_config_says_where_the_cache_is_and_when_it_is_off(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scan(capsys)
    assert main(["check-config", "--no-system-config"]) == 0
    line = next(
        row for row in capsys.readouterr().out.splitlines() if "matching database cache" in row
    )
    assert str(home / "lwsyslog") in line and "MiB of at most 32 MiB" in line
    config = tmp_path / "off.toml"
    config.write_text("[detection]\ncache = false\n", encoding="utf-8")
    assert main(["check-config", "--config", str(config)]) == 0
    assert "matching database cache: off" in capsys.readouterr().out


def test_the_program_keeps_its_databases_in_its_state_directory(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    messages = tmp_path / "messages"
    cache = tmp_path / "state" / "cache"
    for number, address in enumerate(("203.0.113.9", "203.0.113.10")):
        program = RunningProgram(tmp_path, config)
        assert program.send(envelope(SQLI.format(ip=address))) == ["OK"]
        assert program.finish() == 0
        assert address in messages.read_text()
        stored = _files(cache)
        if number == 0:
            first = stored
            assert first and stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert [s.st_ino for s in stored.values()] == [s.st_ino for s in first.values()]


_MANY_FIELDS_SIGMA = """\
title: Probe in several fields
id: 6f1d6c1e-3f57-4c1b-9d51-2b8a4c9e7a10
status: test
logsource:
  category: webserver
detection:
  in_query:
    cs-uri-query|contains: 'probe-one'
  in_path:
    cs-uri-stem|contains: 'probe-two'
  in_user_agent:
    cs-user-agent|contains: 'probe-three'
  in_uri:
    cs-uri|contains: 'probe-four'
  condition: 1 of in_*
level: high
"""


def test_a_scan_with_sigma_rules_finds_its_databases_again_whatever_the_string_hashing(
    tmp_path: Path,
) -> None:
    # Each process hashes strings with its own seed; a Sigma rule's literals come from sets.
    rules = tmp_path / "sigma"
    rules.mkdir()
    (rules / "fields.yml").write_text(_MANY_FIELDS_SIGMA, encoding="utf-8")
    config = tmp_path / "sigma.toml"
    config.write_text(f'[sigma]\nrule_dirs = ["{rules}"]\n', encoding="utf-8")
    cache = tmp_path / "xdg" / "lwsyslog"
    stored: list[dict[str, int]] = []
    for seed in ("1", "2", "3", "4", "5", "6"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "lwsyslog",
                "scan",
                "--json",
                "--no-system-config",
                "--config",
                str(config),
                str(SAMPLE),
            ],
            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
        )
        stored.append({name: status.st_ino for name, status in _files(cache).items()})
    assert stored[0]
    assert all(files == stored[0] for files in stored[1:])
