"""The rule pack reads a request's path as the server behind Apache sees it: ``//`` merged,
``/./`` and ``seg/../`` resolved, an absolute target's scheme and host taken off, and (as
Tomcat and Jetty map it) each segment's ``;parameters`` dropped. Every pack rule's
``must_match`` samples, spelled in each of those ways, still raise the rule, whichever engine
scans the literals; its ``must_not_match`` samples stay quiet in every spelling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from lwsyslog.canonical import apache_path, servlet_path, traversal_path
from lwsyslog.config import load_config
from lwsyslog.detection.catalog import Detection, load_detection
from lwsyslog.events import AccessEvent, Origin
from lwsyslog.formats import LineParser
from lwsyslog.matching.scanner import engine_name
from lwsyslog.normalize import EventView
from lwsyslog.rulepack.pack import RulePack, builtin_dir
from lwsyslog.rulepack.schema import PackRule
from lwsyslog.rules import ALL_RULES, AccessSample

PACK = RulePack.load([builtin_dir()], reserved={cls.id for cls in ALL_RULES})
CONFIG = load_config([])
ENGINES = ["re", "hyperscan"] if engine_name() == "hyperscan" else ["re"]
DETECTIONS = {name: load_detection(CONFIG, engine=name) for name in ENGINES}


def _after_first_segment(insert: str) -> Callable[[str], str]:
    """A spelling that puts ``insert`` after the path's first segment (``/a/b`` is
    ``/a{insert}/b``); a path of one segment gets it before that segment (``/a/`` is not
    ``/a``), or at its end for a path parameter (``/a;x=1``)."""

    def spell(target: str) -> str:
        path, mark, query = target.partition("?")
        cut = path.find("/", 1)
        if cut < 0:
            cut = len(path) if insert.startswith(";") else 0
        return f"{path[:cut]}{insert}{path[cut:]}{mark}{query}"

    return spell


SPELLINGS: dict[str, Callable[[str], str]] = {
    "double-slash": _after_first_segment("/"),
    "dot-segment": _after_first_segment("/."),
    "dot-dot-segment": _after_first_segment("/x/.."),
    "leading-double-slash": lambda target: "/" + target,
    "absolute-uri": lambda target: "http://victim.example" + target,
    "path-parameter": _after_first_segment(";x=1"),
}

#: A must_not_match sample and spelling that matches, and why that is no loss.
EXCEPTIONS: dict[tuple[str, str, str], str] = {
    ("exploit-cgi-program-probe", "/cgi-bin/", "dot-segment"): (
        "'/cgi-bin/./' as logged reads as a program name '.' to the pattern, as it did before "
        "canonical forms (Apache serves /cgi-bin/): a 404 for it is a probe anyway"
    ),
}


def _reads_the_path(rule: PackRule) -> bool:
    return bool({"path", "target"} & set(rule.fields))


def _as_served(sample: AccessSample, spelling: str) -> bool:
    """Whether the backend gets the sample's decoded path as it is, so that a spelling of it
    must still raise the rule.

    A path Apache rewrites (a ``..`` traversal, a ``/./``) is itself the spelling the exploit
    needs: spelled otherwise before it, Apache resolves the traversal and the backend gets no
    exploit. A path holding a ``;`` relies on how the server reads path parameters (the
    ``..;/`` and ``;.jsp`` bypasses, a command after ``;``): a parameter put in front changes
    the trick, not its spelling. Either sample as sent is still found (its raw text is
    searched, ``test_rulepack.py``)."""
    view = EventView(sample.to_event())
    if spelling == "path-parameter" and ";" in view.decoded("path"):
        return False
    return view.decoded("canonical_path") == ""


def _spelled(rule: PackRule, kind: str) -> list[tuple[str, AccessSample]]:
    """The rule's samples of ``kind`` (``match``: must_match) in each spelling they take."""
    samples = rule.must_match if kind == "match" else rule.must_not_match
    return [
        (spelling, replace(sample, target=spell(sample.target)))
        for sample in samples
        if sample.target.startswith("/")
        for spelling, spell in SPELLINGS.items()
        if (
            _as_served(sample, spelling)
            if kind == "match"
            # A "/x/.." before a path a rule must not match is a traversal of its own.
            else spelling != "dot-dot-segment"
            and (rule.id, sample.target, spelling) not in EXCEPTIONS
        )
    ]


