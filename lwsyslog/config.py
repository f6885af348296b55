"""Strict TOML configuration: built-in defaults, then drop-in overrides, into :mod:`settings`.

Files are read in order (defaults, ``/etc/lwsyslog/lwsyslog.toml``, then
``/etc/lwsyslog/lwsyslog.d/*.toml`` sorted), each checked against the schema on its own so an
error names the file that made it, with line, table and key. A threshold that silently fell
back to a default would be a detection gap, so nothing unknown is ignored. The loader only
loads: the types live in :mod:`lwsyslog.settings`; ``[rules.ID]`` tables are checked against
the rules that exist once every rule source is loaded (:mod:`lwsyslog.detection.catalog`),
the tables of rule sources (``[sigma]``) against the schemas those sources declare. Reading
a file is :mod:`lwsyslog.config_read`'s job, checking that the memory budget holds the
threshold windows :mod:`lwsyslog.config_budget`'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from lwsyslog import checks
from lwsyslog.config_budget import check_threshold_memory
from lwsyslog.config_places import Places, line_of, nearest_line
from lwsyslog.config_read import config_files as _config_files
from lwsyslog.config_read import parse_toml, read_config
from lwsyslog.crawlers.settings_parse import parse_crawler_settings
from lwsyslog.detection.sources import source_tables
from lwsyslog.errors import ConfigError, FormatError
from lwsyslog.formats.json_access import JSON_FIELDS
from lwsyslog.formats.line_parser import IIS_FORMATS, JSON_FORMATS
from lwsyslog.formats.logformat import BUILTIN_FORMATS, compile_logformat
from lwsyslog.hostnames import host_shown
from lwsyslog.notify.settings_parse import check_notify_table, parse_notify_settings
from lwsyslog.settings import (
    AllowList,
    Config,
    DatabaseCacheSettings,
    HostSettings,
    Location,
    MetricsSettings,
    RuleSettings,
    StoreSettings,
    ThresholdSettings,
)
from lwsyslog.severity import Severity
from lwsyslog.thresholds import THRESHOLD_RULES
from lwsyslog.thresholds.windows import MAX_DEPTH as MAX_WINDOW_EVENTS

__all__ = [
    "DEFAULT_PATHS",
    "MAX_LINE_BYTES",
    "config_files",
    "load_config",
    "parse_status_set",
    "split_listen",
]

DEFAULT_MAIN = Path("/etc/lwsyslog/lwsyslog.toml")
DEFAULT_DROPIN_DIR = Path("/etc/lwsyslog/lwsyslog.d")
DEFAULT_PATHS = (DEFAULT_MAIN, DEFAULT_DROPIN_DIR)
_DEFAULTS_NAME = "<built-in defaults>"
_CRAWLERS_NAME = "<built-in crawler catalog>"

MAX_LINE_BYTES = 1 << 20
"""The largest ``[input] max_line_bytes``: 8 times the 128 KiB lines rsyslog passes with the
drop-ins of ``lwsyslog setup``. The omprog program holds up to 6 times as many bytes (plus
8 KiB) per line, rsyslog's JSON envelope writing a control byte as ``\\uXXXX`` in the worst
case, so a line costs at most about 6 MiB."""

MAX_RETENTION_DAYS = checks.MAX_SECS // 86400
"""The longest ``[store] retention_days``: 10 years, as every ``_secs`` key."""
MAX_LOOKUPS_PER_SEC = 10_000
"""The highest ``[crawlers] max_lookups_per_sec``: the limit protects the resolver, which
an unbounded (``inf``) rate did not."""


# --- schema -------------------------------------------------------------------------------

_SEVERITY = checks.choice(*(severity.value for severity in Severity))

_ALLOW: dict[str, Any] = {
    "clients": checks.network_list,
    "paths": checks.regex_list,
    "user_agents": checks.regex_list,
}


def _access_formats(value: Any) -> str | None:
    """Format names and LogFormat strings, each of which compiles."""
    problem = checks.string_list(value)
    if problem:
        return problem
    for fmt in value:
        # The built-in names are known to compile; compiling them here too would cost every
        # start about 10 ms.
        if fmt in BUILTIN_FORMATS or fmt in JSON_FORMATS or fmt in IIS_FORMATS:
            continue
        try:
            compile_logformat(fmt)
        except FormatError as error:
            return str(error)
    return None


def _share(value: Any) -> str | None:
    """A share from 0 to 1 (0.5: half)."""
    problem = checks.number(0)(value)
    if problem:
        return problem
    return None if value <= 1 else f"must be a share from 0 to 1, got {value}"


MAX_BASELINE_FACTOR = 1000
"""The largest ``baseline_factor``: a client a thousand times its usual rate is a flood."""


_THRESHOLD: dict[str, Any] = {
    "enabled": checks.boolean,
    "count": checks.between(1, MAX_WINDOW_EVENTS),
    "window_secs": checks.seconds(0),
    "cooldown_secs": checks.seconds(0),
    "severity": _SEVERITY,
    "baseline_factor": checks.number(0, MAX_BASELINE_FACTOR),
    "min_error_ratio": _share,
    "dominant_share": _share,
}

# One crawler of [crawlers.catalog.ID] (lwsyslog/data/crawlers.toml ships the known ones).
_CRAWLER: dict[str, Any] = {
    "enabled": checks.boolean,
    "name": checks.string,
    "user_agent": checks.regex,
    "domains": checks.domain_list,
    "networks": checks.network_list,
    "must_match": checks.string_list,
    "must_not_match": checks.string_list,
}

# Every rule takes these; the keys a single rule takes on top (its options) are checked by
# its source once the rules are loaded.
_RULE: dict[str, Any] = {"enabled": checks.boolean, "severity": _SEVERITY, "allow": _ALLOW}


class _TableOf:
    """A table whose keys are ids, each holding the same sub-table.

    ``ids`` lists the known ids (``None``: any id; its rule source checks it later);
    ``open_keys`` lets sub-tables carry further keys (rule options) to be checked later.
    """

    def __init__(
        self,
        ids: Callable[[], Iterable[str]] | None,
        what: str,
        schema: dict[str, Any],
        *,
        open_keys: bool = False,
    ):
        self.ids = ids
        self.what = what
        self.schema = schema
        self.open_keys = open_keys


class _Delegated:
    """A table whose own module checks it: ``check(table, file=..., locate=...)`` raises
    ConfigError; ``locate(path)`` gives the file and line of a dotted path in that file."""

    def __init__(self, check: Callable[..., None]) -> None:
        self.check = check


def _threshold_ids() -> Iterable[str]:
    return [rule.id for rule in THRESHOLD_RULES]


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = {
        "input": {
            "log": checks.choice("auto", "access", "error"),
            "access_formats": _access_formats,
            "max_line_bytes": checks.between(256, MAX_LINE_BYTES),
            "trusted_proxies": checks.network_list,
            "iis_fields": checks.string_list,
            "json_keys": {field: checks.string_list for field in sorted(JSON_FIELDS)},
        },
        "triage": {
            "urgent_statuses": checks.status_list,
            "urgent_levels": checks.word_list(*checks.APACHE_LEVELS),
        },
        "detection": {
            "engine": checks.choice("auto", "hyperscan", "re"),
            "cache": checks.boolean,
            "cache_dir": checks.string,
            "cache_max_bytes": checks.integer(1 << 20),
        },
        "alerts": {
            "single_event_min_severity": _SEVERITY,
            "cooldown_secs": checks.seconds(0),
            "max_keys": checks.integer(1),
            "memory_budget_bytes": checks.integer(1 << 20),
            "storm_max_alerts": checks.integer(0),
            "storm_window_secs": checks.seconds(1),
        },
        "thresholds": _TableOf(_threshold_ids, "threshold rule", _THRESHOLD),
        "allow": _ALLOW,
        "rules": _TableOf(None, "rule", _RULE, open_keys=True),
        "sinks": {
            "messages_file": {
                "enabled": checks.boolean,
                "path": checks.string,
                "fsync": checks.boolean,
                "hold_secs": checks.seconds(0),
            },
            "journald": {"enabled": checks.boolean},
        },
        "store": {
            "enabled": checks.boolean,
            "path": checks.string,
            "retention_days": checks.number(0, MAX_RETENTION_DAYS),
            "max_rows": checks.integer(1),
            "max_bytes": checks.integer(1 << 20),
        },
        "notify": _Delegated(check_notify_table),
        "hosts": {
            "silent_after_secs": checks.seconds(0),
            "max_hosts": checks.integer(1),
            "severity": _SEVERITY,
            "silent_after_secs_per_host": _seconds_per_host,
        },
        "metrics": {
            "interval_secs": checks.seconds(0.1),
            "textfile": checks.string,
            "listen": _listen_address,
        },
        "crawlers": {
            "verify": checks.boolean,
            "resolver": checks.dns_resolver,
            "timeout_secs": checks.seconds(0.05),
            "cache_ttl_secs": checks.seconds(1),
            "negative_ttl_secs": checks.seconds(1),
            "retry_secs": checks.seconds(1),
            "max_lookups_per_sec": checks.number(0.01, MAX_LOOKUPS_PER_SEC),
            "max_in_flight": checks.integer(1),
            "max_pending": checks.integer(1),
            "max_cache_entries": checks.integer(1),
            "max_cache_bytes": checks.integer(1 << 16),
            "scan_wait_secs": checks.seconds(0),
            "verify_private": checks.boolean,
            "severity": _SEVERITY,
            "catalog": _TableOf(None, "crawler", _CRAWLER),
        },
    }
    for table, source_schema in source_tables().items():
        schema[table] = dict(source_schema)
    return schema


def _seconds_per_host(value: Any) -> str | None:
    """A table of host name = seconds (0: that host is never silent)."""
    if not isinstance(value, dict):
        return f"expected a table of host = seconds, got {checks.type_name(value)}"
    for host, seconds in value.items():
        problem = checks.seconds(0)(seconds)
        if problem:
            return f"host {host!r}: {problem}"
    return None


def _listen_address(value: Any) -> str | None:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6), or empty for no endpoint."""
    problem = checks.string(value)
    if problem or not value:
        return problem
    try:
        split_listen(value)
    except ValueError as error:
        return str(error)
    return None


