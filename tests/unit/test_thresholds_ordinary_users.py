"""Threshold alerts on ordinary users (the auditor's false alerts): error statuses a browser,
a load balancer or a WebDAV client makes, Basic-auth challenges, fast but harmless clients,
missing media files and a LAN monitoring host raise nothing; the attack shapes each rule is
for still alert.

Every test runs log lines through the pipeline ``lwsyslog scan`` drives, with the built-in
defaults, and looks at the alerts an operator would get.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from lwsyslog.alerts import Alert
from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.pipeline import Pipeline
from lwsyslog.rules.sensitive import is_local_client
from lwsyslog.settings import Config

TOOLS = Path(__file__).parent.parent / "fixtures" / "attack-tools"
START = 1_741_597_200.0  # 10/Mar/2025:09:00:00 +0000
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36"
)
NEXTCLOUD = "Mozilla/5.0 (Windows) mirall/3.12.0 (build 20240227) (Nextcloud, windows-10.0.19045)"
GIT = "git/2.39.2"


def acc(  # noqa: PLR0917
    client: str,
    second: float,
    method: str,
    target: str,
    status: int = 200,
    user: str = "-",
    referer: str = "-",
    agent: str = CHROME,
) -> str:
    """One combined-format access line, ``second`` seconds after START."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(START + second))
    return (
        f'{client} - {user} [{stamp}] "{method} {target} HTTP/1.1" {status} 1234 '
        f'"{referer}" "{agent}"'
    )


def timeout_408(client: str, second: float) -> str:
    """What Apache logs for a connection closed before any request (a preconnect)."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(START + second))
    return f'{client} - - [{stamp}] "-" 408 - "-" "-"'


@functools.cache
def _defaults() -> Config:
    return load_config([])


def alerts_of(lines: Iterable[str], config: list[Path] | None = None) -> list[Alert]:
    pipeline = Pipeline(load_config(config) if config else _defaults())
    out: list[Alert] = []
    for number, text in enumerate(lines, start=1):
        out.extend(pipeline.process(text, Origin("access.log", number, "web1")).alerts)
    return out


def rules_of(lines: Iterable[str], config: list[Path] | None = None) -> list[str]:
    return [alert.rule for alert in alerts_of(lines, config)]


# --- 1. urgent-burst: bare error statuses and low findings are ordinary traffic ---------------

IP = "198.51.100.90"
DAV = "/remote.php/dav/files/alice"

ORDINARY_ERRORS: dict[str, list[str]] = {
    "a browser's preconnects, two per page view (408)": [
        text
        for view in range(3)
        for text in (
            acc(IP, view * 20, "GET", "/"),
            timeout_408(IP, view * 20 + 10),
            timeout_408(IP, view * 20 + 11),
        )
    ],
    "a load balancer's TCP check every 5 s (408)": [
        timeout_408("10.0.1.15", n * 5) for n in range(120)
    ],
    "six hotlink-protected images of one page (403)": [
        acc(IP, 0, "GET", "/forum/thread/123"),
        *(
            acc(IP, 1, "GET", f"/gallery/photos/img_{n}.jpg", 403, referer="https://b.example/t/9")
            for n in range(6)
        ),
    ],
    "an expired CSRF token: five POSTs refused (403)": [
        acc(IP, n * 6, "POST", "/cart/update/", 403, referer="https://shop.example/cart/")
        for n in range(5)
    ],
    "an API client over its rate limit (429)": [
        acc(IP, n, "GET", f"/api/v2/products?page={n}", 429, agent="python-requests/2.31.0")
        for n in range(8)
    ],
    "a user fixing a form (422)": [acc(IP, n * 8, "POST", "/api/v1/signup", 422) for n in range(6)],
    "a video player seeking (416)": [
        acc(IP, n * 3, "GET", "/media/talk.mp4", 416 if n % 2 else 206) for n in range(12)
    ],
    "a Nextcloud client creating folders that exist (MKCOL 405)": [
        acc(IP, n, "MKCOL", f"{DAV}/Projects/p{n}", 405, "alice", agent=NEXTCLOUD) for n in range(6)
    ],
    "a Nextcloud sync: eleven PROPFINDs in a minute": [
        acc(IP, n, "PROPFIND", f"{DAV}/dir{n}/", 207, "alice", agent=NEXTCLOUD) for n in range(11)
    ],
    "Windows Explorer asking a WebDAV share for desktop.ini and Thumbs.db": [
        acc(IP, 2, "PROPFIND", f"/dav/{folder}/{name}", 404, "carol", agent="Microsoft-WebDAV")
        for folder in ("projects", "projects/a", "projects/b")
        for name in ("desktop.ini", "Thumbs.db", "folder.jpg", "folder.gif", "AutoRun.inf")
    ],
    "a phone's CalDAV sync with an old password, every 15 minutes": [
        acc(
            IP,
            sync * 900 + n,
            "PROPFIND",
            f"/remote.php/dav/calendars/alice/c{n}/",
            401,
            "alice",
            agent="DAVx5/4.3.13-ose",
        )
        for sync in range(4)
        for n in range(6)
    ],
}


@pytest.mark.parametrize("lines", ORDINARY_ERRORS.values(), ids=ORDINARY_ERRORS.keys())
def test_ordinary_error_statuses_raise_no_alert(lines: list[str]) -> None:
    assert rules_of(lines) == []


def test_five_payload_probes_in_a_minute_still_raise_the_burst() -> None:
    """The demo's Nikto shape: probes for admin pages and secrets, each a finding."""
    nikto = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000042)"
    paths = ("/wp-login.php", "/phpinfo.php", "/.git/HEAD", "/config.php.bak", "/admin/")
    lines = [acc("203.0.113.23", n, "GET", path, 404, agent=nikto) for n, path in enumerate(paths)]
    assert "urgent-burst" in rules_of(lines)


