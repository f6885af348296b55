"""Ordinary use that raised alerts (the third false-alert audit), scanned as a user scans a log:
each benign sequence must raise no alert and no finding of medium or more, while the attack
next to it stays caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lwsyslog.cli.main import main

_SERIOUS = frozenset({"medium", "high", "critical"})
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SITE = "https://www.example.com"
Row = dict[str, Any]


def _line(  # noqa: PLR0917
    target: str,
    status: int = 200,
    method: str = "GET",
    referer: str = "-",
    secs: float = 0,
    client: str = "203.0.113.9",
    agent: str = CHROME,
) -> str:
    minute, second = divmod(int(secs), 60)
    hour, minute = divmod(minute, 60)
    stamp = f"07/Dec/2026:{10 + hour:02d}:{minute:02d}:{second:02d} +0000"
    return f'{client} - - [{stamp}] "{method} {target} HTTP/1.1" {status} 512 "{referer}" "{agent}"'


def _scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], config: str = ""
) -> list[Row]:
    log = tmp_path / "traffic.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    extra: list[str] = []
    if config:
        (tmp_path / "extra.toml").write_text(config, encoding="utf-8")
        extra = ["--config", str(tmp_path / "extra.toml")]
    main(["scan", "--json", "--no-system-config", *extra, str(log)])
    return [json.loads(row) for row in capsys.readouterr().out.splitlines()]


def _serious(rows: list[Row]) -> list[str]:
    """The alerts, and findings of medium or more, as ``rule: line`` texts."""
    found = []
    for row in rows:
        if row["kind"] == "alert":
            found.append(f"alert {row['rule']}")
        elif row["kind"] == "finding" and row["severity"] in _SERIOUS:
            found.append(f"finding {','.join(row['rules'])} line {row['line']}")
    return found


def _rules(rows: list[Row]) -> set[str]:
    """Every rule id in findings and alerts."""
    ids = {row["rule"] for row in rows if row["kind"] == "alert"}
    return ids | {rule for row in rows if row["kind"] == "finding" for rule in row["rules"]}


# --- 1. An administrator at work is not an admin probe --------------------------------------

ADMIN_AT_WORK = {
    "django admin saves (Post/Redirect/Get)": [
        _line(f"/admin/shop/product/{n}/change/", 302, "POST", f"{SITE}/admin/", secs=n * 20)
        for n in range(12, 16)
    ],
    "wordpress editor, login and logout": [
        _line("/wp-login.php", 302, "POST", f"{SITE}/wp-login.php"),
        _line("/wp-admin/post.php", 302, "POST", f"{SITE}/wp-admin/post.php?post=5", secs=20),
        _line("/wp-admin/post.php", 302, "POST", f"{SITE}/wp-admin/post.php?post=6", secs=40),
        _line("/wp-login.php?action=logout&_wpnonce=x", 302, secs=60),
    ],
    "drupal and magento saves": [
        _line("/admin/structure/types/manage/article", 303, "POST"),
        _line("/admin/config/system/site-information", 303, "POST", secs=10),
        _line("/admin/catalog/product/save/id/5/key/abc/", 302, "POST", secs=20),
        _line("/admin/catalog/product/save/id/6/key/abc/", 302, "POST", secs=30),
    ],
    "webmail login and trailing-slash redirects": [
        _line("/roundcube/?_task=login", 302, "POST", "https://mail.example.com/roundcube/"),
        _line("/webmail", 301, secs=5),
        _line("/mail", 301, secs=10),
        _line("/phpmyadmin", 301, secs=15),
    ],
    "wordpress ajax refused (bad request, expired nonce)": [
        _line("/wp-admin/admin-ajax.php", status, "POST", f"{SITE}/shop/", secs=n)
        for n, status in enumerate([400, 400, 403, 403, 400, 403])
    ],
    "wordpress upload over the limit": [
        _line("/wp-admin/async-upload.php", 413, "POST", f"{SITE}/wp-admin/media-new.php", secs=n)
        for n in range(0, 24, 3)
    ],
}

ADMIN_PROBES = [
    (_line("/wp-admin/", 404), "admin-probe-cms"),
    (_line("/administrator/index.php", 404), "admin-probe-cms"),
    (_line("/wp-login.php", 404, "POST"), "admin-probe-cms"),
    (_line("/wp-login.php", 404, "POST", f"{SITE}/"), "admin-probe-cms"),
    (_line("/phpmyadmin/", 404), "admin-probe-db-console"),
    (_line("/adminer.php", 302), "admin-probe-db-console"),
    (_line("/manager/html", 401), "admin-probe-app-server"),
    # The combined format logs no host: a Referer from elsewhere is no link of the site, and a
    # mark in the query is no link of the interface's own.
    (_line("/manager/html", 401, referer="http://evil.example/"), "admin-probe-app-server"),
    (_line("/phpmyadmin/", 403, referer="http://x/"), "admin-probe-db-console"),
    (_line("/phpmyadmin/?", 302), "admin-probe-db-console"),
    (_line("/wp-admin/?x", 302), "admin-probe-cms"),
]

# A scanner's admin sweep: GETs of many admin paths, no Referer, refused or redirected.
ADMIN_SWEEP = [
    _line(path, status, secs=n, client="198.51.100.66")
    for n, (path, status) in enumerate(
        [("/wp-admin/", 302), ("/administrator/", 403), ("/phpmyadmin/", 404), ("/admin/", 401)]
    )
]


@pytest.mark.parametrize("name", ADMIN_AT_WORK)
def test_an_administrator_at_work_raises_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert _serious(_scan(tmp_path, capsys, ADMIN_AT_WORK[name])) == []


@pytest.mark.parametrize(("line", "rule"), ADMIN_PROBES)
def test_admin_probes_stay_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule: str
) -> None:
    assert rule in _rules(_scan(tmp_path, capsys, [line]))


def test_a_scanners_admin_sweep_still_repeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "attack-repeat" in _rules(_scan(tmp_path, capsys, ADMIN_SWEEP))


# --- 2. A page's own media and a live stream are not forced browsing nor a flood ------------

_POSTERS = [
    _line(
        f"/Items/{n:032x}/Images/Primary?fillHeight=396&quality=96&tag=ab{n}",
        404 if n % 3 else 200,
        secs=n / 10,
    )
    for n in range(60)
]
_TILES = [
    _line(f"/tiles/8/{130 + x}/{80 + y}.pbf", 404 if (x + y) % 2 else 200, referer=f"{SITE}/map")
    for x in range(8)
    for y in range(8)
]
_AVATARS = [
    _line(f"/avatar/{n:032x}?s=64&d=404", 404 if n % 4 else 200, referer=f"{SITE}/t/123")
    for n in range(40)
]
_STREAM = [
    _line(path, secs=n / 40)
    for n in range(200)
    for path in ("/hls/allhands/index.m3u8", f"/hls/allhands/seg{n:05d}.ts")
]

MEDIA = {
    "a media library's missing posters": _POSTERS,
    "a map's missing ocean tiles": _TILES,
    "a forum's missing avatars": _AVATARS,
    "an office watching a live stream": _STREAM,
}


@pytest.mark.parametrize("name", MEDIA)
def test_a_pages_media_raises_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert _serious(_scan(tmp_path, capsys, MEDIA[name])) == []


SCANS = {
    # TypeScript sources are no stream segments.
    "typescript source probes": [
        _line(f"/src/{name}.ts", 404, secs=n)
        for n, name in enumerate(f"{word}{kind}" for word in "abcdefg" for kind in "xyz")
    ],
    # Ids that are small numbers are enumerated, not folded.
    "an id enumeration": [_line(f"/user/{n}/profile", 404, secs=n) for n in range(25)],
    # A wordlist sent with a Referer of the site on every probe.
    "a scanner forging a same-site referer": [
        _line(f"/{word}{n}/", 404, referer=f"{SITE}/", secs=n)
        for n, word in enumerate(["old", "backup", "test", "dev", "tmp"] * 5)
    ],
}


@pytest.mark.parametrize("name", SCANS)
def test_forced_browsing_stays_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert "scan-distinct-404" in _rules(_scan(tmp_path, capsys, SCANS[name]))


def test_a_flood_of_dynamic_requests_stays_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [_line(f"/search?q=seg{n:05d}.ts", secs=n / 40) for n in range(400)]
    assert "request-flood" in _rules(_scan(tmp_path, capsys, lines))


# --- 3. A search engine revisiting a moved site's old URLs is no scanner --------------------

_CRAWLERS = {
    "66.249.66.1": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "40.77.167.10": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "54.36.148.12": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "185.191.171.5": "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
}


def _old_urls(client: str, agent: str) -> list[str]:
    lines = []
    for n in range(40):
        lines.append(
            _line(
                f"/blog/2019/{n % 12:02d}/old-post-title-{n}/",
                404,
                secs=n * 2.5,
                client=client,
                agent=agent,
            )
        )
        if n % 3 == 0:
            lines.append(
                _line(f"/blog/2024/post-{n}/", secs=n * 2.5 + 1, client=client, agent=agent)
            )
    return lines


# Crawler verification on, each crawler's address in its published ranges (decided without
# DNS: the resolver is never asked). AhrefsBot and SemrushBot are not in the shipped catalog:
# an operator adds them as their own [crawlers.catalog.ID] tables.
VERIFIED_CRAWLERS = """
[crawlers]
verify = true
resolver = "127.0.0.1:9"
[crawlers.catalog.googlebot]
networks = ["66.249.64.0/19"]
[crawlers.catalog.bingbot]
networks = ["40.77.167.0/24"]
[crawlers.catalog.ahrefsbot]
user_agent = "AhrefsBot"
networks = ["54.36.148.0/24"]
[crawlers.catalog.semrushbot]
user_agent = "SemrushBot"
networks = ["185.191.171.0/24"]
"""


@pytest.mark.parametrize("client", _CRAWLERS)
def test_a_verified_crawler_after_a_site_migration_raises_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client: str
) -> None:
    lines = _old_urls(client, _CRAWLERS[client])
    assert _serious(_scan(tmp_path, capsys, lines, VERIFIED_CRAWLERS)) == []


def test_an_unverified_crawlers_old_urls_count_as_missing_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented trade-off: with [crawlers] verify off, a claim is only a claim."""
    rules = _rules(_scan(tmp_path, capsys, _old_urls("66.249.66.1", _CRAWLERS["66.249.66.1"])))
    assert "scan-distinct-404" in rules


