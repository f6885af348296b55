"""``lwsyslog scan``: the live engine run offline over log files."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO, TextIO

from lwsyslog import collector
from lwsyslog.alerts import Alert
from lwsyslog.cli.common import add_config_options, add_input_options, config_from_args
from lwsyslog.cli.messages import say
from lwsyslog.cli.progress import ProgressBar
from lwsyslog.cli.summary import SHOWN_ALERTS, print_summary
from lwsyslog.client_warnings import client_warnings
from lwsyslog.config import MAX_LINE_BYTES
from lwsyslog.findings import Finding
from lwsyslog.matching import dbcache
from lwsyslog.pipeline import LineResult, Pipeline
from lwsyslog.sanitize import sanitize
from lwsyslog.settings import Config
from lwsyslog.sinks.base import Sink
from lwsyslog.sinks.memory import MemorySink
from lwsyslog.store import StoreSink

__all__ = ["alert_record", "finding_record", "register", "run"]

EXIT_OK = 0
EXIT_IO = 1
"""A file could not be read, or the alert store (--store) did not take every alert."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scan`` sub-command."""
    parser = subparsers.add_parser(
        "scan",
        help="scan Apache log files for attacks",
        description=(
            "Run the detection engine over log files ('-' reads standard input). Exit status: "
            "0 scanned; 1 a file could not be read, or --store did not take every alert (the "
            "scan goes on; stderr says why and how many); 2 bad usage or configuration, or "
            "a --store that cannot be opened."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="log files, or - for stdin")
    parser.add_argument("--json", action="store_true", help="one JSON record per finding/alert")
    parser.add_argument(
        "--store",
        metavar="FILE.db",
        help="also put every alert into this alert store (created when absent), to query "
        "with lwsyslog alerts / report --db FILE.db",
    )
    add_input_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Scan every file; exit 0 when scanned, 1 when a file could not be read or the store
    did not take every alert."""
    with collector.paused():
        config = config_from_args(args)
    with dbcache.using(dbcache.configured(config.database_cache, dbcache.scan_dir())):
        return _run(args, config)


def _run(args: argparse.Namespace, config: Config) -> int:
    out = sys.stdout
    with collector.paused():
        alerts_seen = MemorySink(keep=SHOWN_ALERTS)
        sinks: list[Sink] = [_JsonAlertSink(out), alerts_seen] if args.json else [alerts_seen]
        # Old logs keep their alerts: a scan store has no retention (they would all be expired).
        store = StoreSink.open(args.store) if args.store else None
        if store is not None:
            sinks.append(store)
        pipeline = Pipeline(config, sinks)
        format_option = getattr(args, "format", None) is not None
        for warning in client_warnings(config, pipeline.parser, format_option=format_option):
            say(f"warning: {warning}")
        # What start-up built (rules, databases, tables) lives as long as the scan: out of the
        # collector's sight, each collection walks only what the lines make. Its few thousand
        # cyclic leftovers (about 1 MB, mostly pyparsing's exceptions) are frozen with it: a
        # full collection to free them would walk the whole start-up heap (~30 ms).
        gc.freeze()
    status = EXIT_OK
    started = time.monotonic()
    for name in args.files:
        try:
            _scan_one(pipeline, name, out if args.json else None)
        except BrokenPipeError:
            # The reader of the output went away (`| head`): stop quietly, as a filter does.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except OSError as error:
            say(f"{name}: {error.strerror or error}")
            status = EXIT_IO
    _settle_crawlers(pipeline, config.crawlers.scan_wait_secs)
    pipeline.close()
    elapsed = time.monotonic() - started
    summary_stream = sys.stderr if args.json else out
    print_summary(pipeline, alerts_seen.alerts, elapsed, summary_stream, json_mode=args.json)
    if store is not None and not _report_store(store, pipeline, args.store, summary_stream):
        status = EXIT_IO
    return status


def _report_store(store: StoreSink, pipeline: Pipeline, path: str, out: TextIO) -> bool:
    """Write the store's summary line; False (after saying why on stderr) when some alerts
    are not in the store."""
    counters = store.store.counters
    missing = pipeline.dispatcher.not_taken(store.name) + store.uncommitted
    out.write(
        f"store        {counters.inserted:,} new alerts in {sanitize(path)}"
        f" ({counters.duplicates:,} already there"
        + (f"; {missing:,} NOT stored)\n" if missing else ")\n")
    )
    if not missing:
        return True
    why = store.last_error or "see the errors above"
    say(f"error: {missing:,} alerts not stored in the alert store: {why}")
    return False


def _settle_crawlers(pipeline: Pipeline, wait_secs: float) -> None:
    """Wait (at most ``wait_secs``) for the crawler checks still running, and say how many
    did not come back in time."""
    if pipeline.crawlers is None:
        return
    pipeline.deliver_verdicts(wait_secs)
    crawlers = pipeline.crawlers
    if crawlers.unresolved:
        why = sanitize(crawlers.last_unresolved or "no answer", 100)
        say(
            f"crawler verification: {crawlers.unresolved} check(s) got no DNS answer (last: "
            f"{why}); their claims are not judged: is [crawlers] resolver answering?"
        )
    left = crawlers.pending
    if left:
        say(
            f"crawler verification: no verdict within {wait_secs:g}s for {left} client(s) "
            "(an IPv6 /64 is one); their claims are not judged ([crawlers] scan_wait_secs)"
        )


def _scan_one(pipeline: Pipeline, name: str, json_out: TextIO | None) -> None:
    if name == "-":
        _scan_stream(pipeline, sys.stdin.buffer, "-", None, json_out)
        return
    with open(name, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        _scan_stream(pipeline, handle, name, size, json_out)


_CHUNK_BYTES = 1 << 20
# The most of one line the pipeline reads (Pipeline.process_bytes: the largest limit, and one
# byte to see the line is longer).
_LINE_HEAD_BYTES = MAX_LINE_BYTES + 1
_BOM = b"\xef\xbb\xbf"


def _chunks(stream: BinaryIO) -> Iterator[tuple[list[bytes], int]]:
    """Lines in batches (one per 1 MiB read) with the bytes read so far: far cheaper than
    a generator step per line. CRLF endings lose their CR, the file its UTF-8 byte-order mark;
    a last line without newline counts.

    Of a line longer than the pipeline reads, only the head is kept, and reads that hold no
    line end are passed over: a 1 GB line without a newline costs a read per MiB, not a copy
    of all that came before it (which made the time quadratic and the memory the line's)."""
    rest = b""
    done = 0
    while chunk := stream.read(_CHUNK_BYTES):
        if not done and chunk.startswith(_BOM):
            # A file saved with a UTF-8 byte-order mark (Windows editors): not its first line's.
            chunk = chunk[len(_BOM) :]
            done = len(_BOM)
        done += len(chunk)
        if len(rest) >= _LINE_HEAD_BYTES and b"\n" not in chunk:
            continue
        lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
        rest = lines.pop()[:_LINE_HEAD_BYTES]
        yield [line[:-1] if line.endswith(b"\r") else line for line in lines], done
    if rest:
        yield [rest[:-1] if rest.endswith(b"\r") else rest], done


def _scan_stream(
    pipeline: Pipeline, stream: BinaryIO, name: str, size: int | None, json_out: TextIO | None
) -> None:
    progress = ProgressBar(size)
    write = None if json_out is None else partial(_write_finding, json_out)
    number = 1
    for lines, done in _chunks(stream):
        number = pipeline.process_lines(lines, name, number, write)
        pipeline.deliver_verdicts()  # crawler checks that came back meanwhile
        progress.update(done, number - 1, name)
    progress.finish()


def _write_finding(out: TextIO, result: LineResult) -> None:
    out.write(finding_record(result) + "\n")


def finding_record(result: LineResult) -> str:
    """The ``kind: finding`` JSON record (the contract in README.md, ``scan --json``)."""
    event = result.event
    origin = event.origin
    findings = result.findings
    categories: list[str] = []
    for finding in findings:
        categories.extend(c for c in finding.categories if c not in categories)
    severity = max((f.severity for f in findings), key=lambda s: s.rank).value if findings else None
    record = {
        "kind": "finding",
        "file": sanitize(origin.name),
        "line": origin.line,
        "log": event.log,
        "client_ip": getattr(event, "client_ip", ""),
        "triage": str(result.urgency),
        "rules": [finding.rule_id for finding in findings],
        "categories": categories,
        "severity": severity,
    }
    cves = list(dict.fromkeys(cve for finding in findings for cve in finding.cves))
    if cves:
        record["cve"] = cves
    if findings:
        record["matches"] = [_match_record(f) for f in findings]
    return json.dumps(record, ensure_ascii=False)


def _match_record(finding: Finding) -> dict[str, object]:
    match: dict[str, object] = {
        "rule": finding.rule_id,
        "field": finding.field,
        "fragment": sanitize(finding.fragment, 200),
    }
    if finding.cves:
        match["cve"] = list(finding.cves)
    return match


def alert_record(alert: Alert) -> str:
    """The ``kind: alert`` JSON record (the contract in README.md, ``scan --json``)."""
    return json.dumps(
        {
            "kind": "alert",
            "rule": alert.rule,
            "key": alert.key,
            "count": alert.count,
            "window_secs": alert.window_secs,
            "categories": list(alert.categories),
            "severity": alert.severity.value,
            "first": {"file": sanitize(alert.first.name), "line": alert.first.line},
            "last": {"file": sanitize(alert.last.name), "line": alert.last.line},
            "message": sanitize(alert.message, 500),
            "client_ip": alert.client_ip,
            "log": alert.log,
            **({"cve": list(alert.cves)} if alert.cves else {}),
        },
        ensure_ascii=False,
    )


class _JsonAlertSink:
    """Writes alert records to the scan's JSON output as they are raised."""

    name = "json"

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._gone = False

    def write(self, alert: Alert) -> None:
        if self._gone:
            return
        try:
            self._out.write(alert_record(alert) + "\n")
        except BrokenPipeError:
            # The reader went away (`| head`): the scan stops at its next record, quietly.
            self._gone = True

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Nothing to close."""
