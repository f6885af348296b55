"""``lwsyslog report``: a digest of a period of the alert store, as text, JSON, a
self-contained HTML page with charts, or an e-mail (subject, text, HTML)."""

from __future__ import annotations

from lwsyslog.report.digest import ClientSummary, Digest, Timeline, build_digest
from lwsyslog.report.html import render_html
from lwsyslog.report.mail import ReportMail, report_mail
from lwsyslog.report.text import render_text

__all__ = [
    "ClientSummary",
    "Digest",
    "ReportMail",
    "Timeline",
    "build_digest",
    "render_html",
    "render_text",
    "report_mail",
]
