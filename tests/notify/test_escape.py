"""Hostile log content in every medium: nothing from a line arrives raw or active."""

from __future__ import annotations

import dataclasses
import json
from email import message_from_bytes, policy
from typing import Any

import pytest

from lwsyslog.notify.digest import Digest, build_digest
from lwsyslog.notify.email_send import build_email
from lwsyslog.notify.payloads import payload
from lwsyslog.notify.record import AlertRecord, encode_alert
from lwsyslog.notify.render import body_html, body_text, title
from lwsyslog.notify.settings import EmailTransport
from lwsyslog.severity import Severity
from tests.notify.servers import make_alert

HOSTILE_LINE = (
    '203.0.113.9 - - [23/Nov/2026:18:39:32 +0000] "GET /?q=\x1b[31mRED\x1b[0m'
    "<script>alert(1)</script> @channel @here @room @everyone <!here> <!channel> <@U024BE7LH>"
    " <https://evil.example/x|click here> *bold* _it_ ~strike~ `code` ``` [a](https://evil.example)"
    ' http://evil.example/ www.evil.example \u202ereversed\r\nX-Injected: yes" 200 5 "-" "curl"'
)
HOSTILE_CLIENT = "203.0.113.9\r\nBcc: victim@evil.example"
HOSTILE_HOST = "web1\x1b]0;pwned\x07 <b>@channel</b>"

TRANSPORT = EmailTransport(
    host="localhost",
    port=25,
    security="none",
    sender="lwsyslog <lwsyslog@example.net>",
    recipients=("ops@example.net",),
)


def hostile_digest(total: int = 1) -> Digest:
    records = [
        AlertRecord.from_json(
            encode_alert(
                make_alert(
                    number,
                    client=HOSTILE_CLIENT,
                    host=HOSTILE_HOST,
                    sample=HOSTILE_LINE,
                    severity=Severity.CRITICAL,
                ),
                f"fp{number}",
                4000,
                0.0,
            )
        )
        for number in range(total)
    ]
    return build_digest(
        "group", records, delivery_id="d" * 32, channel="c", created=0.0, key=HOSTILE_CLIENT
    )


def strings(value: Any) -> list[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


@pytest.mark.parametrize("total", [1, 3])
def test_no_control_character_reaches_any_medium(total: int) -> None:
    digest = hostile_digest(total)
    texts = [title(digest), body_text(digest), body_html(digest)]
    for preset in ("json", "slack", "mattermost", "matrix", "teams"):
        texts.extend(strings(json.loads(payload(digest, preset))))
    for text in texts:
        assert "\x1b" not in text and "\r" not in text and "\x07" not in text
        assert "\u202e" not in text
    assert "\\x1b[31mRED" in body_text(digest)
    assert "\\u202ereversed" in body_text(digest)


def test_crlf_in_a_subject_cannot_add_a_mail_header() -> None:
    digest = hostile_digest()
    message = build_email(TRANSPORT, HOSTILE_CLIENT, body_text(digest), body_html(digest), "id1")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert len(parsed.get_all("Subject") or []) == 1
    assert "\\x0d\\x0aBcc" in str(parsed["Subject"])
    assert parsed["X-Injected"] is None
    assert parsed.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in parsed.iter_parts()]
    assert kinds == ["text/plain", "text/html"]


def test_html_mail_escapes_markup_and_links_are_not_clickable() -> None:
    html = body_html(hostile_digest())
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html
    assert "https://evil" not in html and "http://evil" not in html
    assert "https[:]//evil.example" in html
    assert "www[.]evil.example" in html


def test_slack_text_has_no_mention_no_special_sequence_and_no_link() -> None:
    text = json.loads(payload(hostile_digest(), "slack"))["text"]
    for active in ("<!here>", "<!channel>", "<@U024BE7LH>", "<https://", "@channel", "@here"):
        assert active not in text
    assert "&lt;!here&gt;" in text
    assert "@\u200bchannel" in text
    # Every log value sits in a code span: an even number of backticks per line, and the
    # backticks of the log line are written \x60 instead of closing the span.
    for line in text.splitlines():
        assert line.count("`") % 2 == 0
    assert "\\x60code\\x60" in text


def test_mattermost_text_breaks_mentions_inside_code_spans() -> None:
    text = json.loads(payload(hostile_digest(), "mattermost"))["text"]
    assert "@channel" not in text and "@here" not in text and "@all" not in text
    assert all(line.count("`") % 2 == 0 for line in text.splitlines())


def test_matrix_event_pings_no_one_and_its_html_is_escaped() -> None:
    event = json.loads(payload(hostile_digest(), "matrix"))
    assert event["m.mentions"] == {}
    assert event["msgtype"] == "m.notice"
    assert "@room" not in event["body"] and "@\u200broom" in event["body"]
    assert "<script" not in event["formatted_body"]
    assert "<b>" not in event["formatted_body"]


def test_teams_card_keeps_log_content_out_of_markdown_blocks() -> None:
    card = json.loads(payload(hostile_digest(), "teams"))["attachments"][0]["content"]
    markdown_blocks = [block["text"] for block in card["body"] if block["type"] == "TextBlock"]
    for text in markdown_blocks:
        assert "evil" not in text and "@" not in text and "203.0.113.9" not in text
    runs = [run["text"] for block in card["body"] if block["type"] == "RichTextBlock"
            for run in block["inlines"]]  # fmt: skip
    assert any("[a](https[:]//evil.example)" in run for run in runs)
    assert not any("@channel" in run for run in runs)


def test_json_webhook_keeps_values_exact_but_control_characters_visible() -> None:
    data = json.loads(payload(hostile_digest(), "json"))
    line = data["alerts"][0]["line"]
    assert "<script>alert(1)</script>" in line  # JSON-encoded, for a program to read
    assert "\\x1b[31m" in line and "\\x0d\\x0a" in line
    assert data["alerts"][0]["client"] == "203.0.113.9\\x0d\\x0aBcc: victim@evil.example"


def test_a_known_exploit_alert_names_its_cves_in_every_medium() -> None:
    alert = dataclasses.replace(
        make_alert(1, rule="known-exploit-confluence-ognl", categories=("known-exploit",)),
        cves=("CVE-2022-26134", "CVE-2021-26084"),
    )
    record = AlertRecord.from_json(encode_alert(alert, "fp", 4000, 0.0))
    assert record.cves == ("CVE-2022-26134", "CVE-2021-26084")
    digest = build_digest("group", [record], delivery_id="d" * 32, channel="c", created=0.0)
    assert "CVE: CVE-2022-26134, CVE-2021-26084" in body_text(digest)
    assert "CVE-2022-26134" in body_html(digest)
    sent = json.loads(payload(digest, "json"))
    assert sent["alerts"][0]["cves"] == ["CVE-2022-26134", "CVE-2021-26084"]


def test_a_record_written_before_cves_were_carried_still_reads() -> None:
    data = json.loads(encode_alert(make_alert(2), "fp", 4000, 0.0))
    del data["cves"]
    assert AlertRecord.from_dict(data).cves == ()
