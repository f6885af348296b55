"""Server-side request forgery: a URL in a parameter that points inside the server's network.

``/fetch?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/`` asks an
application that fetches URLs for the cloud's instance credentials. The host is read as the
server's resolver and socket calls read it (``inet_aton``): one to four parts, each decimal,
``0x`` hexadecimal or ``0``-led octal (``2852039166``, ``0xa9fea9fe``,
``0251.0376.0251.0376``, ``0`` all name an address), and an IPv6 address with an IPv4 one
inside it (``[::ffff:a9fe:a9fe]``, ``[::ffff:127.0.0.1]``, NAT64 ``64:ff9b::``, 6to4 ``2002:``)
as that IPv4 address; a ``*.nip.io`` / ``*.sslip.io`` name as the address it spells.

Three rules, by what the host is:

``ssrf-cloud-metadata`` (high)  an instance-metadata service: AWS/GCP/Azure/OCI/DigitalOcean
                                ``169.254.169.254`` (and all of IPv4 link-local, where only such
                                services live), AWS ECS ``169.254.170.2``, AWS IPv6
                                ``fd00:ec2::254``, Alibaba ``100.100.100.200``, Azure WireServer
                                ``168.63.129.16``, Oracle ``192.0.0.192``, and the names
                                ``metadata.google.internal``, ``metadata``, ``instance-data``...
``ssrf-loopback`` (medium)      the server itself: ``127.0.0.0/8``, ``0.0.0.0`` (``0``), ``::1``,
                                ``::``, IPv6 link-local, ``localhost`` and names that resolve to
                                it (``*.localhost``, ``localtest.me``, ``host.docker.internal``),
                                Kubernetes' API service
``ssrf-private-network`` (low)  RFC 1918, CGNAT and IPv6 unique-local addresses: an intranet
                                application takes such URLs too, so this one only feeds
                                thresholds unless the server answered 2xx (one step up)

The server's own callbacks are passed over by the loopback and private rules: a parameter named
for a redirect (``redirect_uri``, ``callback``, ``return_to``, ``next``...: the whole name, so
``webhook_callback``, which the server fetches, is not one) hands the URL to the browser, and a
native app's OAuth ``redirect_uri`` is ``http://127.0.0.1:PORT/`` by design (RFC 8252). So is
an analytics beacon's page URL, which is ``http://localhost:3000/`` on a developer's machine:
Matomo/Piwik's ``url``, ``urlref``, ``_ref`` on ``matomo.php`` / ``piwik.php``, Google
Analytics' ``dl``, ``dr`` on ``/collect`` (``/g/collect``, ``/j/collect``), Plausible's ``u``,
``r`` on ``/api/event`` (the parameter on its endpoint only: ``/fetch?u=`` still counts). A
loopback URL sent from the host itself and a private one sent from the local network
(:func:`~lwsyslog.rules.sensitive.is_local_client`) are a developer's or an intranet's. A
metadata URL is reported whatever the parameter and the client: nothing legitimate sends one.

Only the query is read (a request body is not logged), at most :data:`MAX_URLS` URLs of it.

The findings are filed under ``file-inclusion`` (a URL of the attacker's choosing that the
server opens) until the project's taxonomy agrees an ``ssrf`` id of its own (new ids are agreed
in the shared design first); the rule ids say which it is.
"""

from __future__ import annotations

import ipaddress
from typing import ClassVar, Final, Literal

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.rules.sensitive import is_local_client
from lwsyslog.severity import Severity

__all__ = ["MAX_URLS", "SsrfCloudMetadata", "SsrfLoopback", "SsrfPrivateNetwork", "host_kind"]

#: Most URLs of one query the rules read (the work per line stays bounded).
MAX_URLS: Final = 16

HostKind = Literal["metadata", "loopback", "private"]

# A URL as a parameter value, in a JSON value or after another scheme (``jar:http://``): the
# character before it, its scheme and its authority.
_URL = linear_search(Regex(r"(?:^|[=&;:\"'(,\[{\s])[a-z][a-z0-9+.-]{0,15}://[^/?#&\s\"'<>]+"))
# The names of parameters that hand a URL to the browser (a redirect, an OAuth callback),
# matched whole: ``webhook_callback`` is a URL the server itself calls.
_REDIRECT_NAMES: Final = frozenset(
    {
        "redirect", "redirect_uri", "redirect_url", "redirecturi", "redirecturl", "redirect_to",
        "redirectto", "post_logout_redirect_uri", "return", "return_to", "returnto",
        "return_url", "returnurl", "return_uri", "returnuri", "callback", "callback_url",
        "callbackurl", "oauth_callback", "next", "next_url", "continue", "goto", "success_url",
        "successurl", "cancel_url", "cancelurl", "logout_url", "referer", "referrer", "service",
    }
)  # fmt: skip
# Analytics beacons' page-URL parameters, by the end of the beacon's path: the page a visitor
# is on, ``http://localhost:3000/`` on a developer's machine.
_BEACONS: Final = (
    ("/matomo.php", frozenset({"url", "urlref", "_ref"})),
    ("/piwik.php", frozenset({"url", "urlref", "_ref"})),
    ("/collect", frozenset({"dl", "dr"})),  # Google Analytics, also /g/collect, /j/collect
    ("/api/event", frozenset({"u", "r"})),  # Plausible
)
# Longest authority read (a longer one names no host: DNS names end at 253 characters).
_MAX_AUTHORITY: Final = 300
# How far before a URL its parameter's name is looked for.
_NAME_CHARS: Final = 64

