"""Access denied: requests for content the server is configured to refuse."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import CodeRule, StatusRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "AccessDeniedAuthorization",
    "AccessDeniedByConfig",
    "AccessDeniedDirectoryIndex",
    "AccessDeniedStatus",
]


class AccessDeniedByConfig(CodeRule):
    """``client denied by server configuration`` (AH01630 and its 2.2 form)."""

    id = "access-denied-config"
    categories = ("access-denied",)
    severity = Severity.LOW
    description = "client denied by server configuration (AH01630, AH01797)"
    codes = frozenset({"AH01630", "AH01797"})
    pattern = Regex(r"^client denied by server configuration")
    trigger = r"^client denied"
    must_match = (
        ErrorSample(message="client denied by server configuration: /var/www/html/private",
                    code="AH01630", module="authz_core"),
        ErrorSample(message="client denied by server configuration: /var/www/.htpasswd",
                    module=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/client-denied-by-server"),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/x client denied by "
                    "server configuration", module="core"),
    )  # fmt: skip


class AccessDeniedAuthorization(CodeRule):
    """An authenticated user refused by an authorization rule (AH01631, AH01637)."""

    id = "access-denied-authorization"
    categories = ("access-denied",)
    severity = Severity.LOW
    description = "authenticated user not authorized (AH01631 authorization failure, AH01637)"
    codes = frozenset({"AH01631", "AH01637"})
    pattern = Regex(
        r"^user [^:]{0,100}: authorization failure for|^authorization of user \S{0,100} to access"
        r"\s.{0,300}\sfailed"
    )
    trigger = r"^(?:user|authorization of user)\s"
    must_match = (
        ErrorSample(message='user bob: authorization failure for "/admin/": ', code="AH01631",
                    module="authz_core"),
        ErrorSample(message="Authorization of user bob to access /private/x.html failed, reason: "
                    "file owner dan does not match.", module=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/authorization-of-user"),
        ErrorSample(message="user bob not found: /", module=""),
    )


class AccessDeniedDirectoryIndex(CodeRule):
    """A directory listing refused (AH01276): someone browsing for unlisted files."""

    id = "access-denied-directory-index"
    categories = ("access-denied",)
    severity = Severity.LOW
    description = "directory index forbidden by Options directive (AH01276)"
    codes = frozenset({"AH01276"})
    pattern = Regex(r"directory index forbidden by (?:options directive|rule)")
    trigger = r"directory index forbidden"
    must_match = (
        ErrorSample(
            message="Cannot serve directory /var/www/html/backup/: No matching DirectoryIndex "
            "(index.html) found, and server-generated directory index forbidden by Options "
            "directive", code="AH01276", module="autoindex",
        ),
        ErrorSample(message="Directory index forbidden by Options directive: /var/www/html/inc/",
                    module=""),
    )  # fmt: skip
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/directory-index"),
        ErrorSample(message="AH00128: File does not exist: /var/www/html/favicon.ico"),
    )


class AccessDeniedStatus(StatusRule):
    """A ``403 Forbidden`` answer."""

    id = "access-denied-403"
    categories = ("access-denied",)
    severity = Severity.LOW
    description = "request answered 403 Forbidden"
    statuses = frozenset({403})
    must_match = (
        AccessSample(target="/private/", status=403),
        AccessSample(target="/uploads/", status=403),
    )
    must_not_match = (
        AccessSample(target="/private/", status=401),
        AccessSample(target="/", status=200),
    )
