"""Sigma ``event_count`` correlations are threshold rules that share ``[alerts]
memory_budget_bytes`` with the built-in ones: wherever the rules are loaded (check-config,
scan, the omprog program's start and its reload), one whose windows the budget cannot hold is
refused naming its file and the largest count that fits, and one counting more than a window
holds is refused, not a traceback (both used to load, or crash the scan)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.config import load_config
from lwsyslog.detection.catalog import load_detection
from lwsyslog.errors import ConfigError
from tests.unit.omprog_run import HANG_GUARD_SECS, PROGRAM, RunningProgram, base_config, wait_until
from tests.unit.test_pipeline_sigma import CORRELATED

pytest.importorskip("sigma")

# The backup-probe correlation of the pipeline tests, its count left to each test.
CORRELATION = CORRELATED.lstrip("\n").replace("gte: 3\n", "gte: {count}\n")
assert "{count}" in CORRELATION
LOG = '192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET /x.bak HTTP/1.1" 404 12 "-" "curl/8.0"\n'
SMALL_BUDGET = "[alerts]\nmemory_budget_bytes = 1048576\n"


def _setup(tmp_path: Path, count: int, extra: str = SMALL_BUDGET) -> tuple[Path, Path]:
    rules = tmp_path / "sigma"
    rules.mkdir(exist_ok=True)
    rule = rules / "probes.yml"
    rule.write_text(CORRELATION.format(count=count))
    config = tmp_path / "lwsyslog.toml"
    config.write_text(f"[sigma]\nrule_dirs = [{json.dumps(str(rules))}]\n{extra}")
    return config, rule


def _errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, config: Path) -> list[str]:
    log = tmp_path / "access.log"
    log.write_text(LOG)
    common = ["--no-system-config", "--config", str(config)]
    errors = []
    for argv in (["check-config", *common], ["scan", *common, str(log)]):
        assert main(argv) == 2, argv
        errors.append(capsys.readouterr().err)
    return errors


def test_a_correlation_the_budget_cannot_hold_names_its_file_and_the_count_that_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, rule = _setup(tmp_path, 65000)
    for error in _errors(capsys, tmp_path, config):
        assert error.startswith(f"lwsyslog: error: {rule}: threshold rule sigma:"), error
        assert "counts 65000 events per window" in error
        assert f"memory_budget_bytes = 1048576 ({config}:4)" in error, error
    found = re.search(r"at most (\d+) with this budget", error)
    assert found is not None, error
    fits = int(found.group(1))
    assert 1 < fits < 65000

    _setup(tmp_path, fits)
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 0
    _setup(tmp_path, fits + 1)
    with pytest.raises(ConfigError, match=f"counts {fits + 1} events"):
        load_detection(load_config([config]))


def test_a_correlation_counting_more_than_a_window_holds_is_refused_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, rule = _setup(tmp_path, 200_000_000, extra="")
    for error in _errors(capsys, tmp_path, config):
        assert f"{rule}: threshold rule sigma:" in error
        assert "counts 200000000 events per window, more than the 65535 a window holds" in error
        assert "Traceback" not in error


def test_the_program_refuses_to_start_with_it_and_a_reload_keeps_the_running_rules(
    programs: list[RunningProgram], tmp_path: Path
) -> None:
    config, rule = _setup(tmp_path, 3, extra="")
    config = base_config(tmp_path, config.read_text() + SMALL_BUDGET)
    program = RunningProgram(tmp_path, config)
    programs.append(program)
    rule.write_text(CORRELATION.format(count=65000))
    program.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in program.stderr(), "a failed reload")
    assert f"keeping the running configuration: {rule}: threshold rule sigma:" in program.stderr()
    assert program.finish() == 0

    done = subprocess.run(
        [
            *(sys.executable, str(PROGRAM), "--user", "root", "--no-journald"),
            *("--config", str(config), "--state-dir", str(tmp_path / "state")),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=HANG_GUARD_SECS,
        check=False,
    )
    assert done.returncode == 2
    assert f"cannot start: {rule}: threshold rule sigma:" in done.stderr.decode()
