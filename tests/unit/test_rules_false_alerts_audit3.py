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


def _scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]) -> list[Row]:
    log = tmp_path / "traffic.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    main(["scan", "--json", "--no-system-config", str(log)])
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
