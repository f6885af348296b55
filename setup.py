"""Build hook: compile lwsyslog's per-line modules to C extensions with mypyc.

Everything else about the package is in ``pyproject.toml``. The modules listed in
``lwsyslog/compiled.py`` (``COMPILED_MODULES``) run for every log line; mypyc turns their typed
Python into C, which spends less time per line than the interpreter (README, Performance).

Compiling is asked for with ``LWSYSLOG_COMPILE=1`` and needs mypyc (``mypy``), a C compiler,
the Python headers and lwsyslog's dependencies installed in the building environment (mypyc
type-checks what it compiles), so ``bootstrap.sh`` and ``packaging/build-deb.sh`` install
lwsyslog first, then build it again with ``pip install --no-build-isolation --no-deps``. Any
other build is pure Python: the same ``.py`` files, which are installed in both cases, run
slower (``lwsyslog rules`` says which one runs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def _compiled_modules() -> list[str]:
    """The module list, read from lwsyslog/compiled.py without importing the package."""
    namespace: dict[str, object] = {}
    exec((ROOT / "lwsyslog" / "compiled.py").read_text(encoding="utf-8"), namespace)
    modules = namespace["COMPILED_MODULES"]
    assert isinstance(modules, tuple)
    return [str(module) for module in modules]


def _extensions() -> list[object]:
    if os.environ.get("LWSYSLOG_COMPILE", "0") != "1":
        return []
    try:
        from mypyc.build import mypycify  # noqa: PLC0415 (asked for: LWSYSLOG_COMPILE=1)
    except ImportError:
        sys.exit("setup.py: LWSYSLOG_COMPILE=1 needs mypyc: pip install mypy")
    paths = [module.replace(".", "/") + ".py" for module in _compiled_modules()]
    return list(mypycify(paths, opt_level="3"))


setup(ext_modules=_extensions())
