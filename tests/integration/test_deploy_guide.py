"""docs/deploy.md, followed literally: its shell blocks are the commands this test runs.

Every ```sh block of the guide is preceded by a marker, ``<!-- deploy-test: ROLE NAME -->``:
ROLE ``admin`` (the admin and build machine, in the checkout), ``server`` or ``webhost``; or
``none (why)`` for a block that is not run here (building the package: the fixture runs the
same script with ``--reuse``; installing a later version; the pip alternative). The marked
blocks run in the guide's order, each as ``bash -e -o pipefail -c BLOCK`` as root on its
machine.

The machines (tests/integration/guide_hosts.py; guide_runner.py runs the blocks): the admin
machine, the central server ``logs.example.net`` and the web host ``www1.example.net`` are each
a set of private namespaces on this machine, with a copy-on-write overlay of /etc, /usr, /opt,
/var/lib and /var/cache: the guide's ``apt install`` and ``apt purge`` run for real and change
only that overlay, so this machine's installed packages (lwsyslog's, installed or not, which
tests/integration/test_package.py installs and purges) are neither needed nor changed. The
server and the web host also have PID, UTS and network namespaces, joined by a veth link with
the guide's addresses, so the guide's paths, names, ports and firewall rule are used as
written. Each runs Debian 12's own /etc/rsyslog.conf, a real journald, real rsyslogd and nft;
the web host runs the real Apache with Debian's configuration; the server's "mail transfer
agent" is aiosmtpd on 127.0.0.1:25 of its network.

There is no systemd as PID 1 here and no second machine: ``systemctl`` and ``scp`` in the
guide's blocks are stand-ins (tests/integration/guide_standins.py) first on PATH. The
``systemctl`` stand-in starts ``rsyslogd -n -iNONE`` as rsyslog.service does and waits for
its READY=1, stops it by pid, sends ``kill -s`` signals to it and its children, runs
nftables.service's commands and a oneshot unit's ExecStart as its User; ``scp`` copies into the
other machine's namespace. Where the guide says "within a second" or shows output written
every few seconds, the test waits for it before running the block that looks (an alert, the
status file, the reloaded configuration, the metrics endpoint, a mail).

What is checked: every block exits 0; the firewall admits the web host's address and drops
another one; the guide's attack request to Apache raises its alert in the server's journal
(the guide's ``journalctl -t lwsyslog``), messages file and alert store, naming the web host,
while the normal request before it raises nothing; ``lwsyslog status`` is OK on both
machines; the test-socket line raises its alert; the configuration change is reloaded and its
trap URL raises an alert; the metrics endpoint serves the alerts by rule; the repeated attack
is mailed, and the report unit mails the daily report; after the forced log rotation a new
line reaches the new raw copy and its alert the new messages file; removal purges the package,
stops the program and keeps the certificates. Everything started is stopped by pid (TERM; a
process that needs KILL fails the test), and nothing is left: the namespaces, their mounts and
overlays and the link end with their init, and the work directory is removed
(``LWSYSLOG_GUIDE_TRANSCRIPT=FILE`` keeps a transcript of every block and what was observed).

Run time: about 55 s on this 2-core machine with the package already built (``--reuse``),
three ``apt install`` and two ``apt purge`` included; a build adds about 60 s.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import debpkg
import guide_hosts
import pytest
from guide_hosts import ADMIN, OUTSIDER, SERVER, WEBHOST, PrivateHost
from guide_runner import (
    ALERT_WAIT_SECS,
    GUIDE,
    REPO,
    GuideRun,
    Ran,
    guide_blocks,
    start_apache,
    start_journald,
    start_smtp,
    write_standins,
)

from lwsyslog import lab

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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


# --- the machines -----------------------------------------------------------------------------


# What the package needs from Debian, and the guide's tools: apt cannot download them into the
# hosts (they have no network but their link), so this machine must have them.
_DEBIAN_PACKAGES = (
    "rsyslog", "rsyslog-relp", "rsyslog-openssl", "openssl", "adduser", "logrotate", "man-db",
    "apache2", "curl", "nftables", "iproute2",
)  # fmt: skip


def _missing() -> str:
    reason = lab.missing_requirements() or guide_hosts.missing_tools()
    if reason:
        return reason
    shown = debpkg.run("dpkg-query", "-W", "-f=${db:Status-Status} ${Package}\\n",
                       *_DEBIAN_PACKAGES, check=False)  # fmt: skip
    installed = {line.split()[1] for line in shown.stdout.splitlines()
                 if line.startswith("installed ")}  # fmt: skip
    missing = [package for package in _DEBIAN_PACKAGES if package not in installed]
    return f"Debian packages not installed: {' '.join(missing)}" if missing else ""


@pytest.fixture(scope="module")
def guide_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuideRun]:
    """The guide run from top to bottom; the hosts are gone when the module's tests end."""
    reason = _missing()
    if reason:
        pytest.skip(f"deployment guide test: {reason}")
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    # Only now the package (built if need be): a machine that cannot run the guide skips first.
    deb = debpkg.build()
    workdir = tmp_path_factory.mktemp("guide")
    write_standins(workdir / "bin")
    admin = PrivateHost(ADMIN, workdir / "admin")
    server = PrivateHost(SERVER, workdir / "server")
    webhost = PrivateHost(WEBHOST, workdir / "webhost")
    run = GuideRun(workdir, admin, server, webhost, workdir / "bin", deb)
    try:
        for host in (admin, server, webhost):
            host.start()
            # A fresh Debian host, whatever this machine has installed.
            host.forget_package(debpkg.PACKAGE)
        guide_hosts.link(server, webhost)
        names = {}
        for host in (server, webhost):
            for name in (host.spec.fqdn, host.spec.hostname, host.spec.address):
                names[name] = host.pid
        guide_hosts.write_json(workdir / "hosts.json", names)
        for host in (server, webhost):
            start_journald(host, workdir)
            # A freshly installed Debian host: rsyslog runs, with Debian's configuration.
            host.run(str(workdir / "bin" / "systemctl"), "start", "rsyslog")
        start_apache(webhost, workdir)
        start_smtp(server, workdir / "smtp.out")

        for block in blocks:
            run.hook = block.key
            if block.key in BEFORE:
                BEFORE[block.key](run)
            ran = run.run(block)
            if ran.returncode != 0:
                earlier = "".join(
                    f"--- {r.block.key}: exit {r.returncode}\n{r.stdout}{r.stderr}"
                    for r in run.ran.values()
                    if r is not ran
                )
                run.failed = f"{ran.describe()}\n{run.diagnostics()}\n=== earlier blocks\n{earlier}"
                break
            if block.key in AFTER:
                AFTER[block.key](run)
        yield run
    finally:
        hosts = (webhost, server, admin)
        ran_there = [pid for host in hosts for pid in host.all_pids()]
        needed_kill = [pid for host in hosts for pid in host.stop()]
        left = [pid for pid in ran_there if lab.pid_alive(pid)]
        keep = os.environ.get("LWSYSLOG_GUIDE_TRANSCRIPT")
        if keep and (workdir / "transcript.txt").exists():
            shutil.copyfile(workdir / "transcript.txt", keep)
        shutil.rmtree(workdir, ignore_errors=True)
        assert left == [], f"processes of the guide's hosts still run: {left}"
        assert needed_kill == [], f"processes that only stopped on SIGKILL: {needed_kill}"


