"""Rendering the TLS syslog input drop-in (Windows senders); rsyslogd accepts what is rendered."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lwsyslog import lab
from lwsyslog.deploy import rsyslog_setup
from lwsyslog.deploy.tls_syslog_input import EXAMPLE, TlsSyslogInputSettings, render
from lwsyslog.errors import SetupError

RSYSLOGD = Path("/usr/sbin/rsyslogd")
GTLS = Path("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")


def test_rendered_input_checks_names_and_calls_the_lwsyslog_ruleset() -> None:
    text = render(
        replace(EXAMPLE, permitted_peers=("*.win.example.net", "iis1.example.net"), port=16514)
    )
    assert 'port="16514"' in text and 'streamDriver.name="gtls"' in text
    assert 'streamDriver.authMode="x509/name"' in text and 'streamDriver.mode="1"' in text
    assert 'permittedPeer=["*.win.example.net", "iis1.example.net"]' in text
    assert (
        'if $programname == ["apache-iis"] then {\n        call lwsyslog\n    }\n    stop' in text
    )
    assert "@{" not in text


def test_address_and_tags_are_rendered() -> None:
    text = render(replace(EXAMPLE, address="10.0.0.2", tags=("apache-iis", "apache-iis-site2")))
    assert 'address="10.0.0.2" ruleset="lwsyslog_tls_syslog"' in text
    assert '["apache-iis", "apache-iis-site2"]' in text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"cert": '/x" port="1'}, "'cert' contains a quote"),
        ({"key": ""}, "'key' is empty"),
        ({"permitted_peers": ()}, "at least one permitted sender"),
        ({"permitted_peers": ('x"]',)}, "not a DNS name"),
        ({"tags": ("iis-access",)}, "must be 'apache-'"),
        ({"tags": ('apache-x"',)}, "must be 'apache-'"),
        ({"port": 70000}, "'port' must be 1-65535"),
        ({"ruleset": "a b"}, "not a ruleset name"),
        ({"driver": "tls"}, "driver must be"),
    ],
)
def test_bad_settings_are_refused_by_name(change: dict[str, object], problem: str) -> None:
    with pytest.raises(SetupError, match=problem):
        render(replace(EXAMPLE, **change))  # type: ignore[arg-type]


@pytest.mark.skipif(not RSYSLOGD.exists() or not GTLS.exists(), reason="needs rsyslog-gnutls")
def test_rsyslogd_accepts_the_server_dropin_with_the_tls_input(tmp_path: Path) -> None:
    pki = lab.make_chain_pki(tmp_path)
    settings = TlsSyslogInputSettings(
        ca_cert=str(pki.ca.cert), cert=str(pki.server.cert), key=str(pki.server.key)
    )
    server = lab.server_conf(pki, 2514, tmp_path, "/bin/cat")
    result = rsyslog_setup.validate(server + render(settings))
    assert result.ok, result.messages
    broken = rsyslog_setup.validate(render(settings))  # without the ruleset it calls
    assert not broken.ok
