"""The real lwsyslog-omprog, also appending every line it answered OK to a record file.

Usage (as omprog's ``binary=``): ``python recording_omprog.py RECORD [lwsyslog-omprog options]``.
The line is written (one unbuffered ``write``) after the program processed it and before the
``OK`` goes out, so after a SIGKILL the record holds every confirmed line, and a processed but
unconfirmed line shows up twice once rsyslog sends it again: the record proves "at least once".
"""

from __future__ import annotations

import os
import sys

from lwsyslog.omprog.main import main as omprog_main
from lwsyslog.omprog.program import OmprogProgram


def main() -> int:
    record = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    handle = OmprogProgram.handle

    def recording(self: OmprogProgram, line: bytes, deferred: bool = False) -> str:
        status = handle(self, line, deferred)
        if status == "OK":
            os.write(record, line + b"\n")
        return status

    OmprogProgram.handle = recording  # type: ignore[method-assign]
    return omprog_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
