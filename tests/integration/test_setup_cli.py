"""``lwsyslog setup`` and ``lwsyslog certs`` as an administrator meets them: checks before
anything is written, clear errors naming the file, absolute paths, --help that explains."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import harness
import pytest

from lwsyslog import lab
from lwsyslog.cli import certs_cmd, setup_cmd
from lwsyslog.cli.main import build_parser
from lwsyslog.deploy import certs

DEBIAN_CONF = Path(__file__).resolve().parents[1] / "fixtures" / "debian12-rsyslog.conf"
needs_tools = pytest.mark.skipif(
    not Path(lab.RSYSLOGD).exists() or shutil.which("openssl") is None,
    reason="needs rsyslogd and openssl",
)


def _cli(*argv: str) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.func(args)
    return status


def _web(pki: harness.Pki, target: Path, *extra: str) -> list[str]:
    return ["setup", "webhost", "--server-host", "logs.test", "--ca", str(pki.ca.cert),
            "--cert", str(pki.webhost.cert), "--key", str(pki.webhost.key),
            "--rsyslog-dir", str(target), "--rsyslog-conf", str(DEBIAN_CONF), *extra]  # fmt: skip


def _server(pki: harness.Pki, target: Path, *extra: str) -> list[str]:
    return ["setup", "server", "--peer", "*.web.lwsyslog.test", "--ca", str(pki.ca.cert),
            "--cert", str(pki.server.cert), "--key", str(pki.server.key),
            "--rsyslog-dir", str(target), "--rsyslog-conf", str(DEBIAN_CONF), *extra]  # fmt: skip


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


@needs_tools
@pytest.mark.parametrize(
    ("swap", "problem"),
    [
        ({"--key": "wrong_name.key"}, "is not the private key of"),
        ({"--cert": "server.cert", "--key": "server.key"}, "extended key usage must include"),
        ({"--cert": "foreign.cert", "--key": "foreign.key"}, "does not verify against the CA"),
        ({"--ca": "other_ca.cert"}, "does not verify against the CA"),
    ],
)
def test_setup_webhost_refuses_certificates_that_do_not_fit(
    pki: harness.Pki,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    swap: dict[str, str],
    problem: str,
) -> None:
    argv = _web(pki, tmp_path / "rsyslog.d")
    named = []
    for option, spec in swap.items():
        owner, attr = spec.split(".")
        path = str(getattr(getattr(pki, owner), attr))
        argv[argv.index(option) + 1] = path
        named.append(path)
    assert _cli(*argv) == 1
    err = capsys.readouterr().err
    assert problem in err and "nothing written" in err
    assert any(path in err for path in named)  # the message names the file
    assert not (tmp_path / "rsyslog.d").exists()


@needs_tools
def test_setup_server_refuses_a_client_certificate_and_checks_the_name(
    pki: harness.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _server(pki, tmp_path / "rsyslog.d")
    argv[argv.index("--cert") + 1] = str(pki.webhost.cert)
    argv[argv.index("--key") + 1] = str(pki.webhost.key)
    assert _cli(*argv) == 1
    err = capsys.readouterr().err
    assert f"{pki.webhost.cert} cannot identify the central server" in err
    assert "serverAuth" in err

    assert _cli(*_server(pki, tmp_path / "rsyslog.d", "--server-name", "logs.other.test")) == 1
    assert "does not carry the name 'logs.other.test'" in capsys.readouterr().err
    assert not (tmp_path / "rsyslog.d").exists()

    assert _cli(*_server(pki, tmp_path / "rsyslog.d", "--server-name", lab.SERVER_NAME)) == 0
    out = capsys.readouterr().out
    assert f"certificate names: {lab.SERVER_NAME}" in out
    assert "runs as user lwsyslog" in out


@needs_tools
def test_setup_writes_absolute_paths(
    pki: harness.Pki, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (pki.ca.cert, pki.webhost.cert, pki.webhost.key):
        shutil.copy(path, in_tmp / path.name)
    argv = ["setup", "webhost", "--server-host", "logs.test", "--ca", pki.ca.cert.name,
            "--cert", pki.webhost.cert.name, "--key", pki.webhost.key.name,
            "--access-log", "logs/access.log", "--error-log", "../error.log",
            "--rsyslog-dir", "out", "--rsyslog-conf", str(DEBIAN_CONF)]  # fmt: skip
    assert _cli(*argv) == 0, capsys.readouterr().err
    text = (in_tmp / "out" / "10-lwsyslog-webhost.conf").read_text()
    for expected in (
        f'tls.caCert="{in_tmp / pki.ca.cert.name}"',
        f'tls.myPrivKey="{in_tmp / pki.webhost.key.name}"',
        f'file="{in_tmp / "logs" / "access.log"}"',
        f'file="{in_tmp.parent / "error.log"}"',
    ):
        assert expected in text


@pytest.mark.parametrize(
    "argv",
    [
        ["setup", "webhost", "--server-host", "a", "--server-host", "b"],
        ["setup", "webhost", "--access-log", "/a", "--access-log", "/b"],
        ["setup", "server", "--state-dir", "/a", "--state-dir", "/b"],
        ["certs", "--dir", "/a", "--dir", "/b"],
    ],
)
def test_a_single_value_option_given_twice_is_an_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    option = next(a for a in argv if a.startswith("--") and argv.count(a) == 2)
    assert f"{option} given more than once" in capsys.readouterr().err


@needs_tools
def test_setup_server_passes_the_program_its_paths(
    pki: harness.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _server(pki, tmp_path, "--state-dir", "/srv/lw/state", "--messages-file",
                   "/srv/lw/alerts", "--config", "/etc/lw.toml", "--dry-run")  # fmt: skip
    assert _cli(*argv) == 0
    assert (
        'binary="/usr/bin/lwsyslog-omprog --config /etc/lw.toml --state-dir /srv/lw/state '
        '--messages-file /srv/lw/alerts --transactions"'
    ) in capsys.readouterr().out


@needs_tools
def test_both_roles_on_one_machine_validate_together(
    pki: harness.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "rsyslog.d"
    assert _cli(*_web(pki, target)) == 0
    assert _cli(*_server(pki, target)) == 0, capsys.readouterr().err
    assert sorted(p.name for p in target.iterdir()) == [
        "10-lwsyslog-webhost.conf",
        "20-lwsyslog-server.conf",
    ]


@needs_tools
def test_test_socket_directory_is_made_root_only_or_refused(
    pki: harness.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0)
    try:
        socket = tmp_path / "private" / "test.sock"
        assert _cli(*_web(pki, tmp_path / "d1", "--test-socket", str(socket))) == 0
        info = socket.parent.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, 0)
        text = (tmp_path / "d1" / "10-lwsyslog-webhost.conf").read_text()
        assert f'socket="{socket}" ruleset="lwsyslog_forward"' in text

        shared = tmp_path / "shared"
        shared.mkdir(mode=0o755)
        assert _cli(*_web(pki, tmp_path / "d2", "--test-socket", str(shared / "t.sock"))) == 2
        err = capsys.readouterr().err
        assert f"{shared} (the test socket's directory) is reachable by other users" in err
        assert "mode 0755" in err and not (tmp_path / "d2").exists()
    finally:
        os.umask(old)


@needs_tools
def test_certs_directory_is_private_whatever_the_umask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "tls"
        assert _cli("certs", "--dir", str(target), "--webhost", "www1.example.net") == 0
        assert stat.S_IMODE(target.stat().st_mode) == 0o700
        key = certs.cert_paths(target, "www1.example.net")[1]
        assert stat.S_IMODE(key.stat().st_mode) == 0o600

        open_dir = tmp_path / "open"
        open_dir.mkdir(mode=0o777)
        assert _cli("certs", "--dir", str(open_dir), "--webhost", "www1.example.net") == 1
        assert "is writable by other users (mode 0777)" in capsys.readouterr().err
        assert list(open_dir.iterdir()) == []
    finally:
        os.umask(old)


def _parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    sub = argparse.ArgumentParser(prog="lwsyslog").add_subparsers()
    certs_cmd.register(sub)
    setup_cmd.register(sub)
    for name, parser in sub.choices.items():
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for role, child in action.choices.items():
                    yield f"{name} {role}", child


@pytest.mark.parametrize("name", ["certs", "setup", "setup webhost", "setup server"])
def test_help_describes_every_option_with_its_default(name: str) -> None:
    parser = dict(_parsers())[name]
    text = parser.format_help()
    assert parser.description and len(parser.description) > 80
    for markup in (":class:", ":func:", ":data:", "``", "::"):
        assert markup not in text, markup
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        assert action.help and len(action.help) > 15, action.option_strings
        has_default = action.default not in (None, False, [], "", argparse.SUPPRESS)
        if has_default and not action.required:
            assert "default" in action.help, action.option_strings
