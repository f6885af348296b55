"""``lwsyslog report --mail`` against a real SMTP server (aiosmtpd, STARTTLS with a certificate
from the test's own CA, AUTH): the mail carries the digest as text, the page as HTML and the
page attached; hostile log text arrives escaped; a dead server or a missing channel is an
error that names it."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.report import build_digest, render_html, render_text, report_mail
from lwsyslog.severity import Severity
from lwsyslog.store import open_reader
from tests.notify.servers import SMTP_PASSWORD, SMTP_USER, SmtpServer
from tests.unit.store_support import BASE_TIME, fill, make_alert

pytestmark = pytest.mark.slow

SINCE, UNTIL = BASE_TIME - 86400.0, BASE_TIME + 3600.0
PERIOD = ["--since", "2026-11-22T16:00:00+00:00", "--until", "2026-11-23T17:00:00+00:00"]
HOSTILE = "web9\r\nBcc: victim@evil.example <script>alert(1)</script>\x1b[31m"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("report-mail-pki"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-mail") / "alerts.db"
    alerts = [
        make_alert(at=BASE_TIME - 600 * n, line=n, client=f"198.51.100.{n % 7}",
                   severity=Severity.CRITICAL if n % 5 == 0 else Severity.HIGH)
        for n in range(40)
    ]  # fmt: skip
    # The report shows hosts and rules: hostile ones (a forged Host header, a Sigma rule id).
    alerts.append(make_alert(at=BASE_TIME - 30, line=99, client="192.0.2.1", host=HOSTILE,
                             rule="<b>rule</b>\x1b[1m", categories=("xss",)))  # fmt: skip
    fill(path, alerts)
    return path


def write_config(directory: Path, smtp: SmtpServer, *, channel: bool = True) -> Path:
    directory.mkdir(exist_ok=True)
    password = directory / "smtp-password"
    password.write_text(SMTP_PASSWORD + "\n")
    config = directory / "lwsyslog.toml"
    table = f"""
[notify.channels.ops-mail]
type = "email"
host = "localhost"
port = {smtp.port}
security = "starttls"
ca_file = "{smtp.ca_file}"
user = "{SMTP_USER}"
password_file = "{password}"
from = "lwsyslog <lwsyslog@example.net>"
to = ["ops@example.net", "Boss <boss@example.net>"]
timeout_secs = 5
"""
    config.write_text(table if channel else "[store]\nenabled = true\n")
    return config


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n")


def test_report_mail_has_the_digest_the_page_and_the_page_attached(
    smtp: SmtpServer, store: Path, tmp_path: Path
) -> None:
    smtp.mailbox.messages.clear()
    config = write_config(tmp_path, smtp)
    status, out, err = run("report", "--db", str(store), *PERIOD, "--mail", "--config",
                           str(config), "--no-system-config")  # fmt: skip
    assert status == 0, err
    assert out == ""  # cron mails stdout to root: --mail prints nothing there
    assert "report mailed through ops-mail" in err

    conn = open_reader(store)
    try:
        digest = build_digest(conn, SINCE, UNTIL)
    finally:
        conn.close()
    (message,) = smtp.messages
    assert message["X-Test-Rcpt-To"] == "ops@example.net, boss@example.net"
    assert message["Subject"] == f"[lwsyslog] {report_mail(digest).subject}"
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert crlf(text.get_content()) == render_text(digest)
    page = crlf(html.get_content())
    assert page == render_html(digest)
    assert 'id="chart-timeline"' in page and 'id="chart-clients"' in page
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == report_mail(digest).filename
    assert attached.get_filename().startswith("lwsyslog-report-2026-11-23-")
    assert crlf(attached.get_payload(decode=True).decode()) == page

    # The numbers mailed are the store's, as `alerts --json` lists them.
    _, listed, _ = run("alerts", "--db", str(store), *PERIOD, "--json", "--limit", "0")
    records = [json.loads(line) for line in listed.splitlines()]
    critical = sum(r["severity"] == "critical" for r in records)
    assert f"report: {len(records)} alerts ({critical} critical" in message["Subject"]
    assert f"alerts       {len(records)} " in text.get_content()


def test_hostile_log_text_arrives_escaped(smtp: SmtpServer, store: Path, tmp_path: Path) -> None:
    smtp.mailbox.messages.clear()
    config = write_config(tmp_path, smtp)
    status, _, err = run("report", "--db", str(store), *PERIOD, "--mail", "--config", str(config))
    assert status == 0, err
    (message,) = smtp.messages
    assert "victim" not in message["X-Test-Rcpt-To"]
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    shown = text.get_content()
    assert "\x1b" not in shown and "\r" not in shown.replace("\r\n", "\n")
    assert "web9\\x0d\\x0aBcc: victim@evil.example <script>alert(1)</script>\\x1b[31m" in shown
    page = html.get_content()
    assert "<script>" not in page and "<b>rule" not in page and "\x1b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m" in page
    assert "&lt;b&gt;rule&lt;/b&gt;\\x1b[1m" in page


def test_a_dead_server_or_a_missing_channel_is_an_error_naming_it(
    smtp: SmtpServer, store: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, smtp)
    status, _, err = run("report", "--db", str(store), *PERIOD, "--mail", "--config",
                         str(config), "--mail-channel", "pager")  # fmt: skip
    assert status == 1
    assert "no e-mail channel called pager" in err

    status, _, err = run("report", "--db", str(store), *PERIOD, "--mail", "--config",
                         str(write_config(tmp_path / "none", smtp, channel=False)))  # fmt: skip
    assert status == 1
    assert "no e-mail channel is configured in [notify.channels]" in err

    status, _, err = run("report", "--db", str(store), *PERIOD, "--mail-channel", "ops-mail")
    assert status == 2 and "--mail-channel needs --mail" in err

    smtp.stop()
    try:
        status, out, err = run("report", "--db", str(store), *PERIOD, "--mail", "--config",
                               str(config))  # fmt: skip
    finally:
        smtp.start()
    assert status == 1 and out == ""
    assert "report not sent through ops-mail: ConnectionRefusedError" in err
