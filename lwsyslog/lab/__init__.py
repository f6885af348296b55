"""A private lab for the rsyslog chain on one machine, as root, beside the host's own services.

A journald in a private mount namespace, a web-host and a central rsyslogd on 127.0.0.1 with
fresh TLS certificates and the shipped drop-ins, a real Apache, and the omprog program. Used
by ``lwsyslog demo``, the integration tests and the chain benchmarks. Nothing here touches
the host's rsyslog, journal, /dev/log or Apache configuration; every process is stopped by pid.
"""

from __future__ import annotations

from lwsyslog.errors import LabError
from lwsyslog.lab.apache import ApacheInstance
from lwsyslog.lab.chain import LocalChain
from lwsyslog.lab.chain_conf import server_conf, webhost_conf
from lwsyslog.lab.faults import FAULT_KINDS, SinkFault, send_through_fault, settle
from lwsyslog.lab.http import fetch
from lwsyslog.lab.journal import JOURNAL_DIR, JournalNamespace
from lwsyslog.lab.omprog import find_omprog_script, omprog_command, write_lab_config
from lwsyslog.lab.pki import PERMITTED, SERVER_NAME, WEBHOST_NAME, ChainPki, make_chain_pki
from lwsyslog.lab.procs import (
    child_pids,
    free_port,
    pid_alive,
    stop_process,
    wait_for,
    wait_port,
)
from lwsyslog.lab.requirements import missing_requirements
from lwsyslog.lab.rsyslog import RSYSLOGD, RsyslogInstance, inject, syslog_line

__all__ = [
    "FAULT_KINDS",
    "JOURNAL_DIR",
    "PERMITTED",
    "RSYSLOGD",
    "SERVER_NAME",
    "WEBHOST_NAME",
    "ApacheInstance",
    "ChainPki",
    "JournalNamespace",
    "LabError",
    "LocalChain",
    "RsyslogInstance",
    "SinkFault",
    "child_pids",
    "fetch",
    "find_omprog_script",
    "free_port",
    "inject",
    "make_chain_pki",
    "missing_requirements",
    "omprog_command",
    "pid_alive",
    "send_through_fault",
    "server_conf",
    "settle",
    "stop_process",
    "syslog_line",
    "wait_for",
    "wait_port",
    "webhost_conf",
    "write_lab_config",
]
