"""Ordinary software that raised threshold alerts in the threshold audit (2026-12-07): a Mac's
Finder on a WebDAV share, an API checking bearer tokens at Keycloak, a map panning through
tiles, a Nextcloud client syncing behind PHP-FPM. Each is scanned as a user scans a log and
must raise no alert, while the attack of the same shape next to it still does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.false_alert_support import scan_lines

_FINDER = "WebDAVFS/3.0.0 (03008000) Darwin/23.5.0 (x86_64)"
_FINDER_NAMES = (".DS_Store", "._.", ".hidden", ".localized", "._report.pdf", "._notes.docx")


def _line(
    client: str, second: int, method: str, target: str, status: int, *, user: str = "-"
) -> str:
    minute, sec = divmod(second, 60)
    return (
        f'{client} - {user} [07/Dec/2026:09:{minute:02d}:{sec:02d} +0000] "{method} {target} '
        f'HTTP/1.1" {status} 512 "-" "{_FINDER if user == "bob" else "Mozilla/5.0"}"'
    )


def _alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]) -> set[str]:
    return {str(r["rule"]) for r in scan_lines(tmp_path, capsys, lines) if r["kind"] == "alert"}


def test_finder_looking_through_its_owners_webdav_folders_raises_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = []
    for folder in range(8):
        base = f"/dav/Projects/p{folder}/"
        lines.append(_line("192.0.2.70", folder * 3, "PROPFIND", base, 207, user="bob"))
        lines += [
            _line("192.0.2.70", folder * 3 + 1, "PROPFIND", base + name, 404, user="bob")
            for name in _FINDER_NAMES
        ]
    assert _alerts(tmp_path, capsys, lines) == set()


def test_the_same_names_asked_by_anyone_else_are_still_probes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [_line("198.51.100.9", n, "GET", f"/d{n}/.DS_Store", 404) for n in range(30)] + [
        _line("198.51.100.10", n, "PROPFIND", f"/d{n}/.git/config", 401, user="bob")
        for n in range(3)
    ]
    alerts = _alerts(tmp_path, capsys, lines)
    assert {"scan-distinct-404", "attack-repeat"} <= alerts


def test_an_api_checking_bearer_tokens_at_keycloak_is_no_login_brute_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    introspect = "/auth/realms/acme/protocol/openid-connect/token/introspect"
    lines = [_line("10.30.0.12", n // 4, "POST", introspect, 200) for n in range(200)]
    assert "login-brute-force" not in _alerts(tmp_path, capsys, lines)
    login = "/auth/realms/acme/login-actions/authenticate?session_code=x&execution=y"
    guesses = [_line("203.0.113.66", n, "POST", login, 200) for n in range(25)]
    assert "login-brute-force" in _alerts(tmp_path, capsys, guesses)


def test_a_map_panning_through_extensionless_tiles_is_no_flood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tile = "/arcgis/rest/services/World/MapServer/tile/12/1409/{}"
    lines = [_line("203.0.113.120", n // 40, "GET", tile.format(2000 + n), 200) for n in range(400)]
    assert "request-flood" not in _alerts(tmp_path, capsys, lines)
    searches = [_line("203.0.113.121", n // 40, "GET", f"/search?q={n}", 200) for n in range(400)]
    assert "request-flood" in _alerts(tmp_path, capsys, searches)


def test_a_nextcloud_client_syncing_its_own_share_behind_php_fpm_is_no_flood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Behind PHP-FPM Apache logs no user name; the share answers only its signed-in owner.
    own = "/remote.php/dav/files/alice/Documents/report-{}.docx"
    lines = [_line("192.0.2.63", n // 40, "GET", own.format(n), 200) for n in range(400)]
    assert "request-flood" not in _alerts(tmp_path, capsys, lines)
    # A public link's WebDAV answers anyone: a flood there still counts.
    public = "/public.php/webdav/report-{}.docx"
    flood = [_line("192.0.2.64", n // 40, "GET", public.format(n), 200) for n in range(400)]
    assert "request-flood" in _alerts(tmp_path, capsys, flood)


def test_an_administrators_restored_tabs_and_a_nat_of_bookmarks_raise_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The session expired: each tab or bookmark is redirected to the login page, then the
    # administrator signs in. Six staff behind one NAT open their /admin/ bookmark.
    pages = ["/wp-admin/", "/wp-admin/edit.php", "/wp-admin/upload.php", "/wp-admin/plugins.php"]
    lines = [_line("203.0.113.31", n, "GET", page, 302) for n, page in enumerate(pages)]
    lines += [_line("198.51.100.77", 10 + n, "GET", "/admin/", 302) for n in range(6)]
    assert _alerts(tmp_path, capsys, lines) == set()


def test_a_scanner_probing_admin_interfaces_still_raises_attack_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = ["/wp-admin/", "/administrator/", "/admin/login", "/phpmyadmin/", "/wp-login.php"]
    lines = [_line("192.0.2.200", n, "GET", page, 302) for n, page in enumerate(probes)]
    assert "attack-repeat" in _alerts(tmp_path, capsys, lines)


def test_a_bot_posting_again_and_again_to_a_missing_login_page_is_still_alerted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real IIS traffic (knowit W3SVC1): 14 POSTs to /wp-login.php within a second, answered
    # 404. The same path each time, but no redirected read: every one counts.
    lines = [_line("88.198.69.135", 0, "POST", "/wp-login.php", 404) for _ in range(14)]
    assert {"attack-repeat", "urgent-burst"} <= _alerts(tmp_path, capsys, lines)
