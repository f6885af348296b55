"""What a machine needs to run the lab (root, rsyslogd with RELP/TLS, apache2, journald)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lwsyslog.lab.apache import APACHE2
from lwsyslog.lab.journal import JOURNALD
from lwsyslog.lab.rsyslog import RSYSLOGD

__all__ = ["RSYSLOG_MODULES", "missing_requirements"]

RSYSLOG_MODULES = (
    "imrelp.so",
    "omrelp.so",
    "lmnsd_ossl.so",
    "omprog.so",
    "imfile.so",
    "imptcp.so",
    "imuxsock.so",
    "mmrm1stspace.so",
    "mmutf8fix.so",
)

_MODULE_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu/rsyslog"),
    Path("/usr/lib/aarch64-linux-gnu/rsyslog"),
    Path("/usr/lib/rsyslog"),
    Path("/usr/lib64/rsyslog"),
)


def missing_requirements(*, apache: bool = True) -> str:
    """Why the lab cannot run here, or ``""`` when it can."""
    if os.geteuid() != 0:
        return "needs root (mount namespaces, rsyslogd, apache2)"
    tools = [RSYSLOGD, JOURNALD, "/usr/bin/unshare", "/usr/bin/nsenter"]
    if apache:
        tools.append(APACHE2)
    for tool in tools:
        if not Path(tool).exists():
            return f"{tool} is not installed"
    module_dir = next((d for d in _MODULE_DIRS if (d / "omprog.so").exists()), None)
    if module_dir is None:
        return "rsyslog's module directory was not found"
    for module in RSYSLOG_MODULES:
        if not (module_dir / module).exists():
            return f"rsyslog module {module} is not installed (rsyslog-relp, rsyslog-openssl)"
    for command in ("openssl", "logger", "journalctl"):
        if shutil.which(command) is None:
            return f"{command} is not installed"
    return ""
