"""E-mail over SMTP: plain text plus HTML, STARTTLS or implicit TLS with verification.

``smtplib`` and ``email`` from the standard library do the protocol; this module only picks
the connection security, verifies the server's certificate (the system's CAs, or ``ca_file``
for a private CA), logs in, and builds a ``multipart/alternative`` message whose
``Message-ID`` is the notification's delivery id, so a receiving system can drop a duplicate
that a retry after a lost acknowledgement sends.

An attempt has one deadline, ``timeout_secs`` from its start, for the whole conversation
(connecting, TLS, every command and reply), as a webhook's has: smtplib's own timeout bounds
each socket operation only, and a server trickling its replies would hold the channel.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import NamedTuple

from lwsyslog.errors import SinkError
from lwsyslog.notify.deadline import DeadlineSSLSocket, attempt_deadline, deadline_socket
from lwsyslog.notify.delivery import DeliveryError
from lwsyslog.notify.digest import Digest
from lwsyslog.notify.escape import defang
from lwsyslog.notify.render import body_html, body_text, title
from lwsyslog.notify.settings import EmailTransport, NotifySettings
from lwsyslog.sanitize import sanitize, truncate

__all__ = ["Attachment", "EmailTransporter", "build_email", "send_email", "send_report"]

_MAX_SUBJECT = 200


class Attachment(NamedTuple):
    """A file attached to a message: its name (ours, never from a log line), MIME type
    (``text/html``) and content."""

    filename: str
    mime_type: str
    data: bytes


def build_email(
    transport: EmailTransport,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    *,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The message: ``subject`` is made one printable line (no CR/LF can add a header), cut
    to 200 characters. Text and HTML are alternatives (``multipart/alternative``); with
    ``attachments`` the whole is ``multipart/mixed``."""
    message = EmailMessage(policy=policy.SMTP)
    prefix = f"{transport.subject_prefix} " if transport.subject_prefix else ""
    subject = prefix + subject
    if not subject.isprintable():
        subject = sanitize(subject)
    message["Subject"] = truncate(subject, _MAX_SUBJECT)
    message["From"] = transport.sender
    message["To"] = ", ".join(transport.recipients)
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = f"<{message_id}@{_domain(transport.sender)}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Lwsyslog-Delivery"] = message_id
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send_email(transport: EmailTransport, message: EmailMessage) -> list[str]:
    """Send ``message`` to the transport's recipients; the recipients the server refused.

    Raises :class:`DeliveryError` when nothing was accepted (connection, TLS, auth, timeout,
    a 4xx/5xx answer).
    """
    timeout = transport.timeout_secs
    try:
        with attempt_deadline(timeout):
            smtp = _connect(transport)
            try:
                if transport.user:
                    smtp.login(transport.user, transport.password)
                refused = smtp.send_message(
                    message, from_addr=parseaddr(transport.sender)[1], to_addrs=_addrs(transport)
                )
            finally:
                _quit(smtp)
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(f"every recipient refused: {_short(error.recipients)}") from None
    except smtplib.SMTPResponseException as error:
        raw = error.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        raise DeliveryError(f"SMTP {error.smtp_code}: {text}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        if _timed_out(error):
            raise DeliveryError(f"no complete answer within {timeout:g} s") from None
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    return sorted(refused)


class EmailTransporter:
    """Sends digests of one e-mail channel."""

    def __init__(self, transport: EmailTransport) -> None:
        self.transport = transport
        self.refused_recipients = 0

    def send(self, digest: Digest, target: int) -> str | None:
        """One message per digest, to every recipient at once; a note on refused ones."""
        subject = title(digest, _for_subject)
        message = build_email(
            self.transport, subject, body_text(digest), body_html(digest), digest["delivery_id"]
        )
        refused = send_email(self.transport, message)
        # A refused recipient is a permanent answer for that address (and a retry would send
        # the others a duplicate): counted and reported, not retried.
        self.refused_recipients += len(refused)
        return f"recipients refused: {', '.join(refused)}" if refused else None


def send_report(
    settings: NotifySettings,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    channels: Sequence[str] | None = None,
    attempts: int = 3,
    attachments: Sequence[Attachment] = (),
) -> list[str]:
    """Send a report (the daily digest) now through the e-mail channels; their names.

    Every e-mail channel is used unless ``channels`` names some; channels switched off
    (``enabled = false``) are not in the settings. Each is tried ``attempts``
    times, a few seconds apart; raises :class:`~lwsyslog.errors.SinkError` naming the channels
    that could not send it (the others did). Not through the outbox: the caller (a cron job)
    reports the failure itself.
    """
    chosen = [
        c
        for c in settings.channels
        if isinstance(c.transport, EmailTransport) and (channels is None or c.name in channels)
    ]
    if channels is not None:
        missing = sorted(set(channels) - {c.name for c in chosen})
        if missing:
            raise SinkError(f"no e-mail channel called {', '.join(missing)}")
    if not chosen:
        raise SinkError("no e-mail channel is configured in [notify.channels]")
    stamp = time.strftime("%Y%m%d%H%M%S")
    failed = []
    for channel in chosen:
        assert isinstance(channel.transport, EmailTransport)
        message = build_email(
            channel.transport,
            subject,
            text,
            html,
            f"report-{stamp}-{channel.name}",
            attachments=attachments,
        )
        for attempt in range(1, attempts + 1):
            try:
                send_email(channel.transport, message)
                break
            except DeliveryError as error:
                if attempt == attempts:
                    failed.append(f"{channel.name}: {error}")
                else:
                    time.sleep(min(2.0 * attempt, 10.0))
    if failed:
        raise SinkError("report not sent through " + "; ".join(failed))
    return [c.name for c in chosen]


def _for_subject(text: str, max_chars: int) -> str:
    # A subject is read, not parsed by a chat: sanitized and defanged, no zero-width spaces.
    return defang(sanitize(text, max_chars))


class _SMTP(smtplib.SMTP):
    """smtplib over a socket that keeps to the attempt's deadline."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return deadline_socket((host, port), timeout, self.source_address)


class _SMTPSSL(smtplib.SMTP_SSL, _SMTP):
    """Implicit TLS over :class:`_SMTP`'s socket (``SMTP_SSL`` wraps what it returns)."""


def _connect(transport: EmailTransport) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=transport.ca_file or None)
    context.sslsocket_class = DeadlineSSLSocket
    if transport.security == "tls":
        return _SMTPSSL(
            transport.host, transport.port, timeout=transport.timeout_secs, context=context
        )
    smtp = _SMTP(transport.host, transport.port, timeout=transport.timeout_secs)
    try:
        if transport.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError("the server does not offer STARTTLS (security = starttls)")
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    """Say QUIT and close. Best effort: once the server answered 250 after DATA the message
    is its, and a retry over a QUIT that failed or ran out of time would send it twice."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _timed_out(error: BaseException) -> bool:
    # smtplib turns a reply that timed out into SMTPServerDisconnected, raised from it.
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _addrs(transport: EmailTransport) -> list[str]:
    return [parseaddr(recipient)[1] for recipient in transport.recipients]


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    try:
        return Address(addr_spec=address).domain or socket.getfqdn()
    except (ValueError, IndexError):
        return socket.getfqdn()


def _short(recipients: Mapping[str, object]) -> str:
    return ", ".join(sorted(recipients))[:300]
