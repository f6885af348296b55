"""The parse stage: Apache access- and error-log lines into typed events.

:class:`LineParser` is the entry point. Access-log formats are Apache ``LogFormat`` strings
(or the names in :data:`BUILTIN_FORMATS`) compiled once by :func:`compile_logformat`;
error-log lines are read by :func:`parse_error_line`; :func:`strip_syslog_header` removes a
syslog header when a line came through syslog.
"""

from lwsyslog.formats.errorlog import parse_error_line
from lwsyslog.formats.fields import split_request_line, unescape
from lwsyslog.formats.line_parser import DEFAULT_ACCESS_FORMATS, LineParser
from lwsyslog.formats.logformat import BUILTIN_FORMATS, AccessFormat, compile_logformat
from lwsyslog.formats.syslog_header import SyslogLine, strip_syslog_header

__all__ = [
    "BUILTIN_FORMATS",
    "DEFAULT_ACCESS_FORMATS",
    "AccessFormat",
    "LineParser",
    "SyslogLine",
    "compile_logformat",
    "parse_error_line",
    "split_request_line",
    "strip_syslog_header",
    "unescape",
]
