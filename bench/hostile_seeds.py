"""Adversarial seeds and the log lines that carry them, for ``bench_hostile.py``.

A *seed* is a short string an attacker repeats to fill one client-controlled field of a log
line (about 8,000 bytes: Apache's request-line and header limits are 8,190 bytes). Seeds are
every ASCII punctuation character alone, and the metacharacters and keywords the rule patterns
(``lwsyslog/rules/*.py``) and the decoder (``lwsyslog/normalize.py``) key on: the text before
a bounded or unbounded quantifier, the first branch of an alternation, an encoding the decoder
undoes. A field is filled with the seed repeated, Apache-escaped as Apache would log it; its
*baseline* is the same field filled with ordinary words to the same logged length. A few seeds
(:data:`DISTINCT`) are runs of distinct encodings instead of one string repeated.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

from hostile_report import apache_escape

__all__ = ["DISTINCT", "FIELDS", "QUICK_SEEDS", "SEEDS", "Field", "baseline_fill", "seed_fill"]

_TOKENS = (
    # The list: template, lookup, traversal, encoding, SQL, shell, XSS, Log4Shell.
    "{{", "${", "#{", "<%", "{%", "../", "..\\", "%2e", "%25", "%u", "&#", "\\x", "||", "$(",
    "() {", "<script", " or ", "union ", "select ", "/*", "--", "jndi:", "${jndi:", "%0d%0a",
    " ", "  ", "\t", "%00", "=http://", "0", "1", "12345 ", "\n", "\r\n",
    # code.py: template arithmetic, {{ ... __class__, {% for ... %}, ${#, freemarker.
    "{{1*", "{{ ", "{% for ", "${1+", "#{1*", "<%= 1", "<#assign", "%{#", "${#", "java.",
    "class.", "eval(", "<?", "-d ", "allow_url_include",
    # command.py: separators before a command word, wget/nc/ping option runs, dir, cat paths.
    ";id ", "|id", "`id`", "$(id)", "&&", "wget ", "wget -a ", "nc -a ", "ping -a 1 ", "ping ",
    "dir /a ", "ls -l ", "cat /etc/", "nslookup -a ", "a''a", "/???/", "?", "$ifs", "<!--#",
    "=sleep ", "'id'", "chmod ", "/bin/sh",
    # sqli.py: operators, quotes before keywords, nested parentheses, CASE WHEN, char(), cast(.
    "' or ", "1 or ", "1 and 1=", "(1=", "((", "( select ", "and (select ", " and ((",
    "case when ", "' --", "'#", "1 order by 1", ";select ", "; ", "char(1,", "cast(",
    "concat(", "' + '", "'||'", "@@", "1=1 ", "-1 ", "1+", "1*1 ", "sleep(", "')", "'or'",
    "or 'a'='", "1 like '", "' and a", "(1)", "where 1", "count(*) from a ",
    # xss.py: an open tag before [^>]{0,300}?, quotes before on...=, javascript:, &{.
    "<a ", "<a", "<a href", "' on", "\"on", "<a/", "'><a x=", "&{", ":expression(",
    "window['", "alert(", "javascript:", "<img ", "'/>",
    # traversal.py: dot runs, 0x2e, /./, ;/ .
    "..", "....//", "..;/", ".../", "/./", "/.//", "0x2e", "0x2e0x2e/", "%2e%2e%2f", "%252e",
    "%c0%af", "..%c0%af", "/.", ":windows", "c:/",
    # log4shell.py: lookups the de-obfuscation substitutes.
    "${lower:", "${::-", "${a:", "${${", "${a:b:c:-", "${date:'", ":-", "}",
    # shellshock.py, inclusion.py, webshell.py, sensitive.py, scanner.py, badbot.py.
    "(){", "()", "() { :", "://", "php://", "=http://a/", "proc/self/", "&cmd=id", "/uploads/",
    "/~", "mailto:a@", "e-mail ", "wget/1 ",
    # normalize.py: percent runs, %u, overlong UTF-8, entities, SQL comments, odd spaces.
    "%", "%%", "%41", "%u0041", "%uff0e", "%c0", "&amp;", "&#x41;", "&#65;", "&a", "/*!",
    "/**/", "/*!1", "+", "\u00e9", "\u3000", "\x00", "\x1b", "\xa0", "\\",
    # Evasion shapes of round 2: SQL comments as spaces, split commands, deep encodings.
    "%23x%0a", "1--x%0a", "c'a't", "\\\\a", "%2526", "//", "%252f", " between 1 and ",
    "ascii((select ",
    # percent.py: 70 distinct %u escapes pass the flood cap, then an escaped backslash.
    "".join(f"%u{0x100 + i:04x}" for i in range(70)) + "\\u005c%u",
    # Error-log rules (access.py, auth.py, waf.py): prefixes and brackets.
    "[", "]", "modsecurity: [", "mod_security: ", "user ", ": ",
)  # fmt: skip

_NAMED = ("amp", "lt", "gt", "quot", "apos", "nbsp", "copy", "reg", "eacute", "agrave", "ouml")

#: Seeds that are not one string repeated but a run of *distinct* encodings (a decoder that
#: resolves each distinct piece once is cheap on a repeated seed, not on these): the seed's
#: name, and its ``i``-th piece.
DISTINCT: dict[str, Callable[[int], str]] = {
    "&#N; distinct": lambda i: f"&#{60 + i};",
    "&#xH; distinct": lambda i: f"&#x{60 + i:x};",
    "&name; distinct": lambda i: f"&{_NAMED[i % len(_NAMED)]};",
    "%uXXXX distinct": lambda i: f"%u{0x100 + i:04x}",
    "%XX distinct": lambda i: f"%{0x20 + i % 0x60:02x}",
    "%e0%XX%XX overlong distinct": lambda i: f"%e0%{0x80 + i % 32:02x}%{0x80 + i // 32 % 64:02x}",
    "%f0%XX%XX%XX overlong distinct": lambda i: (
        f"%f0%80%{0x80 + i % 64:02x}%{0x80 + i // 64 % 64:02x}"
    ),
}

#: Every seed, in a stable order, without duplicates.
SEEDS: tuple[str, ...] = tuple(dict.fromkeys([*string.punctuation, *_TOKENS, *DISTINCT]))

#: A few seeds known to matter, for ``--quick``.
QUICK_SEEDS: tuple[str, ...] = ("{", "|", "'", "(", "<a", "../", "${", "{{", "a", " or ", "%")

_WORDS = (
    "summer", "garden", "orange", "bicycle", "window", "yellow", "planet", "river", "mountain",
    "coffee", "pencil", "basket", "forest", "candle", "silver", "marble", "harbor", "meadow",
    "lantern", "violet", "ticket", "button", "cotton", "pepper", "saddle", "walnut", "velvet",
)  # fmt: skip
_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_ACCESS = "203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "
_ERROR = "[Sun Mar 01 10:00:00.123456 2026] [{module}:error] [pid 4242:tid 140001] " + (
    "[client 203.0.113.5:1234] "
)


@dataclass(frozen=True, slots=True)
class Field:
    """A client-controlled field: how a line is built around its (escaped) fill, made
    unique by ``n`` (the engine caches verdicts per field value: a repeated line is free),
    and the separator of the ordinary words that fill its baseline."""

    name: str
    build: Callable[[str, int], str]
    separator: str


def _path(fill: str, n: int) -> str:
    return f'{_ACCESS}"GET /{fill}/u{n} HTTP/1.1" 200 5120 "-" "{_UA}"'


def _post_path(fill: str, n: int) -> str:
    # A POST's path is also read by the login window (thresholds), which GETs skip.
    return f'{_ACCESS}"POST /{fill}/u{n} HTTP/1.1" 200 5120 "-" "{_UA}"'


def _query(fill: str, n: int) -> str:
    return f'{_ACCESS}"GET /search?q={fill}&u={n} HTTP/1.1" 200 5120 "-" "{_UA}"'


def _user_agent(fill: str, n: int) -> str:
    return f'{_ACCESS}"GET /index.html HTTP/1.1" 200 5120 "-" "{fill} u{n}"'


def _header(fill: str, n: int) -> str:
    # A header logged after the combined format (%{X-Api-Version}i appended, say): read by the
    # rules as the field "headers".
    return f'{_ACCESS}"GET /index.html HTTP/1.1" 200 5120 "-" "{_UA}" "{fill} u{n}"'


def _referer(fill: str, n: int) -> str:
    return f'{_ACCESS}"GET /index.html HTTP/1.1" 200 5120 "{fill} u{n}" "{_UA}"'


def _error_message(fill: str, n: int) -> str:
    return _ERROR.format(module="proxy_fcgi") + f"AH01071: Got error 'PHP message: {fill} u{n}'"


def _error_path(fill: str, n: int) -> str:
    return _ERROR.format(module="core") + f"AH00128: File does not exist: /var/www/{fill}/u{n}"


def _json(field: str, fill: str, n: int) -> str:
    # Apache's JSON LogFormat: values escaped as in any Apache log (\" \\ \xHH), which is
    # JSON but for the \xHH escapes.
    values = {"request": "GET /index.html HTTP/1.1", "user_agent": _UA} | {field: fill}
    return (
        f'{{"time":"2026-03-01T10:00:00+0000","client":"203.0.113.5","remote_user":"-",'
        f'"request":"{values["request"]}","status":200,"bytes":5120,"referer":"-",'
        f'"user_agent":"{values["user_agent"]}","serial":{n}}}'
    )


def _json_query(fill: str, n: int) -> str:
    return _json("request", f"GET /search?q={fill}&u={n} HTTP/1.1", n)


def _json_user_agent(fill: str, n: int) -> str:
    return _json("user_agent", f"{fill} u{n}", n)


def _iis(query: str, user_agent: str) -> str:
    # IIS W3C extended, its default field list (no #Fields: line needed); IIS writes a space
    # in a field as "+".
    return (
        f"2026-03-01 10:00:00 10.0.2.10 GET /default.aspx {query.replace(' ', '+')} 443 - "
        f"203.0.113.5 {user_agent.replace(' ', '+')} - 200 0 0 31"
    )


def _iis_query(fill: str, n: int) -> str:
    return _iis(f"q={fill}&u={n}", "Mozilla/5.0")


def _iis_user_agent(fill: str, n: int) -> str:
    return _iis("-", f"{fill} u{n}")


def _nginx_error_message(fill: str, n: int) -> str:
    return (
        f'2026/03/01 10:00:00 [error] 1234#1234: *{n} "{fill}" u{n}, client: 203.0.113.5, '
        'server: localhost, request: "GET /x HTTP/1.1", host: "a.test"'
    )


def _error_referer(fill: str, n: int) -> str:
    return (
        _ERROR.format(module="core")
        + f"AH00128: File does not exist: /var/www/html/x{n}, referer: {fill} u{n}"
    )


FIELDS: tuple[Field, ...] = (
    Field("path", _path, "/"),
    Field("post_path", _post_path, "/"),
    Field("query", _query, "+"),
    Field("user_agent", _user_agent, " "),
    Field("referer", _referer, "/"),
    Field("header", _header, " "),
    Field("error_message", _error_message, " "),
    Field("error_path", _error_path, "/"),
    Field("error_referer", _error_referer, " "),
    Field("nginx_error_message", _nginx_error_message, " "),
    Field("json_query", _json_query, "+"),
    Field("json_user_agent", _json_user_agent, " "),
    Field("iis_query", _iis_query, "+"),
    Field("iis_user_agent", _iis_user_agent, "+"),
)


def seed_fill(seed: str, size: int, *, logged: bool = False) -> str:
    """The seed repeated to about ``size`` bytes sent by the client (``logged``: to about
    ``size`` characters as logged), Apache-escaped."""
    piece = DISTINCT.get(seed)
    if piece is not None:
        text = []
        total = 0
        while total < size:
            text.append(piece(len(text)))
            total += len(apache_escape(text[-1]) if logged else text[-1].encode("utf-8"))
        return apache_escape("".join(text))
    unit = len(apache_escape(seed)) if logged else len(seed.encode("utf-8"))
    return apache_escape(seed * max(1, size // unit))


def baseline_fill(field: Field, length: int) -> str:
    """Ordinary words joined by the field's separator, exactly ``length`` characters long."""
    parts: list[str] = []
    total = 0
    i = 0
    while total < length:
        word = _WORDS[i % len(_WORDS)]
        parts.append(word)
        total += len(word) + 1
        i += 1
    return field.separator.join(parts)[:length]
