"""List the Python distributions bundled in the package's venv, with version and license.

Usage: ``VENV/bin/python gen_bundled.py OUTPUT`` (run by build-deb.sh with the package's venv).

Writes ``NAME VERSION: LICENSE`` lines, sorted, to OUTPUT
(``/usr/share/doc/lwsyslog/bundled-python-packages.txt`` in the package): what an admin or a
security audit needs to know about the code in /opt/lwsyslog/venv. The license is the one the
distribution declares in its metadata (License-Expression, a one-line License field, or its
trove classifiers); the full texts ship in each one's ``*.dist-info`` directory.
"""

from __future__ import annotations

import sys
from importlib.metadata import Distribution, distributions
from pathlib import Path

__all__ = ["license_of", "main"]

_MAX_LICENSE_CHARS = 80


def license_of(dist: Distribution) -> str:
    """The license a distribution declares, in a few words."""
    meta = dist.metadata
    expression = (meta.get_all("License-Expression") or [""])[0]
    if expression:
        return str(expression)
    field = str((meta.get_all("License") or [""])[0]).strip()
    if field and "\n" not in field and len(field) <= _MAX_LICENSE_CHARS:
        return field
    prefix = "License :: "
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith(prefix)
    ]
    return ", ".join(classifiers) or "see its dist-info directory"


def main(argv: list[str]) -> int:
    """Write the list of bundled distributions to ``argv[0]``."""
    if len(argv) != 1:
        print("usage: gen_bundled.py OUTPUT", file=sys.stderr)
        return 2
    lines = sorted(
        f"{dist.metadata['Name']} {dist.version}: {license_of(dist)}" for dist in distributions()
    )
    Path(argv[0]).write_text("\n".join(lines) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
