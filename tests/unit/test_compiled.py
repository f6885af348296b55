"""The per-line modules run compiled to C (mypyc, built by ``bootstrap.sh``), and the same
modules as pure Python give the same output: ``lwsyslog scan --json`` on every corpus the
repository ships and on a fuzzed one, compiled against a copy of the sources without the C
extensions (what runs where no C compiler was at hand)."""

from __future__ import annotations

import importlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lwsyslog
from lwsyslog.compiled import COMPILED_MODULES, compiled_now

PACKAGE = Path(lwsyslog.__file__).resolve().parent
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPORA = sorted(
    [
        *FIXTURES.glob("attack-tools/*/*.log"),
        *FIXTURES.glob("logs/*.log"),
        *FIXTURES.glob("formats/*.log"),
        *FIXTURES.glob("formats/*/*.log"),
    ]
)
_PUNCTUATION = "'\"`;|&$(){}[]<>=%+-_*/\\.,:!?#@~^ "


def _fuzzed(path: Path, count: int) -> None:
    """Lines of the attack-tool runs cut, joined, re-cased and sprinkled with punctuation."""
    rng = random.Random(20261206)
    lines = [
        line
        for corpus in FIXTURES.glob("attack-tools/*/access.log")
        for line in corpus.read_text("utf-8", "replace").splitlines()
        if line
    ]
    out = []
    for _ in range(count):
        first, second = rng.choice(lines), rng.choice(lines)
        line = first[: rng.randrange(len(first) + 1)] + second[rng.randrange(len(second) + 1) :]
        if rng.random() < 0.3:
            line = line.upper() if rng.random() < 0.5 else line.swapcase()
        for _ in range(rng.randrange(4)):
            at = rng.randrange(len(line) + 1)
            line = line[:at] + rng.choice(_PUNCTUATION) * rng.randrange(1, 9) + line[at:]
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _lwsyslog(args: list[str], pythonpath: Path | None, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [sys.executable, "-m", "lwsyslog", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_per_line_module_runs_compiled() -> None:
    compiled = compiled_now()
    missing = sorted(set(COMPILED_MODULES) - set(compiled))
    assert not missing, f"not compiled: {missing}; run bootstrap.sh to build them"


def test_no_compiled_module_is_older_than_its_source() -> None:
    stale = []
    for name in COMPILED_MODULES:
        module = importlib.import_module(name)
        built = Path(module.__file__ or "")
        source = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if built.suffix == ".so" and built.stat().st_mtime < source.stat().st_mtime:
            stale.append(name)
    assert not stale, f"edited after the build: {stale}; run bootstrap.sh again"


@pytest.mark.slow
def test_pure_python_gives_the_same_scan_output_as_the_compiled_modules(
    tmp_path: Path,
) -> None:
    pure = tmp_path / "pure"
    shutil.copytree(
        PACKAGE, pure / "lwsyslog", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    fuzzed = tmp_path / "fuzzed.log"
    _fuzzed(fuzzed, 3000)
    files = [str(path) for path in [*CORPORA, fuzzed]]

    assert "pure Python" in _lwsyslog(["rules"], pure, tmp_path).splitlines()[1]
    assert "compiled (mypyc): all" in _lwsyslog(["rules"], None, tmp_path).splitlines()[1]
    compiled_scan = _lwsyslog(["scan", "--json", *files], None, tmp_path)
    pure_scan = _lwsyslog(["scan", "--json", *files], pure, tmp_path)
    assert compiled_scan.count("\n") > 100  # alerts from the attack-tool runs
    assert pure_scan == compiled_scan