def test_a_scanner_borrowing_a_crawlers_name_is_still_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = _CRAWLERS["66.249.66.1"]
    probes = ["/.env", "/wp-login.php", "/backup.sql", "/.git/config", "/wp-config.php.bak"]
    lines = [
        _line(f"/site{n}{probes[n % len(probes)]}", 404, secs=n, agent=agent) for n in range(25)
    ]
    assert "scan-distinct-404" in _rules(_scan(tmp_path, capsys, lines))


_WORDLIST = [
    "archive", "backup", "old", "test", "dev", "tmp", "new", "bak", "staging", "private",
]  # fmt: skip
_BORROWED = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
}


def _wordlist_scan(agent: str, client: str = "203.0.113.50") -> list[str]:
    """40 distinct plain missing directories (nothing a rule flags) in 40 seconds."""
    return [
        _line(f"/{_WORDLIST[n % 10]}{n // 10 or ''}/", 404, secs=n, client=client, agent=agent)
        for n in range(40)
    ]


@pytest.mark.parametrize("name", _BORROWED)
def test_a_plain_wordlist_under_a_crawlers_name_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    rules = _rules(_scan(tmp_path, capsys, _wordlist_scan(_BORROWED[name])))
    assert {"scan-404-burst", "scan-distinct-404"} <= rules


