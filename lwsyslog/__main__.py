"""``python -m lwsyslog``: the same command line as the ``lwsyslog`` console script."""

from __future__ import annotations

import sys

from lwsyslog.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
