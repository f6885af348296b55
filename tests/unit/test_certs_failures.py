"""``lwsyslog certs`` when something goes wrong: a full disk is named as such and leaves no
half-written file, a rerun after it (or after an older version's failed run) succeeds or says
which file to delete, every argument is checked before anything is written, and openssl's
own reason reaches the message. The full disks are real: a small tmpfs (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.deploy import certs
from lwsyslog.errors import CertError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
_PAGE = 4096  # tmpfs hands out space a page at a time


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB tmpfs, unmounted after the test."""
    mountpoint = tmp_path / "fs"
    mountpoint.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mountpoint)],
        check=True,
    )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def _fill(fs: Path, leave_pages: int) -> Path:
    """Fill ``fs`` until ``leave_pages`` pages are free; the filler file, to free them."""
    filler = fs / "filler"
    stat = os.statvfs(fs)
    free = stat.f_bavail * stat.f_frsize - leave_pages * _PAGE
    filler.write_bytes(b"\0" * max(free, 0))
    return filler


def _certs(pki: Path, *extra: str) -> list[str]:
    return ["certs", "--dir", str(pki), "--ca-name", "x", "--server", "s", "--webhost", "w", *extra]


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@needs_root
@pytest.mark.parametrize(
    ("leave_pages", "failing"),
    [(0, "x-ca.key"), (1, "x-ca.crt"), (3, "s.crt")],
    ids=["nothing-fits", "the-ca-key-fits", "the-ca-fits"],
)
def test_a_full_disk_is_named_leaves_nothing_half_written_and_a_rerun_succeeds(
    small_fs: Path,
    capsys: pytest.CaptureFixture[str],
    leave_pages: int,
    failing: str,
) -> None:
    pki = small_fs / "pki"
    pki.mkdir(mode=0o700)
    filler = _fill(small_fs, leave_pages)

    assert main(_certs(pki)) == 1
    err = capsys.readouterr().err
    assert "no space left on device while writing" in err, err
    assert failing in err and "free some space" in err, err
    for name in _names(pki):  # only complete files, under their final names
        assert not name.startswith("."), name
        assert (pki / name).stat().st_size > 0, name

    filler.unlink()
    assert main(_certs(pki)) == 0, capsys.readouterr().err
    assert _names(pki) == ["s.crt", "s.key", "w.crt", "w.key", "x-ca.crt", "x-ca.key"]
    for key in ("s.key", "w.key", "x-ca.key"):
        assert (pki / key).stat().st_mode & 0o777 == 0o600
    ca = certs.CertFiles("x", pki / "x-ca.crt", pki / "x-ca.key")
    certs.existing(ca.cert, ca.key)
    verify = ["openssl", "verify", "-CAfile", str(ca.cert), str(pki / "s.crt"), str(pki / "w.crt")]
    subprocess.run(verify, check=True, capture_output=True)