def test_a_plain_wordlist_under_a_crawlers_name_from_elsewhere_is_counted_when_verifying(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verification on: a Googlebot claim that is not verified (here no DNS answers) is not
    excused."""
    rows = _scan(tmp_path, capsys, _wordlist_scan(_BORROWED["Googlebot"]), VERIFIED_CRAWLERS)
    assert {"scan-404-burst", "scan-distinct-404"} <= _rules(rows)


# --- 4. Feed suffixes and wiki titles are no hidden files -----------------------------------

FEED = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 16 subscribers)"
DOT_NAMES = {
    "a feed reader guessing feed paths": [
        _line("/.rss", 404, agent=FEED),
        _line("/blog/.rss", 404, secs=1, agent=FEED),
        _line("/.atom", 404, secs=2, agent=FEED),
        _line("/r/python/.json?limit=10", secs=3),
    ],
    "wiki articles about files and commands": [
        _line("/wiki/.htaccess"),
        _line("/wiki/.bashrc", secs=20),
        _line("/wiki/.profile", secs=40),
        _line("/wiki/.gitignore", secs=60),
    ],
}

DOT_PROBES = [
    (_line("/wiki/.htaccess", 404), "sensitive-dotfile"),
    (_line("/wiki/.htaccess", 403), "sensitive-dotfile"),
    (_line("/wiki/../.htaccess"), "sensitive-dotfile"),
    (_line("/wiki/%2e%2e/.htaccess"), "sensitive-dotfile"),
    (_line("/wiki/.env"), "sensitive-dotfile"),
    (_line("/wiki/.git/config"), "sensitive-dotfile"),
    # A title naming credentials or a repository's internals: no article's risk.
    (_line("/wiki/.htpasswd"), "sensitive-dotfile"),
    (_line("/wiki/.git"), "sensitive-dotfile"),
    (_line("/wiki/.aws"), "sensitive-dotfile"),
    (_line("/wiki/.DS_Store"), "sensitive-dotfile"),
    (_line("/wiki/.netrc"), "sensitive-hidden-path"),
    (_line("/.json/config", 404), "sensitive-hidden-path"),
    (_line("/.perf/.json", 404), "sensitive-hidden-path"),
    (_line("/.rssx", 404), "sensitive-hidden-path"),
]


@pytest.mark.parametrize("name", DOT_NAMES)
def test_feed_suffixes_and_wiki_titles_raise_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert _serious(_scan(tmp_path, capsys, DOT_NAMES[name])) == []


@pytest.mark.parametrize(("line", "rule"), DOT_PROBES)
def test_dotfile_probes_stay_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule: str
) -> None:
    assert rule in _rules(_scan(tmp_path, capsys, [line]))
