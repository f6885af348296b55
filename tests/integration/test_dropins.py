"""The shipped drop-ins, their rendering and validation, ``lwsyslog setup`` and ``lwsyslog certs``.

rsyslogd -N1 runs on the drop-ins inside a copy of Debian 12's /etc/rsyslog.conf
(tests/fixtures/debian12-rsyslog.conf), which already loads imuxsock and imklog."""

from __future__ import annotations

import argparse
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import harness
import pytest

from lwsyslog import lab
from lwsyslog.cli import certs_cmd, setup_cmd
from lwsyslog.deploy import certs, tls_syslog_input
from lwsyslog.deploy import rsyslog_setup as rs
from lwsyslog.errors import CertError, SetupError

SHIPPED = Path(__file__).resolve().parents[2] / "rsyslog.d"
DEBIAN_CONF = Path(__file__).resolve().parents[1] / "fixtures" / "debian12-rsyslog.conf"
needs_rsyslogd = pytest.mark.skipif(
    not Path(lab.RSYSLOGD).exists(), reason="rsyslogd is not installed"
)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lwsyslog")
    sub = parser.add_subparsers(dest="command", required=True)
    certs_cmd.register(sub)
    setup_cmd.register(sub)
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_shipped_dropins_are_the_rendered_templates() -> None:
    assert (SHIPPED / rs.DROPIN_NAMES["webhost"]).read_text() == rs.render_webhost(
        rs.EXAMPLE_WEBHOST
    )
    assert (SHIPPED / rs.DROPIN_NAMES["server"]).read_text() == rs.render_server(rs.EXAMPLE_SERVER)
    assert (SHIPPED / rs.APACHE_EXAMPLE_NAME).read_text() == rs.apache_example()


def test_server_template_has_the_documented_json_keys() -> None:
    text = rs.render_server(rs.EXAMPLE_SERVER)
    keys = [line.split('outname="')[1].split('"')[0] for line in text.splitlines()
            if "outname=" in line]  # fmt: skip
    assert keys == ["host", "tag", "program", "time", "facility", "severity", "msg"]


def test_a_value_that_would_inject_config_is_refused() -> None:
    with pytest.raises(SetupError, match="server_host"):
        rs.render_webhost(replace(rs.EXAMPLE_WEBHOST, server_host='x" port="1'))
    with pytest.raises(SetupError, match="batch_size"):
        rs.render_webhost(replace(rs.EXAMPLE_WEBHOST, window_size=128))


def _first_line(text: str, *starts: str) -> int:
    lines = text.splitlines()
    return min(n for n, line in enumerate(lines) if line.lstrip().startswith(starts))


@pytest.mark.parametrize("role", ["webhost", "server"])
def test_both_ends_raise_the_line_size_before_loading_anything(role: rs.Role) -> None:
    text = (SHIPPED / rs.DROPIN_NAMES[role]).read_text()
    size = f"$MaxMessageSize {rs.MAX_MESSAGE_SIZE}"
    assert [line for line in text.splitlines() if line.startswith("$MaxMessageSize")] == [size]
    # Apache's longest access line (measured 122,138 bytes) and its syslog header fit.
    assert rs.MAX_MESSAGE_SIZE >= 122_138 + 512
    assert _first_line(text, "$MaxMessageSize") < _first_line(text, "module(", "input(")
    if role == "server":
        assert f'maxDataSize="{rs.MAX_MESSAGE_SIZE}"' in text


@pytest.mark.parametrize("role", ["webhost", "server"])
def test_both_ends_pin_tls(role: rs.Role) -> None:
    text = (SHIPPED / rs.DROPIN_NAMES[role]).read_text()
    assert text.count(f'tls.tlscfgcmd="{rs.TLS_CONFIG}"') == 1
    commands = dict(line.split("=", 1) for line in rs.TLS_CONFIG.splitlines())
    assert commands["MinProtocol"] == "TLSv1.2"
    assert all(part.startswith("ECDHE+") for part in commands["CipherString"].split(":"))


def test_the_web_host_forwards_only_its_own_inputs() -> None:
    text = rs.render_webhost(rs.EXAMPLE_WEBHOST)
    assert "$programname" not in text  # no filter on a tag anyone can choose
    inputs = text.split("input(")[1:]
    assert len(inputs) == 2 and all('ruleset="lwsyslog_forward"' in i for i in inputs)
    with_socket = rs.render_webhost(replace(rs.EXAMPLE_WEBHOST, test_socket="/run/x/t.sock"))
    assert 'input(type="imuxsock" socket="/run/x/t.sock" ruleset="lwsyslog_forward")' in (
        with_socket
    )
    assert 'module(load="imuxsock"' not in with_socket  # /etc/rsyslog.conf loads it


