"""Attack classes the third evasion audit found no rule for (SSRF, NoSQL operator injection,
serialized objects, exposed Spring Boot actuators), each as a whole log line through the
pipeline, and the benign shapes closest to them, which must stay quiet."""

from __future__ import annotations

import pytest

from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity

_HEAD = "203.0.113.7 - - [10/Oct/2024:13:55:36 +0000]"


def _line(target: str, status: int = 200, client: str = "203.0.113.7") -> str:
    head = _HEAD.replace("203.0.113.7", client, 1)
    line = f'{head} "GET {target} HTTP/1.1" {status} 512 "-" "Mozilla/5.0"'
    return line


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config([]))


ATTACKS = [
    # SSRF: the metadata service in every spelling of its address, and the server itself.
    ("/fetch?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/", "ssrf"),
    ("/fetch?url=http://[::ffff:a9fe:a9fe]/latest/meta-data/", "ssrf"),
    ("/fetch?url=http://2852039166/latest/meta-data/", "ssrf"),
    ("/fetch?url=http://0xa9fea9fe/latest/meta-data/", "ssrf"),
    ("/fetch?u=http://0251.0376.0251.0376/latest/meta-data/", "ssrf"),
    ("/fetch?url=http://[fd00:ec2::254]/latest/meta-data/", "ssrf"),
    ("/fetch?url=http://metadata.google.internal/computeMetadata/v1/", "ssrf"),
    ("/fetch?url=http://100.100.100.200/latest/meta-data/", "ssrf"),
    ("/fetch?u=http://0/server-status", "ssrf"),
    ("/proxy.php?url=http://127.0.0.1:6379/", "ssrf"),
    ("/image?src=http://[0:0:0:0:0:ffff:127.0.0.1]:2375/containers/json", "ssrf"),
    ("/fetch?url=http://localhost:8500/v1/agent/self", "ssrf"),
    ("/fetch?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F", "ssrf"),
    # NoSQL operator injection (MongoDB), filed under sqli.
    ("/login?user[$ne]=x&pass[$ne]=x", "sqli"),
    ("/login?user%5B%24ne%5D=admin&pass%5B%24gt%5D=", "sqli"),
    ("/login?user=admin&pass[$regex]=^a", "sqli"),
    ("/api?q={%22$where%22:%22this.a==1%22}", "sqli"),
    ("/api?filter_by={%22user%22:{%22$ne%22:null}}", "sqli"),
    # Serialized objects: Java, PHP (plain and base64), .NET BinaryFormatter.
    ("/app?state=rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTaMLT7P4Kx", "code-injection"),
    ("/app?s=aced0005737200176a6176612e7574696c2e5072696f", "code-injection"),
    ("/index.php?data=O:8:%22stdClass%22:1:{s:1:%22a%22;s:1:%22b%22;}", "code-injection"),
    ("/index.php?data=Tzo4OiJzdGRDbGFzcyI6MDp7fQ==", "code-injection"),
    ("/api?v=AAEAAAD/////AQAAAAAAAAAMAgAAAF5NaWNyb3NvZnQ=", "code-injection"),
    # Spring Boot actuators answered, and the servlet spellings that slip past filters.
    ("/actuator/heapdump", "sensitive-file"),
    ("/;/actuator/heapdump", "sensitive-file"),
    ("/actuator/heapdump;.css", "sensitive-file"),
    # A redirect parameter's exemption takes its whole name: the server calls a webhook.
    ("/hook?webhook_callback=http://127.0.0.1:2375/containers/json", "ssrf"),
    ("/fetch?u=http://127.0.0.1:4000/", "ssrf"),
    ("/matomo.php?idsite=1&rec=1&url=http://169.254.169.254/latest/meta-data/", "ssrf"),
    # An operator in a name, or a script operator, even in a query-document parameter.
    ("/search?q[$ne]=x", "sqli"),
    ("/api/items?q={%22$where%22:%22sleep(5000)%22}", "sqli"),
    ("/api/items?q={%22a%22:1}&user={%22$ne%22:null}", "sqli"),
]

ACTUATOR_404 = ["/actuator;/env", "/;/actuator/heapdump", "/app;jsessionid=ABC/actuator/env"]

