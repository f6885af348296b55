"""The report as an e-mail, what ``lwsyslog report --mail`` sends through the e-mail channels.

The HTML part is the report page itself, charts inline as SVG; the same page is also attached
as a file. Mail clients differ: Thunderbird and Apple Mail draw inline SVG, most webmail
(Gmail, Outlook) strips it from the message body but keeps an attachment intact, and a
browser draws the attached page exactly as ``report --html`` writes it. Charts as PNG images
would need an image library for one picture per day; the attachment costs only the page's
size twice (tens of KiB).
"""

from __future__ import annotations

import time
from typing import NamedTuple

from lwsyslog.report.digest import Digest
from lwsyslog.report.html import render_html
from lwsyslog.report.text import describe_span, local_time, render_text

__all__ = ["ReportMail", "report_mail"]


class ReportMail(NamedTuple):
    """What to send: a one-line subject (numbers and times only, nothing from a log line, so
    no header can be forged through it), the text digest, the self-contained HTML page, and
    the name the page is attached under."""

    subject: str
    text: str
    html: str
    filename: str


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
    stamp = time.strftime("%Y-%m-%d-%H%M", time.localtime(digest.until))
    return ReportMail(
        subject, render_text(digest), render_html(digest), f"lwsyslog-report-{stamp}.html"
    )