def test_the_server_keeps_raw_files_only_for_known_logs() -> None:
    text = rs.render_server(rs.EXAMPLE_SERVER)
    block = text[text.index("if $programname == [") :]
    block = block[: block.index("}")]
    assert '"apache-access", "apache-error", "apache-iis"' in block
    assert 'dynaFile="lwsyslog_raw_path"' in block
    assert 'dirGroup="adm"' in block and 'fileCreateMode="0640"' in block
    assert text.count("dynaFile=") == 1
    # The TLS syslog input's tags (IIS from Windows hosts) are among the known logs.
    assert set(tls_syslog_input.EXAMPLE.tags) <= set(rs.RAW_PROGRAMS)


def test_server_dropin_runs_the_packaged_program_with_its_paths() -> None:
    text = rs.render_server(rs.EXAMPLE_SERVER)
    assert 'binary="/usr/bin/lwsyslog-omprog --state-dir /var/lib/lwsyslog --transactions"' in text
    custom = replace(
        rs.EXAMPLE_SERVER,
        omprog_config=("/etc/lw/a.toml", "/etc/lw/b.toml"),
        state_dir="/srv/state",
        messages_file="/srv/log/alerts",
    )
    assert (
        'binary="/usr/bin/lwsyslog-omprog --config /etc/lw/a.toml --config /etc/lw/b.toml '
        '--state-dir /srv/state --messages-file /srv/log/alerts --transactions"'
    ) in rs.render_server(custom)
    with pytest.raises(SetupError, match="white space"):
        rs.render_server(replace(rs.EXAMPLE_SERVER, state_dir="/srv/my state"))


def _real_paths(pki: harness.Pki, tmp_path: Path) -> tuple[rs.WebhostSettings, rs.ServerSettings]:
    web = replace(
        rs.EXAMPLE_WEBHOST,
        ca_cert=str(pki.ca.cert),
        cert=str(pki.webhost.cert),
        key=str(pki.webhost.key),
        test_socket=str(tmp_path / "private" / "test.sock"),
    )
    server = replace(
        rs.EXAMPLE_SERVER,
        ca_cert=str(pki.ca.cert),
        cert=str(pki.server.cert),
        key=str(pki.server.key),
    )
    return web, server


@pytest.mark.integration
@needs_rsyslogd
def test_dropins_validate_inside_debians_rsyslog_conf(pki: harness.Pki, tmp_path: Path) -> None:
    web, server = _real_paths(pki, tmp_path)
    web_text, server_text = rs.render_webhost(web), rs.render_server(server)
    web_file = tmp_path / rs.DROPIN_NAMES["webhost"]
    web_file.write_text(web_text)
    for text, others in ((web_text, []), (server_text, []), (server_text, [web_file])):
        result = rs.validate(text, main_conf=DEBIAN_CONF, others=others)
        assert result.ok, result.messages

    # The checks see what would break the host's configuration: a module Debian's
    # rsyslog.conf already loads, a global() parameter set in both drop-ins of one machine.
    twice = rs.validate('module(load="imuxsock")\n' + web_text, main_conf=DEBIAN_CONF)
    assert not twice.ok and any("imuxsock" in m for m in twice.messages)
    web_file.write_text(web_text.replace("$MaxMessageSize 131072", 'global(maxMessageSize="128k")'))
    both = rs.validate(
        server_text.replace("$MaxMessageSize 131072", 'global(maxMessageSize="128k")'),
        main_conf=DEBIAN_CONF,
        others=[web_file],
    )
    assert not both.ok and any("more than once" in m for m in both.messages)


@pytest.mark.integration
@needs_rsyslogd
def test_rendered_dropins_pass_rsyslogd_check(pki: harness.Pki, tmp_path: Path) -> None:
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    web = lab.webhost_conf(
        pki, 2514, access, error, input_port=lab.free_port(), input_socket=tmp_path / "log.sock"
    )
    server = lab.server_conf(pki, 2514, tmp_path, "/bin/cat")
    for text in (web, server):
        result = rs.validate(text)
        assert result.ok, result.messages


@pytest.mark.integration
@needs_rsyslogd
def test_validation_names_the_dropin_and_the_problem(pki: harness.Pki) -> None:
    text = lab.server_conf(pki, 2514, Path("/tmp"), "/bin/cat").replace(
        str(pki.server.key), "/nonexistent/server.key"
    )
    result = rs.validate(text, display_name="/etc/rsyslog.d/20-lwsyslog-server.conf")
    assert not result.ok
    assert any("/nonexistent/server.key" in m for m in result.messages)


