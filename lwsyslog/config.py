"""Strict TOML configuration: built-in defaults, then drop-in overrides.

Files are read in order (defaults, ``/etc/lwsyslog/lwsyslog.toml``, then
``/etc/lwsyslog/lwsyslog.d/*.toml`` sorted), each checked against the schema on its own so an
error names the file that made it, with line, table and key. A threshold that silently fell
back to a default would be a detection gap, so nothing unknown is ignored.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lwsyslog.errors import ConfigError
from lwsyslog.severity import Severity
from lwsyslog.triage import parse_status_set

__all__ = [
    "DEFAULT_PATHS",
    "AllowList",
    "Config",
    "RuleSettings",
    "ThresholdSettings",
    "config_files",
    "load_config",
]

DEFAULT_MAIN = Path("/etc/lwsyslog/lwsyslog.toml")
DEFAULT_DROPIN_DIR = Path("/etc/lwsyslog/lwsyslog.d")
DEFAULT_PATHS = (DEFAULT_MAIN, DEFAULT_DROPIN_DIR)
_DEFAULTS_NAME = "<built-in defaults>"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AllowList:
    """Findings from these clients, paths or User-Agents are dropped."""

    clients: tuple[Network, ...] = ()
    paths: tuple[re.Pattern[str], ...] = ()
    user_agents: tuple[re.Pattern[str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clients or self.paths or self.user_agents)

    def allows(self, client_ip: str, path: str, user_agent: str) -> bool:
        """True when any entry covers this client, path or User-Agent."""
        if self.clients and client_ip:
            try:
                address = ipaddress.ip_address(client_ip)
            except ValueError:
                address = None
            if address is not None and any(address in net for net in self.clients):
                return True
        if path and any(pattern.search(path) for pattern in self.paths):
            return True
        return bool(user_agent) and any(p.search(user_agent) for p in self.user_agents)


@dataclass(frozen=True, slots=True)
class ThresholdSettings:
    """Numbers for one multi-event threshold rule."""

    enabled: bool
    count: int
    window_secs: float
    cooldown_secs: float
    severity: Severity
    baseline_factor: float = 0.0


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Per-rule overrides: switch off, change severity, allow-list.

    ``paths`` is read by the ``watched-path`` rule only (the schema accepts it nowhere else).
    """

    enabled: bool = True
    severity: Severity | None = None
    allow: AllowList = field(default_factory=AllowList)
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    """The validated, merged configuration every stage is built from."""

    log: str
    access_formats: tuple[str, ...]
    max_line_bytes: int
    urgent_statuses: frozenset[int]
    urgent_levels: tuple[str, ...]
    single_event_min_severity: Severity
    cooldown_secs: float
    max_keys: int
    thresholds: Mapping[str, ThresholdSettings]
    allow: AllowList
    rules: Mapping[str, RuleSettings]
    messages_file_enabled: bool
    messages_file_path: str
    messages_file_fsync: bool
    journald_enabled: bool
    sigma_rule_dirs: tuple[str, ...]
    files: tuple[str, ...]

    def rule_settings(self, rule_id: str) -> RuleSettings:
        """The settings for ``rule_id`` (defaults when the rule has no table)."""
        return self.rules.get(rule_id, _DEFAULT_RULE_SETTINGS)


_DEFAULT_RULE_SETTINGS = RuleSettings()


# --- schema -------------------------------------------------------------------------------

Checker = Callable[[Any], str | None]  # returns an error text, or None when the value is fine


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(minimum: int = 0) -> Checker:
    def check(value: Any) -> str | None:
        if not _is_int(value):
            return f"expected an integer, got {_type_name(value)}"
        return None if value >= minimum else f"must be >= {minimum}, got {value}"

    return check


def _number(minimum: float = 0) -> Checker:
    def check(value: Any) -> str | None:
        if not (_is_int(value) or isinstance(value, float)):
            return f"expected a number, got {_type_name(value)}"
        return None if value >= minimum else f"must be >= {minimum}, got {value}"

    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {_type_name(value)}"


def _str(value: Any) -> str | None:
    return None if isinstance(value, str) else f"expected a string, got {_type_name(value)}"


def _choice(*choices: str) -> Checker:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        return f"expected one of {', '.join(choices)}, got {value!r}"

    return check


