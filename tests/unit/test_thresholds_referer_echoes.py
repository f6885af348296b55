"""One search with an attack string, and the results page's assets that repeat it in their
Referer (the auditor's false alert): the search's own alert, not attack-repeat and
urgent-burst on top; attackers who send many payloads, one payload in many targets or a
Referer payload to many pages still raise them.

The lines go through the pipeline ``lwsyslog scan`` drives, with the built-in defaults.
"""

from __future__ import annotations

import pytest

from lwsyslog.events import AccessEvent, Origin
from lwsyslog.findings import Finding
from lwsyslog.severity import Severity
from lwsyslog.thresholds.echoes import ECHO_DEPTH, RefererEchoes, referer_target
from tests.unit.test_thresholds_ordinary_users import acc, rules_of

USER = "192.0.2.60"
ATTACKER = "203.0.113.61"
SEARCH = "/search?q=<script>alert(1)</script>"
ASSETS = ("/css/site.css", "/js/app.js", "/img/logo.png", "/img/hero.jpg", "/favicon.ico")


def results_page(client: str, second: float, target: str, site: str = "www.example.com") -> list:
    """A page answered 200, then its assets, each with the page's URL as its Referer."""
    referer = f"https://{site}{target}"
    return [
        acc(client, second, "GET", target, referer=f"https://{site}/"),
        *(acc(client, second + 1, "GET", asset, referer=referer) for asset in ASSETS),
    ]


def test_one_search_with_an_attack_string_is_one_alert_not_three() -> None:
    assert rules_of(results_page(USER, 0, SEARCH)) == ["xss-script-tag"]


def test_the_assets_without_the_search_line_count_once() -> None:
    """The search was logged elsewhere (another log, a cache): the assets alone."""
    lines = results_page(USER, 0, SEARCH)[1:]
    assert not {"attack-repeat", "urgent-burst"} & set(rules_of(lines))


def test_two_such_searches_with_their_pages_are_two_events_not_twelve() -> None:
    lines = results_page(USER, 0, SEARCH)
    lines += results_page(USER, 30, "/search?q=%22%3E%3Cscript%3Ealert(2)%3C/script%3E")
    assert not {"attack-repeat", "urgent-burst"} & set(rules_of(lines))


def test_the_same_search_again_after_the_window_is_still_one_event_per_page() -> None:
    lines = results_page(USER, 0, SEARCH) + results_page(USER, 200, SEARCH)
    assert not {"attack-repeat", "urgent-burst"} & set(rules_of(lines))


ATTACKS: dict[str, list[str]] = {
    "three different payloads in targets": [
        acc(ATTACKER, n, "GET", f"/search?q=<script>alert({n})</script>") for n in range(3)
    ],
    "one payload in three targets": [
        acc(ATTACKER, n, "GET", f"{path}?q=<script>alert(1)</script>")
        for n, path in enumerate(("/search", "/news", "/shop"))
    ],
    "one request sent three times": [acc(ATTACKER, n, "GET", SEARCH) for n in range(3)],
    "one Referer payload sent to three pages": [
        acc(ATTACKER, n, "GET", path, referer="https://evil.example/?q=<script>alert(1)</script>")
        for n, path in enumerate(("/", "/news", "/shop"))
    ],
    "Shellshock in the Referer of three CGI scripts": [
        acc(ATTACKER, n, "GET", f"/cgi-bin/{name}.cgi", referer="() { :;}; /bin/bash -c id")
        for n, name in enumerate(("status", "test", "printenv"))
    ],
    "three Referer payloads to static assets": [
        acc(ATTACKER, n, "GET", "/logo.png", referer=f"https://a.example/?q=<script>{n}</script>")
        for n in range(3)
    ],
    "a Referer whose host carries a payload, echoing a counted target": [
        acc(ATTACKER, 0, "GET", SEARCH),
        *(
            acc(ATTACKER, 1 + n, "GET", "/a.css", referer=f"https://<svg/onload={n}>{SEARCH}")
            for n in range(3)
        ),
    ],
}


@pytest.mark.parametrize("lines", ATTACKS.values(), ids=ATTACKS.keys())
def test_repeated_attacks_still_raise_attack_repeat(lines: list[str]) -> None:
    assert "attack-repeat" in rules_of(lines)


def test_an_attackers_search_and_pages_still_count_each_new_payload() -> None:
    """An attacker whose browser loads each results page: every new payload counts once."""
    lines = []
    for n in range(5):
        lines += results_page(ATTACKER, n * 5, f"/search?q=<script>alert({n})</script>")
    raised = rules_of(lines)
    assert "attack-repeat" in raised
    assert "urgent-burst" in raised


@pytest.mark.parametrize(
    ("referer", "path"),
    [
        ("https://www.example.com/search?q=1", "/search?q=1"),
        ("http://www.example.com:8080", "/"),
        ("https://[2001:db8::1]/a", "/a"),
        ("() { :;}; /bin/id", None),
        ("https://x<script>/search", None),
        ("ftp://www.example.com/a", None),
        ("//www.example.com/a", None),
        ("https:///a", None),
    ],
)
def test_which_referers_are_urls_of_a_plain_host(referer: str, path: str | None) -> None:
    assert referer_target(referer) == path


def _echo(client: str, when: float) -> tuple[AccessEvent, tuple[Finding, ...]]:
    event = AccessEvent(
        origin=Origin("access.log", 1),
        raw="",
        client_ip=client,
        time=when,
        method="GET",
        target="/a.css",
        referer=f"https://www.example.com{SEARCH}",
    )
    found = Finding(
        "xss-script-tag", ("xss",), Severity.HIGH, client, event.origin, "access", when,
        "referer", "<script",
    )  # fmt: skip
    return event, (found,)


def test_the_echo_table_is_bounded_and_counts_what_it_forgets() -> None:
    echoes = RefererEchoes(capacity=4, window_secs=120.0)
    for n in range(10):
        event, found = _echo(f"198.51.100.{n}", 1000.0)
        assert echoes.counts(f"198.51.100.{n}", event, found, static=True)
    assert echoes.evictions == 6
    assert len(echoes._digests) == 4 * ECHO_DEPTH
    # The newest client is held: its next echo is not counted; a forgotten one's counts again.
    assert not echoes.counts("198.51.100.9", *_echo("198.51.100.9", 1001.0), static=True)
    assert echoes.counts("198.51.100.0", *_echo("198.51.100.0", 1001.0), static=True)
