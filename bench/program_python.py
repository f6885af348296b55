"""Which Python interpreter runs lwsyslog in a benchmark that starts it as a program.

The Debian package runs lwsyslog in ``/opt/lwsyslog/venv``, a venv of Debian's own
``/usr/bin/python3`` (built with profile-guided and link-time optimisation, the interpreter
linked into the executable), and ``bootstrap.sh`` makes the checkout's ``.venv`` from it too. An
older ``.venv``, or one made with ``PYTHON=...``, may use another build (pyenv's: no such
optimisation, ``libpython`` a shared library), which runs the same Python work markedly slower:
compare ``--python system`` with ``--python /path/to/that/python`` in ``bench_storm.py`` or
``bench_scan.py``. ``system`` names a venv of ``/usr/bin/python3`` kept in
``bench/out/system-venv``, made on first use with the checkout installed in it as editable (so
it runs the checkout's code).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hostile_report import OUT_DIR, ROOT

__all__ = ["SYSTEM_PYTHON", "describe", "program_python"]

SYSTEM_PYTHON = Path("/usr/bin/python3")
_VENV = OUT_DIR / "system-venv"


def program_python(choice: str) -> str:
    """The interpreter for ``choice``: ``system`` (the package's, see above), ``this`` (the
    one running the benchmark) or a path."""
    if choice == "this":
        return sys.executable
    if choice != "system":
        return choice
    python = _VENV / "bin" / "python"
    if not python.exists():
        if not SYSTEM_PYTHON.exists():
            raise SystemExit(f"--python system: {SYSTEM_PYTHON} not found")
        print(f"making {_VENV} from {SYSTEM_PYTHON} (once)", file=sys.stderr)
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-e", f"{ROOT}[sigma]"],
            check=True,
        )  # fmt: skip
    return str(python)


def describe(python: str) -> str:
    """``python``'s version and build: ``3.11.2, libpython linked in, /usr/bin/python3.11``
    (whether the running interpreter mapped a ``libpython`` shared library)."""
    code = (
        "import sys, os; maps = open('/proc/self/maps').read(); "
        "print(sys.version.split()[0], 'libpython shared' if 'libpython' in maps "
        "else 'libpython linked in', os.path.realpath(sys.executable), sep=', ')"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"{python} (did not start: {done.stderr.strip()[:200]})"