def _ran(run: GuideRun, name: str) -> Ran:
    if name not in run.ran:
        pytest.fail(f"block {name!r} did not run:\n{run.failed}")
    return run.ran[name]


# --- the tests ----------------------------------------------------------------------------------


def test_the_guide_has_the_blocks_this_test_checks() -> None:
    """Every block the assertions below rely on is in the guide, on the right machine."""
    keys = {b.key for b in guide_blocks(GUIDE.read_text(encoding="utf-8"))}
    needed = {
        "admin copy-package", "admin certs", "server install", "server firewall",
        "server setup", "server restart", "webhost install", "webhost setup", "webhost restart",
        "webhost requests", "server alerts", "webhost test-socket", "webhost logger",
        "server logger-alert", "server configure", "webhost trap", "server trap-alert",
    }  # fmt: skip
    assert sorted(needed - keys) == []
    assert set(BEFORE) | set(AFTER) <= keys


def test_the_build_block_is_what_the_package_fixture_runs() -> None:
    """The one command of section 1 is packaging/build-deb.sh, which debpkg.build() runs with
    --reuse (so a test run does not rebuild an unchanged package)."""
    text = GUIDE.read_text(encoding="utf-8")
    assert "-->\n```sh\nbash packaging/build-deb.sh\n```\n" in text
    assert debpkg.BUILD_SCRIPT == REPO / "packaging" / "build-deb.sh"


