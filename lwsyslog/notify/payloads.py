"""The JSON a webhook preset sends: lwsyslog's own, Slack, Mattermost, Matrix, Teams.

- ``json``: the digest as structured data (values sanitized, JSON-encoded) plus the plain
  text and title people would read.
- ``slack``/``mattermost``: an incoming-webhook message (``text`` in mrkdwn/Markdown), every
  log value in a code span escaped for that chat (see :mod:`lwsyslog.notify.escape`); Slack
  also gets ``unfurl_links: false`` so no link preview is fetched.
- ``matrix``: an ``m.room.message`` event (``m.notice``) for the client-server API, plain
  ``body`` and HTML ``formatted_body``, and an empty ``m.mentions`` so clients that follow
  intentional mentions ping no one whatever the text says.
- ``teams``: an Adaptive Card message (what Teams workflows' webhooks take). Log values go in
  ``TextRun`` elements, which Teams never reads as Markdown; only our fixed text is in
  ``TextBlock``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from lwsyslog.notify.advice import advice_for
from lwsyslog.notify.digest import Digest, detail
from lwsyslog.notify.escape import for_people, mattermost_code, slack_code
from lwsyslog.notify.render import body_html, body_text, title, when
from lwsyslog.sanitize import sanitize

__all__ = ["payload"]

_SHORT = 120
_LINE = 1000
_EMOJI = {"critical": ":rotating_light:", "high": ":warning:"}


def payload(digest: Digest, preset: str) -> bytes:
    """The request body for ``preset``."""
    builders: dict[str, Callable[[Digest], dict[str, Any]]] = {
        "json": _json,
        "slack": _slack,
        "mattermost": _mattermost,
        "matrix": _matrix,
        "teams": _teams,
    }
    return orjson.dumps(builders[preset](digest))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _json(digest: Digest) -> dict[str, Any]:
    def clean(value: str, limit: int = _SHORT) -> str:
        return sanitize(value, limit)

    alerts = [
        {
            "rule": clean(a.rule),
            "severity": a.severity,
            "categories": [clean(c) for c in a.categories],
            "cves": [clean(c) for c in a.cves],
            "client": clean(a.client),
            "host": clean(a.host),
            "log": clean(a.log),
            "count": a.count,
            "window_secs": a.window_secs,
            "message": clean(a.message, 600),
            "line": clean(a.sample, 4000),
            "source": clean(a.source, 300),
            "time": _iso(a.time),
            "fingerprint": a.fingerprint,
        }
        for a in detail(digest)
    ]
    return {
        "version": 1,
        "delivery_id": digest["delivery_id"],
        "kind": digest["kind"],
        "channel": digest["channel"],
        "created": _iso(digest["created"]),
        "severity": digest["severity"],
        "title": title(digest),
        "text": body_text(digest),
        "group_by": digest["group_by"],
        "key": clean(digest["key"]),
        "total_alerts": digest["total_alerts"],
        "distinct_clients": digest["distinct_clients"],
        "window_secs": digest["window_secs"],
        "first_time": _iso(digest["first_time"]),
        "last_time": _iso(digest["last_time"]),
        "clients": [{"client": clean(c), "alerts": n} for c, n in digest["clients"]],
        "rules": [{"rule": clean(r), "alerts": n} for r, n in digest["rules"]],
        "hosts": [{"host": clean(h), "alerts": n} for h, n in digest["hosts"]],
        "alerts": alerts,
        "omitted_alerts": digest["total_alerts"] - len(alerts),
        "advice": [{"category": c, "advice": text} for c, text in advice_for(digest["categories"])],
    }


def _chat_text(digest: Digest, code: Callable[[str, int], str]) -> str:
    emoji = _EMOJI.get(digest["severity"], ":information_source:")
    lines = [f"{emoji} *lwsyslog*: {title(digest, code)}"]
    if digest["kind"] != "group" or digest["total_alerts"] > 1:
        clients = ", ".join(f"{code(c, _SHORT)} ({n:,})" for c, n in digest["clients"])
        lines.append(f"top clients: {clients}")
        hosts = ", ".join(f"{code(h, _SHORT)} ({n:,})" for h, n in digest["hosts"])
        if hosts:
            lines.append(f"web hosts: {hosts}")
    for alert in detail(digest)[:5]:
        host = f" on {code(alert.host, _SHORT)}" if alert.host else ""
        lines.append(
            f"• *{alert.severity}* {code(alert.rule, _SHORT)} from {code(alert.client, _SHORT)}"
            f"{host} at {when(alert.time)}"
        )
        lines.append(f"    line: {code(alert.sample, _LINE)}")
    hidden = digest["total_alerts"] - min(len(digest["alerts"]), 5)
    if hidden > 0:
        lines.append(f"({hidden:,} more alerts not shown)")
    for category, text in advice_for(digest["categories"]):
        lines.append(f"_what to do_{' (' + category + ')' if category else ''}: {text}")
    lines.append(f"delivery id: `{digest['delivery_id']}`")
    return "\n".join(lines)


def _slack(digest: Digest) -> dict[str, Any]:
    return {"text": _chat_text(digest, slack_code), "unfurl_links": False, "unfurl_media": False}


def _mattermost(digest: Digest) -> dict[str, Any]:
    return {"text": _chat_text(digest, mattermost_code), "username": "lwsyslog"}


def _matrix(digest: Digest) -> dict[str, Any]:
    html_body = body_html(digest)
    start = html_body.find("<body")
    inner = html_body[html_body.find(">", start) + 1 : html_body.rfind("</body>")]
    return {
        "msgtype": "m.notice",
        "body": body_text(digest),
        "format": "org.matrix.custom.html",
        "formatted_body": inner,
        "m.mentions": {},
    }


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def _teams(digest: Digest) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "RichTextBlock",
            "inlines": [_run("lwsyslog: " + title(digest), weight="Bolder", size="Medium")],
        }
    ]
    if digest["kind"] != "group" or digest["total_alerts"] > 1:
        clients = ", ".join(f"{for_people(c, _SHORT)} ({n:,})" for c, n in digest["clients"])
        body.append({"type": "RichTextBlock", "inlines": [_run("top clients: " + clients)]})
    for alert in detail(digest)[:5]:
        head = (
            f"{alert.severity} {for_people(alert.rule, _SHORT)} from "
            f"{for_people(alert.client, _SHORT)}"
            + (f" on {for_people(alert.host, _SHORT)}" if alert.host else "")
            + f" at {when(alert.time)}"
        )
        body.append(
            {
                "type": "RichTextBlock",
                "inlines": [
                    _run(head, weight="Bolder"),
                    _run("\nline: "),
                    _run(for_people(alert.sample, _LINE), fontType="Monospace"),
                ],
            }
        )
    for category, text in advice_for(digest["categories"]):
        label = f"What to do ({category}): " if category else "What to do: "
        body.append({"type": "TextBlock", "wrap": True, "text": label + text})
    body.append(
        {
            "type": "TextBlock",
            "wrap": True,
            "isSubtle": True,
            "size": "Small",
            "text": "delivery id: " + digest["delivery_id"],
        }
    )
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                },
            }
        ],
    }
