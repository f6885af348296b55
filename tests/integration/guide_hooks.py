"""The deployment guide test's hooks: what runs before a block (waits) and after it
(observations), keyed by the block's ``ROLE NAME`` (see tests/integration/test_deploy_guide.py).

A hook waits only for what the guide says will happen by itself ("within a second", "every 10
seconds", a mail), or stands for what the guide leaves to the world (the new package copied to
the server, visitors on the web host's site); it never runs a command the guide's block should.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import debpkg
from guide_hosts import OUTSIDER, SERVER, WEBHOST
from guide_runner import ALERT_WAIT_SECS, GuideRun

from lwsyslog import lab

__all__ = [
    "AFTER",
    "AFTER_ROTATION_CLIENT",
    "BEFORE",
    "RELP_PORT",
    "UPGRADE_VERSION",
]

RELP_PORT = 2514
STATUS_FILE = "/var/lib/lwsyslog/omprog-default.status.json"
TEST_SOCKET = "/var/spool/rsyslog/lwsyslog-test.sock"
METRICS_URL = "http://127.0.0.1:9721/metrics"
UPGRADE_VERSION = "0.2.0"
UPGRADE_WAIT_SECS = 60
UPGRADE_FILE = f"lwsyslog_{UPGRADE_VERSION}_amd64.deb"
"""The later version's file the guide names (the machine must be amd64, as its example)."""
AFTER_ROTATION_CLIENT = "203.0.113.77"
AFTER_ROTATION_LINE = (
    f'{AFTER_ROTATION_CLIENT} - - [05/Dec/2026:11:00:00 +0000] "GET /?file=../../../../etc/passwd '
    'HTTP/1.1" 200 512 "-" "curl/8.0"'
)


# --- the hooks: waits before a block, observations after it ------------------------------------


def _connects(run: GuideRun, source: str) -> bool:
    """Whether a TCP connection from ``source`` on the web host reaches the RELP port."""
    probe = (
        "import socket,sys\n"
        "s=socket.socket(); s.settimeout(3); s.bind((sys.argv[1], 0))\n"
        "s.connect((sys.argv[2], int(sys.argv[3]))); s.close()\n"
    )
    result = run.webhost.run(
        "python3", "-c", probe, source, SERVER.address, str(RELP_PORT), check=False
    )
    return result.returncode == 0


def _after_server_restart(run: GuideRun) -> None:
    run.observed["web host connects"] = _connects(run, WEBHOST.address)
    run.observed["outsider connects"] = _connects(run, OUTSIDER)


def _before_server_alerts(run: GuideRun) -> None:
    run.wait_alert("LWSYSLOG_HOST=" + WEBHOST.hostname)

    def in_messages() -> bool:
        return "UNION" in run.server.read("/var/log/lwsyslog/messages")

    def in_store() -> bool:
        shown = run.server.run("lwsyslog", "alerts", "--json", check=False).stdout
        return "sqli-union-select" in shown

    for arrived, where in ((in_messages, "the messages file"), (in_store, "the alert store")):
        try:
            lab.wait_for(arrived, ALERT_WAIT_SECS, f"the alert in {where}")
        except TimeoutError as exc:
            run.timed_out(str(exc))
    run.observed["alerts after requests"] = run.alerts()
    run.observed["raw access log"] = run.server.read(
        f"/var/log/lwsyslog/{WEBHOST.hostname}/apache-access.log"
    )


def _status_names_web_host(run: GuideRun) -> bool:
    try:
        record = json.loads(run.server.read(STATUS_FILE) or "{}")
    except ValueError:
        return False
    hosts = record.get("hosts")
    return isinstance(hosts, dict) and WEBHOST.hostname in hosts


def _before_server_status(run: GuideRun) -> None:
    """The program writes its status file every [metrics] interval_secs (10 s): wait for the
    one that knows the web host's lines, as an admin would look a little later."""
    try:
        lab.wait_for(lambda: _status_names_web_host(run), 30, "the web host in the status file")
    except TimeoutError as exc:
        run.timed_out(str(exc))


