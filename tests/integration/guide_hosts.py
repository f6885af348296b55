"""The deployment guide's machines on this one: each host in private namespaces.

docs/deploy.md deploys a central server (``logs.example.net``) and a web host
(``www1.example.net``) from an admin machine. :class:`PrivateHost` gives each of them its own
mount namespace (the admin machine) or mount, network, UTS and PID namespaces (the server and
the web host, whose PID 1 is a small init that reaps orphans, so rsyslogd outlives the
systemctl stand-in that started it), so the guide's commands run unchanged and write only into
the namespace:

- an overlay on /etc, /usr, /opt, /var/lib and /var/cache whose upper layer is a tmpfs: the
  guide's ``apt install`` installs the package there, with its own dpkg database, users and
  files, while this machine's installed packages (lwsyslog's among them, installed or not)
  stay as they are; a package this machine has is purged inside first
  (:meth:`PrivateHost.forget_package`), so each host starts as a fresh Debian 12;
- tmpfs over /run, /var/log, /var/spool/rsyslog, /var/lib/lwsyslog, /var/lib/logrotate,
  /etc/rsyslog.d and /root; /etc/hosts with the guide's names and /etc/rsyslog.conf
  (Debian 12's own, tests/fixtures) bind-mounted;
- on the server and the web host, a /dev of their own (a few device nodes made with mknod),
  a /proc of their own (``ps`` and ``lwsyslog status`` see the host's processes only),
  /proc/kmsg covered by a FIFO nobody writes to (Debian's rsyslog.conf loads imklog), their
  own host name (``logs``, ``www1``) and network: loopback plus one end of a veth link
  between the two, with the guide's addresses (192.0.2.10 and 192.0.2.11). Nothing listens
  outside the namespaces, and nft rules apply to that network only.

The namespaces end with their init: :meth:`PrivateHost.stop` stops every process whose mount
namespace is the host's (by pid: TERM, then KILL), then the init; the kernel ends whatever
would be left in a PID namespace with it, and the mounts, overlays and the veth link go with
the namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lwsyslog.lab import child_pids, pid_alive, stop_process, wait_for

__all__ = [
    "ADMIN",
    "FIXTURE_RSYSLOG_CONF",
    "OUTSIDER",
    "SERVER",
    "WEBHOST",
    "HostSpec",
    "PrivateHost",
    "hosts_file",
    "link",
    "missing_tools",
]

FIXTURE_RSYSLOG_CONF = Path(__file__).resolve().parents[1] / "fixtures" / "debian12-rsyslog.conf"
"""Debian 12's /etc/rsyslog.conf as the rsyslog package ships it."""


@dataclass(frozen=True)
class HostSpec:
    """One machine of the guide."""

    role: str
    hostname: str
    fqdn: str
    address: str


ADMIN = HostSpec("admin", "", "", "")
"""The admin (and build) machine: a mount namespace only, in the checkout."""
SERVER = HostSpec("server", "logs", "logs.example.net", "192.0.2.10")
WEBHOST = HostSpec("webhost", "www1", "www1.example.net", "192.0.2.11")
OUTSIDER = "192.0.2.99"
"""A second address of the web host's link: a machine the firewall must keep out."""

_PREFIX = 24
# PID 1 of a host: reaps every orphan; TERM ends it (and so the namespace).
_INIT = (
    "import os, signal, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: os._exit(0))\n"
    "while True:\n"
    "    try:\n"
    "        os.wait()\n"
    "    except ChildProcessError:\n"
    "        time.sleep(0.2)\n"
)
_STATE = "/run/lwsyslog-guide"
"""The stand-ins' own directory inside each host (pid files, rsyslogd's output)."""
_TOOLS = (
    "unshare", "nsenter", "ip", "nft", "mknod", "mkfifo", "hostname", "bash", "curl", "ss",
    "logrotate", "apt", "dpkg", "logger",
)  # fmt: skip
_OVERLAID = ("/etc", "/usr", "/opt", "/var/lib", "/var/cache")
"""What ``apt install`` writes (with /var/log): private copies-on-write in each host."""
_TMPFS = (
    ("/var/log", "0755"),
    ("/var/spool/rsyslog", "0700"),
    ("/etc/rsyslog.d", "0755"),
    ("/root", "0700"),
)
_DEVICES = (
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
)


def missing_tools() -> str:
    """Why the hosts cannot be made here, or ``""``."""
    if os.geteuid() != 0:
        return "needs root (namespaces, mounts)"
    for tool in _TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path("/usr/bin/python3").exists():
        return "/usr/bin/python3 is missing (the stand-ins and the hosts' init run on it)"
    if not Path("/etc/nftables.conf").is_file():
        return "/etc/nftables.conf is missing (apt install nftables)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay file system"
    return ""


