"""The chain's lines/s with notification channels configured, against the same chain without.

Runs bench/bench_chain.py's measurement (web host -> RELP/TLS -> central rsyslogd -> the real
lwsyslog-omprog, journald and messages file and alert store on, lines counted from the
program's own stats) alternately in two configurations:

- ``off``: the lab's configuration (no ``[notify]`` channel);
- ``on``: plus three channels that take every alert (``min_severity = "low"``) and send each at
  once (``group_interval_secs = 0``, no storm summaries): e-mail to an SMTP server (aiosmtpd,
  STARTTLS with a certificate from a CA made here, AUTH), a signed webhook and an apprise
  ``json://`` URL to an HTTP receiver. The receivers are processes of their own
  (tests/notify/receiver_proc.py), as a real mail server or chat would be.

Runs come in pairs, ``off`` then ``on``, then ``on`` then ``off`` (neither mode always goes
first); each ``on`` run is compared with the ``off`` run of its pair (the same moment's load on
a shared machine); the table gives each run, the medians, and the median of the paired ratios,
judged against the target (``on`` within 5% of ``off``). Peak RSS is the omprog program's
(``VmHWM``; its sender is a process of its own). The alerts and the messages the receivers got
while each ``on`` run lasted are counted: the channels were really used (the sender stops with
the program at the end of a run; what it had not sent yet stays in that run's outbox).

    .venv/bin/python bench/bench_chain_notify.py                        # 200,000 lines, 3 pairs
    .venv/bin/python bench/bench_chain_notify.py --lines 100000 --repeat 5
    .venv/bin/python bench/bench_chain_notify.py --traffic attack-heavy

``--traffic attack-heavy`` replaces every 20th line of the realistic log by a SQL injection from
a client of its own (one alert per 20 lines, far above a real attack; the pipeline's storm
control folds part of them, as it would in production).

bench_chain.run_once takes no configuration text; until it does (see the lead's notes), the
``on`` runs wrap ``lab.write_lab_config`` for the duration of the run (:func:`_notify_config`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_chain

from lwsyslog import lab
from lwsyslog.deploy import certs

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.05
SECRET = "bench-chain-notify-secret-0123456789"
SMTP_PASSWORD = "s3cret-pass"  # what tests/notify/receiver_proc.py accepts


class Receivers:
    """The SMTP and HTTP receivers as processes (stopped by pid), and what they kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        pki = directory / "pki"
        self.ca = certs.make_ca(pki, "bench chain notify")
        self.leaf = certs.make_cert(pki, self.ca, "localhost")
        self.smtp_port, self.http_port = lab.free_port(), lab.free_port()
        self.procs: list[subprocess.Popen[str]] = []

    def __enter__(self) -> Receivers:
        common = [sys.executable, "-m", "tests.notify.receiver_proc"]
        for command in (
            [*common, "smtp", "--port", str(self.smtp_port), "--out",
             str(self.directory / "mail.jsonl"), "--cert", str(self.leaf.cert),
             "--key", str(self.leaf.key)],
            [*common, "http", "--port", str(self.http_port), "--out",
             str(self.directory / "http.jsonl"), "--secret", SECRET],
        ):  # fmt: skip
            proc = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
            self.procs.append(proc)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()

    def kept(self) -> int:
        """Messages kept by both receivers so far."""
        total = 0
        for name in ("mail.jsonl", "http.jsonl"):
            path = self.directory / name
            if path.exists():
                total += sum(1 for _ in path.open())
        return total

    def toml(self, directory: Path) -> str:
        """The ``[notify]`` table sending every alert at once to the three channels."""
        directory.mkdir(parents=True, exist_ok=True)
        password = directory / "smtp-password"
        password.write_text(SMTP_PASSWORD + "\n")
        secret = directory / "webhook-secret"
        secret.write_text(SECRET + "\n")
        policy = 'min_severity = "low"\ngroup_interval_secs = 0\nstorm_clients = 0\n'
        return (
            "\n[notify]\n"
            f'[notify.channels.mail]\ntype = "email"\nhost = "localhost"\n'
            f'port = {self.smtp_port}\nsecurity = "starttls"\nca_file = "{self.ca.cert}"\n'
            f'user = "lwsyslog"\npassword_file = "{password}"\n'
            f'from = "lwsyslog <lwsyslog@example.net>"\nto = ["ops@example.net"]\n{policy}\n'
            f'[notify.channels.hook]\ntype = "webhook"\n'
            f'url = "http://127.0.0.1:{self.http_port}/hook"\nsecret_file = "{secret}"\n{policy}\n'
            f'[notify.channels.phone]\ntype = "apprise"\n'
            f'urls = ["json://127.0.0.1:{self.http_port}/apprise"]\n{policy}'
        )


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_secs(pid: int) -> float | None:
    """User + system CPU seconds of a running process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


class CpuSampler(threading.Thread):
    """CPU seconds of the run's omprog program and of its notification sender while the
    measured lines go through: from when the program has counted the warm-up lines to its last
    sample before it stops, with the lines it counted meanwhile. Both are found by their
    command lines (the run's state directory)."""

    def __init__(self, work: Path, warm: int) -> None:
        super().__init__(daemon=True)
        self.state = str(work / "state")
        self.stderr = work / "server" / "omprog.stderr"
        self.warm = warm
        self.stopped = threading.Event()
        self.program: list[float] = []  # cpu at start, cpu at the last sample
        self.sender: list[float] = []
        self.lines: list[int] = []

    def _pids(self) -> tuple[int | None, int | None]:
        """The program (its command line names the run's state directory) and its child the
        sender (``python -m lwsyslog.notify.sender``)."""
        program = sender = None
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if "lwsyslog.notify.sender" in command:
                children.setdefault(parent, []).append(int(entry.name))
            elif self.state in command and "lwsyslog-omprog" in command:
                program = int(entry.name)
        if program is not None:
            sender = next(iter(children.get(program, [])), None)
        return program, sender

    def run(self) -> None:
        counter = bench_chain._ReceivedCounter(self.stderr)
        program = sender = None
        while not self.stopped.is_set():
            if program is None or (sender is None and counter() >= self.warm):
                program, sender = self._pids()
            received = counter()
            cpu = _cpu_secs(program) if program is not None else None
            if cpu is not None and received >= self.warm:
                spare = _cpu_secs(sender) if sender is not None else 0.0
                if not self.program:
                    self.program, self.sender, self.lines = [cpu, cpu], [spare or 0.0] * 2, [
                        received, received]  # fmt: skip
                else:
                    self.program[1], self.lines[1] = cpu, received
                    if spare is not None:
                        self.sender[1] = spare
            time.sleep(0.2)

    def per_line_us(self) -> tuple[float, float]:
        """(program, sender) CPU microseconds per line counted."""
        lines = (self.lines[1] - self.lines[0]) if self.lines else 0
        if lines <= 0:
            return 0.0, 0.0
        return (
            (self.program[1] - self.program[0]) / lines * 1e6,
            (self.sender[1] - self.sender[0]) / lines * 1e6,
        )


@contextlib.contextmanager
def _notify_config(extra: Callable[[Path], str]) -> Iterator[None]:
    """``lab.write_lab_config`` appends ``extra(directory)`` while the block runs (the hook
    bench_chain.run_once lacks)."""
    original = lab.write_lab_config

    def write(path: Path, more: str = "") -> Path:
        return original(path, more + extra(path.parent))

    lab.write_lab_config = write  # type: ignore[assignment]
    try:
        yield
    finally:
        lab.write_lab_config = original  # type: ignore[assignment]


@dataclass
class Run:
    mode: str
    result: bench_chain.Result
    alerts: int
    messages: int
    program_us: float
    sender_us: float


def _attack_heavy(count: int) -> list[bytes]:
    lines = bench_chain._realistic_lines(count)
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    for index in range(0, count, 20):
        client = f"198.18.{index // 5000 % 250}.{index // 20 % 250 + 1}"
        lines[index] = lab.syslog_line(
            f'{client} - - [{stamp}] "GET /item?id={index}%27%20UNION%20SELECT%20name,pass%20FROM'
            f'%20users-- HTTP/1.1" 200 512 "-" "sqlmap/1.7"'
        )
    return lines


def _alerts(work: Path) -> int:
    messages = work / "messages"
    return sum(1 for _ in messages.open()) if messages.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs (off, on)")
    parser.add_argument("--window", type=int, default=4096, help="omrelp windowSize")
    parser.add_argument("--traffic", choices=["realistic", "attack-heavy"], default="realistic")
    parser.add_argument(
        "--warmup", type=int, default=1, help="unmeasured runs first (a cold first run is slow)"
    )
    args = parser.parse_args()
    reason = lab.missing_requirements(apache=False)
    if reason:
        print(f"bench_chain_notify: {reason}", file=sys.stderr)
        return 2
    payload = (
        bench_chain._realistic_lines(args.lines)
        if args.traffic == "realistic"
        else _attack_heavy(args.lines)
    )
    print(f"traffic: {args.traffic}, {len(payload):,} lines, {args.repeat} pairs; load average "
          f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", file=sys.stderr)  # fmt: skip
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="lwsyslog-bench-notify-") as tmp,
        lab.JournalNamespace(Path(tmp) / "journal") as journal,
        Receivers(Path(tmp)) as receivers,
    ):
        for number in range(args.warmup):
            bench_chain.run_once(
                Path(tmp) / f"warmup{number}", payload, args.window, True, journal,
                transactions=bench_chain._SHIPPED_SERVER.transactions,
            )  # fmt: skip
        for pair in range(args.repeat):
            # The order alternates: neither mode always runs first on a machine whose load
            # drifts (or after a run that left journald or the page cache busy).
            for mode in ("off", "on") if pair % 2 == 0 else ("on", "off"):
                work = Path(tmp) / f"run{pair}-{mode}"
                before = receivers.kept()
                config = (
                    _notify_config(receivers.toml) if mode == "on" else contextlib.nullcontext()
                )
                sampler = CpuSampler(work, bench_chain._STATS_EVERY)
                sampler.start()
                with config:
                    result = bench_chain.run_once(
                        work, payload, args.window, True, journal,
                        transactions=bench_chain._SHIPPED_SERVER.transactions,
                    )  # fmt: skip
                sampler.stopped.set()
                sampler.join()
                runs.append(Run(mode, result, _alerts(work), receivers.kept() - before,
                                *sampler.per_line_us()))  # fmt: skip
                print(f"  done: {mode} {result.rate:,.0f} lines/s", file=sys.stderr)
        load = os.getloadavg()[0]
    return _report(runs, args, load)


