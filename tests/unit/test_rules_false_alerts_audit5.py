"""Ordinary requests that raised alerts in the fifth false-alert audit (1,842 made-up requests
of modern sites: lists in API parameters, dot folders that software serves, a forge's file
history and editors, scripts sites keep among their images, a PDF viewer, a database console,
elFinder), scanned as a user scans a log: each must raise no alert and no finding of medium or
more, while the attack next to it stays caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.false_alert_support import access_line as _line
from tests.unit.false_alert_support import assert_found, assert_quiet

_NEXTCLOUD = "Mozilla/5.0 (Linux) mirall/3.14.3 (Nextcloud, ubuntu-6.8.0)"

ORDINARY = [
    # A list of fields or values with a command's name among them.
    _line("/api/items?fields=name;id;email"),
    _line("/pets?kinds=dog;cat;bird"),
    _line("/pets?kinds=dog|cat|hamster"),
    # Dot folders served on purpose, and tags and packages named for .NET.
    _line("/node_modules/.vite/deps/react.js?v=5c3b2a1f"),
    _line("/.auth/me"),
    _line("/.auth/login/aad/callback"),
    _line("/.within.website/x/cmd/anubis/api/pass-challenge?response=abc&nonce=1&redir=%2F"),
    _line("/.within.website/x/xess/xess.min.css"),
    _line("/blog/tags/.net"),
    _line("/questions/tagged/.net-core"),
    _line("/packages/.NETStandard.Library"),
    # A forge's file history, editors and API.
    _line("/alice/site/-/commits/main/.gitlab-ci.yml"),
    _line("/alice/site/-/edit/main/.gitlab-ci.yml"),
    _line("/alice/site/-/ide/project/alice/site/edit/main/-/.eslintrc.js"),
    _line("/api/v4/projects/3/repository/files/.gitlab-ci.yml/raw?ref=main"),
    _line("/api/v4/projects/alice%2Fsite/repository/files/.env.example/raw?ref=main"),
    _line("/alice/site/commits/main/.github/workflows/ci.yml"),
    _line("/alice/site/_edit/main/.gitea/workflows/build.yaml"),
    _line("/projects/OPS/repos/infra/browse/.gitignore"),
    _line("/projects/OPS/repos/infra/raw/.gitlab-ci.yml?at=refs%2Fheads%2Fmain"),
    # Scripts a site keeps among its files and images, and Nextcloud's own.
    _line("/images/captcha.php"),
    _line("/images/thumb.php?src=a.jpg&w=200"),
    _line("/files/index.php"),
    _line("/apps/files/ajax/list.php?dir=%2F"),
    _line(
        "/index.php/apps/files/ajax/download.php?dir=%2FWork&files=dump-2026-12-01.sql.gz",
        agent=_NEXTCLOUD,
    ),
    # pdf.js showing a PDF; a database console's tree; elFinder listing a folder.
    _line("/pdfjs/web/viewer.html?file=https%3A%2F%2Fcdn.example.com%2Fdocs%2Fmanual.pdf"),
    _line("/phpmyadmin/index.php?route=/database/structure&db=information_schema"),
    _line("/adminer.php?username=root&db=information_schema&select=TABLES"),
    _line("/elfinder/php/connector.minimal.php?cmd=ls&target=l1_Lw&intersect%5B%5D=a.txt"),
]

CAUGHT = [
    (_line("/diag?ip=x;id"), "command-injection-chain"),
    (_line("/diag?ip=x;id;ls"), "command-injection-chain"),
    (_line("/diag?ip=x;id;"), "command-injection-chain"),
    (_line("/diag?ip=x|cat|id"), "command-injection-chain"),
    (_line("/.auth/.bash_history", 404), "sensitive-dotfile"),
    (_line("/x/.auth/me", 404), "sensitive-hidden-path"),
    (_line("/.vite/deps/react.js", 404), "sensitive-hidden-path"),
    (_line("/blog/tags/.net/.perf", 404), "sensitive-hidden-path"),
    (_line("/alice/site/-/commits/main/.env"), "sensitive-dotfile"),
    (_line("/alice/site/-/commits/main/.perf", 404), "sensitive-hidden-path"),
    (_line("/uploads/avatar.php"), "webshell-upload-exec"),
    (_line("/images/avatar.php", method="POST"), "webshell-upload-exec"),
    (_line("/images/avatar.phtml"), "webshell-upload-exec"),
    (_line("/images/uploads/avatar.php"), "webshell-upload-exec"),
    (_line("/index.php?file=http://198.51.100.9/x.pdf?"), "file-inclusion-remote"),
    (_line("/index.php?file=http://198.51.100.9/x"), "file-inclusion-remote"),
    (_line("/p?id=1+union+select+1+from+information_schema.tables"), "sqli-db-fingerprint"),
    (_line("/elfinder/php/connector.minimal.php?cmd=id"), "webshell-command"),
    (_line("/uploads/x.php?cmd=ls"), "webshell-command"),
]


@pytest.mark.parametrize("line", ORDINARY, ids=[line[46:120] for line in ORDINARY])
def test_ordinary_request_raises_no_alert_and_nothing_of_medium_or_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    assert_quiet(tmp_path, capsys, line)


@pytest.mark.parametrize(("line", "rule_id"), CAUGHT, ids=[c[0][46:120] for c in CAUGHT])
def test_the_attack_next_to_the_ordinary_shape_is_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, rule_id: str
) -> None:
    assert_found(tmp_path, capsys, line, rule_id)
