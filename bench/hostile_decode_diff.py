#!/usr/bin/env python3
"""Differential check: the decoder of this tree against the one of an earlier commit.

Before a faster decoder replaces a slower one, both must give the same text, or a verdict may
change. This loads ``lwsyslog/normalize.py`` and ``lwsyslog/percent.py`` as they were at ``--rev``
(``git show``; they import only ``lwsyslog.events``), then compares, old against new:

- ``EventView.decoded`` of every text field of every line of the repository's logs
  (``tests/fixtures``: formats, attack tools, sample traffic; ``--logs`` for more), parsed by
  this tree's parser, and ``decode`` of each of its fields with ``form`` both ways;
- ``decode`` of fuzzed text: random sequences of the pieces each decoding step keys on
  (escapes, truncated escapes, overlong and invalid UTF-8, ``%u``, entities, line breaks,
  backslashes, lone surrogates), short and long (long enough for the bulk paths);
- the hostile bench's fields (``hostile_seeds.py``: every seed repeated to 8,000 bytes).

A text whose new decoding met a cap of distinct pieces resolved one by one
(:data:`lwsyslog.percent.MAX_DISTINCT_PIECES`: it leaves the rest as it is) may decode
otherwise: such texts are counted apart; runs of distinct pieces just under, at and over each
cap are among the texts compared.

Prints the number of texts compared and each difference (repr, cut to 300 characters); exit
status 1 when there is one under the caps.

    .venv/bin/python bench/hostile_decode_diff.py              # against a1fb35b
    .venv/bin/python bench/hostile_decode_diff.py --rev main --fuzz 200000
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType

from hostile_seeds import FIELDS, SEEDS, seed_fill

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.normalize import TEXT_FIELDS, EventView, decode
from lwsyslog.percent import MAX_DISTINCT_PIECES, MAX_OVERLONG_PIECES, cap_hits
from lwsyslog.pipeline import parser_for

__all__ = ["main"]

_ROOT = Path(__file__).resolve().parent.parent

# What the decoding steps key on, near misses, and what sits around them.
_PIECES = (
    "%c0", "%C0", "%c1", "%C1", "%e0", "%E0", "%f0", "%80", "%8f", "%9f", "%a0", "%af", "%AF",
    "%bf", "%2e", "%2E", "%2f", "%25", "%252e", "%3d", "%c3%a9", "%c3", "%a9", "%e2%80%a8",
    "%f0%9f%98%80", "%ff", "%fe", "%ed%b2%80", "%00", "%0a", "%0d", "%20", "%u0041", "%U002e",
    "%uff0e", "%uD800", "%udc80", "%u2215", "%u00", "%uzz", "%u", "%", "%%", "%4", "%zz",
    "%\n", "%\r", "\n", "\r", "=", "==", "=3D", "=\n", "\\", "\\x41", "\\\\", "x", "5", "f", "A",
    "u", "é", "\u3000", "\xa0", "\ud800", "\udc80", "&amp;", "&amp", "&#65;", "&#x41;", "&",
    "&#", "+", " ", "  ", "/*", "*/", "/*!1", "\x00", "..", "/", "?",
)  # fmt: skip


def _source(rev: str, path: str) -> str | None:
    shown = subprocess.run(
        ["git", "-C", str(_ROOT), "show", f"{rev}:{path}"],
        check=False,
        capture_output=True,
        text=True,
    )
    return shown.stdout if shown.returncode == 0 else None


def _module(name: str, source: str) -> ModuleType:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    Path(handle.name).unlink()
    return module


def _old_normalize(rev: str) -> ModuleType:
    """``lwsyslog/normalize.py`` as it was at ``rev``, with the ``lwsyslog/percent.py`` of
    ``rev`` (if it had one) as its percent-decoder, not this tree's."""
    source = _source(rev, "lwsyslog/normalize.py")
    if source is None:
        raise SystemExit(f"no lwsyslog/normalize.py at {rev}")
    percent = _source(rev, "lwsyslog/percent.py")
    if percent is None:
        return _module("old_normalize", source)
    saved = sys.modules.get("lwsyslog.percent")
    sys.modules["lwsyslog.percent"] = _module("old_percent", percent)
    try:
        return _module("old_normalize", source)
    finally:
        if saved is not None:
            sys.modules["lwsyslog.percent"] = saved


def _log_lines(paths: Sequence[Path]) -> Iterator[str]:
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if not file.is_file() or file.suffix in {".py", ".yml", ".yaml", ".toml", ".md"}:
                continue
            text = file.read_bytes().decode("utf-8", "surrogateescape")
            yield from text.splitlines()


