"""The cyclic garbage collector while a command starts: off until what it builds is kept.

Start-up (imports, configuration, rules, parsers) allocates a few hundred thousand container
objects that live as long as the process. With the collector on, each 700 new ones start a
collection, and the older generations are walked again and again as they fill: about 30 ms of
a 0.5 s ``lwsyslog scan``. :func:`paused` turns it off for such a stretch; the objects freed
by reference counting are freed as always, only cycles wait.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore it as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