def test_every_block_succeeds(guide_run: GuideRun) -> None:
    """The guide runs from top to bottom, each block exiting 0."""
    if guide_run.failed:
        pytest.fail(guide_run.failed, pytrace=False)
    assert all(ran.returncode == 0 for ran in guide_run.ran.values())


def test_firewall_admits_only_the_web_host(guide_run: GuideRun) -> None:
    """After the server's blocks, the web host reaches port 2514 and another address does
    not (the nft rule of the guide, loaded by the nftables stand-in)."""
    _ran(guide_run, "server restart")
    assert guide_run.observed["web host connects"] is True, "the web host cannot reach 2514"
    assert guide_run.observed["outsider connects"] is False, (
        f"{OUTSIDER}, not a web host, reached port {RELP_PORT}"
    )
    assert f"tcp dport {RELP_PORT} drop" in _ran(guide_run, "server firewall").stdout


def test_attack_raises_an_alert_naming_the_web_host(guide_run: GuideRun) -> None:
    """The SQL injection sent to Apache is an alert in journald and in the messages file, as
    the guide's commands show them, both naming the web host."""
    shown = _ran(guide_run, "server alerts").stdout
    assert guide_run.waited_in_vain("server alerts") == ""
    journal_lines = [line for line in shown.splitlines() if " lwsyslog[" in line]
    assert any("sqli-union-select" in line for line in journal_lines), shown
    assert all(WEBHOST.hostname in line for line in journal_lines), shown
    messages = [line for line in shown.splitlines() if "sqli-union-select" in line and
                f"[source {WEBHOST.hostname}/apache-access:" in line]  # fmt: skip
    assert messages, shown
    stored = [line for line in shown.splitlines() if re.search(
        rf"\bcritical\b.*\bsqli-union-select\b.*\b{WEBHOST.hostname}\b", line)
        and line not in journal_lines and line not in messages]  # fmt: skip
    assert stored, shown
    assert "apache-access.log" in shown


def test_normal_request_raises_nothing(guide_run: GuideRun) -> None:
    """The normal request reached the server (its raw copy) but every alert is the attack's."""
    _ran(guide_run, "server alerts")
    raw = str(guide_run.observed["raw access log"])
    assert re.search(r'"GET / HTTP/1\.1" 200 ', raw), raw
    alerts = guide_run.observed["alerts after requests"]
    assert isinstance(alerts, list) and alerts
    assert all("UNION" in str(alert.get("LWSYSLOG_SAMPLE")) for alert in alerts), alerts


def test_test_socket_carries_a_logger_line(guide_run: GuideRun) -> None:
    """logger into the web host's test socket ends as a log4shell alert on the server."""
    shown = _ran(guide_run, "server logger-alert").stdout
    assert "log4shell-jndi" in shown, shown
    assert "203.0.113.9" in shown


def test_configuration_change_is_reloaded(guide_run: GuideRun) -> None:
    """check-config accepts the guide's file; after the HUP the trap URL raises an alert."""
    assert "configuration OK" in _ran(guide_run, "server configure").stdout
    assert guide_run.observed["reloaded"] is True
    assert "watched-path" in _ran(guide_run, "server trap-alert").stdout


def test_status_is_healthy_on_both_ends(guide_run: GuideRun) -> None:
    """lwsyslog status, as the guide runs it: OK on the server, naming the web host's last
    line, and OK on the web host."""
    assert guide_run.waited_in_vain("server status") == ""
    server = _ran(guide_run, "server status").stdout
    assert server.startswith("lwsyslog status: OK (server)\n"), server
    assert re.search(rf"^  {WEBHOST.hostname} +last line .* ok$", server, re.MULTILINE), server
    webhost = _ran(guide_run, "webhost status").stdout
    assert webhost.startswith("lwsyslog status: OK (webhost)\n"), webhost


def test_logrotate_starts_new_files_that_are_written(guide_run: GuideRun) -> None:
    """The package's logrotate rules, forced as the guide shows: the alerts so far are in
    messages.1, and a line sent afterwards reaches the new raw copy and its alert the new
    messages file (the HUP reached rsyslog and the program)."""
    listing = _ran(guide_run, "server logrotate").stdout
    assert "messages.1" in listing and "apache-access.log.1" in listing, listing
    assert guide_run.waited_in_vain("server logrotate") == ""
    assert "sqli-union-select" in str(guide_run.observed["rotated messages"])
    assert guide_run.observed["messages after rotation"] == ""
    new = str(guide_run.observed["new messages"])
    assert AFTER_ROTATION_CLIENT in new and "sqli-union-select" not in new, new
    assert AFTER_ROTATION_CLIENT in str(guide_run.observed["new raw copy"])
    assert AFTER_ROTATION_CLIENT not in str(guide_run.observed["rotated raw copy"])