def test_five_low_payload_findings_still_raise_the_burst() -> None:
    """Payload categories count whatever their severity: five SQL injections answered 403."""
    lines = [
        acc("203.0.113.9", n, "GET", f"/item?id={n}%27%20OR%20%271%27=%271", 403) for n in range(5)
    ]
    assert "urgent-burst" in rules_of(lines)


# --- 2. Basic-auth challenges are not failed logins ------------------------------------------


def test_a_ci_job_polling_twelve_git_repositories_raises_nothing() -> None:
    lines = []
    for poll in range(5):
        for repo in range(12):
            second = poll * 60 + repo * 2
            target = f"/git/repo{repo}.git/info/refs?service=git-upload-pack"
            lines.append(acc("198.51.100.20", second, "GET", target, 401, agent=GIT))
            lines.append(acc("198.51.100.20", second, "GET", target, 200, "jenkins", agent=GIT))
    assert rules_of(lines) == []


def test_two_hundred_office_users_behind_one_nat_opening_a_basic_auth_intranet() -> None:
    """Each browser asks once without credentials (401), then browses with a user name."""
    lines = []
    for user in range(200):
        start = user * 9.0
        lines.append(acc("203.0.113.200", start, "GET", "/intranet/", 401))
        for page in range(3):
            second = start + 5 + page * 20
            lines.append(acc("203.0.113.200", second, "GET", "/intranet/", 200, f"u{user:03d}"))
            for asset in ("/intranet/css/site.css", "/intranet/js/app.js", "/favicon.ico"):
                lines.append(acc("203.0.113.200", second, "GET", asset, 304, f"u{user:03d}"))
    lines.sort(key=lambda text: text.split("[", 1)[1])
    assert rules_of(lines) == []


def test_twelve_mobile_users_of_one_ipv6_48_each_challenged_once() -> None:
    lines = []
    for user in range(12):
        client = f"2001:db8:4a1:{0x100 + user:x}::f1c"
        lines.append(acc(client, user * 45, "GET", "/intranet/", 401))
        lines.append(acc(client, user * 45 + 4, "GET", "/intranet/", 200, f"user{user}"))
    assert rules_of(lines) == []


def test_a_single_page_app_polling_after_its_session_expired() -> None:
    lines = [
        acc("198.51.100.24", n * 2, "GET", "/api/v1/notifications?since=1710061200", 401)
        for n in range(300)
    ]
    assert rules_of(lines) == []


def test_a_likely_compromise_is_one_alert_per_client_not_one_per_user() -> None:
    """Users behind one address: after the alert, another user's login within the cooldown
    is the same client's alert again, not a new one."""
    lines = []
    for round_, user in enumerate(("alice", "bob", "carol")):
        base = round_ * 60
        lines += [
            acc("203.0.113.201", base + n, "GET", "/intranet/", 401, "mallory") for n in range(12)
        ]
        lines.append(acc("203.0.113.201", base + 15, "GET", "/intranet/", 200, user))
    assert rules_of(lines).count("brute-force-success") == 1


def test_hydra_against_basic_auth_is_still_a_brute_force_and_a_likely_compromise() -> None:
    """The captured Hydra run: every 401 carries the user name it guessed for."""
    lines = (TOOLS / "hydra" / "access.log").read_text().splitlines()
    assert {"auth-brute-force", "brute-force-success"} <= set(rules_of(lines))


def test_failed_logins_then_a_success_without_the_challenges() -> None:
    lines = [acc("203.0.113.202", 0, "GET", "/private/", 401)]  # the challenge
    lines += [acc("203.0.113.202", 1 + n, "GET", "/private/", 401, "admin") for n in range(12)]
    lines.append(acc("203.0.113.202", 30, "GET", "/private/", 200, "admin"))
    assert "brute-force-success" in rules_of(lines)


def test_an_api_login_brute_force_answered_401_is_still_one() -> None:
    lines = [acc("203.0.113.203", n, "POST", "/api/v1/auth", 401) for n in range(12)]
    assert "auth-brute-force" in rules_of(lines)


# --- 3. request-flood: a page's assets and an authenticated sync are not a flood -------------


