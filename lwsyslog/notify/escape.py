"""Make log content inert for each medium a notification is written in.

Every text that came from a log line (the line itself, the client, the host, even rule ids of
user-written Sigma rules) goes through :func:`lwsyslog.sanitize.sanitize` first (control
characters made visible, one line), then through the escaping of its medium:

- people read it: URLs lose their power to be clicked (``http://`` becomes ``http[:]//``,
  ``www.`` becomes ``www[.]``), mentions lose theirs (a zero-width space after ``@``, so
  ``@channel``/``@room``/``@everyone`` notify nobody);
- HTML: :func:`html.escape` (quotes too);
- Slack: ``&``, ``<`` and ``>`` as entities (what Slack asks for: this kills ``<!here>``,
  ``<@U123>`` and ``<url|text>``), inside a code span so ``*_~`` format nothing;
- Mattermost: the same code span (Mattermost shows entities literally, so none);
- a backtick inside a code span would end it: it is written ``\\x60``, the way ``sanitize``
  writes other characters it will not show raw (a real backslash is already ``\\\\``).
"""

from __future__ import annotations

import html
import re

from lwsyslog.sanitize import sanitize

__all__ = ["defang", "for_html", "for_people", "mattermost_code", "no_mentions", "slack_code"]

_ZWSP = "\u200b"
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,20}):(?=//)")
_WWW_RE = re.compile(r"(?i)\b(www)\.")


def defang(text: str) -> str:
    """URLs made unclickable: ``https://x`` -> ``https[:]//x``, ``www.x`` -> ``www[.]x``."""
    if ":" not in text and "." not in text:
        return text
    return _WWW_RE.sub(r"\1[.]", _SCHEME_RE.sub(r"\1[:]", text))


def no_mentions(text: str) -> str:
    """``@`` followed by a zero-width space: no chat turns it into a mention."""
    return text.replace("@", "@" + _ZWSP)


def for_people(text: str, max_chars: int) -> str:
    """Log content for a plain-text message people read: one safe line, links and mentions
    neutralised."""
    return no_mentions(defang(sanitize(text, max_chars)))


def for_html(text: str, max_chars: int) -> str:
    """Log content for an HTML body."""
    return html.escape(for_people(text, max_chars), quote=True)


def slack_code(text: str, max_chars: int) -> str:
    """Log content as a Slack mrkdwn code span."""
    inner = for_people(text, max_chars).replace("`", "\\x60")
    inner = inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{inner}`" if inner else "`-`"


def mattermost_code(text: str, max_chars: int) -> str:
    """Log content as a Mattermost Markdown code span."""
    inner = for_people(text, max_chars).replace("`", "\\x60")
    return f"`{inner}`" if inner else "`-`"