def _str_list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return f"expected a list of strings, got {_type_name(value)}"
    return None


def _regex_list(value: Any) -> str | None:
    problem = _str_list(value)
    if problem:
        return problem
    for item in value:
        try:
            re.compile(item)
        except re.error as error:
            return f"invalid regular expression {item!r}: {error}"
    return None


def _network_list(value: Any) -> str | None:
    problem = _str_list(value)
    if problem:
        return problem
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"not an IP address or CIDR network: {item!r}"
    return None


_SEVERITY = _choice(*(severity.value for severity in Severity))

_ALLOW: dict[str, Any] = {
    "clients": _network_list,
    "paths": _regex_list,
    "user_agents": _regex_list,
}

_THRESHOLD: dict[str, Any] = {
    "enabled": _bool,
    "count": _int(1),
    "window_secs": _number(0),
    "cooldown_secs": _number(0),
    "severity": _SEVERITY,
    "baseline_factor": _number(0),
}


def _watched_paths(value: Any) -> str | None:
    from lwsyslog.rules.watched import watched_path_problem  # noqa: PLC0415  (import cycle)

    problem = _str_list(value)
    if problem:
        return problem
    return next((p for p in map(watched_path_problem, value) if p), None)


_RULE: dict[str, Any] = {"enabled": _bool, "severity": _SEVERITY, "allow": _ALLOW}
# Keys only some rules take, on top of _RULE.
_RULE_EXTRA: dict[str, dict[str, Any]] = {"watched-path": {"paths": _watched_paths}}


class _TableOf:
    """A table whose keys are ids from a registry, each holding the same sub-table.

    ``extra`` adds keys to the sub-table of some ids.
    """

    def __init__(
        self,
        ids: Callable[[], Iterable[str]],
        what: str,
        schema: dict[str, Any],
        extra: Mapping[str, dict[str, Any]] | None = None,
    ):
        self.ids = ids
        self.what = what
        self.schema = schema
        self.extra = extra or {}

    def schema_of(self, key: str) -> dict[str, Any]:
        """The sub-table schema of id ``key``."""
        extra = self.extra.get(key)
        return {**self.schema, **extra} if extra else self.schema


def _threshold_ids() -> Iterable[str]:
    from lwsyslog.thresholds import THRESHOLD_RULES  # noqa: PLC0415  (avoid an import cycle)

    return [rule.id for rule in THRESHOLD_RULES]


def _rule_ids() -> Iterable[str]:
    from lwsyslog.rules.registry import ALL_RULES  # noqa: PLC0415  (avoid an import cycle)

    return [rule.id for rule in ALL_RULES]


_SCHEMA: dict[str, Any] = {
    "input": {
        "log": _choice("auto", "access", "error"),
        "access_formats": _str_list,
        "max_line_bytes": _int(256),
    },
    "triage": {"urgent_statuses": _str_list, "urgent_levels": _str_list},
    "alerts": {
        "single_event_min_severity": _SEVERITY,
        "cooldown_secs": _number(0),
        "max_keys": _int(1),
    },
    "thresholds": _TableOf(_threshold_ids, "threshold rule", _THRESHOLD),
    "allow": _ALLOW,
    "rules": _TableOf(_rule_ids, "rule", _RULE, _RULE_EXTRA),
    "sinks": {
        "messages_file": {"enabled": _bool, "path": _str, "fsync": _bool},
        "journald": {"enabled": _bool},
    },
    "sigma": {"rule_dirs": _str_list},
}


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


# --- loading ------------------------------------------------------------------------------


def config_files(main: Path = DEFAULT_MAIN, dropin_dir: Path = DEFAULT_DROPIN_DIR) -> list[Path]:
    """The override files that exist, in merge order."""
    files = [main] if main.is_file() else []
    if dropin_dir.is_dir():
        files.extend(sorted(path for path in dropin_dir.glob("*.toml") if path.is_file()))
    return files


