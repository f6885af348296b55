"""Whether a request came from a page of the same site: its Referer names the site's host.

An administrator at work follows the site's own links and submits its own forms, so the
browser sends a Referer naming the site; a scanner's probe is typed, not followed, and sends
none (or one of its own). The Referer is the client's word, so this only ever makes a rule
*less* suspicious of an answer that already says the resource exists (a redirect, a refusal):
never of a missing page, which stays a probe whatever the Referer says.

The site's host is the logged ``Host`` header (``%{Host}i``) or the virtual host (``%v``),
when the log format has either. Hosts compare without their port, on their last two labels
(``www.example.com`` and ``shop.example.com`` are one site); addresses compare whole.

The combined format has neither, and then nothing tells the site's links from a Referer
anyone can write (``http://evil.example/``). :func:`same_site_referer` then takes any
``http(s)`` Referer with a plain host name; :func:`site_link` (a GET of an admin path) is
stricter: not a Referer whose host is an IP address (scanners send ``http://<address>/``), and
for a refusal only one from the same first path segment (:func:`referer_from_area`). Its limit:
a forged Referer with a host name still passes a redirect off as a followed link.
"""

from __future__ import annotations

from typing import Final

from lwsyslog.events import Event

__all__ = ["referer_from_area", "same_site_referer", "site_link"]

_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_:[]")
#: Longer hosts are no host name (DNS caps a name at 253 characters).
_MAX_HOST: Final = 260


def _host(authority: str) -> str | None:
    """The lower-cased host of ``host[:port]``, or ``None`` when it is not a plain host."""
    if not authority or len(authority) > _MAX_HOST:
        return None
    authority = authority.lower()
    if not _HOST_CHARS.issuperset(authority):
        return None
    if authority.startswith("["):  # [IPv6]:port
        end = authority.find("]")
        return authority[: end + 1] if end > 0 else None
    return authority.partition(":")[0].rstrip(".") or None


def _site(host: str) -> str:
    """The part of ``host`` two hosts of one site share: its last two labels, or an address."""
    if _is_address(host):
        return host
    labels = host.rsplit(".", 2)
    return ".".join(labels[-2:])


def _is_address(host: str) -> bool:
    """Whether ``host`` (from :func:`_host`) is an IP address rather than a name."""
    return host.startswith("[") or host.replace(".", "").isdigit()


def _referer_host(event: Event) -> str | None:
    """The host of ``event``'s Referer when it is an ``http(s)`` URL with a plain host."""
    referer = getattr(event, "referer", "")
    if referer.startswith("https://"):
        start = 8
    elif referer.startswith("http://"):
        start = 7
    else:
        return None
    end = referer.find("/", start)
    authority = referer[start:] if end < 0 else referer[start:end]
    return _host(authority.rpartition("@")[2])


def _site_host(event: Event) -> str | None:
    """The site's host as the log names it (``Host`` header or virtual host), or None."""
    extra = getattr(event, "extra", None)
    logged = (extra.get("header:host") if extra else None) or getattr(event, "vhost", "")
    return _host(logged) if logged and logged != "-" else None


def same_site_referer(event: Event) -> bool:
    """True when ``event`` is an access-log request whose Referer is an ``http(s)`` URL of the
    site that answered it (module doc: of any plain host when the log names no site)."""
    referer_host = _referer_host(event)
    if referer_host is None:
        return False
    site_host = _site_host(event)
    return site_host is None or _site(referer_host) == _site(site_host)


def site_link(event: Event, *, refused: bool) -> bool:
    """Whether a GET of an admin path followed one of the site's links (module doc): its
    Referer is of the site when the log names it; when not, a Referer with a host name (not
    an address) and, for a refusal (``refused``: 401, 403), from the same first path segment."""
    referer_host = _referer_host(event)
    if referer_host is None:
        return False
    site_host = _site_host(event)
    if site_host is not None:
        return _site(referer_host) == _site(site_host)
    if _is_address(referer_host):
        return False
    return not refused or referer_from_area(event)


def referer_from_area(event: Event) -> bool:
    """True when the Referer is of the same site (:func:`same_site_referer`) and in the same
    first path segment as the request (``/wp-admin/post.php`` from ``/wp-admin/...``): the
    request came from a page of the interface itself, not from elsewhere on the site."""
    if not same_site_referer(event):
        return False
    referer: str = getattr(event, "referer", "")
    start = referer.find("/", referer.find("//") + 2)
    if start < 0:
        return False
    target: str = getattr(event, "target", "")
    return _first_segment(referer, start) == _first_segment(target, target.find("/"))


def _first_segment(url: str, start: int) -> str:
    """The lower-cased first path segment of ``url`` from the ``/`` at ``start`` ("": none)."""
    if start < 0:
        return ""
    end = start + 1
    limit = min(len(url), start + _MAX_HOST)
    while end < limit and url[end] not in "/?#;":
        end += 1
    return url[start + 1 : end].lower()