def test_an_empty_ca_key_left_by_a_failed_run_is_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the older version left on a full disk: an empty CA key and no CA certificate."""
    pki = tmp_path / "pki"
    pki.mkdir(mode=0o700)
    (pki / "x-ca.key").touch(mode=0o600)

    assert main(_certs(pki)) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert f"replaced the empty {pki / 'x-ca.key'} left by a run that failed" in out
    certs.existing(pki / "x-ca.crt", pki / "x-ca.key")


def test_a_ca_key_without_its_certificate_is_kept_and_gets_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = tmp_path / "pki"
    assert main(_certs(pki)) == 0
    key_before = (pki / "x-ca.key").read_bytes()
    (pki / "x-ca.crt").unlink()

    assert main(_certs(pki, "--webhost", "w2")) == 0, capsys.readouterr().err
    assert "for the CA key already there" in capsys.readouterr().out
    assert (pki / "x-ca.key").read_bytes() == key_before
    # what the old CA certificate signed verifies against the new one: same key, same name
    verify = ["openssl", "verify", "-CAfile", str(pki / "x-ca.crt")]
    subprocess.run([*verify, str(pki / "s.crt"), str(pki / "w2.crt")], check=True)


def test_an_empty_ca_key_beside_its_certificate_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = tmp_path / "pki"
    assert main(_certs(pki)) == 0
    cert_before = (pki / "x-ca.crt").read_bytes()
    (pki / "x-ca.key").write_bytes(b"")
    capsys.readouterr()

    assert main(_certs(pki, "--webhost", "w2")) == 1
    err = capsys.readouterr().err
    assert f"{pki / 'x-ca.crt'} is here but its private key {pki / 'x-ca.key'} is empty" in err
    assert "restore the key from your copy" in err and "to make a new CA" in err
    assert (pki / "x-ca.crt").read_bytes() == cert_before
    assert not (pki / "w2.crt").exists()


@pytest.mark.parametrize("which", ["s.key", "s.crt"])
def test_an_unreadable_leftover_is_named_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str
) -> None:
    pki = tmp_path / "pki"
    assert main(_certs(pki)) == 0
    (pki / which).write_text("-----BEGIN PRIVATE KEY-----\ntrunc", encoding="ascii")
    capsys.readouterr()

    assert main(_certs(pki)) == 1
    err = capsys.readouterr().err
    what = "private key" if which.endswith(".key") else "certificate"
    assert f"{pki / which} is not a {what} openssl can read" in err, err
    assert f"delete {pki / which}" in err and "run again" in err, err


def test_a_regular_file_as_dir_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="ascii")

    assert main(["certs", "--dir", str(not_a_dir), "--server", "s"]) == 1
    assert f"{not_a_dir} is not a directory" in capsys.readouterr().err
    assert not_a_dir.read_text(encoding="ascii") == "x"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--server", "ok.example.net", "--server", "bad name"], "not a valid DNS name"),
        (["--webhost", "a" * 61 + ".net"], "holds at most 64"),
        (["--days", "99999999"], "cannot be valid after 9999-12-31"),
        (["--days", "0"], "out of range"),
        (["--ca-name", ""], "the CA's name is empty"),
        (["--ca-name", "//"], "no letter or digit"),
        (["--ca-name", "x" * 65], "holds at most 64"),
    ],
)
def test_every_argument_is_checked_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], says: str
) -> None:
    pki = tmp_path / "pki"
    with pytest.raises(SystemExit) as exit_:
        main(["certs", "--dir", str(pki), "--server", "s", *extra])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err
    assert not pki.exists()


def test_days_up_to_9999_12_31_are_accepted_under_a_ca_that_lasts_as_long(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    certs.make_ca(pki, "lwsyslog", days=certs.max_days())
    days = str(certs.max_days() - 1)  # the CA's end, less the hour the check keeps spare
    assert main(["certs", "--dir", str(pki), "--server", "s", "--days", days]) == 0
    out = subprocess.run(
        ["openssl", "x509", "-in", str(pki / "s.crt"), "-noout", "-enddate"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip().endswith("9999 GMT")


def test_the_library_refuses_out_of_range_days_before_writing(tmp_path: Path) -> None:
    with pytest.raises(CertError, match="9999-12-31"):
        certs.make_ca(tmp_path / "pki", "x", days=certs.max_days() + 1)
    assert not (tmp_path / "pki").exists()


def test_openssl_failing_shows_its_reason_not_its_progress(tmp_path: Path) -> None:
    ca = certs.make_ca(tmp_path, "x")
    other = certs.make_ca(tmp_path / "other", "y")
    mismatched = certs.CertFiles("x", ca.cert, other.key)

    with pytest.raises(CertError) as error:
        certs.make_cert(tmp_path, mismatched, "s")
    message = str(error.value)
    assert message.startswith("openssl failed to sign the certificate for s: ")
    assert "CA certificate and CA private key do not match" in message
    assert "self-signature ok" not in message and "subject=" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "x-ca.crt", "x-ca.key"]
