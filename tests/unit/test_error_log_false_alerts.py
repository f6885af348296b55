"""Ordinary error-log lines that raised alerts in the error-log audit (2026-12-07): the links
PHP and WordPress write into their own notices, a session file or a log the server could not
write. Scanned as a user scans a log: no alert and nothing of medium or more, three times
over (one shopper's three pages), while the attack of the same shape stays caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.false_alert_support import SERIOUS, scan_lines

_HEAD = (
    "[Sun Dec 07 10:00:3{n}.423456 2026] [php:notice] [pid 1264:tid 5711] "
    "[client 192.0.2.38:4015{n}] "
)

ORDINARY = [
    "PHP Notice:  Function _load_textdomain_just_in_time was called <strong>incorrectly</strong>."
    " Translation loading for the <code>woocommerce</code> domain was triggered too early. Please"
    ' see <a href="https://developer.wordpress.org/advanced-administration/debug/debug-wordpress/">'
    "Debugging in WordPress</a> for more information. (This message was added in version 6.7.0.)"
    " in /var/www/html/wp-includes/functions.php on line 6114",
    "PHP Warning:  include(/var/www/html/inc/header.php) [<a href='function.include'>"
    "function.include</a>]: failed to open stream: No such file or directory in "
    "/var/www/html/index.php on line 3",
    "PHP Warning:  Unknown: open(/var/lib/php5/sess_abcdef1234567890, O_RDWR) failed: No space "
    "left on device (28) in Unknown on line 0",
]

CAUGHT = [
    (
        "PHP Warning:  include(/var/log/apache2/access.log): Failed to open stream",
        "file-inclusion-proc",
    ),
    ('PHP Warning:  Undefined array key "<svg onload=alert(1)>" in /x.php', "xss-injected-tag"),
    (
        'PHP Notice:  see <a href="https://wordpress.org/">docs</a> and <iframe src=//e.example>',
        "xss-injected-tag",
    ),
    (
        "AH00126: Invalid URI in request GET /p?q=<a href=//evil.example>x</a> HTTP/1.1",
        "xss-injected-tag",
    ),
]


@pytest.mark.parametrize("message", ORDINARY, ids=[m[:60] for m in ORDINARY])
def test_ordinary_error_line_raises_no_alert_and_nothing_of_medium_or_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], message: str
) -> None:
    records = scan_lines(tmp_path, capsys, [_HEAD.format(n=n) + message for n in range(3)])
    assert [r["rule"] for r in records if r["kind"] == "alert"] == []
    assert [r["rules"] for r in records if r.get("severity") in SERIOUS] == []


@pytest.mark.parametrize(("message", "rule_id"), CAUGHT, ids=[c[0][:60] for c in CAUGHT])
def test_the_attack_in_an_error_line_is_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], message: str, rule_id: str
) -> None:
    records = scan_lines(tmp_path, capsys, [_HEAD.format(n=0) + message])
    assert any(rule_id in r.get("rules", ()) for r in records if r["kind"] == "finding")
