"""Check a drop-in with ``rsyslogd -N1``, alone or in the configuration it will run in.

rsyslog refuses a module loaded twice and a ``global()`` parameter set twice, so a drop-in
that validates on its own can still break the host's configuration: Debian's
``/etc/rsyslog.conf`` already loads ``imuxsock`` and ``imklog``, and a machine that is both web
host and central server includes both lwsyslog drop-ins. :func:`validate` therefore checks
the drop-in inside a copy of the main configuration when one is given: its include
directives are replaced by the other drop-ins of the directory and the new one, in the order
rsyslog would read them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.errors import SetupError

__all__ = ["MAIN_CONF", "Validation", "validate"]

MAIN_CONF = Path("/etc/rsyslog.conf")
"""The main configuration the drop-ins are included from (Debian's)."""

# `$IncludeConfig /etc/rsyslog.d/*.conf` (Debian) or a one-line include(...) statement.
_INCLUDE = re.compile(r"^[ \t]*(\$IncludeConfig[ \t]+\S+|include[ \t]*\(.*\))[ \t]*$", re.M)


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of ``rsyslogd -N1`` on a drop-in: ``ok`` and rsyslogd's own messages."""

    ok: bool
    messages: tuple[str, ...]


def _rsyslogd() -> str:
    found = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
    )
    if found is None:
        raise SetupError("rsyslogd is not installed: cannot validate the drop-in")
    return found


def _includes(paths: Sequence[Path]) -> str:
    # One line, so the main configuration's line numbers in rsyslogd's messages stay right.
    return " ".join(f'include(file="{path}" mode="required")' for path in paths)


def _wrapper(
    tmp: Path, dropin: Path, display_name: str, main_conf: Path | None, others: Sequence[Path]
) -> str:
    if main_conf is None:
        # A throw-away work directory: the check needs no write access to the system's.
        return f'global(workDirectory="{tmp}")\n' + _includes([*others, dropin]) + "\n"
    try:
        main = main_conf.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SetupError(f"cannot read the main rsyslog configuration {main_conf}: {exc}") from exc
    # Sorted by file name, as rsyslog expands the include glob; the new drop-in under the
    # name it will be written with.
    named = sorted([(p.name, p) for p in others] + [(Path(display_name).name, dropin)])
    block = _includes([path for _name, path in named])
    if _INCLUDE.search(main) is None:
        return main + "\n" + block + "\n"
    replaced = [False]

    def first_only(_match: re.Match[str]) -> str:
        if replaced[0]:
            return ""
        replaced[0] = True
        return block

    return _INCLUDE.sub(first_only, main)


def validate(
    conf_text: str,
    *,
    display_name: str = "drop-in",
    main_conf: Path | None = None,
    others: Sequence[Path] = (),
) -> Validation:
    """Run ``rsyslogd -N1`` on ``conf_text``; messages naming the temporary file name
    ``display_name`` instead.

    Without ``main_conf`` the drop-in (after ``others``) is checked alone, with a throw-away
    work directory. With it, the check runs on a copy of ``main_conf`` whose first include
    directive is replaced by ``others`` and the drop-in (sorted by file name, the drop-in as
    ``display_name``'s file name) and whose other include directives are dropped: the
    configuration rsyslogd will load once the drop-in is installed.
    """
    rsyslogd = _rsyslogd()
    with tempfile.TemporaryDirectory(prefix="lwsyslog-validate-") as tmp:
        dropin = Path(tmp) / "dropin.conf"
        dropin.write_text(conf_text, encoding="utf-8")
        wrapper = Path(tmp) / "wrapper.conf"
        wrapper.write_text(
            _wrapper(Path(tmp), dropin, display_name, main_conf, others), encoding="utf-8"
        )
        proc = subprocess.run(
            [rsyslogd, "-N1", "-f", str(wrapper)],
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    shown_main = str(main_conf) if main_conf is not None else "<wrapper>"
    lines = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if "config validation run" in line or "End of config validation" in line:
            continue
        lines.append(line.replace(str(dropin), display_name).replace(str(wrapper), shown_main))
    return Validation(ok=proc.returncode == 0, messages=tuple(lines))
