"""Stand-ins for ``systemctl`` and ``scp`` while the guide's commands run on one machine.

There is no systemd as PID 1 here and no second machine to copy to, so the deployment test
puts two small commands first on the PATH of the guide's shell blocks (``bin/systemctl``
and ``bin/scp`` call this module):

``systemctl start|stop|restart rsyslog``
    does what Debian's rsyslog.service does: runs ``/usr/sbin/rsyslogd -n -iNONE`` (the unit's
    ExecStart, so the host's /etc/rsyslog.conf and its drop-ins) with systemd's environment and
    waits for its ``READY=1`` on a NOTIFY_SOCKET (the unit is ``Type=notify``); a stop sends
    TERM and waits. The pid is kept in /run/lwsyslog-guide inside the host's namespace.
``systemctl kill -s SIGNAL rsyslog``
    sends SIGNAL to rsyslogd and its children (systemd's default ``--kill-whom=all``).
``systemctl start|restart|reload|stop nftables``
    runs nftables.service's commands (``nft -f /etc/nftables.conf``, ``nft flush ruleset``).
``systemctl start NAME.service`` (another unit: a oneshot service the package installs)
    runs the ExecStart of /lib/systemd/system/NAME.service as its User and Group (setpriv),
    if its ConditionPathExists holds, and exits with the command's status, as
    ``systemctl start`` of a ``Type=oneshot`` unit does.
``systemctl enable [--now] UNIT``, ``systemctl disable UNIT``
    says that there is nothing to enable without systemd (a timer is never started here),
    and succeeds.
``scp [-p] [-q] FILE... [root@]HOST:[DIR]``
    copies into the namespace of the host named HOST (the map of names to namespace holders
    is the JSON file in ``$LWSYSLOG_GUIDE_HOSTS``; the content goes through a pipe, since the
    admin machine's files are in its own namespace), with scp's file mode: the source's, less
    the remote umask 022 (``-p`` keeps it whole).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

STATE = Path("/run/lwsyslog-guide")
RSYSLOGD = ("/usr/sbin/rsyslogd", "-n", "-iNONE")
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UNIT_DIR = Path("/lib/systemd/system")
_READY_TIMEOUT_SECS = 30
_STOP_TIMEOUT_SECS = 30


def _say(message: str) -> None:
    print(f"systemctl (stand-in): {message}", file=sys.stderr)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def _tree(pid: int) -> list[int]:
    found = [pid]
    for kid in _children(pid):
        found += _tree(kid)
    return found


def _rsyslogd_pid() -> int:
    try:
        pid = int((STATE / "rsyslog.pid").read_text())
    except (OSError, ValueError):
        return 0
    return pid if _alive(pid) else 0


def _stop_rsyslog() -> int:
    pid = _rsyslogd_pid()
    if not pid:
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_SECS
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        _say(f"rsyslogd {pid} did not stop within {_STOP_TIMEOUT_SECS}s: killed")
        for each in _tree(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(each, signal.SIGKILL)
    (STATE / "rsyslog.pid").unlink(missing_ok=True)
    return 0


def _start_rsyslog() -> int:
    if _rsyslogd_pid():
        return 0
    STATE.mkdir(parents=True, exist_ok=True)
    notify = STATE / "notify.sock"
    notify.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.settimeout(0.2)
        with (STATE / "rsyslogd.out").open("ab") as out:
            proc = subprocess.Popen(
                RSYSLOGD,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # StandardOutput=null in rsyslog.service
                stderr=out,
                env={"PATH": SYSTEMD_PATH, "LANG": "C", "NOTIFY_SOCKET": str(notify)},
                start_new_session=True,
            )
        (STATE / "rsyslog.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + _READY_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _say(f"rsyslogd exited with status {proc.returncode}; see {STATE}/rsyslogd.out")
                return 1
            try:
                message = sock.recv(4096).decode(errors="replace")
            except TimeoutError:
                continue
            if "READY=1" in message.split("\n"):
                notify.unlink(missing_ok=True)
                return 0
    _say(f"rsyslogd did not report READY=1 within {_READY_TIMEOUT_SECS}s")
    return 1


def _nft(*args: str) -> int:
    return subprocess.run(["/usr/sbin/nft", *args], check=False).returncode


def _kill(unit: str, sig_name: str) -> int:
    if unit != "rsyslog":
        _say(f"kill: unit {unit} is not known here")
        return 1
    pid = _rsyslogd_pid()
    if not pid:
        _say("kill: rsyslog is not running")
        return 1
    name = sig_name.upper()
    sig = signal.Signals[name if name.startswith("SIG") else f"SIG{name}"]
    for each in _tree(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(each, sig)
    return 0


def _unit_settings(path: Path) -> dict[str, str]:
    """``Key=value`` lines of a unit file (the last one of a key wins; enough for ours)."""
    settings: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";", "[")):
            settings[key.strip()] = value.strip()
    return settings


def _start_oneshot(unit: str) -> int:
    path = UNIT_DIR / f"{unit}.service"
    if not path.is_file():
        _say(f"start {unit}: no {path}")
        return 5
    settings = _unit_settings(path)
    if settings.get("Type") != "oneshot" or "ExecStart" not in settings:
        _say(f"start {unit}: only a Type=oneshot unit with ExecStart is run here")
        return 2
    condition = settings.get("ConditionPathExists", "")
    if condition and not Path(condition).exists():
        _say(f"start {unit}: condition not met, {condition} does not exist (skipped)")
        return 0
    user = settings.get("User", "root")
    group = settings.get("Group", user)
    command = shlex.split(settings["ExecStart"])
    as_user = ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", "--"]
    home = subprocess.run(["getent", "passwd", user], capture_output=True, text=True,
                          check=False).stdout.split(":")  # fmt: skip
    env = {"PATH": SYSTEMD_PATH, "LANG": "C", "USER": user, "LOGNAME": user,
           "HOME": home[5] if len(home) > 5 else "/"}  # fmt: skip
    done = subprocess.run([*as_user, *command], env=env, cwd="/", check=False)
    if done.returncode != 0:
        _say(f"{unit}.service: {command[0]} exited with status {done.returncode}")
    return done.returncode


def systemctl(argv: Sequence[str]) -> int:
    """The subset of systemctl the guide uses (see the module docstring)."""
    args = [a for a in argv if a not in ("--no-pager", "--quiet", "-q", "--now")]
    sig_name = "TERM"
    for option in ("-s", "--signal"):
        if option in args:
            at = args.index(option)
            sig_name = args[at + 1]
            del args[at : at + 2]
    for arg in list(args):
        if arg.startswith("--signal="):
            sig_name = arg.partition("=")[2]
            args.remove(arg)
    if len(args) != 2:
        _say(f"not understood: {' '.join(argv)}")
        return 2
    verb, unit = args[0], args[1].removesuffix(".service")
    if verb in ("enable", "disable"):
        _say(f"{verb} {unit}: no systemd here, nothing to do at boot (no timer runs)")
        return 0
    if verb == "kill":
        return _kill(unit, sig_name)
    if unit == "rsyslog" and verb in ("start", "stop", "restart"):
        if verb in ("stop", "restart"):
            _stop_rsyslog()
        return 0 if verb == "stop" else _start_rsyslog()
    if unit == "nftables" and verb in ("start", "restart", "reload"):
        return _nft("-f", "/etc/nftables.conf")
    if unit == "nftables" and verb == "stop":
        return _nft("flush", "ruleset")
    if verb == "start" and "." not in unit:
        return _start_oneshot(unit)
    _say(f"{verb} {unit}: not supported by the stand-in")
    return 2


def scp(argv: Sequence[str]) -> int:
    """``scp [-p] [-q] FILE... [root@]HOST:[DIR]`` into a host's namespace."""
    keep_mode = "-p" in argv
    args = [a for a in argv if a not in ("-p", "-q")]
    if len(args) < 2 or ":" not in args[-1] or any(a.startswith("-") for a in args):
        print(f"scp (stand-in): not understood: {' '.join(argv)}", file=sys.stderr)
        return 2
    remote, _, target = args[-1].partition(":")
    user, _, host = remote.rpartition("@")
    hosts: dict[str, int] = json.loads(Path(os.environ["LWSYSLOG_GUIDE_HOSTS"]).read_text())
    if user not in ("", "root") or host not in hosts:
        print(f"scp (stand-in): unknown host {remote!r}", file=sys.stderr)
        return 1
    target = target or "/root"
    if not target.startswith("/"):
        target = f"/root/{target}"
    for source in args[:-1]:
        path = Path(source).resolve()
        mode = path.stat().st_mode & 0o777
        if not keep_mode:
            mode &= ~0o022
        script = (
            't=$2; [ -d "$t" ] && t=$t/$1; umask 077; cat >"$t.scp-part" && '
            'chmod "$3" "$t.scp-part" && mv -f "$t.scp-part" "$t"'
        )
        with path.open("rb") as content:
            done = subprocess.run(
                ["nsenter", "-t", str(hosts[host]), "-m", "--", "sh", "-c", script, "scp",
                 path.name, target, f"{mode:04o}"],
                stdin=content,
                check=False,
            )  # fmt: skip
        if done.returncode != 0:
            return 1
    return 0


def main(argv: Sequence[str]) -> int:
    """``guide_standins.py systemctl|scp ARGS...``."""
    if not argv or argv[0] not in ("systemctl", "scp"):
        print("usage: guide_standins.py systemctl|scp ARGS...", file=sys.stderr)
        return 2
    return systemctl(argv[1:]) if argv[0] == "systemctl" else scp(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