def split_listen(text: str) -> tuple[str, int]:
    """``("127.0.0.1", 9721)`` from ``"127.0.0.1:9721"`` (``[::1]:9721`` for IPv6)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:9721, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"port must be a number from 1 to 65535, got {port!r}")
    return host, int(port)


_SCHEMA = _schema()


# --- loading ------------------------------------------------------------------------------


def config_files(main: Path = DEFAULT_MAIN, dropin_dir: Path = DEFAULT_DROPIN_DIR) -> list[Path]:
    """The override files, in merge order (see :func:`lwsyslog.config_read.config_files`)."""
    return _config_files(main, dropin_dir)


def load_config(
    files: Sequence[Path | str] | None = None,
    *,
    log: str | None = None,
    access_format: str | None = None,
) -> Config:
    """Defaults merged with ``files`` (default: the files under /etc/lwsyslog that exist),
    then the command line's ``--log`` and ``--format`` (``log``, ``access_format``), which
    win over ``[input]``.

    Raises :class:`ConfigError` naming the file, line, table and key of the first problem.
    """
    paths = config_files() if files is None else [Path(path) for path in files]
    data_dir = resources.files("lwsyslog").joinpath("data")
    defaults_text = data_dir.joinpath("defaults.toml").read_text("utf-8")
    merged = _checked(parse_toml(defaults_text, _DEFAULTS_NAME), defaults_text, _DEFAULTS_NAME)
    places = Places(_RULE)
    places.note(merged, defaults_text, _DEFAULTS_NAME)
    crawlers_text = data_dir.joinpath("crawlers.toml").read_text("utf-8")
    crawlers = _checked(parse_toml(crawlers_text, _CRAWLERS_NAME), crawlers_text, _CRAWLERS_NAME)
    places.note(crawlers, crawlers_text, _CRAWLERS_NAME)
    _merge(merged, crawlers)
    for path in paths:
        text = read_config(path)
        data = _checked(parse_toml(text, str(path)), text, str(path))
        places.note(data, text, str(path))
        _merge(merged, data)
    # Before the checks: `--log error` makes an empty access_formats right, and `--format`
    # fills it.
    if log is not None:
        merged["input"]["log"] = log
    if access_format is not None:
        merged["input"]["access_formats"] = [access_format]
    return _build(merged, tuple([_DEFAULTS_NAME, *(str(path) for path in paths)]), places)


def _checked(data: dict[str, Any], text: str, name: str) -> dict[str, Any]:
    _check_table(data, _SCHEMA, (), text, name)
    return data


def _check_table(
    data: dict[str, Any], schema: Any, path: tuple[str, ...], text: str, name: str
) -> None:
    table = ".".join(path)
    if isinstance(schema, _TableOf):
        known = set(schema.ids()) if data and schema.ids is not None else set()
        for key, value in data.items():
            if schema.ids is not None and key not in known:
                raise ConfigError(
                    f"unknown {schema.what} id (known: {', '.join(sorted(known))})",
                    file=name,
                    table=table,
                    key=key,
                    line=line_of(text, path, key),
                )
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a table, got {checks.type_name(value)}",
                    file=name,
                    table=table,
                    key=key,
                    line=line_of(text, path, key),
                )
            inner = value
            if schema.open_keys:
                inner = {k: v for k, v in value.items() if k in schema.schema}
            _check_table(inner, schema.schema, (*path, key), text, name)
        return
    for key, value in data.items():
        line = line_of(text, path, key)
        if key not in schema:
            names = ", ".join(sorted(schema))
            raise ConfigError(
                f"unknown key (known: {names})", file=name, table=table, key=key, line=line
            )
        expected = schema[key]
        if isinstance(expected, _Delegated):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a table, got {checks.type_name(value)}",
                    file=name,
                    table=table,
                    key=key,
                    line=line,
                )
            expected.check(value, file=name, locate=lambda path: (name, nearest_line(text, path)))
            continue
        if isinstance(expected, dict | _TableOf):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a table, got {checks.type_name(value)}",
                    file=name,
                    table=table,
                    key=key,
                    line=line,
                )
            _check_table(value, expected, (*path, key), text, name)
            continue
        problem = expected(value)
        if problem:
            raise ConfigError(problem, file=name, table=table, key=key, line=line)


def _merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _store(data: Mapping[str, Any]) -> StoreSettings:
    defaults = StoreSettings()
    return StoreSettings(
        enabled=data.get("enabled", defaults.enabled),
        path=data.get("path", defaults.path),
        retention_days=float(data.get("retention_days", defaults.retention_days)),
        max_rows=data.get("max_rows", defaults.max_rows),
        max_bytes=data.get("max_bytes", defaults.max_bytes),
    )


def _hosts(data: Mapping[str, Any]) -> HostSettings:
    defaults = HostSettings()
    return HostSettings(
        silent_after_secs=float(data.get("silent_after_secs", defaults.silent_after_secs)),
        max_hosts=data.get("max_hosts", defaults.max_hosts),
        severity=Severity(data.get("severity", defaults.severity.value)),
        silent_after_secs_per_host={
            host_shown(str(host)): float(secs)
            for host, secs in data.get("silent_after_secs_per_host", {}).items()
        },
    )


def _database_cache(data: Mapping[str, Any]) -> DatabaseCacheSettings:
    defaults = DatabaseCacheSettings()
    return DatabaseCacheSettings(
        enabled=data.get("cache", defaults.enabled),
        directory=data.get("cache_dir", defaults.directory),
        max_bytes=data.get("cache_max_bytes", defaults.max_bytes),
    )


def _metrics(data: Mapping[str, Any]) -> MetricsSettings:
    defaults = MetricsSettings()
    return MetricsSettings(
        interval_secs=float(data.get("interval_secs", defaults.interval_secs)),
        textfile=data.get("textfile", defaults.textfile),
        listen=data.get("listen", defaults.listen),
    )


def _allow_list(data: Mapping[str, Any]) -> AllowList:
    return AllowList(
        clients=tuple(ipaddress.ip_network(item, strict=False) for item in data.get("clients", [])),
        paths=tuple(data.get("paths", [])),
        user_agents=tuple(data.get("user_agents", [])),
    )


def _build(data: dict[str, Any], files: tuple[str, ...], places: Places) -> Config:
    where = files[-1]
    thresholds: dict[str, ThresholdSettings] = {}
    for rule_id, values in data.get("thresholds", {}).items():
        missing = [
            key
            for key in ("count", "window_secs", "cooldown_secs", "severity")
            if key not in values
        ]
        if missing:
            raise ConfigError(
                f"missing {', '.join(missing)}", file=where, table=f"thresholds.{rule_id}"
            )
        thresholds[rule_id] = ThresholdSettings(
            enabled=values.get("enabled", True),
            count=values["count"],
            window_secs=float(values["window_secs"]),
            cooldown_secs=float(values["cooldown_secs"]),
            severity=Severity(values["severity"]),
            baseline_factor=float(values.get("baseline_factor", 0.0)),
            min_error_ratio=float(values.get("min_error_ratio", 0.0)),
            dominant_share=float(values.get("dominant_share", 0.0)),
        )
    check_threshold_memory(
        thresholds, data["alerts"]["memory_budget_bytes"], lambda path: places.find(path, where)
    )
    rules = {
        rule_id: RuleSettings(
            enabled=values.get("enabled", True),
            severity=Severity(values["severity"]) if "severity" in values else None,
            allow=_allow_list(values.get("allow", {})),
            options={key: value for key, value in values.items() if key not in _RULE},
            where=places.tables.get(rule_id, Location(where)),
            lines={key: places.options.get((rule_id, key)) for key in values if key not in _RULE},
        )
        for rule_id, values in data.get("rules", {}).items()
    }
    access_formats = data["input"]["access_formats"]
    if not access_formats and data["input"]["log"] != "error":
        place = places.find(("input", "access_formats"), where)
        raise ConfigError(
            'no access-log format given (name one, or set log = "error" to read error logs only)',
            file=place.file,
            line=place.line,
            table="input",
            key="access_formats",
        )
    sinks = data.get("sinks", {})
    return Config(
        log=data["input"]["log"],
        access_formats=tuple(access_formats),
        max_line_bytes=data["input"]["max_line_bytes"],
        trusted_proxies=tuple(data["input"]["trusted_proxies"]),
        iis_fields=tuple(data["input"]["iis_fields"]),
        json_keys={k: tuple(v) for k, v in data["input"].get("json_keys", {}).items()},
        urgent_statuses=parse_status_set(
            data["triage"]["urgent_statuses"], file=where, table="triage", key="urgent_statuses"
        ),
        urgent_levels=tuple(data["triage"]["urgent_levels"]),
        single_event_min_severity=Severity(data["alerts"]["single_event_min_severity"]),
        cooldown_secs=float(data["alerts"]["cooldown_secs"]),
        max_keys=data["alerts"]["max_keys"],
        memory_budget_bytes=data["alerts"]["memory_budget_bytes"],
        storm_max_alerts=data["alerts"]["storm_max_alerts"],
        storm_window_secs=float(data["alerts"]["storm_window_secs"]),
        thresholds=thresholds,
        allow=_allow_list(data.get("allow", {})),
        rules=rules,
        messages_file_enabled=sinks.get("messages_file", {}).get("enabled", True),
        messages_file_path=sinks.get("messages_file", {}).get("path", ""),
        messages_file_fsync=sinks.get("messages_file", {}).get("fsync", False),
        messages_file_hold_secs=float(sinks.get("messages_file", {}).get("hold_secs", 60)),
        journald_enabled=sinks.get("journald", {}).get("enabled", True),
        store=_store(data.get("store", {})),
        notify=parse_notify_settings(
            data.get("notify", {}),
            file=where,
            locate=lambda path: places.file_line(path, where),
        ),
        detection_engine=data["detection"]["engine"],
        database_cache=_database_cache(data["detection"]),
        sources={table: dict(data.get(table, {})) for table in source_tables()},
        files=files,
        hosts=_hosts(data.get("hosts", {})),
        metrics=_metrics(data.get("metrics", {})),
        crawlers=parse_crawler_settings(data.get("crawlers", {}), where, places.crawlers),
        places=places.keys,
    )


def parse_status_set(specs: Iterable[str], *, file: str, table: str, key: str) -> frozenset[int]:
    """Expand ``["4xx", "500-504", "302"]`` into the set of status codes it names."""
    try:
        return checks.status_codes(list(specs))
    except ValueError as error:
        raise ConfigError(str(error), file=file, table=table, key=key) from None
