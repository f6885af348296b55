"""Threshold alerts on ordinary users (issue 13): missing assets, busy and NAT addresses and
backend outages raise nothing against clients; real scanner runs are still caught.

Every test runs log lines through the pipeline ``lwsyslog scan`` drives, with the built-in
defaults, and looks at the alerts an operator would get.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.errors import ConfigError
from lwsyslog.events import Origin
from lwsyslog.formats import LineParser
from lwsyslog.observation import Observation
from lwsyslog.pipeline import Pipeline
from lwsyslog.severity import Severity
from lwsyslog.thresholds import Scan404Burst, ThresholdEngine, is_static_asset
from lwsyslog.thresholds.tallies import Tallies, tally_bytes
from lwsyslog.triage import Urgency

TOOLS = Path(__file__).parent.parent / "fixtures" / "attack-tools"
START = 1_780_000_000.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def line(client: str, when: float, path: str, status: int, agent: str = BROWSER) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))
    return f'{client} - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "-" "{agent}"'


def alerts_of(lines: Iterable[str], config: list[Path] | None = None) -> list[Alert]:
    pipeline = Pipeline(load_config(config or []))
    out: list[Alert] = []
    for number, text in enumerate(lines, start=1):
        out.extend(pipeline.process(text, Origin("access.log", number, "web1")).alerts)
    return out


def test_a_user_re_requesting_a_missing_favicon_and_stylesheet_raises_nothing() -> None:
    lines = []
    for n in range(76):
        when = START + n * 2
        lines.append(line("192.0.2.10", when, "/inbox/?_task=mail", 200))
        lines.append(line("192.0.2.10", when, "/inbox/skins/elastic/styles/styles.css", 404))
        lines.append(line("192.0.2.10", when + 1, "/favicon.ico", 404))
    assert alerts_of(lines) == []


def test_a_busy_address_with_51_missing_favicons_among_1800_good_requests_raises_nothing() -> None:
    lines = []
    for n in range(1800):
        when = START + n * 0.5
        lines.append(line("198.51.100.20", when, f"/shop/item/{n % 300}", 200))
        if 600 <= n < 651:  # a rush hour: 51 page views in 25 s, each asking for the icon
            lines.append(line("198.51.100.20", when, "/favicon.ico", 404))
    assert sum(" 404 " in text for text in lines) == 51
    assert alerts_of(lines) == []


def nat_traffic(users: int, broken_links: int) -> list[str]:
    """Many ordinary users behind one address: pages, assets, some broken links each."""
    lines = []
    when = START
    for user in range(users):
        for page in range(12):
            when += 0.2
            lines.append(line("203.0.113.50", when, f"/docs/{(user * 7 + page) % 400}.html", 200))
            lines.append(line("203.0.113.50", when, "/static/site.css", 200))
            lines.append(line("203.0.113.50", when, "/static/app.js", 200))
            lines.append(line("203.0.113.50", when, "/apple-touch-icon-precomposed.png", 404))
        for link in range(broken_links):
            lines.append(line("203.0.113.50", when, f"/old/{user}/{link}.html", 404))
    return lines


def test_a_nat_address_mixing_many_ordinary_users_raises_nothing() -> None:
    # 300 users in 12 minutes: 900 distinct missing pages, 1,500 missing icons.
    lines = nat_traffic(users=300, broken_links=3)
    assert alerts_of(lines) == []


def test_the_same_distinct_misses_without_the_good_traffic_are_a_scan() -> None:
    lines = [text for text in nat_traffic(users=300, broken_links=3) if "/old/" in text]
    rules = Counter(alert.rule for alert in alerts_of(lines))
    assert rules["scan-404-burst"] >= 1 and rules["scan-distinct-404"] >= 1


def outage(clients: int) -> list[str]:
    lines = []
    for n in range(clients * 3):
        client = f"192.0.2.{100 + n % clients}"
        status = 502 if n % 2 else 503
        lines.append(line(client, START + n * 0.5, f"/app/page/{n % 7}", status))
    return lines


def test_a_backend_outage_is_one_backend_errors_alert_for_the_host_and_no_urgent_burst() -> None:
    alerts = alerts_of(outage(clients=30))
    assert [alert.rule for alert in alerts] == ["backend-errors"]
    (alert,) = alerts
    assert alert.client_ip == "" and alert.key == "web1"
    assert alert.categories == ("server-error",) and alert.severity is Severity.MEDIUM
    assert "not attributed to any client" in alert.message


def test_a_long_outage_is_reported_once_per_cooldown_not_per_client() -> None:
    lines = []
    for n in range(3000):  # 50 clients, 25 minutes of 503s
        lines.append(line(f"192.0.2.{n % 50}", START + n * 0.5, "/", 503))
    rules = Counter(alert.rule for alert in alerts_of(lines))
    assert rules == Counter({"backend-errors": 2})


def test_one_client_making_the_application_fail_is_named_others_being_served() -> None:
    lines = []
    for n in range(40):
        lines.append(line("198.51.100.66", START + n, f"/api/search?q={n}'", 500))
        lines.append(line(f"192.0.2.{n}", START + n, "/", 200))
    lines.append(line("192.0.2.200", START + 41, "/", 500))
    alerts = [a for a in alerts_of(lines) if a.rule == "server-error-storm"]
    assert [a.client_ip for a in alerts] == ["198.51.100.66"]


@pytest.mark.parametrize("agent", ["ELB-HealthChecker/2.0", "kube-probe/1.29", "GoogleHC/1.0"])
def test_a_load_balancers_health_check_during_an_outage_is_not_blamed(agent: str) -> None:
    """The backend is down: the balancer took it out of service, so its health check, every
    2 s, is the one client still getting 503s. That is the outage, not a client's storm."""
    lines = [line("10.0.0.2", START + 2 * n, "/healthz", 503, agent) for n in range(60)]
    assert [a.rule for a in alerts_of(lines)] == []