@pytest.mark.integration
@needs_rsyslogd
def test_setup_writes_only_a_valid_dropin(
    pki: harness.Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--ca", str(pki.ca.cert), "--cert", str(pki.webhost.cert)]
    target_dir = tmp_path / "rsyslog.d"
    status = _cli("setup", "webhost", "--server-host", "logs.test", *common,
                  "--key", "/nonexistent.key", "--rsyslog-dir", str(target_dir))  # fmt: skip
    assert status == 1
    assert "nothing written" in capsys.readouterr().err
    assert not target_dir.exists()

    status = _cli("setup", "webhost", "--server-host", "logs.test", *common,
                  "--key", str(pki.webhost.key), "--rsyslog-dir", str(target_dir),
                  "--dry-run")  # fmt: skip
    assert status == 0
    assert 'target="logs.test"' in capsys.readouterr().out
    assert not target_dir.exists()

    status = _cli("setup", "server", "--peer", "*.web.test", "--ca", str(pki.ca.cert),
                  "--cert", str(pki.server.cert), "--key", str(pki.server.key),
                  "--rsyslog-dir", str(target_dir))  # fmt: skip
    assert status == 0
    written = (target_dir / "20-lwsyslog-server.conf").read_text()
    assert 'tls.permittedPeer=["*.web.test"]' in written
    assert 'useTransactions="on"' in written and " --transactions" in written
    assert "systemctl restart rsyslog" in capsys.readouterr().out

    status = _cli("setup", "server", "--peer", "*.web.test", "--ca", str(pki.ca.cert),
                  "--cert", str(pki.server.cert), "--key", str(pki.server.key),
                  "--rsyslog-dir", str(target_dir), "--no-transactions")  # fmt: skip
    assert status == 0
    written = (target_dir / "20-lwsyslog-server.conf").read_text()
    assert 'useTransactions="off"' in written and "--transactions" not in written


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


@needs_openssl
def test_certificates_chain_to_the_ca_and_name_the_host(tmp_path: Path) -> None:
    ca = certs.make_ca(tmp_path, "example.net")
    leaf = certs.make_cert(tmp_path, ca, "www1.example.net", "client", alt_names=["www1"])
    assert certs.cert_names(leaf.cert) == ["www1.example.net", "www1"]
    for key in (ca.key, leaf.key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca.cert), "-purpose", "sslclient", str(leaf.cert)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    rsa = certs.make_cert(tmp_path / "rsa", ca, "logs.example.net", "server", key_type="rsa")
    text = subprocess.run(["openssl", "x509", "-in", str(rsa.cert), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "rsaEncryption" in text and "TLS Web Server Authentication" in text


@needs_openssl
def test_a_key_of_another_certificate_is_rejected(tmp_path: Path) -> None:
    ca = certs.make_ca(tmp_path, "example.net")
    one = certs.make_cert(tmp_path, ca, "one.example.net")
    two = certs.make_cert(tmp_path, ca, "two.example.net")
    with pytest.raises(CertError, match="not the private key"):
        certs.existing(one.cert, two.key)
    with pytest.raises(CertError, match="valid DNS name"):
        certs.make_cert(tmp_path, ca, "bad name")


@needs_openssl
def test_certs_command_keeps_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["certs", "--dir", str(tmp_path), "--ca-name", "example.net",
            "--server", "logs.example.net", "--webhost", "www1.example.net"]  # fmt: skip
    assert _cli(*args) == 0
    first = capsys.readouterr().out
    assert "wrote CA" in first and "wrote client" in first
    ca_before = (tmp_path / "example.net-ca.crt").read_bytes()
    assert _cli(*args, "--webhost", "www2.example.net") == 0
    second = capsys.readouterr().out
    assert "kept CA" in second and "kept  client" in second and "www2.example.net.crt" in second
    assert (tmp_path / "example.net-ca.crt").read_bytes() == ca_before


@pytest.mark.integration
@needs_rsyslogd
@pytest.mark.parametrize("transactions", [False, True])
def test_sharded_server_dropin_passes_rsyslogd_check(
    pki: harness.Pki, tmp_path: Path, transactions: bool
) -> None:
    settings = replace(
        rs.EXAMPLE_SERVER,
        ca_cert=str(pki.ca.cert),
        cert=str(pki.server.cert),
        key=str(pki.server.key),
        output_dir=str(tmp_path / "raw"),
        omprog_output=str(tmp_path / "omprog.stderr"),
        shards=3,
        transactions=transactions,
    )
    text = rs.render_server(settings)
    assert text.count('type="omprog"') == 3 and "hash64mod($.lwsyslog_client, 3)" in text
    assert all(f"--instance {n}" in text for n in range(3))
    result = rs.validate(text)
    assert result.ok, result.messages
