"""Searches over a whole field outside the rule engine cost what an ordinary line does.

An error-log entry's path is the file its message names (``File does not exist: /x``,
nginx's ``open() "/x" failed``), which path rules read. Finding it with ``re`` tried every
phrase at every position of a message that names no file: 8 KB of a PHP warning cost
500-650 us through the pipeline, ten access lines of that length. The login window's test of
a POST's path did the same (four GETs of that path). Both searches run in RE2 now. Compared
lines carry the same ordinary words; each is unique, so no cached verdict makes it free. The
path ends before the colon Apache writes after it (AH01276 "Cannot serve directory /x/: No
matching ...").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lwsyslog.config import load_config
from lwsyslog.events import ErrorEvent, Origin
from lwsyslog.normalize import EventView
from lwsyslog.pipeline import Pipeline
from tests.unit.user_agent_cost import access_line, cost_ratio, ordinary_words

#: Most an 8 KB error message may cost, in access lines with an 8 KB User-Agent: about 10
#: with ``re``, about 2 with RE2.
BUDGET = 4.0
MESSAGE_CHARS = 8000


def php_error_line(message: str, serial: int) -> str:
    """An Apache 2.4 error-log line whose message is ``message``, made unique by ``serial``."""
    return (
        f"[Sat Dec 05 15:34:{serial % 60:02d}.345964 2026] [php:warn] [pid 2434:tid 2434] "
        f"[client 203.0.113.5:51234] AH01071: Got error 'PHP message: {message} u{serial}'"
    )


def nginx_error_line(message: str, serial: int) -> str:
    """An nginx error-log line with ``message`` in its text, made unique by ``serial``."""
    return (
        f'2026/12/05 15:34:37 [error] 1234#1234: *{serial} "{message}" u{serial}, '
        'client: 203.0.113.5, server: localhost, request: "GET /x HTTP/1.1", host: "a.test"'
    )


@pytest.mark.parametrize("line", [php_error_line, nginx_error_line])
def test_an_8kb_error_message_costs_a_few_access_lines(line: Callable[[str, int], str]) -> None:
    pipeline = Pipeline(load_config([]))
    words = ordinary_words(MESSAGE_CHARS)
    ratio = cost_ratio(pipeline, words, BUDGET, line, baseline_line=access_line)
    assert ratio <= BUDGET, f"an 8 KB error message costs {ratio:.1f} access lines"


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ("AH00128: File does not exist: /var/www/html/.env", "/var/www/html/.env"),
        ("AH01630: client denied by server configuration: /srv/secret", "/srv/secret"),
        ("AH01276: Cannot serve directory /var/www/x/: No matching", "/var/www/x/"),
        ("script '/usr/lib/cgi-bin/x.cgi' not found or unable to stat", "/usr/lib/cgi-bin/x.cgi"),
        (
            'open() "/usr/share/nginx/html/a.php" failed (2: No such file)',
            "/usr/share/nginx/html/a.php",
        ),
        ('"/srv/www/index.html" is not found (2: No such file)', "/srv/www/index.html"),
        ('directory index of "/srv/www/d/" is forbidden', "/srv/www/d/"),
        ("AH00128: File does not exist: /srv/a:b.txt", "/srv/a:b.txt"),
        ("FILE DOES NOT EXIST: /A", "/A"),
        ("PHP message: no file is named here " * 200, ""),
        ('open() "/' + '"' * 4000 + '" failed', ""),
    ],
)
def test_the_path_of_an_error_entry_is_the_file_its_message_names(message: str, path: str) -> None:
    event = ErrorEvent(origin=Origin("e.log", 1), raw="", message=message)
    assert EventView(event).raw("path") == path


def login_post_line(path: str, serial: int) -> str:
    """A POST access line for ``path``, made unique by ``serial``."""
    return (
        f'203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "POST /{path}{serial} HTTP/1.1" 200 512 '
        '"-" "Mozilla/5.0"'
    )


def get_line(words: str, serial: int) -> str:
    """A GET of a path of the same length, which no login window reads."""
    return login_post_line(words.replace(" ", "/"), serial).replace('"POST ', '"GET ', 1)


#: Most a POST with an 8 KB path may cost, in GETs of the same path: 3.5-4 when the login
#: window's search of the path ran in ``re``, about 1.1 with RE2.
LOGIN_BUDGET = 2.0


def test_a_post_with_an_8kb_path_costs_about_a_get() -> None:
    pipeline = Pipeline(load_config([]))
    path = ordinary_words(MESSAGE_CHARS).replace(" ", "/")
    ratio = cost_ratio(pipeline, path, LOGIN_BUDGET, login_post_line, baseline_line=get_line)
    assert ratio <= LOGIN_BUDGET, f"a POST with an 8 KB path costs {ratio:.1f} GETs"