def _fired(detection: Detection, sample: AccessSample) -> dict[str, str]:
    event = sample.to_event()
    return {f.rule_id: f.field for f in detection.detect(event, EventView(event))}


RULES = [rule for rule in PACK.rules if _reads_the_path(rule)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_a_pack_rule_fires_on_its_samples_as_the_backend_sees_them(
    rule: PackRule, engine: str
) -> None:
    missed, misnamed = [], []
    for spelling, sample in _spelled(rule, "match"):
        fired = _fired(DETECTIONS[engine], sample)
        if rule.id not in fired:
            missed.append((spelling, sample.target))
        elif fired[rule.id] not in rule.fields:
            # A match in a canonical form names the field the user sees.
            misnamed.append((spelling, sample.target, fired[rule.id]))
    assert missed == []
    assert misnamed == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_a_pack_rule_stays_quiet_on_its_must_not_match_samples_in_every_spelling(
    rule: PackRule,
) -> None:
    fired = [
        (spelling, sample.target)
        for spelling, sample in _spelled(rule, "no-match")
        if rule.id in _fired(DETECTIONS[ENGINES[-1]], sample)
    ]
    assert fired == []


# Requests sent through Apache 2.4 with ProxyPass: the backend got the canonical path of each,
# the log kept the request line as sent.
PROXIED = [
    ("POST", "/mgmt//tm/util/bash", "exploit-f5-icontrol-bash"),
    ("POST", "/mgmt/./tm/util/bash", "exploit-f5-icontrol-bash"),
    ("POST", "/template//aui/text-inline.vm", "exploit-confluence-template-injection"),
    ("POST", "/json/./setup-restore-local.action", "exploit-confluence-setup-restore"),
    (
        "GET",
        "/users//user-dark-features?featureKey=x&queryString=%5cu0027%2b%7b1%7d%2b%5cu0027",
        "exploit-confluence-webwork-ognl",
    ),
    (
        "POST",
        "/webtools//control/xmlrpc/?USERNAME&PASSWORD=s&requirePasswordChange=Y",
        "exploit-ofbiz-auth-bypass",
    ),
    ("POST", "/invoker//readonly", "exploit-jboss-invoker-readonly"),
    ("GET", "/app/./rest/users;.jsp", "exploit-teamcity-auth-bypass"),
    (
        "GET",
        "/php/./utils/createRemoteAppwebSession.php/watchTowr.js.map",
        "exploit-panos-management-auth-bypass",
    ),
    ("POST", "/api//setup/validate", "exploit-metabase-setup-validate"),
    ("POST", "/actuator/./gateway/refresh", "exploit-spring-cloud-gateway-routes"),
    ("POST", "http://victim.example/uploads/user", "exploit-gitlab-exiftool-upload"),
    ("POST", "/uploads//user", "exploit-gitlab-exiftool-upload"),
    ("POST", "/oam/./server/opensso/sessionservice", "exploit-oracle-access-manager-session"),
    ("POST", "/_ignition//execute-solution", "exploit-laravel-ignition-solution"),
    ("POST", "/_async/./AsyncResponseService", "exploit-weblogic-wls-wsat"),
    ("POST", "/ui//vropspluginui/rest/services/uploadova", "exploit-vcenter-vrops-upload"),
    ("POST", "/aspera//faspex/package_relay/relay_package", "exploit-aspera-faspex-relay-package"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("method", "target", "rule_id"), PROXIED, ids=[t for _, t, _ in PROXIED])
def test_an_exploit_sent_through_a_proxy_in_a_canonical_spelling_is_found(
    method: str, target: str, rule_id: str, engine: str
) -> None:
    line = (
        f'127.0.0.1 - - [07/Dec/2026:07:03:28 +0000] "{method} {target} HTTP/1.1" 200 37 '
        '"-" "Mozilla/5.0"'
    )
    event = LineParser("auto").parse(line, Origin("real2.log", 1))
    assert isinstance(event, AccessEvent)
    findings = DETECTIONS[engine].detect(event, EventView(event))
    assert rule_id in {f.rule_id for f in findings}
    explained = {
        e.verdict.rule_id: e.verdict for e in DETECTIONS[engine].explain(event, EventView(event))
    }
    assert explained[rule_id].matched
    assert explained[rule_id].field in ("path", "target")


@pytest.mark.parametrize(
    ("path", "apache"),
    [
        ("/a/b", ""),
        ("/.well-known/x", ""),
        ("/a//b", "/a/b"),
        ("//a", "/a"),
        ("/a/./b/.", "/a/b/"),
        ("/a/x/../b", "/a/b"),
        ("/a/%2e%2E/b", "/b"),
        ("/a/..%2fb", ""),
        ("/a//%252e%252e/b", "/a/%252e%252e/b"),
        ("/../../a", "/a"),
        ("/a/..", "/"),
        ("http://host:8080/a//b", "/a/b"),
        ("HTTPS://host", "/"),
        ("/a;x=1/b", ""),
        ("*", ""),
        ("a/../b", ""),
        # Runs of one kind of segment are taken whole: each still counts as one.
        ("/a/b/c/../../x", "/a/x"),
        ("/a/b/../../../../x", "/x"),
        ("/a////b///", "/a/b/"),
        ("/a/./././b/../..", "/"),
        ("/a/b/c/../..", "/a/"),
        ("/a/..//../b/./", "/b/"),
        ("/a/../...//b", "/.../b"),
        ("/a//b\n", "/a/b\n"),
    ],
)
def test_apache_path_resolves_the_path_as_sent_as_apache_does(path: str, apache: str) -> None:
    assert apache_path(path) == apache


@pytest.mark.parametrize(
    ("path", "servlet"),
    [
        ("/a/b", ""),
        ("/a;x=1/b", "/a/b"),
        ("/a/x/..;/b", "/a/b"),
        ("/a/b;.jsp", "/a/b"),
        ("/a/.;/b", "/a/b"),
    ],
)
def test_servlet_path_drops_path_parameters_and_resolves(path: str, servlet: str) -> None:
    assert servlet_path(path) == servlet


def test_a_view_serves_the_canonical_forms_decoded_and_empty_when_nothing_changes() -> None:
    event = AccessSample(target="/a/%2e%2E/mgmt//tm;x/util?Q=%41").to_event()
    view = EventView(event)
    assert view.lower("canonical_path") == "/mgmt/tm;x/util"
    assert view.lower("canonical_target") == "/mgmt/tm;x/util?q=a"
    assert view.lower("servlet_target") == "/mgmt/tm/util?q=a"
    # Apache does not decode "%2f": the backend gets the traversal, and so does the form.
    encoded = EventView(AccessSample(target="//images/..%2finfo.html").to_event())
    assert encoded.lower("canonical_path") == "/images/../info.html"
    plain = EventView(AccessSample(target="/index.html?a=1").to_event())
    assert plain.lower("canonical_target") == plain.lower("servlet_path") == ""


@pytest.mark.parametrize(
    ("path", "traversal"),
    [
        ("/a/b", ""),
        ("/a//b", ""),
        ("/.well-known/x", ""),
        ("/public//plugins/a/../../../etc/passwd", "/public/plugins/a/../../../etc/passwd"),
        ("/public/x/../plugins/a/%2e%2e/%2E%2e/etc/passwd", "/public/plugins/a/../../etc/passwd"),
        ("http://host//unauth/%2e%2e/php/x", "/unauth/../php/x"),
        # Of runs that climb alike, the last; a run that climbs more wins wherever it is.
        ("/x/../unauth/../php", "/unauth/../php"),
        ("/a/b/../../../etc/x/../passwd", "/a/b/../../../etc/passwd"),
        ("/s//x/_/%2e/meta-inf/", "/s/x/_/./meta-inf/"),
        ("/a/..%2fb", ""),
        # A run climbing past what is left before it keeps its climbs; of runs that climb
        # alike the last is kept, and the one before it resolved (not above the root).
        ("/a/b/../../../../etc/passwd", "/a/b/../../../../etc/passwd"),
        ("//x/../y/../../../../etc/z/w/../../../..", "/etc/z/w/../../../.."),
        ("/a/./././b", "/a/./././b"),
        ("/x/../a/..//..///../b/", "/a/../../../b/"),
    ],
)
def test_traversal_path_normalises_all_but_the_traversal(path: str, traversal: str) -> None:
    assert traversal_path(path) == traversal


#: Spellings of a traversal exploit that Apache resolves, which the rule still reports, and
#: why a pair is exempt. A path parameter changes the path ("/cgi-bin;x=1" is not the
#: alias); the traversal it names is still reported by path-traversal-dotdot.
TRAVERSAL_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("exploit-atlassian-static-web-inf-read", "dot-dot-segment"): (
        "its trick is a '.' segment: a '/x/..' before it climbs further and is the one kept"
    ),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_a_traversal_exploit_apache_resolves_is_found_in_every_spelling(
    rule: PackRule, engine: str
) -> None:
    """An attempt behind Apache is harmless, but still reported under its CVE: spelled with
    a "//", a "/./", a "/x/.." or a scheme before it, as the rule's sample is."""
    missed = [
        (spelling, spelled.target)
        for sample in rule.must_match
        if sample.target.startswith("/")
        and EventView(sample.to_event()).decoded("canonical_path") != ""
        for spelling, spell in SPELLINGS.items()
        if spelling != "path-parameter" and (rule.id, spelling) not in TRAVERSAL_EXCEPTIONS
        for spelled in [replace(sample, target=spell(sample.target))]
        if _fired(DETECTIONS[engine], spelled).get(rule.id) not in rule.fields
    ]
    assert missed == []


# CVE-2024-27198 with a path parameter before the ";.jsp": Tomcat drops both, so the servlet
# form is the plain "/app/rest/users" and the trick shows only in the path as sent.
TEAMCITY_BYPASSES = [
    "/app;x=1/rest/users;.jsp",
    "/app/rest;jsessionid=1/users/id:1;.jsp",
    "/hax?jsp=/app;x=1/rest/users;.jsp",
    "/hax?x=1&jsp=/app/rest/users;.jsp",
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("target", TEAMCITY_BYPASSES)
def test_the_teamcity_jsp_bypass_is_found_with_a_path_parameter_before_it(
    target: str, engine: str
) -> None:
    event = AccessSample(target=target, status=200).to_event()
    findings = {f.rule_id: f for f in DETECTIONS[engine].detect(event, EventView(event))}
    assert findings["exploit-teamcity-auth-bypass"].field == "target"


@pytest.mark.parametrize("target", ["/app;jsessionid=1/rest/users", "/app/rest/users?q=a;.jsp"])
def test_a_teamcity_rest_call_with_a_session_parameter_is_no_bypass(target: str) -> None:
    event = AccessSample(target=target, status=200).to_event()
    fired = {f.rule_id for f in DETECTIONS[ENGINES[-1]].detect(event, EventView(event))}
    assert "exploit-teamcity-auth-bypass" not in fired