def _fuzzed(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(count):
        # One in four long (hundreds of pieces): past the bulk threshold.
        pieces = rng.sample(_PIECES, rng.randint(1, 8))
        length = rng.randint(0, 16) if i % 4 else rng.randint(24, 400)
        yield "".join(rng.choice(pieces) for _ in range(length))


# Distinct pieces each capped step resolves one by one, and their caps.
_FLOODS: tuple[tuple[Callable[[int], str], int], ...] = (
    (lambda i: f"&#{60 + i};", MAX_DISTINCT_PIECES),
    (lambda i: f"&#x{60 + i:x};x", MAX_DISTINCT_PIECES),
    (lambda i: f"&lt;{i}", MAX_DISTINCT_PIECES),
    (lambda i: f"%u{0x100 + i:04x}", MAX_DISTINCT_PIECES),
    (lambda i: f"%U{0x100 + i:04X}-", MAX_DISTINCT_PIECES),
    (lambda i: f"%{0x41 + i % 26:02x}%{0x41 + i // 26:02x}.", MAX_DISTINCT_PIECES),
    (lambda i: f"%e0%{0x80 + i % 32:02x}%{0x80 + i // 32:02x}", MAX_OVERLONG_PIECES),
    (lambda i: f"%f0%80%{0x80 + i % 64:02x}%{0x80 + i // 64:02x}", MAX_OVERLONG_PIECES),
    (lambda i: f"%c0%{0x80 + i:02x}x", MAX_OVERLONG_PIECES),
)


def _floods() -> Iterator[str]:
    """Runs of distinct pieces for each capped step: just under, at and over its cap,
    repeated (a few distinct ones many times), and behind text that sends the decoding of
    ``%`` run by run (a lone surrogate, an escape's head before a ``%u``)."""
    for piece, cap in _FLOODS:
        for count in (cap - 1, cap, cap + 1, 4 * cap, 1000):
            text = "".join(map(piece, range(count)))
            yield text
            yield "\udc80" + text
            yield "%4" + text
            yield "".join(piece(i % cap) for i in range(1000))


class _Differ:
    def __init__(self, old: ModuleType) -> None:
        self.old = old
        self.compared = 0
        self.differences = 0
        self.capped = 0
        self.capped_differences = 0
        self.serial = 0
        self.parser = parser_for(load_config([]))

    def same(
        self,
        what: str,
        old: Callable[[], str],
        new: Callable[[], str],
        flooded: Callable[[], bool] | None = None,
    ) -> None:
        """Compare; a text whose new decoding met the cap of distinct pieces
        (``percent.cap_hits``, or ``flooded`` for an ``EventView`` field, decoded once for
        the fields that share its source) may differ: it is counted apart."""
        self.compared += 1
        before = old()
        hits = cap_hits()
        after = new()
        if cap_hits() != hits or (flooded is not None and flooded()):
            self.capped += 1
            self.capped_differences += before != after
            return
        if before != after:
            self.differences += 1
            if self.differences <= 20:
                print(f"DIFF {what[:300]!r}\n  old {before[:300]!r}\n  new {after[:300]!r}")

    def line(self, line: str) -> None:
        """The line, and every text field of its event (old and new ``EventView``)."""
        self.text(line)
        self.serial += 1
        event = self.parser.parse(line, Origin("diff", self.serial))
        if getattr(event, "log", "") not in ("access", "error"):
            return
        before, after = self.old.EventView(event), EventView(event)
        for field in sorted(TEXT_FIELDS):
            self.same(f"{field}: {line}", partial(before.decoded, field),
                      partial(after.decoded, field), partial(after.flooded, field))  # fmt: skip
            self.text(after.raw(field))

    def text(self, text: str) -> None:
        old = self.old
        self.same(text, lambda: old.decode(text), lambda: decode(text))
        self.same(text, lambda: old.decode(text, form=True), lambda: decode(text, form=True))


def main(argv: Sequence[str] | None = None) -> int:
    """Compare; 0 when every text decodes the same, 1 when not."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rev", default="a1fb35b", help="the commit decoding as it should")
    parser.add_argument("--fuzz", type=int, default=100_000, help="fuzzed texts (100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, nargs="*", default=[], help="more logs or dirs")
    args = parser.parse_args(argv)
    old = _old_normalize(args.rev)
    differ = _Differ(old)
    lines = 0
    for line in _log_lines([_ROOT / "tests" / "fixtures", *args.logs]):
        lines += 1
        differ.line(line)
    for text in _fuzzed(args.fuzz, args.seed):
        differ.text(text)
    for text in _floods():
        differ.text(text)
    for seed in SEEDS:
        fill = seed_fill(seed, 8000)
        differ.text(seed * (8000 // len(seed)))
        for field in FIELDS:
            differ.line(field.build(fill, 1))
    print(f"{lines:,} log lines; {differ.compared:,} texts compared; "
          f"{differ.differences:,} differences (against {args.rev}); "
          f"{differ.capped:,} texts over a cap of distinct pieces, "
          f"{differ.capped_differences:,} of them decoded otherwise")  # fmt: skip
    return 1 if differ.differences else 0


if __name__ == "__main__":
    sys.exit(main())