def _report(runs: list[Run], args: argparse.Namespace, load: float) -> int:
    print(f"chain with and without notification channels: {args.traffic} traffic, "
          f"{args.lines:,} lines a run, windowSize {args.window}, load average at end "
          f"{load:.2f}\n")  # fmt: skip
    print("| notifications | pair | lines/s end to end | seconds | program CPU us/line "
          "| sender CPU us/line | alerts | messages received during the run "
          "| omprog peak RSS |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for index, run in enumerate(runs):
        r = run.result
        messages = f"{run.messages:,}" if run.mode == "on" else "-"
        sender = f"{run.sender_us:.1f}" if run.mode == "on" else "-"
        print(f"| {run.mode} | {index // 2 + 1} | {r.rate:,.0f} | {r.seconds:.1f} | "
              f"{run.program_us:.1f} | {sender} | {run.alerts:,} | {messages} | "
              f"{r.peak_rss_kib / 1024:.1f} MiB |")  # fmt: skip
    off = [run.result.rate for run in runs if run.mode == "off"]
    on = [run.result.rate for run in runs if run.mode == "on"]
    cpu_off = statistics.median(run.program_us for run in runs if run.mode == "off")
    cpu_on = statistics.median(run.program_us for run in runs if run.mode == "on")
    sender = statistics.median(run.sender_us for run in runs if run.mode == "on")
    # Pairs are (off, on) or (on, off) in run order; each ratio compares the pair's two runs.
    ratios = [b / a for a, b in zip(off, on, strict=True)]
    ratio = statistics.median(ratios)
    print(f"| off | median | {statistics.median(off):,.0f} | | {cpu_off:.1f} | | | | |")
    print(f"| on | median | {statistics.median(on):,.0f} | | {cpu_on:.1f} | {sender:.1f} | | | |")
    print(f"\nthe program's CPU per line, on/off: {cpu_on / cpu_off:.3f}; the sender's CPU per "
          f"line is {sender / cpu_off:.1%} of the program's (another process: on 2 cores it "
          "takes CPU from the chain only when every core is busy)")  # fmt: skip
    ok = ratio >= 1 - TARGET
    print(f"\non/off, median of the paired ratios: {ratio:.3f} "
          f"({', '.join(f'{x:.3f}' for x in ratios)}); target >= {1 - TARGET:.2f}: "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    print(json.dumps({"off": off, "on": on, "ratios": ratios}), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