def test_a_user_panning_a_map_400_tiles_in_8_seconds() -> None:
    lines = [acc("198.51.100.70", 0, "GET", "/map/")]
    lines += [
        acc("198.51.100.70", 1 + n * 0.02, "GET", f"/tiles/{12 + n // 150}/{n % 20}/{n}.png")
        for n in range(400)
    ]
    assert rules_of(lines) == []


def test_a_nextcloud_first_sync_40_files_a_second() -> None:
    lines = [
        acc(
            "198.51.100.71",
            n / 40,
            "GET",
            f"{DAV}/Notes/note-{n}.md",
            200,
            "alice",
            agent=NEXTCLOUD,
        )
        for n in range(2000)
    ]
    assert rules_of(lines) == []


def test_an_office_nat_after_a_company_email_link() -> None:
    """A quiet address, then 200 users open the same page within 40 s, 25 assets each."""
    events = [(n * 12.0, "/") for n in range(150)]
    for user in range(200):
        second = 1800 + user * 0.2
        events.append((second, "/news/2025/03/all-hands"))
        events += [(second + 0.5, f"/static/a{n}.js") for n in range(10)]
        events += [(second + 1, f"/static/img/{n}.png") for n in range(15)]
    events.sort()
    assert rules_of(acc("203.0.113.200", s, "GET", p) for s, p in events) == []


@pytest.mark.parametrize("target", ["/wp-login.php", "/search?q=x", "/xmlrpc.php"])
def test_300_dynamic_requests_in_10_seconds_from_a_new_client_are_a_flood(target: str) -> None:
    lines = [acc("203.0.113.66", n * 0.03, "GET", target) for n in range(320)]
    assert "request-flood" in rules_of(lines)


def test_an_unauthenticated_flood_of_a_dav_path_is_still_a_flood() -> None:
    lines = [acc("203.0.113.67", n * 0.03, "PROPFIND", f"{DAV}/x{n}", 401) for n in range(320)]
    assert "request-flood" in rules_of(lines)


# --- 4. missing media files of a gallery are not forced browsing -----------------------------

MEDIA = ["avif", "heic", "bmp", "tif", "tiff", "mp4", "webm", "mp3", "ogg", "wav", "mjs",
         "wasm", "webmanifest", "JPG", "PNG", "AVIF"]  # fmt: skip
WORDLIST = ["json", "xml", "txt", "html", "pdf"]


def gallery(extension: str) -> list[str]:
    client = "198.51.100.60"
    lines = [acc(client, 0, "GET", "/gallery/summer-2024/")]
    lines += [
        acc(
            client,
            1 + n // 8,
            "GET",
            f"/media/gallery/summer-2024/photo-{n:03d}.{extension}",
            404,
            referer="https://www.example.org/gallery/summer-2024/",
        )
        for n in range(32)
    ]
    return lines


@pytest.mark.parametrize("extension", MEDIA)
def test_32_missing_media_files_of_one_page_are_no_scan(extension: str) -> None:
    assert rules_of(gallery(extension)) == []


@pytest.mark.parametrize("extension", WORDLIST)
def test_32_missing_files_of_wordlist_extensions_still_are(extension: str) -> None:
    assert {"scan-404-burst", "scan-distinct-404"} <= set(rules_of(gallery(extension)))


# --- 5. a LAN monitoring host scraping /server-status ----------------------------------------


@pytest.mark.parametrize(
    "client",
    ["10.0.0.5", "172.20.1.9", "192.168.1.20", "100.64.3.4", "fd00::5", "fe80::1", "127.0.0.2"],
)
def test_a_local_monitoring_host_scraping_server_status_every_15s(client: str) -> None:
    lines = [
        acc(client, n * 15, "GET", "/server-status?auto", agent="Go-http-client/1.1")
        for n in range(240)
    ]
    assert rules_of(lines) == []


def test_a_public_address_answered_server_status_still_alerts() -> None:
    lines = [acc("198.51.100.77", 0, "GET", "/server-status?auto")]
    assert rules_of(lines) == ["sensitive-server-status"]


def test_local_clients_are_reported_when_configured(tmp_path: Path) -> None:
    config = tmp_path / "status.toml"
    config.write_text("[rules.sensitive-server-status]\nignore_local_clients = false\n")
    lines = [acc("10.0.0.5", 0, "GET", "/server-status?auto")]
    assert rules_of(lines, [config]) == ["sensitive-server-status"]


@pytest.mark.parametrize(
    ("client", "local"),
    [
        ("10.0.0.5", True),
        ("172.31.255.1", True),
        ("192.168.1.20", True),
        ("100.64.3.4", True),
        ("169.254.10.1", True),
        ("fd12:3456::5", True),
        ("fe80::1", True),
        ("::ffff:10.1.2.3", True),
        ("172.32.0.1", False),
        ("100.128.0.1", False),
        ("198.51.100.7", False),
        ("2001:db8::5", False),
        ("::ffff:198.51.100.7", False),
        ("monitor.lan", False),
    ],
)
def test_which_clients_are_of_the_local_network(client: str, *, local: bool) -> None:
    assert is_local_client(client) is local