def _after_logrotate(run: GuideRun) -> None:
    """A line sent after the rotation: its alert must be in the new messages file and the line
    in the new raw copy (rsyslog and the program reopened their files on the HUP)."""
    run.observed["rotated messages"] = run.server.read("/var/log/lwsyslog/messages.1")
    run.observed["messages after rotation"] = run.server.read("/var/log/lwsyslog/messages")
    run.webhost.run("logger", "--socket", TEST_SOCKET, "-t", "apache-access", "-p", "local6.info",
                    AFTER_ROTATION_LINE)  # fmt: skip

    def arrived() -> bool:
        return AFTER_ROTATION_CLIENT in run.server.read("/var/log/lwsyslog/messages")

    try:
        lab.wait_for(arrived, ALERT_WAIT_SECS, "an alert in the new messages file")
    except TimeoutError as exc:
        run.timed_out(f"{exc}\n{run.diagnostics()}")
    run.observed["new messages"] = run.server.read("/var/log/lwsyslog/messages")
    raw = f"/var/log/lwsyslog/{WEBHOST.hostname}/apache-access.log"
    run.observed["new raw copy"] = run.server.read(raw)
    run.observed["rotated raw copy"] = run.server.read(f"{raw}.1")


def _before_logger_alert(run: GuideRun) -> None:
    run.observed["log4shell alerts"] = run.wait_alert("LWSYSLOG_RULE=log4shell-jndi")


def _before_trap(run: GuideRun) -> None:
    def reloaded() -> bool:
        return "configuration reloaded" in run.server.read("/var/log/lwsyslog/omprog.stderr")

    try:
        lab.wait_for(reloaded, ALERT_WAIT_SECS, "the program's reload")
        run.observed["reloaded"] = True
    except TimeoutError:
        run.observed["reloaded"] = False


def _before_trap_alert(run: GuideRun) -> None:
    run.observed["trap alerts"] = run.wait_alert("LWSYSLOG_RULE=watched-path")


def _reloads(run: GuideRun) -> int:
    return run.server.read("/var/log/lwsyslog/omprog.stderr").count("configuration reloaded")


def _before_scrape(run: GuideRun) -> None:
    def answers() -> bool:
        probe = run.server.run("curl", "-sf", "-o", "/dev/null", METRICS_URL, check=False)
        return probe.returncode == 0

    try:
        lab.wait_for(answers, ALERT_WAIT_SECS, "the metrics endpoint")
    except TimeoutError as exc:
        run.timed_out(f"{exc}\n{run.diagnostics()}")
    run.observed["status file"] = run.server.read(STATUS_FILE)


def _before_notify_attack(run: GuideRun) -> None:
    """The program must have loaded the e-mail channel (its third reload) before the attack."""
    try:
        lab.wait_for(lambda: _reloads(run) >= 3, ALERT_WAIT_SECS, "the reload with [notify]")
    except TimeoutError as exc:
        run.timed_out(f"{exc}\n{run.diagnostics()}")


def _readable(printed: str) -> str:
    """A message as aiosmtpd printed it: its headers and its text parts, decoded."""
    message = email.message_from_string(printed.lstrip("\n"), policy=email.policy.default)
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_attachment():
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def _mails(run: GuideRun) -> list[str]:
    """The messages the server's mail transfer agent (aiosmtpd) received, readable."""
    text = (run.workdir / "smtp.out").read_text(errors="replace")
    printed = text.split("---------- MESSAGE FOLLOWS ----------")[1:]
    return [_readable(mail.split("------------ END MESSAGE ------------")[0]) for mail in printed]


def _wait_mail(run: GuideRun, needle: str) -> list[str]:
    def arrived() -> bool:
        return any(needle in mail for mail in _mails(run))

    try:
        lab.wait_for(arrived, ALERT_WAIT_SECS, f"a mail with {needle!r}")
    except TimeoutError as exc:
        run.timed_out(f"{exc}\n{run.diagnostics()}")
    found = [mail for mail in _mails(run) if needle in mail]
    run.note(f"mails with {needle!r}", "\n---\n".join(found))
    return found


def _after_notify_attack(run: GuideRun) -> None:
    run.observed["notification mails"] = _wait_mail(run, "sqli-union-select")


def _after_report(run: GuideRun) -> None:
    run.observed["report mails"] = _wait_mail(run, "Subject: [lwsyslog] lwsyslog report:")
    shown = run.server.run("stat", "-c", "%U %a", "/var/lib/lwsyslog/report.html", check=False)
    run.observed["report page"] = shown.stdout.strip()


