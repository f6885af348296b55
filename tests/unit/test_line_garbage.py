"""A line leaves no reference cycle behind: what it made is freed when it is done, not by the
cyclic collector (whose collections would then cost a scan of many new clients' 404s a tenth
of its time)."""

from __future__ import annotations

import gc
import time

from lwsyslog.config import load_config
from lwsyslog.events import origin_at
from lwsyslog.pipeline import Pipeline

START = 1_780_000_000.0


def _line(number: int) -> str:
    client = f"198.51.{number // 250 % 250}.{number % 250 + 1}"
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(START + number))
    status = 404 if number % 3 == 0 else 200
    target = f"/api/v1/orders/{number}?ref=a{number:x}&page=2"
    return f'{client} - - [{stamp}] "GET {target} HTTP/1.1" {status} 512 "-" "Mozilla/5.0"'


def test_lines_of_new_clients_leave_no_cycles_to_collect() -> None:
    pipeline = Pipeline(load_config([]))
    lines = [_line(number) for number in range(3000)]
    for number, text in enumerate(lines[:100]):  # caches and tables made once
        pipeline.process(text, origin_at("t.log", number))
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for number, text in enumerate(lines[100:]):
            pipeline.process(text, origin_at("t.log", number))
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
