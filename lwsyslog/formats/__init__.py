"""The parse stage: log lines into typed events.

:class:`LineParser` is the entry point; it recognises each line's kind on its own. Apache
access-log formats are ``LogFormat`` strings (or the names in :data:`BUILTIN_FORMATS`) compiled
once by :func:`compile_logformat`; Apache error-log lines are read by :func:`parse_error_line`,
nginx error-log lines by :func:`parse_nginx_error_line`, JSON access lines by
:class:`JsonAccessReader`, IIS W3C extended logs by :class:`IisReader`;
:class:`TrustedProxies` takes the client from ``X-Forwarded-For`` behind a configured proxy;
:func:`strip_syslog_header` removes a syslog header when a line came through syslog. See
``docs/formats.md``.
"""

from lwsyslog.formats.errorlog import parse_error_line
from lwsyslog.formats.fields import split_request_line, unescape
from lwsyslog.formats.iis import DEFAULT_IIS_FIELDS, IisReader
from lwsyslog.formats.json_access import DEFAULT_JSON_KEYS, JSON_FIELDS, JsonAccessReader
from lwsyslog.formats.line_parser import (
    DEFAULT_ACCESS_FORMATS,
    IIS_FORMATS,
    JSON_FORMATS,
    LineParser,
)
from lwsyslog.formats.logformat import BUILTIN_FORMATS, AccessFormat, compile_logformat
from lwsyslog.formats.nginx_error import parse_nginx_error_line
from lwsyslog.formats.syslog_header import SyslogLine, strip_syslog_header
from lwsyslog.formats.xff import TrustedProxies

__all__ = [
    "BUILTIN_FORMATS",
    "DEFAULT_ACCESS_FORMATS",
    "DEFAULT_IIS_FIELDS",
    "DEFAULT_JSON_KEYS",
    "IIS_FORMATS",
    "JSON_FIELDS",
    "JSON_FORMATS",
    "AccessFormat",
    "IisReader",
    "JsonAccessReader",
    "LineParser",
    "SyslogLine",
    "TrustedProxies",
    "compile_logformat",
    "parse_error_line",
    "parse_nginx_error_line",
    "split_request_line",
    "strip_syslog_header",
    "unescape",
]
