"""Warnings for configured access formats that can give no line a client address.

Every per-client threshold (brute force, scans, floods) counts lines by their client; a format
that logs none (no ``%a``, ``%h``, ``%{c}a``, ``%{c}h`` or ``%{X-Forwarded-For}i``; an
``iis_fields`` list without ``c-ip`` or X-Forwarded-For) parses every line and switches them
all off, and nothing else would say so. ``check-config``, ``scan`` and the omprog program say
it, naming where the format was set, as a configuration error would.
"""

from __future__ import annotations

from lwsyslog.errors import ConfigError
from lwsyslog.formats.iis import CLIENT_FIELDS
from lwsyslog.formats.line_parser import IIS_FORMATS, LineParser
from lwsyslog.formats.logformat import resolve_format
from lwsyslog.settings import Config

__all__ = ["client_warnings"]

_CONSEQUENCE = "per-client thresholds (brute force, scans, floods) cannot count its lines"


def client_warnings(
    config: Config, parser: LineParser, *, format_option: bool = False
) -> list[str]:
    """One message per configured access format of ``config`` (compiled in ``parser``) that
    can give no line a client address; ``format_option``: the formats came from ``--format``."""
    if config.log == "error":
        return []
    compiled = {fmt.logformat: fmt for fmt in parser.formats}
    warnings: list[str] = []
    for entry in config.access_formats:
        fmt = compiled.get(resolve_format(entry))
        if fmt is None or fmt.client_from:
            continue  # JSON, IIS (below), or a format that names a client
        message = (
            f"access format {entry!r} logs no client address (no %a, %h, %{{c}}a, %{{c}}h "
            f"or %{{X-Forwarded-For}}i): {_CONSEQUENCE}"
        )
        if format_option:
            warnings.append(f"--format: {message}")
        else:
            warnings.append(_located(config, "access_formats", message))
    iis = any(entry in IIS_FORMATS for entry in config.access_formats)
    fields = {name.lower() for name in config.iis_fields}
    if iis and fields and not fields & CLIENT_FIELDS:
        message = (
            "the IIS field list assumed before a #Fields: line has no c-ip or X-Forwarded-For: "
            f"{_CONSEQUENCE}"
        )
        warnings.append(_located(config, "iis_fields", message))
    # JSON needs no check: a client key list is never empty, and one of its keys may be there.
    return warnings


def _located(config: Config, key: str, message: str) -> str:
    """``message`` prefixed as a :class:`ConfigError` names its place: file:line [input] key."""
    place = config.location("input", key)
    return str(ConfigError(message, file=place.file, line=place.line, table="input", key=key))
