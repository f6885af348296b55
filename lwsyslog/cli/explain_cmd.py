"""``lwsyslog explain 'LINE'``: how the engine reads one line and why each rule fired or not."""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime

from lwsyslog.cli.common import add_config_options, add_input_options, config_from_args
from lwsyslog.detection.engine import Explanation
from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed
from lwsyslog.normalize import EventView
from lwsyslog.observation import Observation
from lwsyslog.pipeline import Pipeline
from lwsyslog.sanitize import sanitize

__all__ = ["register", "run"]

_ACCESS_FIELDS = (
    "client_ip",
    "vhost",
    "user",
    "method",
    "target",
    "protocol",
    "status",
    "bytes_sent",
    "referer",
    "user_agent",
    "cookie",
    "headers",
    "duration_us",
)
_ERROR_FIELDS = (
    "client_ip",
    "client_port",
    "module",
    "level",
    "pid",
    "tid",
    "code",
    "message",
    "referer",
)
_DECODED_FIELDS = ("target", "user_agent", "referer", "cookie", "headers", "message")
# The decoded target as the server behind Apache sees it, when that differs (the rule pack
# reads these forms, and a finding in one names the target or path with what it matched).
_SERVED = (
    ("canonical_target", "  served"),
    ("servlet_target", "  servlet"),
    ("traversal_target", "  traversal"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``explain`` sub-command."""
    parser = subparsers.add_parser(
        "explain",
        help="show parsed fields, decoding, triage and every rule's verdict for one line",
        description=(
            "Run one log line through the same pipeline as scan and the omprog program and "
            "show what it saw: the format that parsed it, each field as rules read it "
            "(decoded), the triage, which rules the scan selected and each one's verdict with "
            "the fragment it matched. Exit 0 when the line parsed, 1 when no configured "
            "format fits it."
        ),
    )
    parser.add_argument("line", help="one log line (quote it)")
    add_input_options(parser)
    parser.add_argument(
        "--all", action="store_true", help="list the rules that did not match too (default: off)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Explain one line; exit 0 when it parsed, 1 when no format fits it."""
    config = config_from_args(args)
    pipeline = Pipeline(config)
    # As scan reads a file: the line's bytes, invalid UTF-8 replaced (argv keeps them as
    # surrogates, which no matcher can encode).
    result = pipeline.process_bytes(_line_bytes(args.line.rstrip("\r\n")), Origin("<explain>", 1))
    event = result.event
    if isinstance(event, Unparsed):
        print(f"unparsed: {event.reason.value} (no configured format fits this line)")
        return 1
    view = EventView(event)
    explained = pipeline.detection.explain(event, view)
    verdicts = [item.verdict for item in explained]
    kept = {finding.rule_id for finding in result.findings}
    observation = Observation(event, result.urgency, result.findings)  # type: ignore[arg-type]
    feeds = [rule.id for rule, _ in pipeline.thresholds.rules if list(rule.keys(observation))]
    if args.json:
        print(json.dumps(_as_json(event, view, result.urgency, explained, kept, feeds)))
        return 0
    _print_fields(event, view)
    if pipeline.stats.invalid_utf8:
        print(f"{'note':<12} invalid UTF-8 in the line, replaced by U+FFFD (as scan does)")
    print(f"{'triage':<12} {result.urgency}")
    windows = sanitize(", ".join(feeds)) or "-"
    print(f"{'thresholds':<12} {windows} (windows this line counts toward)")
    print("rules:")
    matched = [item for item in explained if item.verdict.matched]
    for item in matched:
        verdict = item.verdict
        info = pipeline.detection.info(verdict.rule_id)
        own = config.rule_settings(verdict.rule_id).categories_or(info.categories) if info else ()
        categories = sanitize(",".join(own))
        severity = info.severity if info else ""
        title = f" {info.description!r}" if info and item.source != "built-in" else ""
        note = "" if verdict.rule_id in kept else "  (suppressed by allow-list)"
        print(
            f"  MATCH {sanitize(verdict.rule_id):<30} [{categories}] {severity} "
            f"({sanitize(item.source)}{title}) "
            f"field={verdict.field} fragment={sanitize(verdict.fragment, 120)!r}{note}"
        )
    if args.all:
        for item in explained:
            verdict = item.verdict
            if not verdict.matched:
                how = "no match" if verdict.selected else "not selected by prefilter"
                print(f"  -     {sanitize(verdict.rule_id):<30} {how} ({sanitize(item.source)})")
    else:
        print(f"  ({len(verdicts) - len(matched)} other rules did not match; --all lists them)")
    for alert in result.alerts:
        message = sanitize(alert.message, 200)
        print(f"alert        [{alert.severity}] {sanitize(alert.rule)}: {message}")
    return 0


def _line_bytes(line: str) -> bytes:
    """The bytes the line was given as: argv is decoded with surrogateescape; a line passed
    to :func:`lwsyslog.cli.main.main` as text may hold any lone surrogate."""
    try:
        return os.fsencode(line)
    except UnicodeEncodeError:
        return line.encode("utf-8", "surrogatepass")


def _print_fields(event: AccessEvent | ErrorEvent, view: EventView) -> None:
    print(f"{'log':<12} {event.log}")
    if event.time is not None:
        print(f"{'time':<12} {datetime.fromtimestamp(event.time, UTC).isoformat()}")
    names = _ACCESS_FIELDS if isinstance(event, AccessEvent) else _ERROR_FIELDS
    for name in names:
        value = _field(event, view, name)
        if value in ("", None):
            continue
        print(f"{name:<12} {sanitize(str(value), 300)}")
        if name in _DECODED_FIELDS:
            decoded = view.decoded(name)
            if decoded != value:
                print(f"{'  decoded':<12} {sanitize(decoded, 300)}")
        if name == "target":
            for form, label in _SERVED:
                served = view.decoded(form)
                if served:
                    print(f"{label:<12} {sanitize(served, 300)}")


def _field(event: AccessEvent | ErrorEvent, view: EventView, name: str) -> object:
    """A parsed field; ``headers`` (the other logged request headers) is the view's."""
    return view.raw(name) if name == "headers" else getattr(event, name)


def _as_json(  # noqa: PLR0917
    event: AccessEvent | ErrorEvent,
    view: EventView,
    urgency: object,
    verdicts: list[Explanation],
    kept: set[str],
    feeds: list[str],
) -> dict[str, object]:
    names = _ACCESS_FIELDS if isinstance(event, AccessEvent) else _ERROR_FIELDS
    fields = {name: _field(event, view, name) for name in names}
    decoded = {name: view.decoded(name) for name in _DECODED_FIELDS if name in names}
    if isinstance(event, AccessEvent):
        decoded.update((form, view.decoded(form)) for form, _ in _SERVED if view.decoded(form))
    return {
        "log": event.log,
        "time": event.time,
        "fields": {k: sanitize(v) if isinstance(v, str) else v for k, v in fields.items()},
        "decoded": {k: sanitize(v) for k, v in decoded.items()},
        "triage": str(urgency),
        "thresholds": feeds,
        "rules": [
            {
                "rule": v.verdict.rule_id,
                "source": v.source,
                "matched": v.verdict.matched,
                "selected": v.verdict.selected,
                "field": v.verdict.field,
                "fragment": sanitize(v.verdict.fragment),
                "suppressed": v.verdict.matched and v.verdict.rule_id not in kept,
            }
            for v in verdicts
        ],
    }
