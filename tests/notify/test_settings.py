"""The [notify] table: what is accepted, and the error a user gets for what is not."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import time as daytime
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.errors import ConfigError
from lwsyslog.notify.settings import (
    AppriseTransport,
    EmailTransport,
    QuietHours,
    WebhookTransport,
)
from lwsyslog.notify.settings_parse import check_notify_table, parse_notify_settings
from lwsyslog.severity import Severity

FULL = """
[notify]
outbox_max_bytes = 1048576
retry_initial_secs = 2
retry_max_secs = 60

[notify.channels.ops-mail]
type = "email"
min_severity = "critical"
exclude_categories = ["scanner"]
host = "smtp.example.net"
security = "starttls"
user = "lwsyslog"
password_file = "{secret}"
from = "lwsyslog <lwsyslog@example.net>"
to = ["ops@example.net", "Oncall <oncall@example.net>"]
quiet_hours = {{ start = "22:00", end = "07:00", timezone = "Europe/Berlin" }}

[notify.channels.siem]
type = "webhook"
url = "https://siem.example.net/hooks/lwsyslog"
secret_file = "{secret}"
min_severity = "medium"
group_by = "rule"
rate_limit_messages = 30
rate_limit_window_secs = 3600
headers = {{ X-Api-Key = "abc" }}

[notify.channels.room]
type = "webhook"
preset = "matrix"
url = "https://matrix.example.org"
room_id = "!abcdef:example.org"
access_token = "syt_token"

