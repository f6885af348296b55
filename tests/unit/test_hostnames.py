"""A web host's name is kept percent-encoded where it cannot be a host name, and every name a
user writes, or an older program saved, is read the same way, so they still match."""

from __future__ import annotations

from pathlib import Path

from lwsyslog.config import load_config
from lwsyslog.hostnames import host_shown
from lwsyslog.omprog.envelope import decode_envelope
from lwsyslog.sanitize import sanitize
from lwsyslog.status.file import saved_hosts


def test_an_encoded_name_is_shown_once_whatever_shows_it() -> None:
    """A backslash escape was escaped again by every output (``b\\\\xfccher``)."""
    shown = host_shown("bücher")
    assert shown == "b%C3%BCcher" and sanitize(shown) == shown


def test_a_configured_host_name_matches_the_lines_of_that_host(tmp_path: Path) -> None:
    path = tmp_path / "lwsyslog.toml"
    path.write_text('[hosts.silent_after_secs_per_host]\n"bücher" = 60\n', encoding="utf-8")
    limits = load_config([path]).hosts.silent_after_secs_per_host
    line = b'{"host": "b\\u00fccher", "tag": "apache-access:", "msg": "x"}'
    envelope = decode_envelope(line)
    assert limits == {envelope.host: 60.0}


def test_a_host_an_older_program_saved_raw_is_the_same_host_now() -> None:
    """Else it would be a second host, silent since the upgrade: a false host-silent."""
    record = {"hosts": {"bücher": {"last_line": 1.0, "silent": False}}}
    assert saved_hosts(record) == {"b%C3%BCcher": (1.0, False)}
