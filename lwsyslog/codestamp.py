"""A stamp of the lwsyslog code in use, for keys of results stored between runs.

A result checked or compiled once and kept in the database cache (the rule pack's checked
rules, Sigma rules converted to their plain description) is valid only for the code that
made it: a new build or an edited module must find no entry. :func:`code_stamp` names every
module and data table of the installed package by path, modification time and size, and
RE2's module, whose matching the rule pack's checks ran.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import lwsyslog
from lwsyslog.matching.linear import re2_available

__all__ = ["code_stamp", "file_stamp"]

_CODE_SUFFIXES = (".py", ".so", ".json")


def file_stamp(name: str | None) -> bytes:
    """``path:mtime:size`` of a file (empty when it has none)."""
    if not name:
        return b""
    try:
        status = os.stat(name)
    except OSError:
        return name.encode()
    return f"{name}:{status.st_mtime_ns}:{status.st_size}".encode()


# Once per process: the code a process runs is the code it imported at its start, and the
# rule pack and the Sigma rules both ask at every start.
@cache
def code_stamp() -> bytes:
    """The code in use: every module and data table of the installed package and RE2's
    module (a new build or an edit changes a file's stamp)."""
    stamps = []
    for directory, subdirectories, names in os.walk(Path(lwsyslog.__file__).parent):
        subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
        stamps += [
            file_stamp(os.path.join(directory, name))
            for name in sorted(names)
            if name.endswith(_CODE_SUFFIXES)
        ]
    re2 = sys.modules.get("re2") if re2_available() else None
    stamps.append(file_stamp(getattr(re2, "__file__", None)) or b"no re2")
    return b"|".join(stamps)
