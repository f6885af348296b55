"""The three SSRF rules read a line's query once between them, with the verdicts each gave
when it parsed the query on its own."""

from __future__ import annotations

import pytest

from lwsyslog.normalize import EventView
from lwsyslog.rules import AccessSample, Sample, ssrf
from lwsyslog.rules.ssrf import SsrfCloudMetadata, SsrfLoopback, SsrfPrivateNetwork
from tests.unit.engines import builtin_engine

_RULES = (SsrfCloudMetadata(), SsrfLoopback(), SsrfPrivateNetwork())
# Every sample of the three rules, then the same queries under another path or client (a
# beacon's page URL only under the beacon's path, a loopback URL only from outside), in an
# order that leaves the other one's answer in the memo.
_SAMPLES: list[Sample] = [
    sample for rule in _RULES for sample in (*type(rule).must_match, *type(rule).must_not_match)
] + [
    AccessSample(target="/matomo.php?idsite=1&url=http://localhost:3000/"),
    AccessSample(target="/fetch?idsite=1&url=http://localhost:3000/"),
    AccessSample(target="/matomo.php?idsite=1&url=http://localhost:3000/"),
    AccessSample(target="/fetch?url=http://localhost:8500/", client_ip="127.0.0.1"),
    AccessSample(target="/fetch?url=http://localhost:8500/"),
    AccessSample(target="/fetch?url=http://10.0.0.5/", client_ip="10.1.2.3"),
    AccessSample(target="/fetch?url=http://10.0.0.5/"),
]


def _verdicts(sample: Sample) -> list[tuple[str, str] | None]:
    event = sample.to_event()
    view = EventView(event)
    return [
        None if (found := rule.evaluate(event, view)) is None else (found.field, found.fragment)
        for rule in _RULES
    ]


def test_the_rules_give_the_verdicts_they_gave_parsing_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remembered = [_verdicts(sample) for sample in _SAMPLES]
    # Each query parsed afresh for each rule, as before the memo.
    monkeypatch.setattr(ssrf, "internal_urls", ssrf._parse_urls)
    alone = [_verdicts(sample) for sample in _SAMPLES]
    assert remembered == alone
    assert any(v[0] for v in alone) and any(v[1] for v in alone) and any(v[2] for v in alone)
    # The same query under a beacon's path and another path reads differently.
    assert alone[-7][1] is None and alone[-6][1] is not None


def test_a_lines_query_is_parsed_once_for_the_three_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hosts: list[str] = []
    host_kind = ssrf.host_kind

    def counting(authority: str) -> ssrf.HostKind | None:
        hosts.append(authority)
        return host_kind(authority)

    monkeypatch.setattr(ssrf, "host_kind", counting)
    query = (
        "url=http://169.254.169.254/&b=http://127.0.0.1:6379/&c=http://10.0.0.5/&d=http://x.org/"
    )
    event = AccessSample(target=f"/fetch-once?{query}").to_event()
    fired = [finding.rule_id for finding in builtin_engine().detect(event)]
    assert {"ssrf-cloud-metadata", "ssrf-loopback", "ssrf-private-network"} <= set(fired)
    assert sorted(hosts) == ["10.0.0.5", "127.0.0.1:6379", "169.254.169.254", "x.org"]
