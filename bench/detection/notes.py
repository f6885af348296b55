"""Hand-written readings of known misses and false alarms, keyed to the (fixed) data files.

The data never changes, so a file and line number name one line for good. A note is shown only
while the measurement still reports that line; a listed line without a note is printed as a
TODO. "TODO(rules)" marks a decision for the rule owner.
"""

from __future__ import annotations

__all__ = ["fail2ban_note", "real_log_note"]

_SNI = (
    "TLS SNI/Host mismatch (AH02031-AH02033): a misconfigured client or a scanner, not an "
    "authentication failure; fail2ban's apache-auth bans it. TODO(rules): a low "
    "protocol-anomaly rule for AH02031/AH02032/AH02033 would let a burst of them count"
)
_BOTSEARCH = (
    "2.2 'File does not exist' for a path on fail2ban's webapp list ({path}); lwsyslog's "
    "admin-probe rules do not list it. Error-log 404s do not feed scan-404-burst either. "
    "TODO(rules): decide whether webmail/pmapper/mail* belong in admin-probe-cms"
)
_NOHOME = (
    "a request for a user home directory (~) that does not exist: fail2ban's apache-nohome. "
    "One 404 is not an attack; lwsyslog has no per-line rule on purpose (a sweep of them "
    "would show in the access log's 404 thresholds)"
)
_NOSCRIPT = (
    "'script not found or unable to stat' / 'Primary script unknown': a request for a "
    "missing CGI/PHP script (fail2ban's apache-noscript). No lwsyslog rule reads these "
    "error-log messages. TODO(rules): a low scanner or access-denied-style finding for "
    "AH02811/AH01071 and 2.2 'script not found' would let error-log-only setups count "
    "script probes (nmap's run has 9 AH02811 lines)"
)
_FAIL2BAN: dict[tuple[str, int], str] = {
    ("apache-auth", 129): _SNI,
    ("apache-auth", 132): _SNI,
    ("apache-auth", 135): _SNI,
    ("apache-auth", 141): (
        "the client is in a `[remote IP:port]` field (Apache 2.4 with mod_remoteip, logged "
        "when the peer is a proxy): the error-log parser reads only `[client ...]`, so the "
        "finding has no client address and cannot feed per-client thresholds. TODO(parser "
        "owner): accept `[remote ...]` as the client when `[client ...]` is absent"
    ),
    ("apache-badbots", 11): (
        "the line is `VHOST IP - - [...]` (vhost then address, no port): a format none of "
        "the built-in ones is; it parses as `combined` with the vhost name as the client, so "
        "the finding names `www.sitename.com`. TODO(parser owner): a built-in "
        "`%v %h %l %u %t ...` format, or reject a non-IP `%h` when another format fits"
    ),
    ("apache-fakegooglebot", 7): (
        "same `VHOST IP - -` layout as apache-badbots:11: flagged (403) but with the vhost "
        "as client"
    ),
    ("apache-fakegooglebot", 3): (
        'a custom LogFormat (`%h %l %u - [time without zone] vhost "%r" ... + n n n`) that '
        "fits no built-in format: unparsed. fail2ban matches every Googlebot User-Agent and "
        "then checks the address by reverse DNS; lwsyslog has no DNS check, and "
        "66.249.66.1 is Google's own address, so no finding is the right outcome here"
    ),
    ("apache-botsearch", 19): _BOTSEARCH.format(path="/mail_this_entry"),
    ("apache-botsearch", 21): _BOTSEARCH.format(path="/pmapper-3.2-beta3"),
    ("apache-botsearch", 33): _BOTSEARCH.format(path="/mails"),
    ("apache-botsearch", 43): (
        "accepted: a denied request for `/webmail/.htaccess` is a real probe (.htaccess and a "
        "webmail path); fail2ban marks it negative only because its apache-auth filter, not "
        "botsearch, owns 'client denied' lines"
    ),
    ("apache-nohome", 3): _NOHOME,
    ("apache-nohome", 6): _NOHOME,
    ("apache-pass", 2): (
        "by design: fail2ban's apache-pass is a port-knocking helper (a 200 for a configured "
        "secret URL opens the firewall); it is not attack evidence and lwsyslog has no rule "
        "for it"
    ),
    ("apache-auth", 3): (
        "the injection test: a fake `[client 192.168.0.1] user root not found` inside the "
        "path must not frame 192.168.0.1; lwsyslog reads the real client field"
    ),
    ("apache-auth", 94): "a stale Digest nonce: a normal client can send one; low at most",
    ("apache-auth", 98): "a stale Digest nonce: a normal client can send one; low at most",
    ("apache-auth", 138): (
        "mod_evasive's denial (fail2ban ignores it in normal mode, matches it in aggressive "
        "mode, line 146): a low access-denied finding feeds thresholds only"
    ),
    ("apache-botsearch", 40): "a missing /forum/mail.php script: not on fail2ban's list",
    ("apache-fakegooglebot", 5): (
        "the same custom LogFormat as line 3, unparsed; nothing to find either way (an "
        "ordinary User-Agent)"
    ),
}
for _line in (2, 4, 7, 9, 11, 13, 15, 18, 20, 22, 25, 28, 31):
    _FAIL2BAN[("apache-noscript", _line)] = _NOSCRIPT

_CMS_PROBE = (
    "real probe: /wp-login.php, /administrator/ and /admin.php within a minute from one "
    "client with a stale Chrome 24 User-Agent (a CMS-login scanner; the site runs no CMS). "
    "Same pattern from four addresses on four days"
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
