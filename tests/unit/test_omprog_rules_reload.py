"""The real omprog program and its rule files: SIGHUP loads a rule pack or Sigma file that
was added or changed, a bad one is reported and the running rules kept, and an error lwsyslog
did not anticipate while the rules load is one line on stderr, at start and on SIGHUP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.omprog_run import (
    HANG_GUARD_SECS,
    PROGRAM,
    SQLI,
    RunningProgram,
    base_config,
    envelope,
    wait_until,
)

PACK_RULE = """[pack]
product = "Acme"

[[rule]]
id = "exploit-acme-{name}"
title = "Acme {name} probe"
pattern = '/acme-{name}/'
must_match = ["/acme-{name}/x"]
must_not_match = ["/acme/x"]
"""
SIGMA_RULE = """title: Acme sigma probe
id: 9b1f7f7e-0000-4000-8000-0000000000ac
logsource:
  category: webserver
detection:
  sel:
    cs-uri-query|contains: acme-sigma-probe
  condition: sel
level: high
"""
PROBE = (
    '198.51.100.{n} - - [23/Nov/2026:14:00:05 +0000] "GET {target} HTTP/1.1" 404 512 "-" '
    '"Mozilla/5.0"'
)
#: Loaded by every Python the tests start with it on PYTHONPATH: loading the rule pack raises
#: an error lwsyslog does not anticipate while the file ``LWSYSLOG_TEST_BREAK`` names exists.
BREAK_HOOK = """
import os
if os.environ.get("LWSYSLOG_TEST_BREAK"):
    from lwsyslog.rulepack.source import PackSource
    _load = PackSource.load
    def _broken(self, config):
        if os.path.exists(os.environ["LWSYSLOG_TEST_BREAK"]):
            raise TypeError("broken \\x1b[31m\\x0asecond line")
        return _load(self, config)
    PackSource.load = _broken
