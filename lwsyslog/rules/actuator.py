"""Spring Boot actuator endpoints that leak secrets, read by someone outside the network.

``/actuator/heapdump`` hands out the JVM's memory (passwords, keys, session tokens in it),
``/actuator/env`` and ``/actuator/configprops`` the configuration, ``/actuator/jolokia`` and
``/actuator/gateway/routes`` lead to code execution. ``admin-probe-app-server`` reports a
request for them that failed; this rule reports the one that was answered (2xx): the endpoint
is exposed, to a client outside the local network (an administration tool such as Spring Boot
Admin reads them from inside it, :func:`~lwsyslog.rules.sensitive.is_local_client`).

The endpoint is read on the path as a servlet container maps it too (``servlet_path``:
``;parameters`` dropped, ``..;/`` resolved): ``/actuator;/env``, ``/;/actuator/heapdump`` and
``/actuator/heapdump;.css`` get past a proxy rule or a security filter that matches the path
as sent, and reach the endpoint. Such a spelling is reported whatever the answer and the client;
a ``;`` elsewhere (``/page;jsessionid=AB``, ``/app;jsessionid=AB/actuator/health``) is not, unless
the servlet path names a sensitive endpoint. A ``;jsessionid=...`` that ends the path
(``/actuator/env;jsessionid=AB12``) is the session id a Java application appends to its links,
not a spelling, when the request failed: it counts only when the endpoint answered.

The endpoint's name ends its segment (the path ends, or ``/`` or ``;`` follows, or ``?`` / ``#``
in a path logged with them): Spring's reference pages (``/api/rest/actuator/env.html``) are
documentation, not the endpoint (Spring Boot 2 and later map no ``.json``-style suffix either).
"""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.rules.sensitive import is_local_client
from lwsyslog.severity import Severity

__all__ = ["SensitiveActuatorEndpoint"]

_ENDPOINT = linear_search(
    Regex(
        r"(?:^|/)actuator/(?:env|heapdump|threaddump|jolokia|configprops|mappings|gateway/routes"
        r"|logfile|trace|httptrace|beans|loggers|sessions|shutdown)(?:$|[/;?#])"
    )
)


class SensitiveActuatorEndpoint(Rule):
    """An actuator endpoint answered to a remote client, or asked for in a servlet spelling."""

    id = "sensitive-actuator-endpoint"
    categories = ("sensitive-file",)
    severity = Severity.HIGH
    description = "Spring Boot actuator endpoint (/actuator/heapdump, /env) exposed or bypassed"
    logs = ACCESS
    triggers = {"path": "actuator"}
    must_match = (
        AccessSample(target="/actuator/heapdump", status=200),
        AccessSample(target="/actuator;/env", status=404),
        AccessSample(target="/;/actuator/heapdump", status=200),
        AccessSample(target="/actuator/heapdump;.css", status=200),
        AccessSample(target="/app/..;/actuator/env", status=403),
        AccessSample(target="/actuator/env/spring.datasource.password", status=200),
        AccessSample(target="/api/actuator/gateway/routes", status=200),
        AccessSample(target="/app;jsessionid=AB12/actuator/env", status=404),
        AccessSample(target="/actuator/env#x", status=200),
        AccessSample(target="/actuator/env;jsessionid=AB12", status=200),
        AccessSample(target="/actuator/heapdump;.css;jsessionid=AB12", status=404),
        AccessSample(target="/;/actuator/heapdump;jsessionid=AB12", status=404),
        AccessSample(target="/actuator;jsessionid=AB12/env", status=404),
        AccessSample(target="/actuator/env;sessionid=AB12", status=404),
        AccessSample(target="/actuator/env;jsessionid=AB12/", status=404),
    )
    must_not_match = (
        AccessSample(target="/actuator/heapdump", status=404),
        AccessSample(target="/actuator/env", status=200, client_ip="10.0.4.20"),
        AccessSample(target="/actuator/health", status=200),
        AccessSample(target="/actuator/prometheus;jsessionid=ab12", status=200),
        AccessSample(target="/docs/actuator/environment.html", status=200),
        AccessSample(target="/search?q=actuator/heapdump", status=200),
        AccessSample(target="/spring-boot/api/rest/actuator/env.html", status=200),
        AccessSample(target="/spring-boot/api/rest/actuator/heapdump.html", status=200),
        AccessSample(target="/app;jsessionid=AB12/actuator/health", status=404),
        AccessSample(target="/page;jsessionid=AB12", status=404),
        AccessSample(target="/actuator/env;jsessionid=AB12", status=404),
        AccessSample(target="/actuator/heapdump;JSESSIONID=ab12", status=403),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """An endpoint in the servlet path (any answer), else in the path, answered 2xx to a
        client outside the local network."""
        status = getattr(event, "status", None)
        answered = status is not None and 200 <= status < 300
        raw = view.raw("path")
        # Without a ";" the servlet path is the path (not worth the work of mapping it).
        if ";" in raw and (answered or not _only_trailing_session_id(raw)):
            servlet = view.lower("servlet_path")
            fragment = _ENDPOINT.search(servlet) if servlet else None
            if fragment is not None:
                return RuleMatch("path", fragment)
        if not answered or is_local_client(event.client_ip):
            return None
        fragment = _ENDPOINT.search(view.lower("path"))
        return None if fragment is None else RuleMatch("path", fragment)


def _only_trailing_session_id(path: str) -> bool:
    """Whether the one ``;`` of ``path`` starts a ``jsessionid`` parameter that ends it."""
    semicolon = path.find(";")
    return (
        path.find(";", semicolon + 1) < 0
        and "/" not in path[semicolon:]
        and path[semicolon + 1 : semicolon + 12].lower() == "jsessionid="
    )
