"""Import every compiled extension module of the running interpreter's site-packages.

Usage: ``VENV/bin/python check_extensions.py`` (run by build-deb.sh after stripping them).
Exits 1 naming each extension that does not load (a broken strip, a library missing here), so a
package whose compiled parts cannot run is never written.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import sysconfig
from pathlib import Path

__all__ = ["extension_modules", "main"]


def extension_modules(site_packages: Path) -> list[str]:
    """Dotted names of the extension modules under ``site_packages``."""
    # Longest first: ".cpython-311-x86_64-linux-gnu.so" before plain ".so".
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    names = set()
    for path in site_packages.rglob("*.so"):
        relative = path.relative_to(site_packages)
        if any(part.endswith(".libs") for part in relative.parts):
            continue
        suffix = next(s for s in suffixes if relative.name.endswith(s))
        names.add(str(relative)[: -len(suffix)].replace("/", "."))
    return sorted(names)


def main() -> int:
    """Import each extension; report the ones that fail."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    failed = []
    names = extension_modules(site_packages)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # any failure to load is the finding
            failed.append(f"{name}: {type(error).__name__}: {error}")
    for line in failed:
        print(f"check_extensions: {line}", file=sys.stderr)
    if not names:
        print(f"check_extensions: no extension modules under {site_packages}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