def load_config(files: Sequence[Path | str] | None = None) -> Config:
    """Defaults merged with ``files`` (default: the files under /etc/lwsyslog that exist).

    Raises :class:`ConfigError` naming the file, line, table and key of the first problem.
    """
    paths = config_files() if files is None else [Path(path) for path in files]
    defaults_text = resources.files("lwsyslog").joinpath("data/defaults.toml").read_text("utf-8")
    merged = _checked(_parse(defaults_text, _DEFAULTS_NAME), defaults_text, _DEFAULTS_NAME)
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read: {error}", file=str(path)) from None
        _merge(merged, _checked(_parse(text, str(path)), text, str(path)))
    return _build(merged, tuple([_DEFAULTS_NAME, *(str(path) for path in paths)]))


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise ConfigError(
            f"not valid TOML: {error}", file=name, line=int(match.group(1)) if match else None
        ) from None


def _checked(data: dict[str, Any], text: str, name: str) -> dict[str, Any]:
    _check_table(data, _SCHEMA, (), text, name)
    return data


def _check_table(
    data: dict[str, Any], schema: Any, path: tuple[str, ...], text: str, name: str
) -> None:
    table = ".".join(path)
    if isinstance(schema, _TableOf):
        known = set(schema.ids()) if data else set()
        for key, value in data.items():
            if key not in known:
                raise ConfigError(
                    f"unknown {schema.what} id (known: {', '.join(sorted(known))})",
                    file=name,
                    table=table,
                    key=key,
                    line=_line_of(text, path, key),
                )
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a table, got {_type_name(value)}",
                    file=name,
                    table=table,
                    key=key,
                    line=_line_of(text, path, key),
                )
            _check_table(value, schema.schema_of(key), (*path, key), text, name)
        return
    for key, value in data.items():
        line = _line_of(text, path, key)
        if key not in schema:
            names = ", ".join(sorted(schema))
            raise ConfigError(
                f"unknown key (known: {names})", file=name, table=table, key=key, line=line
            )
        expected = schema[key]
        if isinstance(expected, dict | _TableOf):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a table, got {_type_name(value)}",
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


def _line_of(text: str, path: tuple[str, ...], key: str) -> int | None:
    """Best-effort line of ``key`` in table ``path`` (tomllib reports no positions)."""
    wanted = (*path, key)
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _dotted(header.group(1))
            if table[: len(wanted)] == wanted:
                return number
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment and (*table, *_dotted(assignment.group(1)))[: len(wanted)] == wanted:
            return number
    return None


_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _allow_list(data: Mapping[str, Any]) -> AllowList:
    return AllowList(
        clients=tuple(ipaddress.ip_network(item, strict=False) for item in data.get("clients", [])),
        paths=tuple(re.compile(item) for item in data.get("paths", [])),
        user_agents=tuple(re.compile(item) for item in data.get("user_agents", [])),
    )


def _build(data: dict[str, Any], files: tuple[str, ...]) -> Config:
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
        )
    rules = {
        rule_id: RuleSettings(
            enabled=values.get("enabled", True),
            severity=Severity(values["severity"]) if "severity" in values else None,
            allow=_allow_list(values.get("allow", {})),
            paths=tuple(values.get("paths", [])),
        )
        for rule_id, values in data.get("rules", {}).items()
    }
    sinks = data.get("sinks", {})
    return Config(
        log=data["input"]["log"],
        access_formats=tuple(data["input"]["access_formats"]),
        max_line_bytes=data["input"]["max_line_bytes"],
        urgent_statuses=parse_status_set(
            data["triage"]["urgent_statuses"], file=where, table="triage", key="urgent_statuses"
        ),
        urgent_levels=tuple(data["triage"]["urgent_levels"]),
        single_event_min_severity=Severity(data["alerts"]["single_event_min_severity"]),
        cooldown_secs=float(data["alerts"]["cooldown_secs"]),
        max_keys=data["alerts"]["max_keys"],
        thresholds=thresholds,
        allow=_allow_list(data.get("allow", {})),
        rules=rules,
        messages_file_enabled=sinks.get("messages_file", {}).get("enabled", True),
        messages_file_path=sinks.get("messages_file", {}).get("path", ""),
        messages_file_fsync=sinks.get("messages_file", {}).get("fsync", False),
        journald_enabled=sinks.get("journald", {}).get("enabled", True),
        sigma_rule_dirs=tuple(data.get("sigma", {}).get("rule_dirs", [])),
        files=files,
    )
