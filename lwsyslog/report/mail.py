"""The report as an e-mail: the hook ``lwsyslog report --mail`` sends through the e-mail
channel (subject, plain text part, HTML part)."""

from __future__ import annotations

from typing import NamedTuple

from lwsyslog.report.digest import Digest
from lwsyslog.report.html import render_html
from lwsyslog.report.text import describe_span, local_time, render_text

__all__ = ["ReportMail", "report_mail"]


class ReportMail(NamedTuple):
    """What to send: a one-line subject (numbers and times only, nothing from a log line, so
    no header can be forged through it), the text digest and the self-contained HTML page."""

    subject: str
    text: str
    html: str


def report_mail(digest: Digest) -> ReportMail:
    """The report e-mail for ``digest``."""
    severities = dict(digest.by_severity)
    worst = ", ".join(
        f"{severities[name]:,} {name}" for name in ("critical", "high") if severities.get(name)
    )
    subject = (
        f"lwsyslog report: {digest.total:,} alerts"
        + (f" ({worst})" if worst else "")
        + f", {digest.clients:,} clients, {describe_span(digest.seconds)} to "
        + local_time(digest.until)
    )
    return ReportMail(subject, render_text(digest), render_html(digest))
