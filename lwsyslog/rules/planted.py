"""``webshell-planted-fetch``: a client asks for the script its own attack just planted.

An exploit that writes a file is followed by the request that runs it: Tomcat's ``PUT
/x.jsp/`` (CVE-2017-12615) by ``GET /x.jsp?cmd=id``, Confluence's upload with
``filename=../../pages/x.jsp`` (CVE-2019-3398) by ``GET /pages/x.jsp``. That second request
names nothing of the product and often carries no payload, so no rule of one line sees it.
This rule remembers, per client, the script names its attack lines planted and flags the
client's later request for one of them, as ``webshell`` with the CVEs of the attack that
planted it (and ``known-exploit`` when that attack was one).

A line plants a name when it has a finding of another rule at medium or above and it is a
``PUT`` whose path names a server-side script (``.jsp``, ``.php``, ``.aspx``...), or a
``POST`` with a query value that does (an upload's file name). A WebDAV client publishing its
own pages (a ``PUT`` no rule flags) plants nothing, and neither does a ``GET`` asking to read
a script (``?file=../index.php``): reading is not writing. The follow-up is any later request
of the same client but a ``PUT``, whose path names the same file, within ``window_secs``
(default 3600). Names compare without case and without what Tomcat and Windows drop when
they write the file: a trailing ``/``, ``::$DATA``, dots and spaces, a NUL byte and what
follows, a ``;parameter``.

Bounded whatever the input: per client the last :data:`DEPTH` names as 64-bit digests (never
the names) with their time, CVEs and the planting rule's categories (tuples the rules own),
for at most ``capacity`` clients; a full table forgets its oldest client, which can only lose
a follow-up, never make one.
"""

from __future__ import annotations

import time as _time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

from lwsyslog.bounded import drop_oldest
from lwsyslog.checks import Checker, seconds
from lwsyslog.detection.interface import RuleInfo
from lwsyslog.events import AccessEvent, Event
from lwsyslog.findings import Finding
from lwsyslog.percent import percent_decoded
from lwsyslog.severity import Severity
from lwsyslog.thresholds.keys import client_key

__all__ = [
    "DEPTH",
    "PLANTED_FETCH",
    "PlantedScripts",
    "planted_names",
    "planted_rule_info",
    "script_name",
]

#: The rule id of the finding.
PLANTED_FETCH: Final = "webshell-planted-fetch"
DESCRIPTION: Final = "a request for the script the same client's attack just planted"
#: Names remembered per client: an exploit plants one or two; an attacker's own fill it.
DEPTH: Final = 4
#: Clients remembered: each holds at most DEPTH small records.
CAPACITY: Final = 4096
DEFAULT_WINDOW_SECS: Final = 3600.0
#: Query values read per planting line (an upload names its file in the first few).
_MAX_VALUES: Final = 32
#: Longer file names are none a file system takes (255 bytes on Linux and NTFS).
_MAX_NAME: Final = 255
#: A follow-up stamped up to this long before the planting line still counts (Apache stamps
#: the time a request began; two requests of one client can end in either order).
_EARLY_SECS: Final = 60.0
_MIN_SEVERITY: Final = Severity.MEDIUM.rank
#: File extensions a web server runs rather than serves.
SCRIPT_EXTENSIONS: Final = frozenset(
    {
        "jsp", "jspx", "jspf", "jsw", "jsv",
        "php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht",
        "asp", "aspx", "ashx", "asmx", "asa", "cer", "cdx", "cfm", "cfml", "cfc",
        "cgi", "pl", "py", "rb", "sh", "shtml", "stm",
    }
)  # fmt: skip
OPTIONS: Final[dict[str, Checker]] = {"window_secs": seconds(1)}


class _Planted(NamedTuple):
    digest: int
    time: float
    categories: tuple[str, ...]
    cves: tuple[str, ...]


def planted_rule_info() -> RuleInfo:
    """``webshell-planted-fetch`` as ``lwsyslog rules`` lists it."""
    return RuleInfo(
        id=PLANTED_FETCH,
        kind="event",
        severity=Severity.HIGH,
        categories=("webshell", "known-exploit"),
        description=DESCRIPTION,
        logs=frozenset({"access"}),
        options=OPTIONS,
    )


