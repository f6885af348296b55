"""phpMyAdmin's signed queries: a statement its own links carry, which only it can sign.

phpMyAdmin's Browse, sort and paging links repeat the user's last statement over GET:
``index.php?route=/sql&db=shop&sql_query=SELECT+...+UNION+SELECT+...&sql_signature=<hmac>``
(5.1 on; 4.9 and 5.0 link to ``sql.php?db=shop&sql_query=...&sql_signature=<hmac>``).
The signature is an HMAC (SHA-256, 64 hex digits) of the statement keyed with the session's
secret, and phpMyAdmin runs a ``sql_query`` from a URL only when the signature checks: a
forged statement is refused without the session's secret, so this route is no way to inject.
A statement in ``sql_query=`` on that route beside such a ``sql_signature=`` is then the
database user's own query, not an injection; the rest of the target is still read. Any other
path, or a signature of another length, is read as any parameter is.
"""

from __future__ import annotations

import re

__all__ = ["without_signed_query"]

_SIGNED = re.compile(r"(?:^|[?&;])sql_signature=[0-9a-f]{64}(?:$|[&;#])")
# phpMyAdmin's SQL route: route=/sql (5.1 on), or the path's sql.php (4.9, 5.0).
_ROUTE = re.compile(r"[?&;]route=/sql(?:$|[&;#])")
# The value of sql_query= (to the next "&": a decoded %26 cuts it early, which leaves the rest
# to be read, never less).
_QUERY = re.compile(r"(?:^|[?&;])sql_query=[^&;]*")


def without_signed_query(text: str) -> str:
    """``text`` (a decoded, lower-cased target) without its ``sql_query=`` values when it is
    phpMyAdmin's SQL route and also carries a ``sql_signature=`` of an HMAC-SHA256's length;
    ``text`` itself otherwise."""
    if "sql_signature=" not in text or _SIGNED.search(text) is None:
        return text
    query = text.find("?")
    path = text if query < 0 else text[:query]
    if not path.endswith("/sql.php") and _ROUTE.search(text) is None:
        return text
    return _QUERY.sub("", text)
