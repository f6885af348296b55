"""The deployment guide's shell blocks and a run of them on the guide's machines.

:func:`guide_blocks` reads the blocks of docs/deploy.md with their markers; :class:`GuideRun`
runs each as written on its machine (see tests/integration/test_deploy_guide.py) and keeps
what it did; :func:`start_apache`, :func:`start_journald` and :func:`write_standins` make the
machines what a fresh Debian host is before the guide begins.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from guide_hosts import PrivateHost

from lwsyslog import lab

__all__ = [
    "ALERT_WAIT_SECS",
    "GUIDE",
    "REPO",
    "Block",
    "GuideRun",
    "Ran",
    "guide_blocks",
    "start_apache",
    "start_journald",
    "start_smtp",
    "write_standins",
]

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "deploy.md"
STANDINS = Path(__file__).with_name("guide_standins.py")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ROLES = ("admin", "server", "webhost")
ALERT_WAIT_SECS = 30
BLOCK_TIMEOUT_SECS = 300  # apt may wait for another apt's lock

_MARKER = re.compile(
    r"^<!-- deploy-test: (?P<spec>[^\n]*?) -->\n```sh\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL
)


@dataclass(frozen=True)
class Block:
    """One shell block of the guide and the machine it runs on."""

    role: str
    name: str
    script: str
    line: int

    @property
    def key(self) -> str:
        """``ROLE NAME``: unique in the guide."""
        return f"{self.role} {self.name}"


def guide_blocks(text: str) -> list[Block]:
    """The guide's marked blocks in order; AssertionError for a ```sh block without a marker,
    an unknown role or a role and name used twice."""
    blocks: list[Block] = []
    marked = set()
    for match in _MARKER.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        marked.add(line)
        spec = match["spec"]
        if spec.startswith("none"):
            continue
        role, _, name = spec.partition(" ")
        assert role in ROLES and re.fullmatch(r"[a-z0-9-]+", name), f"line {line - 1}: {spec!r}"
        blocks.append(Block(role, name, match["body"], line))
    fences = [i + 1 for i, text_line in enumerate(text.splitlines()) if text_line == "```sh"]
    assert [n for n in fences if n not in marked] == [], "```sh blocks without a marker"
    keys = [b.key for b in blocks]
    assert len(keys) == len(set(keys)), f"blocks marked twice: {keys}"
    return blocks


@dataclass
class Ran:
    """What one block did."""

    block: Block
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        """For assertion messages."""
        return (
            f"{self.block.role} block {self.block.name!r} (docs/deploy.md:{self.block.line}) "
            f"exited {self.returncode}\n--- script\n{self.block.script}--- stdout\n"
            f"{self.stdout[-4000:]}--- stderr\n{self.stderr[-4000:]}"
        )


@dataclass
class GuideRun:
    """The guide's blocks run in order on the two hosts and the admin machine."""

    workdir: Path
    admin: PrivateHost
    server: PrivateHost
    webhost: PrivateHost
    bin_dir: Path
    deb: Path
    """The package built from the checkout (dist/)."""
    ran: dict[str, Ran] = field(default_factory=dict)
    failed: str = ""
    observed: dict[str, object] = field(default_factory=dict)
    timeouts: dict[str, list[str]] = field(default_factory=dict)
    """What a hook waited for in vain, by the key of the block it ran for."""
    hook: str = ""

    def env(self, home: str) -> dict[str, str]:
        """A root login's environment with the stand-ins first on PATH."""
        return {
            "PATH": f"{self.bin_dir}:{SYSTEM_PATH}",
            "HOME": home,
            "USER": "root",
            "LOGNAME": "root",
            "SHELL": "/bin/bash",
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "LWSYSLOG_GUIDE_HOSTS": str(self.workdir / "hosts.json"),
        }

    def host(self, role: str) -> PrivateHost:
        """The namespace host of ``role``."""
        return {"admin": self.admin, "server": self.server}.get(role, self.webhost)

    def run(self, block: Block) -> Ran:
        """Run ``block`` as written on its machine."""
        argv = ["bash", "-e", "-o", "pipefail", "-c", block.script]
        # The admin machine's blocks run in the checkout, the others in root's home.
        cwd = str(REPO) if block.role == "admin" else "/root"
        started = time.monotonic()
        result = subprocess.run(
            self.host(block.role).command(*argv, cwd=cwd),
            env=self.env("/root"),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=BLOCK_TIMEOUT_SECS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        ran = Ran(block, result.returncode, result.stdout, result.stderr, seconds)
        self.ran[block.key] = ran
        with (self.workdir / "transcript.txt").open("a", encoding="utf-8") as transcript:
            transcript.write(
                f"=== {block.key} (docs/deploy.md:{block.line}): exit {ran.returncode}, "
                f"{ran.seconds:.1f}s\n{block.script}--- stdout\n{ran.stdout}--- stderr\n"
                f"{ran.stderr}"
            )
        return ran

    def note(self, title: str, text: str) -> None:
        """Add what a hook saw to the transcript."""
        with (self.workdir / "transcript.txt").open("a", encoding="utf-8") as transcript:
            transcript.write(f"=== observed: {title}\n{text}\n")

    # --- what the hosts show ----------------------------------------------------------------

    def alerts(self, *matches: str) -> list[dict[str, object]]:
        """The server journal's lwsyslog alerts (``matches`` like ``LWSYSLOG_RULE=x``)."""
        result = self.server.run(
            "journalctl", "--no-pager", "-o", "json", "-t", "lwsyslog", *matches, check=False
        )
        found = []
        for line in result.stdout.splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def wait_alert(self, *matches: str) -> list[dict[str, object]]:
        """Wait until an alert matching ``matches`` is in the server's journal."""
        try:
            lab.wait_for(lambda: bool(self.alerts(*matches)), ALERT_WAIT_SECS, str(matches))
        except TimeoutError as exc:
            self.timed_out(f"{exc}\n{self.diagnostics()}")
        return self.alerts(*matches)

    def timed_out(self, what: str) -> None:
        """Note that the running hook waited in vain for ``what``."""
        self.timeouts.setdefault(self.hook, []).append(what)

    def waited_in_vain(self, *keys: str) -> str:
        """The timeouts of the hooks of ``keys``' blocks, ``""`` when none."""
        return "\n".join(what for key in keys for what in self.timeouts.get(key, []))

    def diagnostics(self) -> str:
        """The logs that say why a line did not arrive."""
        parts = []
        for host, paths in (
            (self.webhost, ["/var/log/syslog", "/run/lwsyslog-guide/rsyslogd.out"]),
            (
                self.server,
                [
                    "/var/log/syslog",
                    "/run/lwsyslog-guide/rsyslogd.out",
                    "/var/log/lwsyslog/omprog.stderr",
                ],
            ),
        ):
            for path in paths:
                parts.append(f"--- {host.spec.hostname}:{path}\n{host.read(path)[-3000:]}")
        return "\n".join(parts)


def write_standins(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True)
    """The ``systemctl`` and ``scp`` stand-ins in ``bin_dir``."""
    for name in ("systemctl", "scp"):
        path = bin_dir / name
        # The system interpreter: the test's venv may live where the hosts cannot see it.
        path.write_text(f'#!/bin/sh\nexec /usr/bin/python3 {STANDINS} {name} "$@"\n')
        path.chmod(0o755)


def start_apache(host: PrivateHost, workdir: Path) -> subprocess.Popen[bytes]:
    """Debian's Apache as apache2.service runs it (its configuration in /etc/apache2)."""
    proc = host.spawn(
        "sh", "-c",
        '. /etc/apache2/envvars && mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" && '
        "exec /usr/sbin/apache2 -DFOREGROUND",
        output=workdir / "apache.out",
    )  # fmt: skip

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "apache.out").read_text(errors="replace"))
        probe = host.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/80", check=False)
        return probe.returncode == 0

    lab.wait_for(up, 20, "Apache on the web host")
    return proc


def start_journald(host: PrivateHost, workdir: Path) -> None:
    host.spawn("/lib/systemd/systemd-journald", output=workdir / f"journald-{host.spec.role}.out")
    lab.wait_for(
        lambda: host.run("test", "-S", "/run/systemd/journal/socket", check=False).returncode == 0,
        10,
        f"journald on {host.spec.hostname}",
    )


def start_smtp(host: PrivateHost, output: Path) -> None:
    """The server's mail transfer agent for the guide's e-mail channel: aiosmtpd on
    127.0.0.1:25, printing every message it receives to ``output``."""
    # The test's interpreter (aiosmtpd is a test dependency), which may live where the host's
    # mounts hide it (/root): in the host's network only.
    proc = host.spawn(
        sys.executable, "-u", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:25",
        output=output, network_only=True,
    )  # fmt: skip

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the mail server exited: {output.read_text(errors='replace')}")
        probe = host.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/25", check=False)
        return probe.returncode == 0

    lab.wait_for(up, 20, "the mail server on the central server")
