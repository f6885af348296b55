"""The omprog ``binary=`` command line that runs the real lwsyslog-omprog from this install."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import lwsyslog
from lwsyslog.errors import LabError

__all__ = ["find_omprog_script", "omprog_command", "write_lab_config"]


def find_omprog_script() -> Path:
    """``omprog/lwsyslog-omprog`` of the source checkout lwsyslog runs from, else the
    installed ``lwsyslog-omprog`` script."""
    checkout = Path(lwsyslog.__file__).resolve().parents[1] / "omprog" / "lwsyslog-omprog"
    if checkout.is_file():
        return checkout
    installed = shutil.which("lwsyslog-omprog")
    if installed:
        return Path(installed)
    raise LabError("lwsyslog-omprog not found (no source checkout, not on PATH)")


def write_lab_config(path: Path, extra: str = "") -> Path:
    """A configuration file of the lab's own, so the host's /etc/lwsyslog is never read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# lwsyslog lab: built-in defaults; --messages-file on the command line sets the "
        "messages file.\n" + extra,
        encoding="utf-8",
    )
    return path


def omprog_command(
    *,
    config: Path,
    state_dir: Path,
    messages_file: Path,
    journald: bool = True,
    python: str = sys.executable,
    script: Path | None = None,
    extra: tuple[str, ...] = (),
    user: str = "root",
) -> str:
    """``PYTHON SCRIPT --config ... --state-dir ... --messages-file ...`` for omprog's ``binary=``.

    omprog splits ``binary`` at spaces and knows no quoting, so no part may contain white space.
    The lab's files live in a private temporary directory, so the program stays ``user`` root
    there unless told otherwise.
    """
    parts = [
        python,
        str(script or find_omprog_script()),
        "--config",
        str(config),
        "--state-dir",
        str(state_dir),
        "--messages-file",
        str(messages_file),
        *(() if journald else ("--no-journald",)),
        "--user",
        user,
        *extra,
    ]
    for part in parts:
        if not part or any(c.isspace() for c in part) or '"' in part or "\\" in part:
            raise LabError(f"omprog's binary= cannot carry this argument: {part!r}")
    return " ".join(parts)