NEAR_MISSES = [
    ("/fetch?url=https://example.com/", "ssrf"),
    ("/login?redirect=http://localhost:3000/callback", "ssrf"),
    ("/oauth/authorize?client_id=cli&redirect_uri=http://127.0.0.1:8400/cb", "ssrf"),
    ("/fetch?url=http://169.254.169.254.example.com/", "ssrf"),
    ("/docs?q=169.254.169.254+metadata", "ssrf"),
    ("/shop?price[$]=10", "sqli"),
    ("/search?q=$ne", "sqli"),
    ("/search?q=price+$gt+5+dollars", "sqli"),
    ("/api/articles?filters[title][$eq]=hello", "sqli"),
    ("/parse/classes/Score?where={%22score%22:{%22$gte%22:1000}}", "sqli"),
    ("/index.php?prefs=a:2:{i:0;s:1:%22a%22;i:1;s:1:%22b%22;}", "code-injection"),
    ("/index.php?d=YToyOntpOjA7czoxOiJhIjtpOjE7czoxOiJiIjt9", "code-injection"),
    ("/search?q=rO0AB+magic+bytes+explained+here", "code-injection"),
    ("/actuator/health", "sensitive-file"),
    ("/docs/actuator/environment.html", "sensitive-file"),
    # Spring's reference pages, and a ";" that puts no sensitive endpoint in the servlet path.
    ("/spring-boot/api/rest/actuator/env.html", "sensitive-file"),
    ("/spring-boot/api/rest/actuator/heapdump.html", "sensitive-file"),
    ("/app;jsessionid=ABC/actuator/health", "sensitive-file"),
    ("/page;jsessionid=ABC", "sensitive-file"),
    # Analytics beacons carry the page's URL: localhost on a developer's machine.
    ("/matomo.php?idsite=1&rec=1&url=http%3A%2F%2Flocalhost%3A3000%2Fabout", "ssrf"),
    ("/piwik.php?idsite=1&rec=1&urlref=http://192.168.1.5/", "ssrf"),
    ("/collect?v=1&dl=http%3A%2F%2Flocalhost%3A8080%2F", "ssrf"),
    ("/g/collect?v=2&dr=http://localhost:5173/", "ssrf"),
    ("/plausible/api/event?u=http://127.0.0.1:4000/", "ssrf"),
    # A search API's whole query document in q/query/search/sort.
    ("/api/items?q={%22$text%22:{%22$search%22:%22coffee%22}}", "sqli"),
    ("/api/items?query={%22tags%22:{%22$in%22:[%22a%22]}}", "sqli"),
]


def _categories(pipeline: Pipeline, line: str) -> dict[str, Severity]:
    """The categories of the line's findings, at their gravest; the SSRF rules' findings also
    as "ssrf" (filed under file-inclusion until the taxonomy agrees an id of their own)."""
    result = pipeline.process(line, Origin("new-classes", 1))
    found: dict[str, Severity] = {}
    for finding in result.findings:
        ssrf = ("ssrf",) if finding.rule_id.startswith("ssrf-") else ()
        for category in (*finding.categories, *ssrf):
            if category not in found or finding.severity.rank > found[category].rank:
                found[category] = finding.severity
    return found


@pytest.mark.parametrize(("target", "category"), ATTACKS, ids=[a[0][:60] for a in ATTACKS])
def test_an_attack_of_a_new_class_is_found_in_its_category(
    pipeline: Pipeline, target: str, category: str
) -> None:
    assert category in _categories(pipeline, _line(target))


@pytest.mark.parametrize("target", ACTUATOR_404)
def test_a_servlet_spelling_of_an_actuator_is_found_whatever_the_answer(
    pipeline: Pipeline, target: str
) -> None:
    result = pipeline.process(_line(target, status=404), Origin("new-classes", 1))
    assert "sensitive-actuator-endpoint" in {f.rule_id for f in result.findings}


@pytest.mark.parametrize(("target", "category"), NEAR_MISSES, ids=[n[0][:60] for n in NEAR_MISSES])
def test_a_benign_shape_next_to_a_new_class_stays_quiet(
    pipeline: Pipeline, target: str, category: str
) -> None:
    assert category not in _categories(pipeline, _line(target))


def test_an_answered_metadata_url_is_critical_and_a_loopback_one_less(pipeline: Pipeline) -> None:
    metadata = _categories(pipeline, _line("/fetch?url=http://169.254.169.254/latest/"))
    refused = _categories(pipeline, _line("/fetch?url=http://169.254.169.254/latest/", 400))
    loopback = _categories(pipeline, _line("/fetch?url=http://127.0.0.1:6379/", 400))
    private = _categories(pipeline, _line("/fetch?url=http://10.0.0.5/", 400))
    assert metadata["ssrf"] is Severity.CRITICAL
    assert refused["ssrf"] is Severity.HIGH
    assert loopback["ssrf"] is Severity.MEDIUM
    assert private["ssrf"] is Severity.LOW


def test_a_metadata_url_counts_even_as_a_redirect_parameter(pipeline: Pipeline) -> None:
    assert "ssrf" in _categories(pipeline, _line("/login?redirect_uri=http://169.254.169.254/"))


def test_an_actuator_read_from_the_local_network_is_no_finding(pipeline: Pipeline) -> None:
    line = _line("/actuator/heapdump", client="10.0.4.20")
    assert "sensitive-file" not in _categories(pipeline, line)


def test_a_loopback_url_sent_from_the_host_itself_is_no_finding(pipeline: Pipeline) -> None:
    line = _line("/fetch?url=http://localhost:8500/", client="127.0.0.1")
    assert "ssrf" not in _categories(pipeline, line)
