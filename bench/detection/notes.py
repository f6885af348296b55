"""Hand-written readings of known misses and false alarms, keyed to the (fixed) data files.

The data never changes, so a file and line number name one line for good. A note is shown only
while the measurement still reports that line; a listed line without a note is printed as a
TODO, so a line that starts being listed again (a regression, or a new false flag) asks for a
fresh reading instead of inheriting a stale one. "TODO(rules)" marks an open decision for the
rule owner.
"""

from __future__ import annotations

__all__ = ["fail2ban_note", "real_log_note"]

_STALE_NONCE = (
    "fail2ban does not count a nonce whose hash does not match: a browser sends one whenever "
    "the server's nonce secret changed (it is made anew at each restart) or its request "
    "reached another server behind a balancer"
)
_FAIL2BAN: dict[tuple[str, int], str] = {
    # Positives lwsyslog misses.
    ("apache-fakegooglebot", 3): (
        "by design: genuine Googlebot (66.249.66.1 is in Google's own crawler range) asking "
        "for `/`, parsed with the file's custom LogFormat declared in `access_formats`. "
        "fail2ban matches every Googlebot User-Agent and then checks the address by reverse "
        "DNS; lwsyslog checks a crawler's address only with `[crawlers] verify` on (off by "
        "default, as measured here; docs/crawlers.md) and does not flag a crawler User-Agent "
        "as such, so no finding is the right outcome here"
    ),
    # Negatives (lines fail2ban must not match).
    ("apache-auth", 3): (
        "the injection test: a fake `[client 192.168.0.1] user root not found` inside the "
        "path must not frame 192.168.0.1; lwsyslog reads the real client field and no "
        "anchored auth pattern matches inside the path"
    ),
    ("apache-auth", 94): (
        "Apache 2.2's `Digest: invalid nonce ... received - hash is not ...`: no finding. "
        f"{_STALE_NONCE}, so auth-failure-error-log counts only the nonces the server can "
        "never have issued (wrong length, time travel). Line 98 is the same event from Apache 2.4"
    ),
    ("apache-auth", 98): (
        f"the Apache 2.4 form of line 94 (AH01776): no finding, as for 2.2. {_STALE_NONCE}"
    ),
    ("apache-auth", 138): (
        "mod_evasive's denial (fail2ban ignores it in normal mode, matches it in aggressive "
        "mode, line 146): a low access-denied-config finding that feeds thresholds only"
    ),
    ("apache-botsearch", 40): (
        "a missing /forum/mail.php script. fail2ban's botsearch does not list it; lwsyslog "
        "reads every 'script not found' as a low scanner-missing-script finding, which feeds "
        "thresholds only and never alerts alone, so it is no false flag"
    ),
    ("apache-botsearch", 43): (
        "accepted: a denied request for `/webmail/.htaccess` is a real probe (an .htaccess "
        "file under a webmail path: sensitive-dotfile and admin-probe-cms, medium); fail2ban "
        "marks it negative only because its apache-auth filter, not botsearch, owns 'client "
        "denied' lines"
    ),
    ("apache-fakegooglebot", 5): (
        "the same custom LogFormat as line 3, parsed: a 200 for `/` with an ordinary "
        "User-Agent, nothing to find"
    ),
}

_CMS_PROBE = (
    "real probe: /wp-login.php, /administrator/ and /admin.php, all answered 404, within "
    "42 seconds from one client with a stale Chrome 24 User-Agent (a CMS-login scanner; the "
    "site runs no CMS: every request for these paths in the log is a 404). The same "
    "three-request pattern comes from four addresses on three days (17, 19 and 20 May)"
)
_REAL: dict[tuple[str, str, int], str] = {
    ("elastic_examples_apache_logs.log", "attack-repeat", 895): _CMS_PROBE,
    ("elastic_examples_apache_logs.log", "attack-repeat", 5970): _CMS_PROBE,
    ("elastic_examples_apache_logs.log", "attack-repeat", 6253): _CMS_PROBE,
    ("elastic_examples_apache_logs.log", "attack-repeat", 7767): _CMS_PROBE,
}


def fail2ban_note(file: str, lineno: int) -> str:
    """Why lwsyslog misses (or flags) fail2ban sample ``file:lineno``; '' when unexplained."""
    return _FAIL2BAN.get((file, lineno), "")


def real_log_note(path: str, rule: str, line: int) -> str:
    """A reading of the alert ``rule`` raised at ``path:line``; '' when not yet classified."""
    return _REAL.get((path, rule, line), "")
