"""The exception tree of lwsyslog.

    LwsyslogError
    ├── ConfigError        a configuration file is wrong (names file, table, key)
    ├── FormatError        a LogFormat string cannot be compiled (names the directive)
    ├── RuleError          a rule definition is wrong (bad pattern, duplicate id, bad Sigma rule)
    ├── SinkError          a sink could not deliver an alert (transient: retried by the caller)
    ├── StoreError         the alert store is missing, unreadable or not a store (names the file)
    ├── CertError          a certificate or key could not be made or read (names file or step)
    ├── SetupError         a drop-in could not be rendered, validated or written
    ├── LabError           the local lab (demo, integration tests) cannot run here
    └── PrivilegeError     the omprog program could not become its service user

    OSError
    └── SpoolLockedError   another live program holds the omprog line spool (an OSError, like
                           every other reason a spool is unusable)

Errors on single log lines are not exceptions: they are counted under a fixed reason
(see :class:`lwsyslog.events.UnparsedReason`).
"""

from __future__ import annotations

__all__ = [
    "CertError",
    "ConfigError",
    "FormatError",
    "LabError",
    "LwsyslogError",
    "PrivilegeError",
    "RuleError",
    "SetupError",
    "SinkError",
    "SpoolLockedError",
    "StoreError",
]


class LwsyslogError(Exception):
    """Root of every error lwsyslog raises on purpose."""


class ConfigError(LwsyslogError):
    """A configuration value is unknown, mistyped or out of range.

    The message always names where the problem is: file, line when known, table and key.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "<defaults>",
        table: str = "",
        key: str = "",
        line: int | None = None,
    ) -> None:
        self.file = file
        self.table = table
        self.key = key
        self.line = line
        parts = [file if line is None else f"{file}:{line}"]
        if table:
            parts.append(f"[{table}]")
        if key:
            parts.append(f"key '{key}'")
        super().__init__(f"{' '.join(parts)}: {message}")


class FormatError(LwsyslogError):
    """A LogFormat string (or a named format) cannot be compiled into a pattern."""


class RuleError(LwsyslogError):
    """A detection rule or Sigma rule is invalid."""


class SinkError(LwsyslogError):
    """A sink failed to write an alert; the alert is kept for retry by the caller."""


class StoreError(LwsyslogError):
    """The alert store cannot be opened, read or written; the message names the file."""


class CertError(LwsyslogError):
    """A certificate or key could not be made or read (names the file or the openssl step)."""


class SetupError(LwsyslogError):
    """A drop-in could not be rendered, validated or written (names the file or setting)."""


class LabError(LwsyslogError):
    """The lab cannot be set up here (names what is missing or wrong)."""


class PrivilegeError(LwsyslogError):
    """The omprog program could not become its service user (names the user and why)."""


class SpoolLockedError(OSError):
    """Another live process holds the omprog line spool (two programs share one state file).

    Defined here, not in :mod:`lwsyslog.omprog.spool`, because that module is compiled and
    mypyc cannot compile a subclass of a built-in exception.
    """
