"""lwsyslog-omprog with each line counted instead of processed, for ``bench_chain.py``.

The program's whole protocol side runs as shipped: the answers, the spool, the processing
child and the hand-over down its pipe. Only the child's work per line (parse, rules,
thresholds, alerts) is left out, so ``bench_chain.py --protocol-only`` tells how much of the
gap to the trivial consumer is the protocol and how much is the processing.
"""

from __future__ import annotations

import sys

from lwsyslog.omprog import program
from lwsyslog.omprog.main import main


def _counted_only(self: program.OmprogProgram, line: bytes) -> str:
    return "OK"


if __name__ == "__main__":
    program.OmprogProgram._handle_line = _counted_only  # type: ignore[method-assign]
    sys.exit(main())