def test_a_health_check_name_from_outside_is_still_one_client_making_the_site_fail() -> None:
    """Anyone can write the name; only the balancer's own address is excused."""
    lines = []
    for n in range(40):
        lines.append(line("198.51.100.66", START + n, f"/api/search?q={n}'", 500, "kube-probe/1"))
        lines.append(line(f"192.0.2.{n}", START + n, "/", 200))
    alerts = [a for a in alerts_of(lines) if a.rule == "server-error-storm"]
    assert [a.client_ip for a in alerts] == ["198.51.100.66"]


@pytest.mark.parametrize(
    "run", ["dirb", "dirb-vulns", "gobuster", "nmap", "wapiti-buster", "wfuzz"]
)
def test_real_forced_browsing_runs_still_raise_the_missing_page_alerts(run: str) -> None:
    text = (TOOLS / run / "access.log").read_text("utf-8", "replace").splitlines()
    rules = {alert.rule for alert in alerts_of(text)}
    assert {"scan-404-burst", "scan-distinct-404"} <= rules


def test_a_nikto_like_burst_of_missing_pages_is_still_a_scan() -> None:
    words = ("admin", "backup", "old", "test", "wp-login.php", "phpinfo.php", "config")
    lines = [
        line("192.0.2.23", START + n * 0.2, f"/{words[n % len(words)]}{n}", 404,
             f"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{n:06d})")
        for n in range(45)
    ]  # fmt: skip
    rules = {alert.rule for alert in alerts_of(lines)}
    assert "scan-404-burst" in rules


def test_a_wapiti_like_run_with_some_successes_is_still_a_scan() -> None:
    # A third of the probes find something: still mostly errors.
    lines = [
        line("192.0.2.31", START + n * 0.3, f"/dir{n}/", 200 if n % 3 == 0 else 404)
        for n in range(120)
    ]
    assert "scan-404-burst" in {alert.rule for alert in alerts_of(lines)}