_METADATA_NAMES: Final = frozenset(
    {
        "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
        "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.azure.internal",
    }
)  # fmt: skip
_LOOPBACK_NAMES: Final = frozenset(
    {
        "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "localtest.me",
        "lvh.me", "vcap.me", "host.docker.internal", "gateway.docker.internal",
        "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
)  # fmt: skip
_LOOPBACK_SUFFIXES: Final = (".localhost", ".localtest.me", ".lvh.me")
# Wildcard DNS services that answer a name with the address it spells (10.0.0.1.nip.io).
_SPELLING_SUFFIXES: Final = (".nip.io", ".sslip.io", ".xip.io")

_METADATA_V4: Final = frozenset(
    int(ipaddress.IPv4Address(a))
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "192.0.0.192")
)
_METADATA_V6: Final = frozenset({ipaddress.IPv6Address("fd00:ec2::254")})
_LINK_LOCAL_V4: Final = ipaddress.IPv4Network("169.254.0.0/16")
_LOOPBACK_V4: Final = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv4Network("0.0.0.0/8"))
_PRIVATE_V4: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_HEX: Final = frozenset("0123456789abcdef")
_OCTAL: Final = frozenset("01234567")
_DECIMAL: Final = frozenset("0123456789")


def _ipv4(host: str) -> int | None:
    """``host`` as ``inet_aton`` reads it (1 to 4 parts, decimal, ``0x`` hex or ``0`` octal),
    or ``None``."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    values: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            digits, base, allowed = part[2:], 16, _HEX
        elif len(part) > 1 and part.startswith("0"):
            digits, base, allowed = part[1:], 8, _OCTAL
        else:
            digits, base, allowed = part, 10, _DECIMAL
        if not digits and base != 16:
            return None
        if not set(digits) <= allowed:
            return None
        values.append(int(digits, base) if digits else 0)
    *head, last = values
    if any(value > 255 for value in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (8 * (3 - index))
    return number


def _kind_v4(number: int) -> HostKind | None:
    if number in _METADATA_V4:
        return "metadata"
    address = ipaddress.IPv4Address(number)
    if address in _LINK_LOCAL_V4:
        return "metadata"
    if any(address in network for network in _LOOPBACK_V4):
        return "loopback"
    if any(address in network for network in _PRIVATE_V4):
        return "private"
    return None


def _kind_v6(text: str) -> HostKind | None:
    try:
        address = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address in _METADATA_V6:
        return "metadata"
    embedded = address.ipv4_mapped or address.sixtofour
    packed = address.packed
    if embedded is None and (
        address in _NAT64 or (packed[:12] == bytes(12) and packed[12:] > b"\0\0\0\1")
    ):
        embedded = ipaddress.IPv4Address(packed[12:])  # NAT64, or IPv4-compatible (::a.b.c.d)
    if embedded is not None:
        return _kind_v4(int(embedded))
    if address.is_loopback or address.is_unspecified or address.is_link_local:
        return "loopback"
    if address in ipaddress.IPv6Network("fc00::/7"):
        return "private"
    return None


def host_kind(authority: str) -> HostKind | None:
    """What the host of a URL's authority (``user@host:port``, lower-cased) is: a metadata
    service, the server itself, a private network, or none of those (``None``)."""
    if len(authority) > _MAX_AUTHORITY:
        return None
    host = authority[authority.rfind("@") + 1 :]
    if host.startswith("["):
        end = host.find("]")
        return _kind_v6(host[1:end]) if end > 0 else None
    colon = host.find(":")
    if colon >= 0:
        host = host[:colon]
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return None
    if host in _METADATA_NAMES:
        return "metadata"
    if host in _LOOPBACK_NAMES or host.endswith(_LOOPBACK_SUFFIXES):
        return "loopback"
    if host.endswith(".svc.cluster.local"):
        return "private"
    for suffix in _SPELLING_SUFFIXES:
        if host.endswith(suffix):
            spelled = host[: -len(suffix)].replace("-", ".").split(".")[-4:]
            number = _ipv4(".".join(spelled)) if len(spelled) == 4 else None
            return None if number is None else _kind_v4(number)
    number = _ipv4(host)
    return None if number is None else _kind_v4(number)


def _parameter_name(text: str, start: int) -> str:
    """The name of the parameter (or JSON key) whose value is the URL found at ``start`` of
    ``text``; ``""`` when it begins more than :data:`_NAME_CHARS` before it (a window that
    starts inside a long name must not read its tail as a name)."""
    begin = max(0, start - _NAME_CHARS)
    head = text[begin : start + 1]
    cut = max(head.rfind(separator) for separator in "&;?{,")
    if cut < 0 and begin > 0:
        return ""
    head = head[cut + 1 :]
    equals = head.find("=")
    name = head[:equals] if equals >= 0 else head[: max(head.find(":"), 0)]
    return name.strip("\"' \n[]")


def _page_url_parameter(path: str, name: str) -> bool:
    """Whether ``name`` is a page-URL parameter of the analytics beacon at ``path``."""
    return any(path.endswith(end) and name in names for end, names in _BEACONS)


InternalUrl = tuple[HostKind, str, bool]

#: The last queries read and their URLs: the three rules read the same query of a line, and
#: it is parsed once for all of them (two entries, like :mod:`lwsyslog.appdecode`'s).
_RECENT: dict[tuple[str, str], tuple[InternalUrl, ...]] = {}


def internal_urls(text: str, path: str = "") -> tuple[InternalUrl, ...]:
    """Up to :data:`MAX_URLS` URLs of ``text`` (a decoded, lower-cased query of ``path``)
    whose host is internal: its kind, the URL's text (scheme and authority) and whether its
    parameter hands it to the browser (a redirect, a callback) or names an analytics
    beacon's page. The last two queries' answers are kept (:data:`_RECENT`)."""
    key = (text, path)
    found = _RECENT.get(key)
    if found is None:
        found = _parse_urls(text, path)
        if len(_RECENT) >= 2:
            del _RECENT[next(iter(_RECENT))]
        _RECENT[key] = found
    return found


def _parse_urls(text: str, path: str) -> tuple[InternalUrl, ...]:
    """:func:`internal_urls`, computed."""
    found: list[InternalUrl] = []
    pos = 0
    for _ in range(MAX_URLS):
        fragment = _URL.search(text[pos:])
        if fragment is None:
            break
        start = text.find(fragment, pos)
        pos = start + len(fragment)
        url = fragment.lstrip("=&;:\"'(,[{ \n")
        kind = host_kind(url[url.find("://") + 3 :])
        if kind is not None:
            name = _parameter_name(text, start)
            browser = name in _REDIRECT_NAMES or _page_url_parameter(path, name)
            found.append((kind, url, browser))
    return tuple(found)


class _SsrfRule(Rule):
    """A URL to a host of :attr:`kind` in the query (see the module docstring)."""

    kind: ClassVar[HostKind]
    categories = ("file-inclusion",)
    logs = ACCESS
    triggers = {"query": "://"}

    def passes_over(self, event: Event, redirect: bool) -> bool:
        """Whether a URL of this kind is passed over (the metadata rule passes over none)."""
        return False

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first URL of :attr:`kind` in the query that is not passed over."""
        text = view.lower("query")
        if not text:
            return None
        for kind, url, redirect in internal_urls(text, view.lower("path")):
            if kind == self.kind and not self.passes_over(event, redirect):
                return RuleMatch("query", url)
        return None


