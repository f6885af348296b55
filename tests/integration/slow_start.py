"""A stand-in for a slow start of the omprog program (a loaded machine, a cold rule cache).

Usage (as rsyslog's omprog ``binary=``): ``python slow_start.py SECS MARKER COMMAND...``.
The first time (``MARKER`` absent) it creates ``MARKER`` and waits ``SECS`` seconds before it
becomes ``COMMAND``; every later start becomes ``COMMAND`` at once.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    """Wait on the first start, then exec the command."""
    secs, marker, command = float(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    if not marker.exists():
        marker.touch()
        time.sleep(secs)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