def test_metrics_are_scraped(guide_run: GuideRun) -> None:
    """The metrics endpoint the guide switches on answers the guide's curl with the program's
    figures: the lines it received and the attack's alert by rule and severity."""
    assert guide_run.waited_in_vain("server scrape") == ""
    shown = _ran(guide_run, "server scrape").stdout
    received = re.search(
        r'^lwsyslog_lines_received_total\{omprog_instance="default"\} (\d+)', shown, re.MULTILINE
    )
    assert received and int(received[1]) >= 4, shown
    assert re.search(r'^lwsyslog_alerts_total\{.*rule="sqli-union-select",severity="critical"\} '
                     r"[1-9]", shown, re.MULTILINE), shown  # fmt: skip


def test_alert_and_daily_report_are_mailed(guide_run: GuideRun) -> None:
    """With the guide's e-mail channel, the repeated attack reaches the mail server as a
    notification naming the web host, and the report unit mails the daily report and writes
    its page as user lwsyslog."""
    assert guide_run.waited_in_vain("webhost notify-attack", "server report") == ""
    _ran(guide_run, "server report")
    notes = guide_run.observed["notification mails"]
    assert isinstance(notes, list) and notes
    assert all("To: ops@example.net" in mail for mail in notes), notes
    assert any(f"critical sqli-union-select: 127.0.0.1 on {WEBHOST.hostname}" in mail
               and "GET /?id=2%27" in mail for mail in notes), notes  # fmt: skip
    reports = guide_run.observed["report mails"]
    assert isinstance(reports, list) and len(reports) == 1, reports
    page = str(guide_run.observed["report page"])
    assert page.startswith("lwsyslog "), page  # written by the unit's User


def test_removal_leaves_the_admins_files_only(guide_run: GuideRun) -> None:
    """After the guide's removal blocks: the package is purged on both hosts, no omprog program
    runs, nothing listens on the RELP port, the lwsyslog user, /opt/lwsyslog and the logs are
    gone, the certificates the admin copied are kept, and rsyslogd runs on."""
    _ran(guide_run, "webhost remove")
    server = guide_run.observed["server after removal"]
    webhost = guide_run.observed["webhost after removal"]
    assert isinstance(server, dict) and isinstance(webhost, dict)
    for seen in (server, webhost):
        assert seen["dpkg"] in ("un", "pn", "unknown"), seen
        assert seen["/opt/lwsyslog"] is False and seen["user"] == "", seen
        assert seen["rsyslogd running"] is True and seen["omprog running"] is False, seen
        assert seen["/var/log/lwsyslog"] is False, seen
    assert server["listening"] == "", server
    assert server["tls"] == ["example.net-ca.crt", "logs.example.net.crt", "logs.example.net.key"]
    removed = _ran(guide_run, "server remove")
    # apt passes dpkg's output, maintainer scripts' included, through a pseudo-terminal.
    assert "kept /etc/lwsyslog" in removed.stdout + removed.stderr, removed.describe()


def test_upgrade_keeps_configuration_state_and_a_healthy_chain(guide_run: GuideRun) -> None:
    """The guide's upgrade on the server: the package says to restart rsyslog, the admin's
    configuration files and the alert store are kept, and after setup and restart the new
    program runs and the status is OK."""
    installed = _ran(guide_run, "server upgrade")
    assert "restart rsyslog" in installed.stdout + installed.stderr, installed.describe()
    assert guide_run.observed["version after upgrade"] == UPGRADE_VERSION
    kept = guide_run.observed["local files after upgrade"]
    assert kept == ["50-local.toml", "60-metrics.toml", "70-notify.toml"], kept
    assert guide_run.observed["store after upgrade"] is True
    assert "configuration OK" in _ran(guide_run, "server upgrade-setup").stdout
    assert guide_run.waited_in_vain("server upgrade-status") == ""
    status = _ran(guide_run, "server upgrade-status").stdout
    assert status.startswith("lwsyslog status: OK (server)\n"), status
