"""phpMyAdmin's signed queries: a statement its own links carry, which only it can sign.

phpMyAdmin's Browse, sort and paging links repeat the user's last statement over GET:
``index.php?route=/sql&db=shop&sql_query=SELECT+...+UNION+SELECT+...&sql_signature=<hmac>``.
The signature is an HMAC (SHA-256) of the statement keyed with the session's secret, and
phpMyAdmin runs a ``sql_query`` from a URL only when the signature checks: a forged statement
is refused without the session's secret, so this route is no way to inject.
A statement in ``sql_query=`` beside a ``sql_signature=`` is then the database user's own
query, not an injection; the rest of the target is still read.
"""

from __future__ import annotations

import re

__all__ = ["without_signed_query"]

_SIGNED = re.compile(r"(?:^|[?&;])sql_signature=[0-9a-f]+(?:$|[&;#])")
# The value of sql_query= (to the next "&": a decoded %26 cuts it early, which leaves the rest
# to be read, never less).
_QUERY = re.compile(r"(?:^|[?&;])sql_query=[^&;]*")


def without_signed_query(text: str) -> str:
    """``text`` (a decoded, lower-cased target) without its ``sql_query=`` values when it
    also carries a ``sql_signature=``; ``text`` itself otherwise."""
    if "sql_signature=" not in text or _SIGNED.search(text) is None:
        return text
    return _QUERY.sub("", text)
