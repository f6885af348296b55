"""The demo's notifications and store: local receivers, the ``[notify]`` table that points
the omprog program at them, and what the demo prints once the alerts are in.

The receivers (:mod:`lwsyslog.lab.receivers`) run in the demo's own process on 127.0.0.1: an
SMTP server requiring STARTTLS and AUTH, and a webhook endpoint that checks lwsyslog's
HMAC-SHA256 signature (``/hook``) and also takes apprise's ``json://`` posts (``/apprise``).
Three channels of the same policy (severity medium and worse, one message per client, sent
after 3 s, critical at once) send to them, so each gets the same messages. Everything they
received came from log lines: it is printed through :func:`~lwsyslog.sanitize.sanitize`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TextIO

from lwsyslog.errors import StoreError
from lwsyslog.lab.receivers import SMTP_USER, MailReceiver, WebhookReceiver, smtp_available
from lwsyslog.sanitize import sanitize
from lwsyslog.severity import Severity
from lwsyslog.store import open_reader

__all__ = [
    "GROUP_SECS",
    "MIN_SEVERITY",
    "DemoReceivers",
    "run_shown",
    "show_store",
    "stored_alerts",
    "wait_for_store",
]

MIN_SEVERITY = Severity.MEDIUM
"""The channels' severity floor: every demo alert but the lowest reaches people."""
GROUP_SECS = 3
_SHOWN_CHARS = 160
_BODY_LINES = 24


def _toml(value: str) -> str:
    # A TOML basic string: JSON's escapes are TOML's for the text we write (paths, URLs).
    return json.dumps(value)


@dataclass
class Delivered:
    """What the receivers hold: messages per receiver and alerts covered by the webhook."""

    mails: int
    hooks: int
    hook_alerts: int
    bad_signatures: int
    apprise: int


class DemoReceivers:
    """The SMTP and webhook receivers of one demo run, made in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.mail = MailReceiver(directory / "smtp-pki") if smtp_available() else None
        self.hook = WebhookReceiver(directory / "webhook-secret")

    def start(self) -> None:
        """Start listening (both, or neither)."""
        self.hook.start()
        if self.mail is not None:
            try:
                self.mail.start()
            except BaseException:
                self.hook.stop()
                raise

    def stop(self) -> None:
        """Stop both by their handles."""
        try:
            if self.mail is not None:
                self.mail.stop()
        finally:
            self.hook.stop()

    def describe(self) -> str:
        """One line for the progress output."""
        mail = (
            f"SMTP with STARTTLS and AUTH on 127.0.0.1:{self.mail.port}"
            if self.mail is not None
            else "no SMTP server (aiosmtpd is not installed: pip install aiosmtpd)"
        )
        return f"{mail}, signed-webhook receiver on 127.0.0.1:{self.hook.port}"

    def notify_toml(self) -> str:
        """The ``[notify]`` table for the demo's configuration file."""
        policy = (
            f'min_severity = "{MIN_SEVERITY.value}"\ngroup_by = "client"\n'
            f"group_interval_secs = {GROUP_SECS}\n"
        )
        parts = [
            "[notify]\nretry_initial_secs = 1\nretry_max_secs = 5\n",
            '[notify.channels.demo-hook]\ntype = "webhook"\npreset = "json"\n'
            f"url = {_toml(self.hook.url('/hook'))}\n"
            f"secret_file = {_toml(str(self.hook.secret_file))}\ntimeout_secs = 5\n" + policy,
            '[notify.channels.demo-apprise]\ntype = "apprise"\n'
            f"urls = [{_toml('json://127.0.0.1:' + str(self.hook.port) + '/apprise')}]\n" + policy,
        ]
        if self.mail is not None:
            parts.append(
                '[notify.channels.demo-mail]\ntype = "email"\nhost = "localhost"\n'
                f'port = {self.mail.port}\nsecurity = "starttls"\n'
                f"ca_file = {_toml(str(self.mail.ca_file))}\n"
                f'user = "{SMTP_USER}"\npassword_file = {_toml(str(self.mail.password_file))}\n'
                'from = "lwsyslog demo <lwsyslog@demo.example>"\n'
                'to = ["ops@demo.example", "On call <oncall@demo.example>"]\n'
                "timeout_secs = 5\n" + policy
            )
        return "\n".join(parts)

    def delivered(self) -> Delivered:
        """What has arrived so far."""
        calls = self.hook.calls
        signed = [c for c in calls if c.path == "/hook" and c.signed]
        return Delivered(
            mails=len(self.mail.messages) if self.mail is not None else 0,
            hooks=len(signed),
            hook_alerts=sum(_total_alerts(c.body) for c in signed),
            bad_signatures=sum(1 for c in calls if c.path == "/hook" and not c.signed),
            apprise=sum(1 for c in calls if c.path == "/apprise"),
        )

    def complete(self, expected_alerts: int) -> bool:
        """True when the webhook got every alert at or above the floor and the other
        channels as many messages as the webhook (the same policy makes the same groups)."""
        got = self.delivered()
        return (
            got.hook_alerts >= expected_alerts
            and got.apprise >= got.hooks
            and (self.mail is None or got.mails >= got.hooks)
        )

    def missing(self, expected_alerts: int) -> list[str]:
        """What did not arrive, for the failure message."""
        got = self.delivered()
        problems = []
        if got.hook_alerts < expected_alerts:
            problems.append(
                f"webhook: {got.hook_alerts} of {expected_alerts} alerts in signed requests"
            )
        if got.bad_signatures:
            problems.append(f"webhook: {got.bad_signatures} requests with a bad signature")
        if got.apprise < got.hooks:
            problems.append(f"apprise: {got.apprise} of {got.hooks} messages")
        if self.mail is not None and got.mails < got.hooks:
            problems.append(f"e-mail: {got.mails} of {got.hooks} messages")
        return problems

    def show(self, out: TextIO) -> None:
        """Print what the receivers got, every received text escaped."""
        got = self.delivered()
        print(
            "\nWhat the demo's receivers got (every text from them escaped with "
            "lwsyslog.sanitize):",
            file=out,
        )
        if self.mail is not None:
            messages = self.mail.messages
            print(
                f"\ne-mail: {len(messages)} messages, STARTTLS + AUTH, on 127.0.0.1:"
                f"{self.mail.port}",
                file=out,
            )
            for message in messages:
                print(f"  Subject: {_shown(message['Subject'])}", file=out)
        print(
            f"\nwebhook /hook: {got.hooks} requests, HMAC-SHA256 signature valid on each "
            f"({got.bad_signatures} refused), {got.hook_alerts} alerts in them",
            file=out,
        )
        for call in self.hook.calls:
            if call.path == "/hook":
                document = _json(call.body)
                print(
                    f"  {_shown(call.delivery_id)[:12]}  {_shown(document.get('kind'))}  "
                    f"{_shown(document.get('title'))}",
                    file=out,
                )
        apprise = [c for c in self.hook.calls if c.path == "/apprise"]
        print(f"\napprise json:// /apprise: {len(apprise)} posts", file=out)
        for call in apprise:
            print(f"  {_shown(_json(call.body).get('title'))}", file=out)
        if self.mail is not None and self.mail.messages:
            _show_mail(out, self.mail.messages[0])
        out.flush()