def hosts_file() -> str:
    """The /etc/hosts every host gets: the guide's names at the guide's addresses."""
    lines = ["127.0.0.1\tlocalhost"]
    lines += [f"{h.address}\t{h.fqdn} {h.hostname}" for h in (SERVER, WEBHOST)]
    lines += ["::1\t\tlocalhost ip6-localhost ip6-loopback"]
    return "\n".join(lines) + "\n"


class PrivateHost:
    """One of the guide's machines: a holder process in new mount, network and UTS namespaces.

    ``workdir`` (on this machine's file system) holds the private copies of /etc files and
    the holder's output.
    """

    def __init__(self, spec: HostSpec, workdir: Path) -> None:
        self.spec = spec
        self.workdir = workdir
        self._holder: subprocess.Popen[bytes] | None = None
        self._init = 0
        self._started: list[subprocess.Popen[bytes]] = []

    # --- life -------------------------------------------------------------------------------

    def _script(self) -> str:
        w = self.workdir
        machine = self.spec is not ADMIN
        lines = [
            "set -eu",
            *([f"hostname {self.spec.hostname}", "ip link set lo up"] if machine else []),
            # The overlays' layers live on a tmpfs made before /run's, hidden under it.
            "mount -t tmpfs -o mode=0700 lwsyslog-guide /run",
            *(
                f"mkdir -p /run/up{d} /run/work{d} && mount -t overlay -o lowerdir={d},"
                f"upperdir=/run/up{d},workdir=/run/work{d} lwsyslog-guide {d}"
                for d in _OVERLAID
            ),
            "mount -t tmpfs -o mode=0755 lwsyslog-guide /run",
            # /run/systemd/system: "systemd runs" to Debian's scripts (logrotate's
            # rsyslog-rotate then calls systemctl: the stand-in).
            "mkdir -p /run/lock /run/systemd/journal /run/systemd/system /run/log/journal",
            f"mkdir -p {_STATE}",
            "chmod 1777 /run/lock",
        ]
        if machine:
            lines += [
                # imklog reads /proc/kmsg: a FIFO with a writer (fd 3 of the init) that never
                # writes keeps its read waiting, and this machine's kernel log untouched.
                f"mkfifo -m 0600 {_STATE}/kmsg",
                f"exec 3<>{_STATE}/kmsg",
                f"mount --bind {_STATE}/kmsg /proc/kmsg",
                # A /dev of its own: rsyslogd's imuxsock replaces /dev/log.
                "mount -t tmpfs -o mode=0755 lwsyslog-guide /dev",
                *(f"mknod -m 0666 /dev/{n} c {major} {minor}" for n, major, minor in _DEVICES),
                "ln -s /proc/self/fd /dev/fd",
                "ln -s /proc/self/fd/0 /dev/stdin",
                "ln -s /proc/self/fd/1 /dev/stdout",
                "ln -s /proc/self/fd/2 /dev/stderr",
                "mkdir -m 1777 /dev/shm",
                # Pseudo-terminals of its own (apt writes its log through one).
                "mkdir /dev/pts",
                "mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 lwsyslog-guide /dev/pts",
                "ln -s pts/ptmx /dev/ptmx",
            ]
        lines += [
            *(f"mount -t tmpfs -o mode={mode} lwsyslog-guide {path}" for path, mode in _TMPFS),
            "mkdir -p /var/log/apt",
            "install -d -o root -g adm -m 0750 /var/log/apache2",
            f"mount --bind {w}/hosts /etc/hosts",
            f"mount --bind {FIXTURE_RSYSLOG_CONF} /etc/rsyslog.conf",
            f"touch {w}/ready",
            f"exec /usr/bin/python3 -c '{_INIT}'",
        ]
        return "\n".join(lines) + "\n"

    def start(self) -> PrivateHost:
        """Make the namespaces and wait until the holder has mounted everything."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "hosts").write_text(hosts_file())
        machine = ["-n", "-u", "-p", "--mount-proc"] if self.spec is not ADMIN else []
        with (self.workdir / "holder.out").open("wb") as out:
            self._holder = subprocess.Popen(
                ["unshare", "-m", *machine, "--fork", "--propagation", "private",
                 "sh", "-c", self._script()],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )  # fmt: skip

        def ready() -> bool:
            if self._holder is not None and self._holder.poll() is not None:
                output = (self.workdir / "holder.out").read_text(errors="replace")
                raise RuntimeError(f"the {self.spec.role} namespace holder exited: {output}")
            return (self.workdir / "ready").exists()

        try:
            wait_for(ready, 15, f"the {self.spec.role} namespaces")
            # unshare --fork waits for its child, the init (PID 1 inside).
            (self._init,) = child_pids(self._holder.pid)  # type: ignore[union-attr]
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        """The init's pid (as this machine sees it): its namespaces are the host's."""
        if not self._init:
            raise RuntimeError("the host is not started")
        return self._init

    def command(self, *argv: str, cwd: str = "/") -> list[str]:
        """``argv`` prefixed so that it runs on this host, in ``cwd``."""
        # Not nsenter --wd: it opens the directory before entering the mount namespace.
        spaces = ["-m", "-n", "-u", "-p"] if self.spec is not ADMIN else ["-m"]
        enter = ["nsenter", "-t", str(self.pid), *spaces, "--"]
        return [*enter, "sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", cwd, *argv]

    def run(
        self, *argv: str, check: bool = True, timeout: float = 60, cwd: str = "/"
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` on this host; with ``check`` a failure raises AssertionError."""
        result = subprocess.run(
            self.command(*argv, cwd=cwd),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"on {self.spec.hostname}: {' '.join(argv)} exited {result.returncode}\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def spawn(
        self, *argv: str, output: Path, network_only: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start a long-running ``argv`` on this host (stopped by :meth:`stop`); with
        ``network_only``, in its network namespace alone (this machine's files, so a program
        of the test's venv)."""
        command = (
            ["nsenter", "-t", str(self.pid), "-n", "--", *argv]
            if network_only
            else self.command(*argv)
        )
        with output.open("ab") as out:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self._started.append(proc)
        return proc

    def forget_package(self, package: str) -> None:
        """Purge ``package`` here if this machine has it: the host starts without it."""
        shown = self.run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", package, check=False)
        if shown.returncode == 0 and not shown.stdout.startswith("un"):
            self.run("dpkg", "--purge", "--force-depends", package, timeout=120)

    def read(self, path: str) -> str:
        """A file's text as this host sees it (``""`` when it does not exist)."""
        result = self.run("cat", path, check=False)
        return result.stdout if result.returncode == 0 else ""

    def processes(self) -> list[int]:
        """Every live process in this host's mount namespace but its init and the unshare
        process above it (stopped by :meth:`stop` after the others)."""
        if not self._init:
            return []
        own = {self._init, self._holder.pid if self._holder is not None else 0}
        try:
            mine = os.readlink(f"/proc/{self._init}/ns/mnt")
        except OSError:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in own:
                continue
            try:
                if os.readlink(entry / "ns" / "mnt") == mine:
                    found.append(int(entry.name))
            except OSError:
                continue
        return [pid for pid in found if pid_alive(pid)]

    def all_pids(self) -> list[int]:
        """This host's processes with its init, the unshare process above it and what
        :meth:`spawn` started (a ``network_only`` program is in this machine's mounts)."""
        own = [self._init] if self._init else []
        own += [self._holder.pid] if self._holder is not None else []
        own += [proc.pid for proc in self._started if proc.poll() is None]
        return [*own, *self.processes()]

    def stop(self, timeout: float = 20) -> list[int]:
        """Stop every process on this host (TERM, then KILL after ``timeout``), then its init;
        the pids that needed KILL."""
        killed: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.processes()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    continue
                if sig == signal.SIGKILL:
                    killed.append(pid)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
                time.sleep(0.05)
        for proc in self._started:  # the nsenter processes, done when their child is
            stop_process(proc, 5)
        self._started.clear()
        if self._init:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._init, signal.SIGTERM)
            self._init = 0
        if self._holder is not None:
            stop_process(self._holder, 5)
            self._holder = None
        return killed


def link(server: PrivateHost, webhost: PrivateHost) -> None:
    """A veth link between the two hosts, each end ``eth0`` with the guide's address; the web
    host also gets :data:`OUTSIDER` (a machine that is not a web host)."""
    # Made from this machine's PID namespace, where the web host's init pid means it.
    subprocess.run(
        ["nsenter", "-t", str(server.pid), "-n", "--", "ip", "link", "add", "name", "eth0",
         "type", "veth", "peer", "name", "eth0", "netns", str(webhost.pid)],
        check=True, timeout=30,
    )  # fmt: skip
    for host, addresses in ((server, [SERVER.address]), (webhost, [WEBHOST.address, OUTSIDER])):
        for address in addresses:
            host.run("ip", "addr", "add", f"{address}/{_PREFIX}", "dev", "eth0")
        host.run("ip", "link", "set", "eth0", "up")


def write_json(path: Path, value: object) -> None:
    """``value`` as JSON in ``path`` (the stand-ins' map of host names to holders)."""
    path.write_text(json.dumps(value, indent=1) + "\n")
