"""Strict parsing of the ``[notify]`` TOML table into :class:`NotifySettings`.

Every problem is a :class:`~lwsyslog.errors.ConfigError` naming the file, the line (when the
caller says where keys are: ``locate``), the table (``notify.channels.ops-mail``) and the
key: an unknown key, a wrong type, an out-of-range number, a URL scheme other than http(s), a
malformed e-mail address, a bad time range or timezone, an unreadable secret file, an apprise
URL apprise does not know. Nothing falls back to a default silently: a notification that never
leaves is found at ``check-config``, not during an attack.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import time as daytime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lwsyslog.categories import CATEGORIES
from lwsyslog.checks import MAX_INTEGER, MAX_SECS, between
from lwsyslog.errors import ConfigError
from lwsyslog.notify.apprise_send import import_apprise
from lwsyslog.notify.settings import (
    AppriseTransport,
    ChannelSettings,
    EmailTransport,
    NotifySettings,
    Policy,
    QuietHours,
    Transport,
    WebhookTransport,
)
from lwsyslog.severity import Severity

__all__ = [
    "Locate",
    "check_notify_table",
    "check_rule_filters",
    "parse_notify_settings",
]

Locate = Callable[[tuple[str, ...]], tuple[str, int | None]]
"""Where a dotted path (``("notify", "channels", "w", "url")``) was set: the file and the line
(``None``: unknown), or those of the nearest table around it."""

_TOP = {
    "outbox_max_bytes",
    "fsync",
    "max_age_secs",
    "retry_initial_secs",
    "retry_max_secs",
    "sample_max_chars",
    "channels",
}
_COMMON = {
    "type",
    "enabled",
    "min_severity",
    "include_rules",
    "exclude_rules",
    "include_categories",
    "exclude_categories",
    "group_by",
    "group_interval_secs",
    "critical_immediate",
    "storm_clients",
    "storm_window_secs",
    "rate_limit_messages",
    "rate_limit_window_secs",
    "quiet_hours",
}
_EMAIL = {
    "host",
    "port",
    "security",
    "user",
    "password",
    "password_file",
    "from",
    "to",
    "ca_file",
    "timeout_secs",
    "subject_prefix",
}
_WEBHOOK = {
    "url",
    "preset",
    "secret",
    "secret_file",
    "timeout_secs",
    "ca_file",
    "headers",
    "room_id",
    "access_token",
    "access_token_file",
}
_APPRISE = {"urls", "urls_file", "timeout_secs"}
_BY_TYPE = {"email": _EMAIL, "webhook": _WEBHOOK, "apprise": _APPRISE}
_QUIET = {"start", "end", "timezone", "critical"}
_PRESETS = ("json", "slack", "mattermost", "matrix", "teams")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_RESERVED_HEADERS = {"content-type", "content-length", "host", "authorization"}
_MIN_SECRET_BYTES = 16
_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def parse_notify_settings(
    table: Mapping[str, Any], *, file: str, locate: Locate | None = None
) -> NotifySettings:
    """The ``[notify]`` table (merged over every file) as validated settings.

    Error messages name the file and line ``locate`` gives for the key (without it: ``file``,
    the last file merged, and no line). Secret files named by ``*_file`` keys are read here,
    so an unreadable one fails now.
    """
    return _Parser(file, partial=False, locate=locate).settings(table)


def check_rule_filters(settings: NotifySettings, known: Collection[str], *, file: str) -> None:
    """Raise :class:`ConfigError` for a channel's ``include_rules``/``exclude_rules`` entry
    that names no rule in ``known`` (the ids of the rules actually loaded), at the file and
    line the settings recorded for it (else ``file``)."""
    for channel in settings.channels:
        for key in ("include_rules", "exclude_rules"):
            unknown = sorted(set(getattr(channel.policy, key)) - set(known))
            if unknown:
                where, line = settings.places.get((channel.name, key), (file, None))
                raise ConfigError(
                    f"unknown rule id {unknown[0]!r} (`lwsyslog rules` lists them)",
                    file=where,
                    line=line,
                    table=f"notify.channels.{channel.name}",
                    key=key,
                )


def check_notify_table(
    table: Mapping[str, Any], *, file: str, locate: Locate | None = None
) -> None:
    """Check one file's ``[notify]`` table on its own: keys, types and values, not
    completeness (a drop-in may set one key of a channel another file defines). ``locate``
    gives the line of a key in ``file``."""
    _Parser(file, partial=True, locate=locate).settings(table)


class _Parser:
    def __init__(self, file: str, *, partial: bool, locate: Locate | None) -> None:
        self.file = file
        self.partial = partial
        self.locate = locate
        self.places: dict[tuple[str, str], tuple[str, int | None]] = {}

    def where(self, table: str, key: str = "") -> tuple[str, int | None]:
        """The file and line of ``key`` in ``table`` (a dotted name)."""
        if self.locate is None:
            return self.file, None
        path = tuple(table.split("."))
        return self.locate((*path, key) if key else path)

    def fail(self, message: str, table: str, key: str = "") -> NoReturn:
        file, line = self.where(table, key)
        raise ConfigError(message, file=file, line=line, table=table, key=key)

    def settings(self, data: Mapping[str, Any]) -> NotifySettings:
        table = "notify"
        self._known(data, _TOP, table)
        read = _Reader(self, data, table)
        initial = read.number("retry_initial_secs", 5.0, minimum=0.1)
        retry_max = read.number("retry_max_secs", 900.0, minimum=0.1)
        if retry_max < initial:
            self.fail(f"must be >= retry_initial_secs ({initial})", table, "retry_max_secs")
        channels_data = data.get("channels", {})
        if not isinstance(channels_data, Mapping):
            self.fail(f"expected a table, got {_type_name(channels_data)}", table, "channels")
        channels = []
        for name, value in channels_data.items():
            where = f"notify.channels.{name}"
            if not _NAME_RE.match(name):
                self.fail("a channel name takes 1-64 letters, digits, '-' and '_'", where)
            if not isinstance(value, Mapping):
                self.fail(f"expected a table, got {_type_name(value)}", "notify.channels", name)
            channel = self.channel(name, value, where)
            if channel is not None:
                channels.append(channel)
                for key in ("include_rules", "exclude_rules"):
                    self.places[name, key] = self.where(where, key)
        return NotifySettings(
            channels=tuple(channels),
            outbox_max_bytes=read.integer("outbox_max_bytes", 64 << 20, minimum=1 << 16),
            fsync=read.boolean("fsync", False),
            max_age_secs=read.number("max_age_secs", 3 * 86400.0, minimum=60.0),
            retry_initial_secs=initial,
            retry_max_secs=retry_max,
            sample_max_chars=read.integer("sample_max_chars", 2000, minimum=80, maximum=65536),
            places=self.places,
        )

    def channel(self, name: str, data: Mapping[str, Any], table: str) -> ChannelSettings | None:
        kind = data.get("type")
        if kind is None and not self.partial:
            self.fail("missing (one of: email, webhook, apprise)", table, "type")
        if kind is not None and kind not in _BY_TYPE:
            self.fail(f"expected one of email, webhook, apprise, got {kind!r}", table, "type")
        allowed = _COMMON | (_BY_TYPE[kind] if kind else _EMAIL | _WEBHOOK | _APPRISE)
        self._known(data, allowed, table, kind)
        read = _Reader(self, data, table)
        enabled = read.boolean("enabled", True)
        policy = self.policy(read, data, table)
        transport: Transport | None
        if kind == "email":
            transport = self.email(read, table)
        elif kind == "webhook":
            transport = self.webhook(read, data, table)
        elif kind == "apprise":
            transport = self.apprise(read, table)
        else:
            transport = None
        if not enabled or transport is None:
            return None
        return ChannelSettings(name=name, policy=policy, transport=transport)

    def policy(self, read: _Reader, data: Mapping[str, Any], table: str) -> Policy:
        # Any rule id is taken here: which ids exist depends on the rule sources loaded
        # (Sigma directories), so `lwsyslog check-config` checks them against those.
        rules = _rule_id
        quiet = data.get("quiet_hours")
        return Policy(
            min_severity=Severity(read.choice("min_severity", "high", _SEVERITIES)),
            include_rules=frozenset(read.names("include_rules", rules, "rule id")),
            exclude_rules=frozenset(read.names("exclude_rules", rules, "rule id")),
            include_categories=frozenset(
                read.names("include_categories", CATEGORIES.__contains__, "category")
            ),
            exclude_categories=frozenset(
                read.names("exclude_categories", CATEGORIES.__contains__, "category")
            ),
            group_by=read.choice("group_by", "client", ("client", "rule")),  # type: ignore[arg-type]
            group_interval_secs=read.number("group_interval_secs", 300.0, minimum=0.0),
            critical_immediate=read.boolean("critical_immediate", True),
            storm_clients=read.integer("storm_clients", 20, minimum=0),
            storm_window_secs=read.number("storm_window_secs", 300.0, minimum=1.0),
            rate_limit_messages=read.integer("rate_limit_messages", 0, minimum=0),
            rate_limit_window_secs=read.number("rate_limit_window_secs", 3600.0, minimum=1.0),
            quiet_hours=None if quiet is None else self.quiet_hours(quiet, f"{table}.quiet_hours"),
        )

    def quiet_hours(self, data: Any, table: str) -> QuietHours | None:
        if not isinstance(data, Mapping):
            parent, _, key = table.rpartition(".")
            self.fail(f"expected a table, got {_type_name(data)}", parent, key)
        self._known(data, _QUIET, table)
        read = _Reader(self, data, table)
        start = read.day_time("start")
        end = read.day_time("end")
        zone = read.string("timezone", "UTC" if self.partial else None)
        critical = read.choice("critical", "send", ("send", "hold"))
        if not zone:
            self.fail("missing (an IANA timezone such as Europe/Berlin, or UTC)", table, "timezone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"unknown timezone {zone!r} (an IANA name such as Europe/Berlin)", table)
        if start is None or end is None:
            return None
        if start == end:
            self.fail("start and end are equal: an empty or a 24-hour range", table, "end")
        return QuietHours(start=start, end=end, timezone=zone, critical=critical)  # type: ignore[arg-type]

    def email(self, read: _Reader, table: str) -> EmailTransport | None:
        security = read.choice("security", "starttls", ("starttls", "tls", "none"))
        host = read.string("host", None)
        port = read.integer("port", _DEFAULT_PORTS[security], minimum=1, maximum=65535)
        user = read.string("user", "")
        password = read.secret("password", "password_file")
        sender = read.address("from")
        recipients = read.addresses("to")
        ca_file = read.readable_file("ca_file")
        if self.partial:
            return None
        if not host:
            self.fail("missing (the SMTP server's name)", table, "host")
        if user and not password:
            self.fail("user is set: set password or password_file too", table, "password")
        if password and not user:
            self.fail("password is set: set user too", table, "user")
        if user and security == "none":
            self.fail(
                "auth over an unencrypted connection would send the password in clear: "
                "use security = starttls or tls",
                table,
                "security",
            )
        if not sender:
            self.fail("missing (the From address)", table, "from")
        if not recipients:
            self.fail("missing (a list of one or more recipient addresses)", table, "to")
        return EmailTransport(
            host=host,
            port=port,
            security=security,  # type: ignore[arg-type]
            sender=sender,
            recipients=tuple(recipients),
            user=user,
            password=password.decode(),
            ca_file=ca_file,
            timeout_secs=read.number("timeout_secs", 20.0, minimum=1.0, maximum=600.0),
            subject_prefix=read.string("subject_prefix", "[lwsyslog]", max_chars=40),
        )

    def webhook(
        self, read: _Reader, data: Mapping[str, Any], table: str
    ) -> WebhookTransport | None:
        url = read.url("url")
        preset = read.choice("preset", "json", _PRESETS)
        secret = read.secret("secret", "secret_file")
        if secret and len(secret) < _MIN_SECRET_BYTES:
            self.fail(f"a signing secret takes at least {_MIN_SECRET_BYTES} bytes", table, "secret")
        headers = read.headers("headers")
        room_id = read.string("room_id", "")
        token = read.secret("access_token", "access_token_file")
        ca_file = read.readable_file("ca_file")
        timeout = read.number("timeout_secs", 10.0, minimum=0.5, maximum=300.0)
        if self.partial:
            return None
        if not url:
            self.fail("missing (the URL to POST to)", table, "url")
        if preset == "matrix":
            if not room_id.startswith("!") or ":" not in room_id:
                self.fail("the Matrix room id, like '!abcdef:example.org'", table, "room_id")
            if not token:
                self.fail("the matrix preset needs access_token or access_token_file", table)
        elif room_id or token:
            key = "room_id" if room_id else "access_token"
            self.fail("only the matrix preset takes it", table, key)
        _check_url_credentials(url, preset, lambda message: self.fail(message, table, "url"))
        return WebhookTransport(
            url=url,
            preset=preset,  # type: ignore[arg-type]
            secret=secret,
            timeout_secs=timeout,
            ca_file=ca_file,
            headers=headers,
            room_id=room_id,
            access_token=token.decode(),
        )

    def apprise(self, read: _Reader, table: str) -> AppriseTransport | None:
        urls = read.string_list("urls")
        from_file = read.secret("urls_file", None)
        if from_file:
            urls += [
                line.strip()
                for line in from_file.decode().splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            ]
        timeout = read.number("timeout_secs", 15.0, minimum=1.0, maximum=300.0)
        if self.partial:
            return None
        if not urls:
            self.fail("no apprise URL: set urls or urls_file", table, "urls")
        _check_apprise_urls(urls, lambda message: self.fail(message, table, "urls"))
        return AppriseTransport(urls=tuple(urls), timeout_secs=timeout)

    def _known(
        self, data: Mapping[str, Any], allowed: set[str], table: str, kind: str | None = None
    ) -> None:
        for key in data:
            if key not in allowed:
                what = f" for type {kind!r}" if kind else ""
                known = ", ".join(sorted(allowed))
                self.fail(f"unknown key{what} (known: {known})", table, key)


_SEVERITIES = tuple(severity.value for severity in Severity)


class _Reader:
    """Typed getters over one table; each failure names the table and key."""

    def __init__(self, parser: _Parser, data: Mapping[str, Any], table: str) -> None:
        self.parser = parser
        self.data = data
        self.table = table

    def fail(self, key: str, message: str) -> NoReturn:
        self.parser.fail(message, self.table, key)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_type_name(value)}")
        return value

    def integer(self, key: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.data.get(key, default)
        problem = between(minimum, MAX_INTEGER if maximum is None else maximum)(value)
        if problem:  # read as every other integer key's (lwsyslog.checks)
            self.fail(key, problem)
        return int(value)

    def number(
        self, key: str, default: float, *, minimum: float, maximum: float = MAX_SECS
    ) -> float:
        value = self.data.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.fail(key, f"expected a number, got {_type_name(value)}")
        if not math.isfinite(value) or value < minimum or value > maximum:
            self.fail(key, f"must be {_range(minimum, maximum)}, got {value}")
        return float(value)

    def string(self, key: str, default: str | None, *, max_chars: int = 1000) -> str:
        value = self.data.get(key, default)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {_type_name(value)}")
        if len(value) > max_chars or not value.isprintable():
            self.fail(key, f"must be printable text of at most {max_chars} characters")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def string_list(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(key, f"expected a list of strings, got {_type_name(value)}")
        return list(value)

    def names(self, key: str, known: Callable[[str], bool], what: str) -> list[str]:
        names = self.string_list(key)
        for name in names:
            if not known(name):
                self.fail(key, f"unknown {what} {name!r}")
        return names

    def day_time(self, key: str) -> daytime | None:
        value = self.data.get(key)
        if value is None:
            if self.parser.partial:
                return None
            self.fail(key, "missing (a time of day, 'HH:MM')")
        if isinstance(value, daytime):
            return value.replace(tzinfo=None)
        match = _TIME_RE.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail(key, f"expected a time of day 'HH:MM' (00:00-23:59), got {value!r}")
        return daytime(int(match.group(1)), int(match.group(2)))

    def url(self, key: str) -> str:
        value = self.string(key, None, max_chars=2000)
        if not value:
            return ""
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as error:
            self.fail(key, f"not a valid URL: {error}")
        if parts.scheme not in ("http", "https"):
            self.fail(key, f"the scheme must be https or http, got {parts.scheme or 'none'!r}")
        if not parts.hostname:
            self.fail(key, "the URL names no host")
        if parts.fragment or (port is not None and not 0 < port < 65536):
            self.fail(key, "the URL takes no #fragment and a port 1-65535")
        return value

    def address(self, key: str) -> str:
        value = self.string(key, "", max_chars=320)
        if value:
            _email_address(value, lambda message: self.fail(key, message))
        return value

    def addresses(self, key: str) -> list[str]:
        values = self.string_list(key)
        for value in values:
            _email_address(value, lambda message: self.fail(key, message))
        return values

    def readable_file(self, key: str) -> str:
        path = self.string(key, "")
        if path and not self.parser.partial:
            try:
                with open(path, "rb"):
                    pass
            except OSError as error:
                self.fail(key, f"cannot read {path}: {error.strerror}")
        return path

    def secret(self, key: str, file_key: str | None) -> bytes:
        """The value of ``key``, or the content of the file ``file_key`` names (not both)."""
        inline = self.data.get(key)
        if inline is not None and not isinstance(inline, str):
            self.fail(key, f"expected a string, got {_type_name(inline)}")
        path = self.data.get(file_key) if file_key else None
        if file_key is None and inline is not None:
            path, inline, file_key = inline, None, key
        if path is not None and not isinstance(path, str):
            self.fail(str(file_key), f"expected a path, got {_type_name(path)}")
        if inline is not None and path is not None:
            self.fail(key, f"set {key} or {file_key}, not both")
        if inline is not None:
            return inline.encode()
        if path is None or self.parser.partial:
            return b""
        try:
            content = Path(path).read_bytes()
        except OSError as error:
            self.fail(str(file_key), f"cannot read {path}: {error.strerror}")
        content = content.rstrip(b"\r\n")
        if not content:
            self.fail(str(file_key), f"{path} is empty")
        return content

    def headers(self, key: str) -> tuple[tuple[str, str], ...]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a table of header names and values, got {_type_name(value)}")
        pairs = []
        for name, text in value.items():
            if not _HEADER_NAME_RE.match(name) or name.lower() in _RESERVED_HEADERS:
                self.fail(key, f"not a header lwsyslog lets you set: {name!r}")
            if name.lower().startswith("x-lwsyslog-"):
                self.fail(key, f"{name!r}: the X-Lwsyslog-* headers are lwsyslog's own")
            if not isinstance(text, str) or not text.isprintable():
                self.fail(key, f"the value of {name!r} must be printable text")
            pairs.append((name, text))
        return tuple(pairs)


def _email_address(value: str, fail: Callable[[str], NoReturn]) -> None:
    # Imported here: only a configuration with e-mail recipients needs the email package
    # (~5 ms of every start otherwise).
    from email import policy as email_policy  # noqa: PLC0415
    from email.message import EmailMessage  # noqa: PLC0415

    message = EmailMessage(policy=email_policy.SMTP)
    try:
        message["To"] = value
        header = message["To"]
    except (ValueError, IndexError) as error:
        fail(f"not an e-mail address: {value!r} ({error})")
    addresses = header.addresses
    if len(addresses) != 1 or header.defects or not addresses[0].domain:
        fail(f"not one e-mail address like 'name@example.net': {value!r}")


def _check_url_credentials(url: str, preset: str, fail: Callable[[str], NoReturn]) -> None:
    """A ``user:password@`` in a webhook URL is sent as HTTP Basic auth: refuse it where it
    would travel in clear or clash with the Matrix token."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return
    # The message names the host, never the URL: the URL now carries a password.
    if preset == "matrix":
        fail("the matrix preset authenticates with access_token: remove user:password@ from it")
    if parts.scheme == "http" and (parts.hostname or "") not in _LOOPBACK_HOSTS:
        fail(
            f"user:password@ over http to {parts.hostname} would send the password in clear: "
            "use https"
        )


def _check_apprise_urls(urls: list[str], fail: Callable[[str], NoReturn]) -> None:
    apprise = import_apprise()

    for number, url in enumerate(urls, start=1):
        # The URL carries tokens: name its position and scheme, never the URL itself.
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if not scheme or apprise.Apprise.instantiate(url) is None:
            fail(f"entry {number} (scheme {scheme or 'none'!r}) is not a URL apprise can use")


def _rule_id(name: str) -> bool:
    """A plausible rule id: printable, no spaces, not too long."""
    return 0 < len(name) <= 200 and name.isprintable() and not any(c.isspace() for c in name)


def _range(minimum: float, maximum: float | None) -> str:
    return f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
