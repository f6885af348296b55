"""The shipped drop-ins, their rendering, ``lwsyslog setup`` and ``lwsyslog certs``."""

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
from lwsyslog.deploy import certs
from lwsyslog.deploy import rsyslog_setup as rs
from lwsyslog.errors import CertError, SetupError

SHIPPED = Path(__file__).resolve().parents[2] / "rsyslog.d"
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
    assert keys == ["host", "tag", "program", "time", "facility", "severity", "uuid", "msg"]


def test_a_value_that_would_inject_config_is_refused() -> None:
    with pytest.raises(SetupError, match="server_host"):
        rs.render_webhost(replace(rs.EXAMPLE_WEBHOST, server_host='x" port="1'))
    with pytest.raises(SetupError, match="batch_size"):
        rs.render_webhost(replace(rs.EXAMPLE_WEBHOST, window_size=128))


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
