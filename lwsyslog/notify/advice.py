"""One line of "what to do" per detection category, shown in every notification."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ADVICE", "advice_for"]

ADVICE: dict[str, str] = {
    "sqli": "check the application's database log for this request; block the client if it "
    "keeps going",
    "xss": "check whether the page echoes the parameter unescaped; block the client if it "
    "keeps going",
    "path-traversal": "if the answer was 2xx, check what file was served and fix the path "
    "handling; block the client",
    "file-inclusion": "check the application's include/require handling for this parameter; "
    "block the client",
    "command-injection": "if the answer was 2xx, look for processes and new files from the web "
    "server's user now; block the client",
    "code-injection": "check the framework's version and the application log for the "
    "expression; block the client",
    "log4shell": "check that no Java service on the host runs a log4j 2 older than 2.17.1 and look "
    "for outbound LDAP/RMI connections",
    "shellshock": "check that bash is patched and that no CGI script runs under an old shell; "
    "block the client",
    "sensitive-file": "if the answer was 2xx, the file was served: rotate the secrets in it and "
    "deny the path",
    "admin-probe": "make sure admin interfaces are not reachable from the internet or are "
    "behind strong auth",
    "webshell": "look for the named file in the document root now; if it exists, treat the host "
    "as compromised",
    "scanner": "usually background noise; block the client if it keeps going or if it found "
    "something (2xx)",
    "brute-force": "check the account's activity for a later success; block the client or rate "
    "limit the login",
    "auth-failure": "one failed login is normal; act if the same client keeps failing",
    "protocol-anomaly": "usually a scanner or a broken client; block the client if it repeats",
    "dos": "check the server's load and connection counts; rate limit or block the client",
    "server-error": "read the error log around this time: a crash after an attack payload may "
    "mean it reached code",
    "waf-block": "the WAF stopped it; check that the rule is not hiding a real exploit attempt "
    "that got through elsewhere",
    "access-denied": "the server refused it; act only if the client keeps probing protected paths",
    "bad-bot": "block the User-Agent or the client if the crawling costs you",
    "header-injection": "check whether the application copies the parameter into a response "
    "header; block the client",
    "known-exploit": "check whether the named product and version run on the host and patch "
    "it; block the client",
}

_DEFAULT = (
    "read the triggering line and the host's logs around this time; block the client if it "
    "keeps going"
)


def advice_for(categories: Iterable[str]) -> list[tuple[str, str]]:
    """(category, advice) for each distinct category, in order; a generic line for none."""
    seen = dict.fromkeys(categories)
    if not seen:
        return [("", _DEFAULT)]
    return [(category, ADVICE.get(category, _DEFAULT)) for category in seen]
