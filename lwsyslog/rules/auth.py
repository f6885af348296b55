"""Single authentication failures (what the brute-force thresholds count)."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import CodeRule, StatusRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["AuthFailureErrorLog", "AuthFailureStatus"]


class AuthFailureStatus(StatusRule):
    """A ``401 Unauthorized`` answer."""

    id = "auth-failure-401"
    categories = ("auth-failure",)
    severity = Severity.LOW
    description = "request answered 401 Unauthorized"
    statuses = frozenset({401})
    must_match = (
        AccessSample(target="/private/", status=401),
        AccessSample(target="/wp-login.php", method="POST", status=401),
    )
    must_not_match = (
        AccessSample(target="/private/", status=200),
        AccessSample(target="/private/report.pdf", status=403),
    )


class AuthFailureErrorLog(CodeRule):
    """mod_auth_basic/digest/ldap reporting a wrong password or an unknown user.

    Patterns are anchored at the start of the message: a user name or a ``[client x]`` planted
    in a logged URL cannot pose as an authentication failure. Of mod_auth_digest's invalid
    nonces, only those the server can never have issued count: a wrong length (AH01775) or a
    time in the future (AH01777). One whose hash does not match (AH01776, 2.2's ``Digest:
    invalid nonce ... hash is not``) is what every browser sends after a restart changed the
    server's nonce secret, or to a second server behind a balancer: Apache 2.2 and 2.4 alike
    raise nothing for it (fail2ban does not count it either).
    """

    id = "auth-failure-error-log"
    categories = ("auth-failure",)
    severity = Severity.LOW
    description = "authentication failure in the error log (AH01617, AH01618, user not found)"
    # Basic (AH01614/7/8), Digest (AH01775, AH01777, AH01788-AH01793) credential errors.
    codes = frozenset(
        {"AH01614", "AH01617", "AH01618", "AH01775", "AH01777", "AH01788", "AH01789", "AH01790",
         "AH01792", "AH01793"}
    )  # fmt: skip
    pattern = Regex(
        r"^(?:[\w-]{1,32}:\s+)?user(?:\s+[`'\"]?[^\s:`'\"]{1,100}[`'\"]?)?"
        r"(?:\s+in\s+realm\s+[^:]{0,100}?)?(?::\s*authentication\s+failure|\s+not\s+found"
        r"|:\s*password\s+mismatch|:\s*authentication\s+failed)"
        r"|^(?:[\w-]{1,32}:\s+)?client used wrong authentication scheme"
        r"|^digest:\s+(?:invalid nonce\s+\S{0,200}\s+received\s+-\s+(?:length is not|user attempted"
        r"\s+time travel)|realm mismatch|unknown algorithm|invalid qop)"
        r"|^auth_ldap\s+authenticate:\s+user\s+\S{0,100}\s+authentication\s+failed"
        r"|^pam_authenticate\b.{0,100}authentication\s+failure"
    )
    trigger = r"^(?:[\w-]{1,32}:\s+)?(?:user|client used)\s|^digest:|^auth_ldap|^pam_auth"
    must_match = (
        ErrorSample(
            message='user admin: authentication failure for "/private": Password Mismatch',
            code="AH01617",
            module="auth_basic",
        ),
        ErrorSample(message="user root not found: /private", code="AH01618", module="auth_basic"),
        ErrorSample(
            message='user bob: authentication failure for "/": Password Mismatch', module=""
        ),
        ErrorSample(
            message="Digest: user `admin' in realm `Private' not found: /secret", module=""
        ),
        ErrorSample(message="user  not found: /", module=""),
        ErrorSample(message="client used wrong authentication scheme: /basic/file", module=""),
        ErrorSample(
            message="Digest: invalid nonce JDiBAA=db93725 received - length is not 52", module=""
        ),
        ErrorSample(
            message="AH01775: invalid nonce JDiBAA=db93725 received - length is not 52",
            code="AH01775",
            module="auth_digest",
        ),
        ErrorSample(
            message="Digest: invalid nonce LWEDr5TiBAA=cedd received - user attempted time travel",
            module="",
        ),
    )
    must_not_match = (
        ErrorSample(
            message="File does not exist: /srv/http/site/[client 192.168.0.1] user root not found"
        ),
        ErrorSample(message="AH00558: apache2: Could not reliably determine the server's name"),
        ErrorSample(
            message="Digest: invalid nonce l19lgpDiBAZZZf1e received - hash is not 6fda8bbc",
            module="",
        ),
        ErrorSample(
            message="AH01776: invalid nonce b9YAiJDiBAZZZ1b1 received - hash is not d42d824d",
            code="AH01776",
            module="auth_digest",
        ),
    )