def _after_remove(run: GuideRun) -> None:
    """What is left on a host after the guide's removal blocks."""
    for host in (run.server, run.webhost):
        if f"{host.spec.role} remove" not in run.ran:
            continue
        shown = host.run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "lwsyslog", check=False)
        commands = []
        for pid in host.processes():
            try:
                commands.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "))
            except OSError:
                continue
        run.observed[f"{host.spec.role} after removal"] = {
            "dpkg": shown.stdout.strip() if shown.returncode == 0 else "unknown",
            "omprog running": any(b"lwsyslog-omprog" in command for command in commands),
            "rsyslogd running": any(
                command.startswith(b"/usr/sbin/rsyslogd") for command in commands
            ),
            "/opt/lwsyslog": host.run("test", "-e", "/opt/lwsyslog", check=False).returncode == 0,
            "user": host.run("getent", "passwd", "lwsyslog", check=False).stdout.strip(),
            "listening": host.run("ss", "-Hltn", "sport = :2514").stdout.strip(),
            "tls": host.run("ls", "/etc/lwsyslog/tls", check=False).stdout.split(),
            "/var/log/lwsyslog": host.run("test", "-e", "/var/log/lwsyslog", check=False).returncode
            == 0,
        }


def _status_pid(run: GuideRun) -> int:
    try:
        record = json.loads(run.server.read(STATUS_FILE) or "{}")
    except ValueError:
        return 0
    pid = record.get("pid") if isinstance(record, dict) else None
    return pid if isinstance(pid, int) else 0


def _before_upgrade(run: GuideRun) -> None:
    """The "new version" copied to the server as in section 1: this package relabelled."""
    newer = debpkg.repack(run.deb, UPGRADE_VERSION, run.workdir)
    assert newer.name == UPGRADE_FILE, newer
    copied = subprocess.run(
        [str(run.bin_dir / "scp"), str(newer), f"root@{SERVER.fqdn}:"],
        env=run.env("/root"), capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    run.observed["program before upgrade"] = _status_pid(run)


def _after_upgrade(run: GuideRun) -> None:
    shown = run.server.run("dpkg-query", "-W", "-f=${Version}", "lwsyslog", check=False)
    run.observed["version after upgrade"] = shown.stdout.strip()
    run.observed["local files after upgrade"] = run.server.run(
        "ls", "/etc/lwsyslog/lwsyslog.d", check=False
    ).stdout.split()
    stored = run.server.run("lwsyslog", "alerts", "--json", check=False).stdout
    run.observed["store after upgrade"] = "sqli-union-select" in stored


def _before_upgrade_status(run: GuideRun) -> None:
    """rsyslog starts the new program with the next line: visitors on the web host's site (a
    request every 5 s) until the new program has written its status file.

    One request is not enough: the web host's rsyslog sends that line on the RELP session the
    server's restart closed, and only the next line makes it reconnect and send both."""
    before = run.observed.get("program before upgrade")
    started = time.monotonic()
    requests = 0
    while time.monotonic() - started < UPGRADE_WAIT_SECS:
        run.webhost.run("curl", "-s", "-o", "/dev/null", "http://localhost/")
        requests += 1
        next_request = time.monotonic() + 5
        while time.monotonic() < next_request:
            if _status_pid(run) not in (0, before):
                run.note(
                    "new program after", f"{time.monotonic() - started:.1f}s, {requests} requests"
                )
                return
            time.sleep(0.5)
    run.timed_out(f"no new program's status file after {UPGRADE_WAIT_SECS}s\n{run.diagnostics()}")
    for host in (run.webhost, run.server):
        run.note(f"{host.spec.hostname} ss", host.run("ss", "-tanp", check=False).stdout)
    run.note("www1 impstats", run.webhost.read("/var/log/lwsyslog/impstats.json")[-4000:])


BEFORE: dict[str, Callable[[GuideRun], None]] = {
    "server alerts": _before_server_alerts,
    "server status": _before_server_status,
    "server logger-alert": _before_logger_alert,
    "webhost trap": _before_trap,
    "server trap-alert": _before_trap_alert,
    "server scrape": _before_scrape,
    "webhost notify-attack": _before_notify_attack,
    "server upgrade": _before_upgrade,
    "server upgrade-status": _before_upgrade_status,
}
AFTER: dict[str, Callable[[GuideRun], None]] = {
    "server restart": _after_server_restart,
    "webhost notify-attack": _after_notify_attack,
    "server report": _after_report,
    "server upgrade": _after_upgrade,
    "server remove": _after_remove,
    "webhost remove": _after_remove,
    "server logrotate": _after_logrotate,
}