STATIC = (
    "/favicon.ico", "/apple-touch-icon.png", "/apple-touch-icon-152x152-precomposed.png",
    "/robots.txt", "/ROBOTS.TXT", "/css/site.min.CSS", "/js/app.js", "/js/app.js.map",
    "/img/a.jpeg", "/img/a.webp", "/f/x.woff2", "/f/x.eot", "/f/x.ttf", "/i/logo.svg",
)  # fmt: skip
NOT_STATIC = (
    "/admin.php", "/wp-login.php", "/backup.zip", "/.git/HEAD", "/robots.txt.bak",
    "/css/", "/js", "/static.css/", "/admin.php;.css/x", "/sitemap.xml", "/a/robots.txt",
)  # fmt: skip


@pytest.mark.parametrize("path", STATIC)
def test_static_asset_paths_are_not_probes(path: str) -> None:
    assert is_static_asset(path)


@pytest.mark.parametrize("path", NOT_STATIC)
def test_other_missing_paths_are_probes(path: str) -> None:
    assert not is_static_asset(path)


def test_a_bad_error_ratio_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "ratio.toml"
    path.write_text("[thresholds.scan-404-burst]\nmin_error_ratio = 1.5\n")
    with pytest.raises(ConfigError, match=r"ratio.toml:2 \[thresholds.scan-404-burst\] key "):
        load_config([path])


def test_the_error_ratio_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "off.toml"
    path.write_text("[thresholds.scan-404-burst]\nmin_error_ratio = 0\n")
    lines = []
    for n in range(40):
        lines += [line("192.0.2.9", START + n, f"/gone/{n}", 404)]
        lines += [line("192.0.2.9", START + n, "/", 200) for _ in range(5)]
    assert "scan-404-burst" not in {a.rule for a in alerts_of(lines)}
    assert "scan-404-burst" in {a.rule for a in alerts_of(lines, [path])}


def test_tallies_sum_the_window_and_drop_what_fell_out_of_it() -> None:
    tallies = Tallies(window_secs=80.0, capacity=4, kinds=2)
    tallies.open("a", 1000.0)
    for second in range(0, 200, 10):
        tallies.add("a", 1000.0 + second, kind=second // 10 % 2)
    assert tallies.since("a", 1000.0 + 120) == (4, 4)  # 120..190, 10 s buckets
    assert sum(tallies.since("a", 0.0)) == 9  # only the ring (9 buckets) is kept
    assert tallies.add("b", 1000.0) is False and tallies.since("b", 0.0) == (0, 0)


def test_tallies_hold_at_most_their_capacity_whatever_the_flood() -> None:
    tallies = Tallies(window_secs=60.0, capacity=100, kinds=2)
    for n in range(10_000):
        tallies.open(f"10.0.{n // 256}.{n % 256}", 1000.0 + n)
        tallies.add(f"10.0.{n // 256}.{n % 256}", 1000.0 + n)
    assert tallies.keys == 100 and tallies.evictions == 9_900
    assert tallies.bytes == 100 * tally_bytes(2)


def test_only_clients_that_sent_a_probe_have_their_answers_tallied() -> None:
    config = load_config([])
    engine = ThresholdEngine([(Scan404Burst(), config.thresholds["scan-404-burst"])])
    parse = LineParser()
    for n in range(2000):
        text = line(f"192.0.{n // 250}.{n % 250}", START + n, "/", 200)
        engine.observe(Observation(parse.parse(text, Origin("a", n)), Urgency.STANDARD, ()))
    assert engine.tallied_clients == 0
    probe = parse.parse(line("192.0.2.1", START, "/admin.php", 404), Origin("a", 1))
    engine.observe(Observation(probe, Urgency.STANDARD, ()))
    assert engine.tallied_clients == 1


def proxy_error(client: str, when: float) -> str:
    stamp = time.strftime("%a %b %d %H:%M:%S.000000 %Y", time.gmtime(when))
    return (
        f"[{stamp}] [proxy_http:error] [pid 4242:tid 4243] (111)Connection refused: "
        f"[client {client}:51234] AH01114: HTTP: failed to make connection to backend: "
        "127.0.0.1, referer: https://www.example.org/"
    )


def test_backend_connection_errors_in_the_error_log_do_not_make_an_urgent_burst() -> None:
    lines = [proxy_error("192.0.2.77", START + n) for n in range(10)]
    lines += [line("192.0.2.77", START + n, "/", 503) for n in range(10)]
    assert alerts_of(lines) == []
