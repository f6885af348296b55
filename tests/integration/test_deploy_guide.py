"""docs/deploy.md, followed literally: its shell blocks are the commands this test runs.

Every ```sh block of the guide is preceded by a marker, ``<!-- deploy-test: ROLE NAME -->``:
ROLE ``admin`` (the admin and build machine, in the checkout), ``server`` or ``webhost``; or
``none (why)`` for a block that is not run here (building the package: the fixture runs the
same script with ``--reuse``; installing a later version; the pip alternative). The marked
blocks run in the guide's order, each as ``bash -e -o pipefail -c BLOCK`` as root on its
machine.

The machines (tests/integration/guide_hosts.py; guide_runner.py runs the blocks, guide_hooks.py
waits and observes around them): the admin machine, the central server ``logs.example.net`` and
the web host ``www1.example.net`` are each a set of private namespaces on this machine, with a
copy-on-write overlay of /etc, /usr, /opt, /var/lib and /var/cache: the guide's ``apt install``
and ``apt purge`` run for real and change only that overlay, so this machine's installed
packages (lwsyslog's, installed or not, which tests/integration/test_package.py installs and
purges) are neither needed nor changed. The server and the web host also have PID, UTS and
network namespaces, joined by a veth link with the guide's addresses, so the guide's paths,
names, ports and firewall rule are used as written. Each runs Debian 12's own
/etc/rsyslog.conf, a real journald, real rsyslogd and nft; the web host runs the real Apache
with Debian's configuration; the server's "mail transfer agent" is aiosmtpd on 127.0.0.1:25 of
its network.

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

Run time: 70-85 s on this 2-core machine (shared with other test runs) with the package already
built (``--reuse``), three ``apt install`` and two ``apt purge`` included; a build adds about
60 s."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator

import debpkg
import guide_hosts
import pytest
from guide_hooks import AFTER, AFTER_ROTATION_CLIENT, BEFORE, RELP_PORT, UPGRADE_VERSION
from guide_hosts import ADMIN, OUTSIDER, SERVER, WEBHOST, PrivateHost
from guide_runner import (
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