class SsrfCloudMetadata(_SsrfRule):
    """A URL to a cloud instance-metadata service: the instance's credentials are one request
    away (``/latest/meta-data/iam/security-credentials/``)."""

    id = "ssrf-cloud-metadata"
    kind = "metadata"
    severity = Severity.HIGH
    description = "URL to a cloud metadata service (169.254.169.254, metadata.google.internal)"
    must_match = (
        AccessSample(target="/fetch?url=http://169.254.169.254/latest/meta-data/iam/"),
        AccessSample(target="/fetch?url=http://[::ffff:a9fe:a9fe]/latest/meta-data/"),
        AccessSample(target="/fetch?url=http://2852039166/latest/meta-data/"),
        AccessSample(target="/fetch?url=http://0xa9fea9fe/latest/meta-data/"),
        AccessSample(target="/fetch?u=http://0251.0376.0251.0376/latest/meta-data/"),
        AccessSample(target="/fetch?url=http://[fd00:ec2::254]/latest/meta-data/"),
        AccessSample(
            target="/f?url=http%3A%2F%2Fmetadata.google.internal%2FcomputeMetadata%2Fv1%2F"
        ),
        AccessSample(target="/fetch?url=http://100.100.100.200/latest/meta-data/"),
        AccessSample(target="/api?cfg={%22src%22:%22http://169.254.169.254/%22}"),
        AccessSample(target="/login?redirect_uri=http://169.254.169.254/latest/"),
        AccessSample(target="/img?src=http://169.254.169.254.nip.io/latest/meta-data/"),
        AccessSample(target="/matomo.php?idsite=1&rec=1&url=http://169.254.169.254/latest/"),
    )
    must_not_match = (
        AccessSample(target="/fetch?url=https://example.com/"),
        AccessSample(target="/fetch?url=http://169.254.169.254.example.com/"),
        AccessSample(target="/docs?q=169.254.169.254+metadata+service"),
        AccessSample(target="/fetch?url=http://2852039166.example.net/"),
        AccessSample(target="/fetch?url=http://203.0.113.254/"),
    )