"""


@pytest.fixture
def breaker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file whose existence breaks loading the rule pack in the programs started."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BREAK_HOOK)
    path = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    marker = tmp_path / "break"
    monkeypatch.setenv("LWSYSLOG_TEST_BREAK", str(marker))
    return marker


def probe(n: int, target: str) -> bytes:
    return envelope(PROBE.format(n=n, target=target))


def alerts(tmp_path: Path) -> list[tuple[str, str]]:
    """``(rule, client)`` of each alert in the messages file (``when severity rule
    client=IP ...``)."""
    path = tmp_path / "messages"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(line.split()[2], line.split()[3].removeprefix("client=")) for line in lines]


def alerted(tmp_path: Path, rule: str, client: str) -> bool:
    return (rule, client) in alerts(tmp_path)


def start(programs: list[RunningProgram], tmp_path: Path, extra: str, *args: str) -> RunningProgram:
    program = RunningProgram(tmp_path, base_config(tmp_path, extra), *args)
    programs.append(program)
    return program


def hup(program: RunningProgram, logged: str) -> None:
    """SIGHUP, then wait until the program logged ``logged``."""
    program.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: logged in program.stderr(), f"{logged!r} on stderr")


def pack_config(directory: Path) -> str:
    directory.mkdir(exist_ok=True)
    return f"[rule_packs]\ndirs = [{json.dumps(str(directory))}]\n"


@pytest.mark.parametrize("mode", [(), ("--transactions",)], ids=["per-line", "transactions"])
def test_sighup_loads_a_rule_pack_file_added_since_the_start(
    programs: list[RunningProgram], tmp_path: Path, mode: tuple[str, ...]
) -> None:
    packs = tmp_path / "packs"
    program = start(programs, tmp_path, pack_config(packs), *mode)
    assert program.send(probe(1, "/acme-new/x")) == ["OK"]
    (packs / "acme.toml").write_text(PACK_RULE.format(name="new"))
    hup(program, "configuration reloaded (rule files changed;")
    assert program.send(probe(2, "/acme-new/x")) == ["OK"]
    assert program.finish() == 0
    assert not alerted(tmp_path, "exploit-acme-new", "198.51.100.1")
    assert alerted(tmp_path, "exploit-acme-new", "198.51.100.2")


def test_sighup_loads_a_changed_rule_pack_file_and_forgets_a_removed_one(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    packs = tmp_path / "packs"
    config = pack_config(packs)
    (packs / "acme.toml").write_text(PACK_RULE.format(name="old"))
    (packs / "gone.toml").write_text(PACK_RULE.format(name="gone"))
    program = start(programs, tmp_path, config)
    (packs / "acme.toml").write_text(PACK_RULE.format(name="changed"))
    (packs / "gone.toml").unlink()
    hup(program, "configuration reloaded (rule files changed;")
    lines = [probe(3, "/acme-old/x"), probe(4, "/acme-changed/x"), probe(5, "/acme-gone/x")]
    assert program.send(*lines) == ["OK"] * 3
    assert program.finish() == 0
    # The old and the removed rules are gone.
    assert alerts(tmp_path) == [("exploit-acme-changed", "198.51.100.4")]


def test_sighup_with_unchanged_rule_files_keeps_the_pipeline_whatever_else_changed(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    packs = tmp_path / "packs"
    program = start(programs, tmp_path, pack_config(packs))
    (packs / "README").write_text("not a pack file")
    hup(program, "files reopened; configuration and rule files unchanged")
    assert program.finish() == 0


def test_sighup_loads_a_sigma_rule_file_added_since_the_start(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    pytest.importorskip("sigma")
    rules = tmp_path / "sigma"
    rules.mkdir()
    program = start(programs, tmp_path, f"[sigma]\nrule_dirs = [{json.dumps(str(rules))}]\n")
    assert program.send(probe(6, "/x?q=acme-sigma-probe")) == ["OK"]
    (rules / "acme.yml").write_text(SIGMA_RULE)
    hup(program, "configuration reloaded (rule files changed;")
    assert program.send(probe(7, "/x?q=acme-sigma-probe")) == ["OK"]
    assert program.finish() == 0
    rule = "sigma:9b1f7f7e-0000-4000-8000-0000000000ac"
    assert not alerted(tmp_path, rule, "198.51.100.6")
    assert alerted(tmp_path, rule, "198.51.100.7")


def test_sighup_with_a_malformed_rule_pack_file_keeps_the_running_rules(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    packs = tmp_path / "packs"
    config = pack_config(packs)
    (packs / "acme.toml").write_text(PACK_RULE.format(name="kept"))
    program = start(programs, tmp_path, config)
    (packs / "acme.toml").write_text('rule = ["abc"]\n')
    hup(program, "reload failed, keeping the running configuration")
    assert program.send(probe(8, "/acme-kept/x")) == ["OK"]
    assert program.finish() == 0
    assert f"{packs / 'acme.toml'}:1: key 'rule': entry #1 is not a table" in program.stderr()
    assert alerted(tmp_path, "exploit-acme-kept", "198.51.100.8")


@pytest.mark.parametrize("mode", [(), ("--transactions",)], ids=["per-line", "transactions"])
def test_an_unexpected_error_on_sighup_is_one_line_and_the_program_runs_on(
    programs: list[RunningProgram], tmp_path: Path, breaker: Path, mode: tuple[str, ...]
) -> None:
    program = start(programs, tmp_path, "", *mode)
    breaker.touch()
    base_config(tmp_path, '[rules.sqli-union-select]\nseverity = "critical"\n')
    hup(program, "reload failed, keeping the running configuration")
    assert program.send(envelope(SQLI.format(ip="203.0.113.61"))) == ["OK"]
    assert program.finish() == 0
    stderr = program.stderr()
    assert "Traceback" not in stderr
    assert (
        "reload failed, keeping the running configuration: unexpected TypeError at "
        "sitecustomize.py:8: broken \\x1b[31m\\x0asecond line\n"
    ) in stderr
    assert alerted(tmp_path, "sqli-union-select", "203.0.113.61")


@pytest.mark.parametrize("mode", [(), ("--transactions",)], ids=["per-line", "transactions"])
def test_an_unexpected_error_at_start_is_one_line_and_exit_status_2(
    tmp_path: Path, breaker: Path, mode: tuple[str, ...]
) -> None:
    breaker.touch()
    config = base_config(tmp_path)
    done = subprocess.run(
        [
            *(sys.executable, str(PROGRAM), "--user", "root", "--no-journald"),
            *("--config", str(config), "--state-dir", str(tmp_path / "state"), *mode),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert "Traceback" not in done.stderr.decode()
    assert (
        b"lwsyslog-omprog: error: cannot start: unexpected TypeError at sitecustomize.py:8: "
        b"broken \\x1b[31m\\x0asecond line\n"
    ) in done.stderr


def test_sighup_to_a_messages_file_that_cannot_be_one_keeps_the_running_sinks(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    """The new path was a directory: the reload applied it, dropped the working messages file
    and answered every later alert line with an error (red-team finding)."""
    program = start(programs, tmp_path, "")
    config = tmp_path / "lwsyslog.toml"
    text = config.read_text().replace(
        json.dumps(str(tmp_path / "messages")), json.dumps(str(tmp_path))
    )
    config.write_text(text)
    hup(program, "reload failed, keeping the running configuration")
    assert program.send(envelope(SQLI.format(ip="203.0.113.62"))) == ["OK"]
    assert program.finish() == 0
    assert "cannot be written: it is a directory" in program.stderr()
    assert alerted(tmp_path, "sqli-union-select", "203.0.113.62")
