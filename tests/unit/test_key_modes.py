"""Private keys others can read are refused: ``lwsyslog setup`` names the key, its mode and
the ``chmod 600`` to run (exit 2); ``lwsyslog certs`` signs nothing with such a CA key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lwsyslog import lab
from lwsyslog.cli.main import main
from lwsyslog.deploy import certs

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None or not Path(lab.RSYSLOGD).exists(),
    reason="needs openssl and rsyslogd",
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> lab.ChainPki:
    return lab.make_chain_pki(tmp_path_factory.mktemp("pki"))


def _setup_argv(role: str, pki: lab.ChainPki, key: Path, target: Path) -> list[str]:
    mine = pki.server if role == "server" else pki.webhost
    argv = ["setup", role, "--ca", str(pki.ca.cert), "--cert", str(mine.cert), "--key", str(key)]
    argv += ["--rsyslog-dir", str(target), "--rsyslog-conf", "none"]
    if role == "server":
        return [*argv, "--peer", "*.web.lwsyslog.test"]
    return [*argv, "--server-host", lab.SERVER_NAME]


def _refusal(err: str, key: Path, mode: int) -> bool:
    """The message names the file, its mode and the fix."""
    return f"{key}" in err and f"mode {mode:04o}" in err and f"chmod 600 {key}" in err


@pytest.mark.parametrize("role", ["server", "webhost"])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_setup_refuses_a_key_its_group_or_others_can_read(
    pki: lab.ChainPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str, mode: int
) -> None:
    key = tmp_path / "host.key"
    shutil.copyfile((pki.server if role == "server" else pki.webhost).key, key)
    key.chmod(mode)
    target = tmp_path / "rsyslog.d"

    assert main(_setup_argv(role, pki, key, target)) == 2
    err = capsys.readouterr().err
    assert err.startswith("lwsyslog setup: ") and _refusal(err, key, mode), err
    assert "nothing written" in err and not target.exists()

    key.chmod(0o600)
    assert main(_setup_argv(role, pki, key, target)) == 0, capsys.readouterr().err
    assert len(list(target.iterdir())) == 1


@pytest.mark.parametrize("mode", [0o644, 0o640])
def test_certs_signs_nothing_with_a_ca_key_its_group_or_others_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int
) -> None:
    pki = tmp_path / "pki"
    assert main(["certs", "--dir", str(pki), "--webhost", "www1.example.net"]) == 0
    ca_cert, ca_key = certs.ca_paths(pki, "lwsyslog")
    ca_key.chmod(mode)
    capsys.readouterr()

    assert main(["certs", "--dir", str(pki), "--webhost", "www2.example.net"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lwsyslog certs: ") and _refusal(err, ca_key, mode), err
    assert "nothing signed with it" in err
    assert not certs.cert_paths(pki, "www2.example.net")[0].exists()

    elsewhere = tmp_path / "other"
    taken = ["--ca-cert", str(ca_cert), "--ca-key", str(ca_key)]
    assert main(["certs", "--dir", str(elsewhere), *taken, "--server", "logs.example.net"]) == 1
    assert _refusal(capsys.readouterr().err, ca_key, mode)
    assert not certs.cert_paths(elsewhere, "logs.example.net")[0].exists()

    ca_key.chmod(0o600)
    assert main(["certs", "--dir", str(pki), "--webhost", "www2.example.net"]) == 0
    assert certs.cert_paths(pki, "www2.example.net")[0].exists()
