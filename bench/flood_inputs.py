"""The flood inputs of ``bench_flood.py``, written line by line to a file (never held in memory).

Every case is an Apache combined access log. Timestamps advance by one second every
``rate`` lines (default 10,000: an attacker at 10k requests/s), so a 60-second threshold
window holds 600,000 lines: nothing leaves a window early, memory is at its worst.

- ``distinct404``: 404s with distinct ~7.8 KB paths from 10,000 IPv6 clients (the issue's
  1.6 GB flood: ``scan-distinct-404`` kept every path).
- ``new-v6`` / ``new-v4``: every line from a client address never seen before (IPv6: each in
  its own /64, so aggregating per /64 does not help; IPv4: 10.0.0.0/8), alternating a 404 and
  a 401, statuses that feed the thresholds.
- ``new-hosts``: ordinary 404s from 50 clients, each line (as the omprog program gets it) from
  a web host never seen before, whose syslog host name is 4,000 characters and tag 1,000
  (``envelope_names``): the names a sender writes, which the program remembers. ``scan``
  reads the same lines from one file.
- ``baseline``: ordinary lines (200/304 for pages and assets) from 50 repeating clients, at
  250 lines per second of log time whatever ``rate`` says (5 requests/s per client: at 10k
  lines/s each client would be a flood of its own).

Addresses come from 2001:db8::/32 (documentation) and 10.0.0.0/8 (private).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["CASES", "envelope_names", "generate"]

_START = 1_772_359_200  # 2026-03-01 10:00:00 UTC
_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_SCAN_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
_PATH_BYTES = 7800
_BASELINE_RATE = 250


class _Clock:
    """Apache's ``%t`` for line ``i``: one new second every ``rate`` lines (cached)."""

    def __init__(self, rate: int) -> None:
        self.rate = max(1, rate)
        self._second = -1
        self._text = ""

    def stamp(self, i: int) -> str:
        second = i // self.rate
        if second != self._second:
            self._second = second
            self._text = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime(_START + second))
        return self._text


def _v6(k: int) -> str:
    """Client ``k`` in its own /64 of 2001:db8::/32."""
    return f"2001:db8:{(k >> 16) & 0xFFFF:x}:{k & 0xFFFF:x}::{(k >> 32) + 1:x}"


def _v4(k: int) -> str:
    k += 1
    return f"10.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"


def _path_blocks() -> list[str]:
    """64 blocks of path-like text (hex words between slashes), ~7.8 KB each."""
    blocks = []
    for b in range(64):
        words = []
        size = 0
        n = 0
        while size < _PATH_BYTES:
            word = hashlib.sha256(f"{b}-{n}".encode()).hexdigest()[: 8 + n % 17]
            words.append(word)
            size += len(word) + 1
            n += 1
        blocks.append("/".join(words)[:_PATH_BYTES])
    return blocks


def _distinct404(lines: int, clock: _Clock) -> Iterator[str]:
    blocks = _path_blocks()
    for i in range(lines):
        path = f"/{i:08d}/{blocks[i % 64]}"
        yield (
            f'{_v6(i % 10_000)} - - {clock.stamp(i)} "GET {path} HTTP/1.1" 404 196 "-" "{_SCAN_UA}"'
        )


def _new(address: Callable[[int], str]) -> Callable[[int, _Clock], Iterator[str]]:
    def lines_of(lines: int, clock: _Clock) -> Iterator[str]:
        for i in range(lines):
            if i % 2:
                request, status, user = "GET /admin/ HTTP/1.1", 401, "admin"
            else:
                request, status, user = f"GET /old-{i % 997}.php HTTP/1.1", 404, "-"
            yield (f'{address(i)} - {user} {clock.stamp(i)} "{request}" {status} 381 "-" "{_UA}"')

    return lines_of


_PAGES = tuple(
    [f"/static/css/site-{n}.css" for n in range(10)]
    + [f"/static/js/app-{n}.js" for n in range(10)]
    + [f"/images/photo-{n}.jpg" for n in range(30)]
    + [f"/blog/2026/03/post-{n}.html" for n in range(30)]
    + [f"/shop/item?id={n}&color=blue" for n in range(20)]
)


def _baseline(lines: int, clock: _Clock) -> Iterator[str]:
    for i in range(lines):
        client = f"198.51.100.{i * 7 % 50 + 1}"
        page = _PAGES[i * 13 % len(_PAGES)]
        status, size = (304, 0) if i % 5 == 0 else (200, 2048 + i % 4096)
        yield (
            f'{client} - - {clock.stamp(i)} "GET {page} HTTP/1.1" {status} {size} '
            f'"https://www.example.com/" "{_UA}"'
        )


def _new_hosts(lines: int, clock: _Clock) -> Iterator[str]:
    for i in range(lines):
        yield (
            f'198.51.100.{i % 50 + 1} - - {clock.stamp(i)} "GET /missing-{i % 97}.html HTTP/1.1" '
            f'404 196 "-" "{_UA}"'
        )


def envelope_names(case: str, number: int) -> tuple[str, str]:
    """The syslog host and tag of line ``number`` of ``case`` as the omprog program gets it."""
    if case != "new-hosts":
        return "web1", "apache-access"
    return (f"h{number:08d}-" + "x" * 4000)[:4000], (f"t{number:08d}-" + "y" * 1000)[:1000]


#: name -> (line generator, default line count, what it stands for)
CASES: dict[str, tuple[Callable[[int, _Clock], Iterator[str]], int, str]] = {
    "distinct404": (_distinct404, 200_000, "404s, distinct 7.8 KB paths, 10,000 IPv6 clients"),
    "new-v6": (_new(_v6), 2_000_000, "every line a new IPv6 client (own /64), 404/401"),
    "new-v4": (_new(_v4), 2_000_000, "every line a new IPv4 client, 404/401"),
    "new-hosts": (_new_hosts, 400_000, "every line from a new web host (4,000-char name)"),
    "baseline": (_baseline, 2_000_000, "ordinary 200/304 lines from 50 repeating clients"),
}


def generate(case: str, lines: int, path: Path, rate: int) -> int:
    """Write ``lines`` lines of ``case`` to ``path``; the file's size in bytes."""
    make = CASES[case][0]
    clock = _Clock(_BASELINE_RATE if case == "baseline" else rate)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for line in make(lines, clock):
            out.write(line)
            out.write("\n")
    return path.stat().st_size