def script_name(text: str) -> str | None:
    """The lower-cased file name ``text`` (a path, percent-encoded or not) ends in, as the
    server writes it, when it is a server-side script's; else ``None``."""
    # lwsyslog's own decoder: linear and fast on a flood of escapes, where urllib's unquote
    # takes half a millisecond on 8 KB of %2F.
    if "%" in text:
        text = percent_decoded(text)
    text = text.replace("\\", "/")
    text = text.partition("\x00")[0]
    name = text.rstrip("/").rpartition("/")[2].partition(";")[0].lower()
    if name.endswith("::$data"):
        name = name[: -len("::$data")]
    name = name.rstrip(". ")
    if not name or len(name) > _MAX_NAME:
        return None
    extension = name.rpartition(".")[2]
    return name if "." in name and extension in SCRIPT_EXTENSIONS else None


def planted_names(event: AccessEvent) -> list[str]:
    """The script names ``event`` would write: a PUT's path, a POST's query values."""
    method = event.method
    if method == "PUT":
        name = script_name(event.path)
        return [name] if name else []
    if method != "POST":
        return []
    names: list[str] = []
    for pair in event.query.split("&", _MAX_VALUES)[:_MAX_VALUES]:
        name = script_name(pair.partition("=")[2].replace("+", " "))
        if name and name not in names:
            names.append(name)
            if len(names) == DEPTH:
                break
    return names


class PlantedScripts:
    """The per-client memory of planted script names, and the rule's verdicts (module doc)."""

    def __init__(
        self,
        severity: Severity = Severity.HIGH,
        window_secs: float = DEFAULT_WINDOW_SECS,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = _time.time,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.severity = severity
        self.window_secs = window_secs
        self.capacity = capacity
        #: Clients forgotten to stay within ``capacity``.
        self.evictions = 0
        self._clock = clock
        #: Whether a name planted within the window is remembered (else no line can be a
        #: follow-up, and a line without findings need not be shown to the rule at all).
        self.armed = False
        # Order is age: a client that plants again moves to the end. An OrderedDict, so the
        # oldest goes in O(1) (lwsyslog.bounded: a plain dict's first key is O(size) to find).
        self._clients: OrderedDict[str, list[_Planted]] = OrderedDict()
        # Log time after which every remembered name is out of the window.
        self._until = float("-inf")

    def __len__(self) -> int:
        return len(self._clients)

    def observe(self, event: Event, findings: list[Finding]) -> list[Finding]:
        """``findings`` of ``event``, with this rule's when ``event`` is a follow-up; remembers
        what ``event`` plants when ``findings`` make it an attack."""
        if not isinstance(event, AccessEvent) or not event.client_ip:
            return findings
        now = event.time if event.time is not None else self._clock()
        key = client_key(event.client_ip)
        if self.armed:
            if now > self._until:
                # Every name is out of the window: forget them all, lines stop coming here.
                self._clients.clear()
                self.armed = False
            elif event.method != "PUT":
                records = self._clients.get(key)
                if records:
                    found = self._follow_up(event, records, now)
                    if found is not None:
                        findings = [*findings, found]
        if findings:
            self._remember(key, event, findings, now)
        return findings

    def _follow_up(
        self, event: AccessEvent, records: Sequence[_Planted], now: float
    ) -> Finding | None:
        name = script_name(event.path)
        if name is None:
            return None
        digest = hash(name)
        for record in records:
            if record.digest == digest and (
                record.time - _EARLY_SECS <= now <= record.time + self.window_secs
            ):
                return Finding(
                    PLANTED_FETCH,
                    record.categories,
                    self.severity,
                    event.client_ip,
                    event.origin,
                    "access",
                    event.time,
                    "path",
                    name,
                    record.cves,
                )
        return None

    def _remember(
        self, key: str, event: AccessEvent, findings: Sequence[Finding], now: float
    ) -> None:
        attack = [
            f for f in findings if f.severity.rank >= _MIN_SEVERITY and f.rule_id != PLANTED_FETCH
        ]
        if not attack:
            return
        names = planted_names(event)
        if not names:
            return
        categories = (
            ("webshell", "known-exploit")
            if any("known-exploit" in f.categories for f in attack)
            else ("webshell",)
        )
        cves = tuple(sorted({cve for f in attack for cve in f.cves}))
        clients = self._clients
        records = clients.get(key)
        if records is None:
            records = clients[key] = []
            self.evictions += drop_oldest(clients, self.capacity)
        else:
            clients.move_to_end(key)
        records.extend(_Planted(hash(name), now, categories, cves) for name in names)
        del records[:-DEPTH]
        self._until = max(self._until, now + self.window_secs)
        self.armed = True
