"""A stand-in omprog program: confirm every line and append it to a file.

Usage (as rsyslog's omprog ``binary=``):
``python trivial_consumer.py OUTPUT [--journal] [--transactions]``.
Speaks the ``confirmMessages="on"`` protocol: ``OK`` once when ready, then ``OK`` per line
after the line is written. Transaction marks (``useTransactions="on"``) are always understood,
like the real program's ``--transactions`` (the flag is accepted and changes nothing):
``BEGIN``/``COMMIT TRANSACTION`` get ``OK`` and are not written, a line inside a transaction
gets ``DEFER_COMMIT`` after it is written. With ``--journal``, a line whose msg contains
``LWSYSLOG-JOURNAL-PROBE`` is also sent to journald (native protocol), the way the real program
sends alerts, so a test can see that the child reaches the journal.
"""

from __future__ import annotations

import json
import socket
import sys

PROBE = "LWSYSLOG-JOURNAL-PROBE"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
BEGIN = b"BEGIN TRANSACTION"
COMMIT = b"COMMIT TRANSACTION"


def _journal_send(record: dict[str, object]) -> None:
    fields = {
        "MESSAGE": f"probe from {record.get('host')}: {record.get('msg')}",
        "SYSLOG_IDENTIFIER": "lwsyslog-test",
        "PRIORITY": "4",
        "LWSYSLOG_HOST": str(record.get("host")),
    }
    payload = "".join(f"{k}={v.replace(chr(10), ' ')}\n" for k, v in fields.items())
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload.encode(), JOURNAL_SOCKET)


def main() -> int:
    out = open(sys.argv[1], "ab", buffering=0)  # noqa: SIM115 - open for the whole run
    journal = "--journal" in sys.argv[2:]
    stdin = sys.stdin.buffer
    sys.stdout.write("OK\n")
    sys.stdout.flush()
    in_transaction = False
    for line in stdin:
        mark = line.rstrip(b"\n")
        if mark in (BEGIN, COMMIT):
            in_transaction = mark == BEGIN
            sys.stdout.write("OK\n")
        else:
            out.write(line)
            if journal and PROBE.encode() in line:
                _journal_send(json.loads(line))
            sys.stdout.write("DEFER_COMMIT\n" if in_transaction else "OK\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
