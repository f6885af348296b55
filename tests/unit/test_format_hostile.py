"""Hostile lines for the new kinds: 8 KB runs of each format's metacharacters never raise, are
read in bounded (linear) time and end as an event or a counted ``Unparsed``."""

from __future__ import annotations

import time

import pytest

from lwsyslog.events import AccessEvent, ErrorEvent, Origin, Unparsed
from lwsyslog.formats import LineParser

RUN = 8 * 1024
NGINX = "2026/12/05 10:00:00 [error] 1#1: *1 "
IIS = "2026-12-05 10:00:00 "
SERVER = ", server: www"
# Generous: a backtracking blow-up on 8 KB takes seconds to hours; linear work takes < 5 ms.
LIMIT_SECS = 0.25

HOSTILE = {
    # nginx error log: quotes, backslashes, client markers, request-field markers.
    "nginx-quotes": NGINX + '"' * RUN,
    "nginx-backslashes": NGINX + "\\" * RUN + ", client: 192.0.2.1" + SERVER,
    "nginx-client-markers": NGINX + ", client: " * (RUN // 10) + "192.0.2.1" + SERVER,
    "nginx-many-candidates": NGINX + ", client: 192.0.2.1, server: " * (RUN // 30),
    "nginx-field-markers": NGINX + "x, client: 192.0.2.1, server: w" + ', request: "' * (RUN // 12),
    "nginx-end-markers": NGINX
    + 'x, client: 192.0.2.1, server: w, request: "'
    + '", host: "' * (RUN // 10),
    "nginx-spaces": NGINX + " " * RUN,
    # JSON: braces, brackets, quotes, backslashes, \u and \x escapes, spaces.
    "json-braces": "{" * RUN + "}" * RUN,
    "json-brackets": '{"a":' + "[" * RUN + "]" * RUN + "}",
    "json-quotes": "{" + '"' * RUN + "}",
    "json-escaped-quotes": '{"request":"' + '\\"' * (RUN // 2) + '"}',
    "json-backslashes": '{"request":"' + "\\" * RUN + '"}',
    "json-u-escapes": '{"http_user_agent":"' + "\\u0041" * (RUN // 6) + '"}',
    "json-bad-u-escapes": '{"a":"' + "\\u00" * (RUN // 4) + '"}',
    "json-x-escapes": '{"http_user_agent":"' + "\\x41" * (RUN // 4) + '"}',
    "json-bare-x": '{"a":"' + "\\x" * (RUN // 2) + '"}',
    "json-spaces": '{"status":' + " " * RUN + "200}",
    "json-colons": "{" + '"":' * (RUN // 3) + "1}",
    # IIS: spaces, pluses, dashes, directives.
    "iis-spaces": IIS + " " * RUN,
    "iis-pluses": IIS + "+" * RUN,
    "iis-dashes": IIS + "- " * (RUN // 2),
    "iis-fields-directive": "#Fields: " + "cs(x) " * (RUN // 6),
    "iis-long-directive": "#Remark:" + "#" * RUN,
    "iis-parens": "#Fields: " + "(" * RUN,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_line_is_read_quickly_and_never_raises(text: str) -> None:
    parser = LineParser()
    start = time.perf_counter()
    event = parser.parse(text, Origin("hostile.log", 1))
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT_SECS, f"{elapsed:.3f}s"
    assert parser.internal_errors == 0
    assert isinstance(event, AccessEvent | ErrorEvent | Unparsed)


@pytest.mark.parametrize("name", ["nginx-many-candidates", "json-escaped-quotes", "iis-spaces"])
def test_cost_grows_linearly_with_the_run(name: str) -> None:
    """Eight times the run costs far less than 64 times (quadratic) as much."""
    text = HOSTILE[name]
    prefix_len = 40
    big = text[:prefix_len] + text[prefix_len:-20] * 8 + text[-20:]

    def best(line: str) -> float:
        times = []
        for _ in range(5):
            parser = LineParser()
            start = time.perf_counter()
            parser.parse(line, Origin("hostile.log", 1))
            times.append(time.perf_counter() - start)
        return min(times)

    small_secs, big_secs = best(text), best(big)
    assert big_secs < max(small_secs, 1e-4) * 30, (small_secs, big_secs)


def test_planted_markers_never_become_the_client() -> None:
    parser = LineParser()
    candidates = parser.parse(HOSTILE["nginx-many-candidates"], Origin("h", 1))
    assert isinstance(candidates, ErrorEvent) and candidates.client_ip == "192.0.2.1"
    mixed = NGINX + 'open() "/a, client: 6.6.6.6, server: x" failed, client: 192.0.2.1' + SERVER
    event = parser.parse(mixed, Origin("h", 2))
    assert isinstance(event, ErrorEvent) and event.client_ip == ""


def test_json_with_a_planted_client_key_in_a_value() -> None:
    line = '{"remote_addr":"192.0.2.1","http_referer":"\\",\\"remote_addr\\":\\"6.6.6.6"}'
    event = LineParser().parse(line, Origin("h", 1))
    assert isinstance(event, AccessEvent) and event.client_ip == "192.0.2.1"
    assert event.referer == '","remote_addr":"6.6.6.6'
