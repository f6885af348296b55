"""lwsyslog's Debian package for the tests: build (or reuse), install with apt, remove, purge.

The package and deployment tests install the real package on this machine (CI runs as root on
a disposable one). :class:`Installer` installs it at most once per need and, at the end of the
session, purges it again unless it was installed before the session started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = [
    "BUILD_SCRIPT",
    "PACKAGE",
    "Installer",
    "apt_get",
    "build",
    "deb_field",
    "installed_version",
    "missing_requirements",
    "repack",
    "run",
]

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "packaging" / "build-deb.sh"
PACKAGE = "lwsyslog"
_POLICY_RC = Path("/usr/sbin/policy-rc.d")
_BUILD_TIMEOUT_SECS = 900
_APT_TIMEOUT_SECS = 600


def missing_requirements() -> str:
    """Why the package cannot be built and installed here, or ``""`` when it can."""
    if os.geteuid() != 0:
        return "needs root (installs a Debian package with apt)"
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "apt-get"):
        if shutil.which(tool) is None:
            return f"{tool} not found: not a Debian system"
    return ""


def run(*command: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``command``; with ``check``, a failure raises AssertionError with its output."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


def build() -> Path:
    """``bash packaging/build-deb.sh --reuse``: dist/'s package, rebuilt if the sources changed."""
    result = run("bash", str(BUILD_SCRIPT), "--reuse", timeout=_BUILD_TIMEOUT_SECS)
    return Path(result.stdout.strip().splitlines()[-1])


def deb_field(deb: Path, field: str) -> str:
    """One control field of a .deb file."""
    return run("dpkg-deb", "--field", str(deb), field).stdout.strip()


def installed_version() -> str:
    """The installed package's version, ``""`` when it is not (fully) installed."""
    result = run("dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", PACKAGE, check=False)
    status, _, version = result.stdout.partition(" ")
    return version if result.returncode == 0 and status == "installed" else ""


def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    """``apt-get -y ARGS`` as an admin would run it; services do not start meanwhile.

    A locally changed conffile is kept without a prompt (``--force-confold``). When apt cannot
    find a dependency, its lists are updated once and the command is tried again.
    """
    command = (
        "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q",
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
        *args,
    )  # fmt: skip
    policy_added = False
    if not _POLICY_RC.exists():
        # Like bootstrap.sh: a dependency pulled in (cron, ...) must not start its daemon here.
        _POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        _POLICY_RC.chmod(0o755)
        policy_added = True
    try:
        result = run(*command, check=False, timeout=_APT_TIMEOUT_SECS)
        if result.returncode != 0 and args[0] == "install":
            run("apt-get", "update", "-qq", timeout=_APT_TIMEOUT_SECS)
            result = run(*command, check=False, timeout=_APT_TIMEOUT_SECS)
    finally:
        if policy_added:
            _POLICY_RC.unlink()
    if result.returncode != 0:
        raise AssertionError(
            f"apt-get {' '.join(args)} exited {result.returncode}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def repack(deb: Path, version: str, directory: Path) -> Path:
    """A copy of ``deb`` that says ``version``: a real upgrade for dpkg, without a rebuild."""
    tree = directory / "tree"
    run("dpkg-deb", "--raw-extract", str(deb), str(tree))
    control = tree / "DEBIAN" / "control"
    lines = control.read_text().splitlines()
    control.write_text(
        "\n".join(f"Version: {version}" if line.startswith("Version:") else line for line in lines)
        + "\n"
    )
    out = directory / f"{PACKAGE}_{version}_{deb_field(deb, 'Architecture')}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(tree), str(out))
    shutil.rmtree(tree)
    return out


class Installer:
    """Installs the built package when it is not installed at its version."""

    def __init__(self, deb: Path) -> None:
        self.deb = deb
        self.version = deb_field(deb, "Version")
        self._md5sums = run("dpkg-deb", "--info", str(deb), "md5sums").stdout
        self._installed_before = bool(installed_version())

    def ensure_installed(self) -> None:
        """Install (or reinstall, or go back to) the built package unless it is in place.

        In place means this version with these files: a rebuild at the same version whose
        files differ (the md5sums dpkg keeps) is installed again.
        """
        if installed_version() == self.version and self._installed_md5sums() == self._md5sums:
            return
        apt_get("install", "--reinstall", "--allow-downgrades", str(self.deb))

    def ensure_present(self) -> None:
        """Install the built package unless some version of it is installed (an upgrade)."""
        if not installed_version():
            apt_get("install", str(self.deb))

    def _installed_md5sums(self) -> str:
        result = run("dpkg-query", "--control-path", PACKAGE, "md5sums", check=False)
        path = Path(result.stdout.strip())
        return path.read_text() if result.returncode == 0 and path.is_file() else ""

    def finish(self) -> None:
        """Purge the package if this session installed it (leave the machine as found)."""
        if (
            not self._installed_before
            and run("dpkg-query", "-W", PACKAGE, check=False).returncode == 0
        ):
            apt_get("purge", PACKAGE)