class SsrfLoopback(_SsrfRule):
    """A URL to the server itself (``127.0.0.1:6379``, ``localhost:8500``, ``0``): the services
    that listen on loopback trust whoever reaches them."""

    id = "ssrf-loopback"
    kind = "loopback"
    severity = Severity.MEDIUM
    description = "URL to the server itself (127.0.0.1, localhost, 0, [::1]) in a parameter"
    must_match = (
        AccessSample(target="/fetch?url=http://127.0.0.1:8080/manager/html"),
        AccessSample(target="/proxy.php?url=http://127.0.0.1:6379/"),
        AccessSample(target="/image?src=http://[0:0:0:0:0:ffff:127.0.0.1]:2375/containers/json"),
        AccessSample(target="/fetch?url=http://localhost:8500/v1/agent/self"),
        AccessSample(target="/fetch?u=http://0/server-status"),
        AccessSample(target="/fetch?u=http://017700000001/"),
        AccessSample(target="/fetch?u=http://user@[::1]:9200/_cat/indices"),
        AccessSample(target="/hook?webhook_callback=http://127.0.0.1:2375/containers/json"),
        AccessSample(target="/fetch?u=http://127.0.0.1:4000/"),
        AccessSample(target="/matomo.php?idsite=1&img=http://127.0.0.1:2375/"),
    )
    must_not_match = (
        AccessSample(target="/oauth/authorize?client_id=x&redirect_uri=http://127.0.0.1:8400/cb"),
        AccessSample(target="/login?redirect=http://localhost:3000/callback"),
        AccessSample(target="/fetch?url=http://localhost:8500/", client_ip="127.0.0.1"),
        AccessSample(target="/fetch?url=https://localhost.example.com/"),
        AccessSample(target="/search?q=localhost:8080+not+working"),
        AccessSample(target="/matomo.php?idsite=1&rec=1&url=http%3A%2F%2Flocalhost%3A3000%2Fabout"),
        AccessSample(target="/collect?v=1&dl=http%3A%2F%2Flocalhost%3A8080%2F"),
        AccessSample(target="/plausible/api/event?u=http://127.0.0.1:4000/"),
        AccessSample(target="/api?cfg={%22redirect_uri%22:%22http://127.0.0.1/cb%22}"),
    )

    def passes_over(self, event: Event, redirect: bool) -> bool:
        """A redirect's or a beacon's page URL, and any sent from the host itself."""
        client = event.client_ip
        return redirect or client in _HOST_ITSELF or client.startswith("127.")


class SsrfPrivateNetwork(_SsrfRule):
    """A URL to a private address (RFC 1918, CGNAT, unique-local), from outside that network."""

    id = "ssrf-private-network"
    kind = "private"
    severity = Severity.LOW
    description = "URL to a private network address (10/8, 172.16/12, 192.168/16) in a parameter"
    must_match = (
        AccessSample(target="/fetch?url=http://10.0.0.5:8080/admin"),
        AccessSample(target="/fetch?url=http://0xc0a80001/"),
        AccessSample(target="/fetch?url=http://[fd12:3456::1]/"),
        AccessSample(target="/api/event?callback_host=http://10.0.0.5/"),
    )
    must_not_match = (
        AccessSample(target="/fetch?url=http://10.0.0.5/report", client_ip="10.1.2.3"),
        AccessSample(target="/login?return_to=http://192.168.1.10/app"),
        AccessSample(target="/fetch?url=http://172.32.0.1/"),
        AccessSample(target="/piwik.php?idsite=1&rec=1&urlref=http://192.168.1.5/"),
    )

    def passes_over(self, event: Event, redirect: bool) -> bool:
        """A redirect's or a beacon's page URL, and any sent from the local network."""
        return redirect or is_local_client(event.client_ip)


_HOST_ITSELF: Final = frozenset({"::1", "localhost"})
