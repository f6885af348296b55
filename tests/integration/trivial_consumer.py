"""A stand-in omprog program: confirm every line and append it to a file.

Usage (as rsyslog's omprog ``binary=``): ``python trivial_consumer.py OUTPUT [--journal]``.
Speaks the ``confirmMessages="on"`` protocol: ``OK`` once when ready, then ``OK`` per line
after the line is written. With ``--journal``, a line whose msg contains
``LWSYSLOG-JOURNAL-PROBE`` is also sent to journald (native protocol), the way the real program
sends alerts, so a test can see that the child reaches the journal.
"""

from __future__ import annotations

import json
import socket
import sys

PROBE = "LWSYSLOG-JOURNAL-PROBE"
JOURNAL_SOCKET = "/run/systemd/journal/socket"


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
    for line in stdin:
        out.write(line)
        if journal and PROBE.encode() in line:
            _journal_send(json.loads(line))
        sys.stdout.write("OK\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
