"""lwsyslog: an Apache log security monitor for the rsyslog stack.

The package is one pipeline (decode -> parse -> triage -> detect -> thresholds -> alerts -> sinks)
used both live by the omprog program and offline by ``lwsyslog scan``.
"""

__version__ = "0.1.0"