[notify.channels.phone]
type = "apprise"
urls = ["ntfys://ntfy.example.net/lwsyslog", "json://127.0.0.1:8080/hook"]
include_rules = ["log4shell-jndi", "sqli-union-select"]
"""


def parse(text: str) -> Any:
    return parse_notify_settings(tomllib.loads(text).get("notify", {}), file="test.toml")


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_text("a-long-enough-signing-secret\n")
    return path


def test_a_full_configuration_is_read_with_every_channel(secret: Path) -> None:
    settings = parse(FULL.format(secret=secret))
    assert [c.name for c in settings.channels] == ["ops-mail", "siem", "room", "phone"]
    mail, siem, room, phone = settings.channels
    assert isinstance(mail.transport, EmailTransport)
    assert mail.transport.port == 587
    assert mail.transport.password == "a-long-enough-signing-secret"
    assert mail.transport.recipients == ("ops@example.net", "Oncall <oncall@example.net>")
    assert mail.policy.min_severity is Severity.CRITICAL
    assert mail.policy.quiet_hours == QuietHours(daytime(22), daytime(7), "Europe/Berlin")
    assert isinstance(siem.transport, WebhookTransport)
    assert siem.transport.secret == b"a-long-enough-signing-secret"
    assert siem.policy.group_by == "rule"
    assert isinstance(room.transport, WebhookTransport)
    assert room.transport.preset == "matrix"
    assert isinstance(phone.transport, AppriseTransport)
    assert phone.targets == 2
    assert settings.outbox_max_bytes == 1048576


def test_secrets_stay_out_of_repr(secret: Path) -> None:
    settings = parse(FULL.format(secret=secret))
    shown = repr(settings)
    assert "a-long-enough-signing-secret" not in shown
    assert "syt_token" not in shown
    assert "ntfys://" not in shown


def test_no_notify_table_means_no_channel() -> None:
    assert not parse("").enabled


def test_a_disabled_channel_is_left_out() -> None:
    settings = parse(
        '[notify.channels.x]\ntype = "webhook"\nurl = "https://e.net/h"\nenabled = false\n'
    )
    assert settings.channels == ()


@pytest.mark.parametrize(
    ("text", "table", "key", "words"),
    [
        ("[notify]\nretry_secs = 3\n", "notify", "retry_secs", "unknown key"),
        (
            '[notify.channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c"\nto = ["x@y.z"]\n'
            "porrt = 25\n",
            "notify.channels.m",
            "porrt",
            "unknown key for type 'email'",
        ),
        ('[notify.channels.x]\ntype = "sms"\n', "notify.channels.x", "type", "one of"),
        ("[notify.channels.x]\nurl = 'https://a.b/'\n", "notify.channels.x", "type", "missing"),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "ftp://example.net/x"\n',
            "notify.channels.w",
            "url",
            "scheme",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "javascript:alert(1)"\n',
            "notify.channels.w",
            "url",
            "scheme",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\ntimeout_secs = "5"\n',
            "notify.channels.w",
            "timeout_secs",
            "expected a number",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\nsecret = "short"\n',
            "notify.channels.w",
            "secret",
            "at least 16",
        ),
        (
            '[notify.channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c"\n'
            'to = ["not-an-address"]\n',
            "notify.channels.m",
            "to",
            "e-mail address",
        ),
        (
            '[notify.channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c\\r\\nBcc: x@evil.net"\n'
            'to = ["x@y.z"]\n',
            "notify.channels.m",
            "from",
            "printable",
        ),
        (
            '[notify.channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c"\nto = ["x@y.z"]\n'
            'security = "none"\nuser = "u"\npassword = "p"\n',
            "notify.channels.m",
            "security",
            "in clear",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
            'quiet_hours = { start = "22:00", end = "25:00", timezone = "UTC" }\n',
            "notify.channels.w.quiet_hours",
            "end",
            "HH:MM",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
            'quiet_hours = { start = "22:00", end = "06:00", timezone = "Mars/Olympus" }\n',
            "notify.channels.w.quiet_hours",
            "",
            "unknown timezone",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
            'exclude_categories = ["sql"]\n',
            "notify.channels.w",
            "exclude_categories",
            "unknown category",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\npreset = "discord"\n',
            "notify.channels.w",
            "preset",
            "one of",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\npreset = "matrix"\n'
            'room_id = "!r:e.net"\n',
            "notify.channels.w",
            "",
            "access_token",
        ),
        (
            '[notify.channels.a]\ntype = "apprise"\nurls = ["nosuchservice://token"]\n',
            "notify.channels.a",
            "urls",
            "apprise",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
            'headers = { "X-Lwsyslog-Signature" = "forged" }\n',
            "notify.channels.w",
            "headers",
            "lwsyslog's own",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "http://ops:pw@hooks.e.net/h"\n',
            "notify.channels.w",
            "url",
            "in clear",
        ),
        (
            '[notify.channels.w]\ntype = "webhook"\nurl = "https://u:pw@matrix.e.net"\n'
            'preset = "matrix"\nroom_id = "!r:e.net"\naccess_token = "syt_x"\n',
            "notify.channels.w",
            "url",
            "access_token",
        ),
        (
            '[notify.channels."bad name"]\ntype = "webhook"\n',
            "notify.channels.bad name",
            "",
            "name",
        ),
    ],
)
def test_bad_values_name_the_file_table_and_key(
    text: str, table: str, key: str, words: str
) -> None:
    error = error_of(text)
    assert error.file == "test.toml"
    assert error.table == table
    assert error.key == key
    assert words in str(error)


def test_a_password_in_a_webhook_url_is_never_echoed_in_an_error() -> None:
    error = error_of('[notify.channels.w]\ntype = "webhook"\nurl = "http://ops:s3cr3t@e.net/h"\n')
    assert "s3cr3t" not in str(error)
    assert "e.net" in str(error)


def test_a_password_in_a_webhook_url_stays_out_of_repr() -> None:
    settings = parse('[notify.channels.w]\ntype = "webhook"\nurl = "https://u:s3cr3t@e.net/h"\n')
    assert "s3cr3t" not in repr(settings)


def test_check_config_names_a_misspelt_rule_in_a_channel_filter(tmp_path: Path) -> None:
    config = tmp_path / "lwsyslog.toml"
    config.write_text(
        '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
        'include_rules = ["sqli-unoin-select"]\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "lwsyslog.cli.main", "check-config", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "[notify.channels.w] key 'include_rules'" in run.stderr
    assert "unknown rule id 'sqli-unoin-select'" in run.stderr


def test_an_unreadable_secret_file_fails_at_parse_time(tmp_path: Path) -> None:
    error = error_of(
        '[notify.channels.w]\ntype = "webhook"\nurl = "https://e.net/h"\n'
        f'secret_file = "{tmp_path / "missing"}"\n'
    )
    assert error.key == "secret_file"
    assert "cannot read" in str(error)


def test_an_apprise_url_with_a_token_is_never_echoed_in_an_error() -> None:
    error = error_of('[notify.channels.a]\ntype = "apprise"\nurls = ["bogus://SECRETTOKEN"]\n')
    assert "SECRETTOKEN" not in str(error)
    assert "entry 1" in str(error)


def test_a_drop_in_may_set_one_key_of_a_channel_defined_elsewhere() -> None:
    check_notify_table({"channels": {"siem": {"min_severity": "critical"}}}, file="50-x.toml")
    with pytest.raises(ConfigError) as caught:
        check_notify_table({"channels": {"siem": {"min_severity": "urgent"}}}, file="50-x.toml")
    assert caught.value.key == "min_severity"
