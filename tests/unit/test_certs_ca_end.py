"""``lwsyslog certs`` never makes a certificate that outlasts its CA: a ``--days`` past the
CA's end is refused before anything is written, naming both end dates and the most days
that fit (a certificate is not valid past its issuer: the extra days would only mislead)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.deploy import certs
from lwsyslog.errors import CertError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _day(days: int) -> str:
    return f"{dt.datetime.now(dt.UTC) + dt.timedelta(days=days):%Y-%m-%d}"


def test_days_past_a_new_ca_are_refused_before_the_ca_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = tmp_path / "pki"
    assert (
        main(["certs", "--dir", str(pki), "--ca-name", "x", "--server", "s", "--days", "5000"]) == 1
    )
    err = capsys.readouterr().err
    assert f"a validity of 5000 days would end on {_day(5000)}" in err, err
    assert f"ends on {_day(certs.CA_DAYS)}" in err and "x-ca.crt" in err, err
    assert f"--days {certs.CA_DAYS - 1}" in err, err
    assert list(pki.iterdir()) == []


def test_days_past_an_existing_ca_are_refused_and_the_most_that_fit_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = certs.make_ca(tmp_path / "ca", "short", days=30)
    pki = tmp_path / "pki"
    given = ["certs", "--dir", str(pki), "--ca-cert", str(ca.cert), "--ca-key", str(ca.key)]

    assert main([*given, "--webhost", "w"]) == 1  # the default 825 days
    err = capsys.readouterr().err
    assert f"would end on {_day(certs.CERT_DAYS)}, after the CA certificate {ca.cert}" in err
    assert f"ends on {_day(30)}" in err and "--days 29" in err, err
    assert list(pki.iterdir()) == []

    assert main([*given, "--webhost", "w", "--days", "29"]) == 0
    assert certs.not_after(pki / "w.crt") <= certs.not_after(ca.cert)


def test_the_library_refuses_a_certificate_past_its_ca_and_a_ca_about_to_end(
    tmp_path: Path,
) -> None:
    ca = certs.make_ca(tmp_path, "short", days=10)
    with pytest.raises(CertError, match=r"give at most 9 days"):
        certs.make_cert(tmp_path, ca, "s", days=10)
    assert not (tmp_path / "s.crt").exists() and not (tmp_path / "s.key").exists()
    certs.make_cert(tmp_path, ca, "s", days=9)

    now = dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(CertError, match=re.escape("valid only until 2030-05-01 20:00 UTC")):
        certs.check_within_ca(1, ca.cert, now + dt.timedelta(hours=8), now)
    certs.check_within_ca(1, ca.cert, now + dt.timedelta(days=1, hours=1), now)
