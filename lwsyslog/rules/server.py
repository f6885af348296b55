"""Server errors that can signal exploitation: crashed children and fatal PHP errors."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import CodeRule
from lwsyslog.rules.samples import ErrorSample
from lwsyslog.severity import Severity

__all__ = ["ServerChildCrash", "ServerPhpFatal"]


class ServerChildCrash(CodeRule):
    """A child process killed by a crash signal (memory corruption, possibly an exploit)."""

    id = "server-error-child-crash"
    categories = ("server-error",)
    severity = Severity.HIGH
    description = "child process crashed (exit signal Segmentation fault, Bus error, Abort)"
    pattern = Regex(
        r"exit signal (?:segmentation fault|bus error|illegal instruction|abort(?:ed)?"
        r"|floating point exception)"
    )
    trigger = r"exit signal"
    must_match = (
        ErrorSample(message="AH00052: child pid 2194 exit signal Segmentation fault (11)",
                    level="notice", client_ip=""),
        ErrorSample(message="child pid 31337 exit signal Bus error (7)", level="notice",
                    module="", client_ip=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="AH00052: child pid 2194 exit signal Terminated (15)",
                    level="notice", client_ip=""),
        ErrorSample(message="File does not exist: /var/www/html/segmentation-fault-faq"),
    )  # fmt: skip


class ServerPhpFatal(CodeRule):
    """A fatal PHP error: a crash in application code, often triggered by a malformed input."""

    id = "server-error-php-fatal"
    categories = ("server-error",)
    severity = Severity.MEDIUM
    description = "PHP Fatal error / Parse error / memory exhausted"
    pattern = Regex(r"php (?:fatal|parse) error|allowed memory size of \d+ bytes exhausted")
    trigger = r"php (?:fatal|parse)|allowed memory"
    must_match = (
        ErrorSample(
            message="PHP Fatal error:  Uncaught Error: Call to undefined function mysql_connect() "
            "in /var/www/html/db.php:3", module="php7",
        ),
        ErrorSample(message="PHP Parse error:  syntax error, unexpected '}' in "
                    "/var/www/html/x.php on line 9", module="proxy_fcgi"),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="PHP Warning:  Undefined variable $x in /var/www/html/a.php on line 4",
                    module="php7"),
        ErrorSample(message="PHP Notice:  Undefined index: q in /var/www/html/s.php",
                    module="php7"),
    )  # fmt: skip
