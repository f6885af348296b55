"""Denial of service visible in one line: slow-request timeouts and exhausted workers."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import CodeRule, StatusRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["DosMaxWorkers", "DosRequestTimeout", "DosSlowRequestTimeout"]


class DosSlowRequestTimeout(CodeRule):
    """mod_reqtimeout closing a connection that sent its request too slowly (slowloris)."""

    id = "dos-slow-request-timeout"
    categories = ("dos",)
    severity = Severity.LOW
    description = "request header/body read timeout (AH01382, slowloris)"
    codes = frozenset({"AH01382"})
    pattern = Regex(r"^request (?:header |body )?read timeout")
    trigger = r"read timeout"
    must_match = (
        ErrorSample(message="Request header read timeout", code="AH01382", level="info",
                    module="reqtimeout"),
        ErrorSample(message="Request header read timeout", level="info", module=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/read-timeout"),
        ErrorSample(message="AH01075: Error dispatching request to : (polling)", module="proxy"),
    )


class DosRequestTimeout(StatusRule):
    """A ``408 Request Timeout``: a connection opened and never finished its request."""

    id = "dos-request-timeout-status"
    categories = ("dos",)
    severity = Severity.LOW
    description = "request answered 408 Request Timeout"
    statuses = frozenset({408})
    must_match = (
        AccessSample(method="", target="", protocol="", request_line="", status=408),
        AccessSample(target="/upload", method="POST", status=408),
    )
    must_not_match = (
        AccessSample(target="/", status=200),
        AccessSample(target="/", status=504),
    )


class DosMaxWorkers(CodeRule):
    """Apache out of worker slots: every new client waits (flood or slowloris succeeded)."""

    id = "dos-max-workers"
    categories = ("dos",)
    severity = Severity.HIGH
    description = "server reached MaxRequestWorkers / MaxClients (AH00484, AH03490)"
    codes = frozenset({"AH00484", "AH03490"})
    pattern = Regex(r"server reached max(?:requestworkers|clients) setting|scoreboard is full")
    trigger = r"server reached|scoreboard"
    must_match = (
        ErrorSample(
            message="server reached MaxRequestWorkers setting, consider raising the "
            "MaxRequestWorkers setting",
            code="AH00484", module="mpm_event", client_ip="",
        ),
        ErrorSample(
            message="server reached MaxClients setting, consider raising the MaxClients setting",
            module="", client_ip="",
        ),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="AH00489: Apache/2.4.58 (Ubuntu) configured -- resuming normal "
                    "operations", level="notice", client_ip=""),
        ErrorSample(message="File does not exist: /var/www/html/maxclients.html"),
    )  # fmt: skip
