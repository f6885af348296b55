"""The plain fast path of an access format: a converter written for one format.

An :class:`~lwsyslog.formats.logformat.AccessFormat` matches a line without a backslash with its
plain pattern; the function compiled here turns such a match into an event, doing only the
conversions that format needs. The general conversion (``AccessFormat.escaped_event``) handles
every other match; tests compare the two on generated and hostile lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats.addresses import client_text, last_hop
from lwsyslog.formats.fields import split_request_line, text_value

__all__ = [
    "STATUS_CODES",
    "PlainConverter",
    "PlainPlan",
    "compile_plain_event",
    "request_from_parts",
]


def request_from_parts(
    method: str | None, path: str | None, query: str | None, protocol: str | None
) -> tuple[str, str, str, str]:
    """``(method, target, protocol, request_line)`` from ``%m``, ``%U``, ``%q``, ``%H``."""
    method, protocol = text_value(method), text_value(protocol)
    target = text_value(path) + text_value(query)
    return method, target, protocol, " ".join(p for p in (method, target, protocol) if p)


#: ``converter(match, origin, raw_line) -> AccessEvent`` for matches of a plain pattern.
PlainConverter = Callable[[re.Match[str], Origin, str], AccessEvent]

#: Every three-digit status as its int: a lookup is cheaper than int() on the common path.
STATUS_CODES: dict[str, int] = {f"{code:03d}": code for code in range(1000)}


@dataclass(frozen=True, slots=True)
class PlainPlan:
    """What the plain converter of one format reads: 0-based indexes into ``m.groups()``
    (``groups - 1``, the empty group, for a field the format lacks) and conversions."""

    groups: int
    fields: tuple[int, ...]  # as AccessFormat._idx: client_ip ... request
    forwarded: int  # X-Forwarded-For, whose last entry is the client when no peer is logged
    split: tuple[int, int, int] | None  # method, target, protocol split by the pattern
    parts: tuple[int, ...] | None  # %m %U %q %H, when they make the request line
    frac: int
    extra: tuple[tuple[str, int], ...]
    optional: frozenset[int]  # groups that may not take part in a match (None)
    time: Callable[[str], float | None] | None
    frac_scale: float
    duration_scale: int


def compile_plain_event(plan: PlainPlan) -> PlainConverter:
    """A function turning a plain match into an event, written for one format.

    A generic conversion spends as much time finding its fields (index tuples, per-field
    flags) as converting them; this one unpacks ``m.groups()`` into locals and does only
    the conversions its format needs: about a fifth less per line. Its source holds only
    local names ``g<n>`` and names bound in its namespace (values from the format, such as
    ``extra`` keys, never enter the source), and it must agree with
    :meth:`AccessFormat.escaped_event` on every plain line (tests compare the two).
    """
    empty = plan.groups - 1
    used: set[int] = set()
    body: list[str] = []

    def group(index: int) -> str:
        used.add(index)
        return f"g{index}"

    def present(index: int) -> str:
        """A test that group ``index`` holds a value (not absent, empty or "-")."""
        v = group(index)
        return f'{v} and {v} != "-"'

    def text(index: int) -> str:
        if index == empty:
            return '""'
        v = group(index)
        if index in plan.optional:
            return f'({v} if {v} and {v} != "-" else "")'
        return f'({v} if {v} != "-" else "")'

    def number(index: int, scale: str = "") -> str:
        if index == empty:
            return "None"
        return f"(int({group(index)}){scale} if {present(index)} else None)"

    ip, vhost, user, referer, agent, cookie, status, size, when, duration, request = plan.fields
    if plan.forwarded != empty:
        forwarded = group(plan.forwarded)
        client = f'(_last_hop({forwarded}) if {present(plan.forwarded)} else "")'
    elif ip == empty:
        client = '""'
    else:
        # A port, an IPv6 address or an IPv4-mapped one: only the rare case pays the call.
        v = group(ip)
        guard = f"{v} and " if ip in plan.optional else ""
        client = f'(_client_text({v}) if {guard}":" in {v} else {text(ip)})'
    if plan.parts is not None:
        parts = ", ".join(group(i) if i != empty else '""' for i in plan.parts)
        body.append(f"method, target, protocol, request_line = _request_from_parts({parts})")
    elif request == empty:
        body.append('method = target = protocol = request_line = ""')
    else:
        body.append(f"request_line = {text(request)}")
        if plan.split is None:
            body.append("method, target, protocol = split_request_line(request_line)")
        else:
            split = ", ".join(group(i) for i in plan.split)
            body += [
                f"if {group(plan.split[0])}:",
                f"    method, target, protocol = {split}",
                "else:",
                "    method, target, protocol = split_request_line(request_line)",
            ]
    if status == empty:
        body.append("status = None")
    else:
        v = group(status)
        body += [
            f"status = STATUS_CODES.get({v})",
            f"if status is None and {present(status)}:",
            f"    status = int({v})",
        ]
    if when == empty or plan.time is None:
        body.append("time = None")
    else:
        body.append(f"time = _time({group(when)}) if {group(when)} else None")
        if plan.frac != empty:
            body += [
                f"if {group(plan.frac)} and time is not None:",
                f"    time += int({group(plan.frac)}) / _FRAC_SCALE",
            ]
    body.append("extra = {}")
    names: dict[str, object] = {}
    for n, (key, index) in enumerate(plan.extra):
        names[f"_key{n}"] = key
        body += [f"if {present(index)}:", f"    extra[_key{n}] = {group(index)}"]
    args = [
        "origin",
        "raw",
        client,
        "time",
        "method",
        "target",
        "protocol",
        "request_line",
        "status",
        number(size),
        text(referer),
        text(agent),
        text(user),
        text(vhost),
        text(cookie),
        number(duration, " * _DURATION_SCALE"),
        "extra",
    ]
    body.append(f"return AccessEvent({', '.join(args)})")
    targets = "".join((f"g{i}, " if i in used else "_, ") for i in range(plan.groups))
    source = "\n    ".join(["def plain_event(m, origin, raw):", f"{targets}= m.groups()", *body])
    names.update(
        AccessEvent=AccessEvent,
        split_request_line=split_request_line,
        _request_from_parts=request_from_parts,
        _client_text=client_text,
        _last_hop=last_hop,
        STATUS_CODES=STATUS_CODES,
        _time=plan.time,
        _FRAC_SCALE=plan.frac_scale,
        _DURATION_SCALE=plan.duration_scale,
    )
    exec(compile(source, "<AccessFormat.plain_event>", "exec"), names)
    function: PlainConverter = names["plain_event"]  # type: ignore[assignment]
    return function