def _show_mail(out: TextIO, message: EmailMessage) -> None:
    print("\nThe first e-mail (headers, then its text part):", file=out)
    for name in ("From", "To", "Subject", "Message-ID", "X-Demo-Rcpt-To"):
        print(f"  {name}: {_shown(message[name])}", file=out)
    parts = ", ".join(_shown(part.get_content_type()) for part in message.walk())
    print(f"  parts: {parts}", file=out)
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    lines = str(text).splitlines()
    print("", file=out)
    for line in lines[:_BODY_LINES]:
        print(f"  | {sanitize(line, 400)}", file=out)
    if len(lines) > _BODY_LINES:
        print(f"  | ... ({len(lines) - _BODY_LINES} more lines)", file=out)


def _shown(value: object) -> str:
    # strip(): a folded header reads back with the space of its fold.
    return sanitize(str(value if value is not None else "").strip(), _SHOWN_CHARS)


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _total_alerts(body: bytes) -> int:
    total = _json(body).get("total_alerts", 0)
    return total if isinstance(total, int) else 0


def stored_alerts(store: Path, min_severity: Severity | None = None) -> int:
    """Alerts in the store (at or above ``min_severity``); 0 when it is not there yet."""
    try:
        conn = open_reader(store)
    except StoreError:
        return 0
    try:
        rank = min_severity.rank if min_severity is not None else -1
        row = conn.execute(
            "SELECT count(*) FROM alerts WHERE severity_rank >= ?", (rank,)
        ).fetchone()
    except sqlite3.Error:
        return 0
    finally:
        conn.close()
    return int(row[0])


def run_shown(out: TextIO, args: Sequence[str], shown: Sequence[str] | None = None) -> int:
    """Run ``lwsyslog ARGS`` as a user would; print ``$ lwsyslog SHOWN`` and its output."""
    print(f"\n$ lwsyslog {' '.join(shown if shown is not None else args)}", file=out)
    proc = subprocess.run(
        [sys.executable, "-m", "lwsyslog.cli.main", *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    for stream in (proc.stdout, proc.stderr):
        text = stream.rstrip("\n")
        if text:
            print(text, file=out)
    out.flush()
    return proc.returncode


def show_store(
    out: TextIO, store: Path, config: Path, page: Path, receivers: DemoReceivers
) -> list[str]:
    """``lwsyslog alerts`` and ``lwsyslog report`` over the demo's store, and ``report --mail``
    through the demo's e-mail channel; the commands that failed."""
    print(
        "\nThe omprog program also wrote every alert into its SQLite store; what an "
        "administrator asks of it:",
        file=out,
    )
    failed = []
    db = str(store)
    commands: list[list[str]] = [
        ["alerts", "--db", db],
        ["alerts", "--db", db, "--client", "127.0.0.24", "--json"],
        ["report", "--db", db, "--since", "1h", "--html", str(page)],
    ]
    mail = receivers.mail
    if mail is not None:
        commands.append(["report", "--db", db, "--since", "1h", "--mail", "--config", str(config)])
    for args in commands:
        before = len(mail.messages) if mail is not None else 0
        if run_shown(out, args) != 0:
            failed.append("lwsyslog " + " ".join(args))
        elif "--mail" in args and mail is not None:
            if len(mail.messages) > before:
                _show_report_mail(out, mail.messages[-1])
            else:
                failed.append("the report e-mail did not arrive")
    return failed


def _show_report_mail(out: TextIO, message: EmailMessage) -> None:
    print("\nThe report as the SMTP server received it:", file=out)
    print(f"  Subject: {_shown(message['Subject'])}", file=out)
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        size = len(part.get_payload(decode=True) or b"")
        shown = f" (attachment {_shown(name)})" if name else ""
        print(f"  part: {_shown(part.get_content_type())}, {size:,} bytes{shown}", file=out)
    out.flush()


def wait_for_store(store: Path, alerts: int, timeout: float) -> int:
    """Wait until the store holds ``alerts`` alerts (it commits in batches); how many."""
    deadline = time.monotonic() + timeout
    while (count := stored_alerts(store)) < alerts and time.monotonic() < deadline:
        time.sleep(0.1)
    return count
