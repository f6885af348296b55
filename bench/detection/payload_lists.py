"""Round-2 payload corpora: public payload lists per attack class, split dev / held-out.

``build`` copies the lists below out of git snapshots of their public repositories (fetched
once; the paths are given on the command line) into ``payloads/round2/<class>.tsv`` under the
shared data directory, one payload per row with its source and its split. ``load`` reads them
back for the measurement.

The split is fixed by the payload's text alone (SHA-1, first byte even: ``dev``, odd:
``held-out``), so a payload listed by two sources lands in the same half, and the halves do
not move when a list is added. Rules are written and tuned against ``dev`` only; ``held-out``
is measured, never read while writing rules.

Every row says where the payload goes in a request (``place``):

``query-plain``  the text of one parameter value, percent-encoded as a browser sends it
``query-raw``    a parameter value as the list writes it (already URL-encoded: inserted as is)
``path-raw``     a request path as the list writes it (already URL-encoded)
``file``         a file name or path probed for (``/`` added in front when missing)
``ext:F``        a file extension, appended to file ``F`` after a dot (``/index.php.bak``)
``prefix:F``     a file-name prefix, put before file ``F`` (``/Copy_of_index.php``)
``append:F``     a suffix appended to file ``F`` as it is (``/default.asp::$DATA``)
``request:M``    a whole request target sent with method ``M`` (``request:POST:cookie=C``: with
                 cookie ``C``), as a tool sends it

and whether it is a ``target`` (the class's evidence is there), a ``probe`` (a lone quote, a
bare ``%0d%0a``, a separator with no command, a lone word asked of a server: what a tool sends
first to see what the site does, which is no attack on its own and not counted in the recall)
or ``other`` (another class's evidence, not this one's: also not counted), by the labelling
rules of :func:`label` (written from the class definitions, not from lwsyslog's rules).

Usage::

    python bench/detection/payload_lists.py build --patt DIR --fuzzdb DIR --data DIR
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CLASSES", "Payload", "label", "load", "split_of", "write"]

#: Attack classes with a corpus, and the taxonomy id their recall is measured with.
CLASSES: dict[str, str] = {
    "header-injection": "header-injection",
    "sqli": "sqli",
    "command-injection": "command-injection",
    "null-byte": "protocol-anomaly",
    "source-disclosure": "sensitive-file",
    "legacy-probe": "known-exploit",
}

PATT = "swisskyrepo/PayloadsAllTheThings"
FUZZDB = "fuzzdb-project/fuzzdb"

# (class, repository, path in the repository, place)
LISTS: tuple[tuple[str, str, str, str], ...] = (
    ("header-injection", PATT, "CRLF Injection/Files/crlfinjection.txt", "path-raw"),
    ("header-injection", FUZZDB, "attack/http-protocol/crlf-injection.txt", "query-raw"),
    *(
        ("sqli", PATT, f"SQL Injection/Intruder/{name}", "query-plain")
        for name in (
            "Auth_Bypass.txt", "Auth_Bypass2.txt", "Generic_ErrorBased.txt", "Generic_Fuzz.txt",
            "Generic_TimeBased.txt", "Generic_UnionSelect.txt", "SQL-Injection",
            "SQLi_Polyglots.txt", "FUZZDB_MSSQL.txt", "FUZZDB_MYSQL.txt", "FUZZDB_Oracle.txt",
            "FUZZDB_MSSQL_Enumeration.txt", "FUZZDB_Postgres_Enumeration.txt",
            "FUZZDB_MySQL_ReadLocalFiles.txt", "payloads-sql-blind-MSSQL-WHERE",
            "payloads-sql-blind-MySQL-WHERE", "payloads-sql-blind-MySQL-ORDER_BY",
        )
    ),
    *(
        ("sqli", FUZZDB, f"attack/sql-injection/{name}", "query-plain")
        for name in (
            "detect/GenericBlind.txt", "detect/Generic_SQLI.txt", "detect/MSSQL.txt",
            "detect/MSSQL_blind.txt", "detect/MySQL.txt", "detect/MySQL_MSSQL.txt",
            "detect/oracle.txt", "detect/xplatform.txt", "exploit/db2-enumeration.txt",
            "exploit/ms-sql-enumeration.txt", "exploit/mysql-injection-login-bypass.txt",
            "exploit/postgres-enumeration.txt",
        )
    ),
    ("command-injection", PATT, "Command Injection/Intruder/command-execution-unix.txt",
     "query-plain"),
    ("command-injection", PATT, "Command Injection/Intruder/command_exec.txt", "query-plain"),
    *(
        ("command-injection", FUZZDB, f"attack/os-cmd-execution/{name}", "query-plain")
        for name in (
            "command-execution-unix.txt", "OSCommandInject.Windows.txt",
            "command-injection-template.txt", "shell-delimiters.txt",
        )
    ),
    ("null-byte", PATT, "File Inclusion/Intruders/List_Of_File_To_Include_NullByteAdded.txt",
     "query-raw"),
    ("null-byte", FUZZDB, "attack/control-chars/NullByteRepresentations.txt", "query-raw"),
    ("null-byte", PATT, "Upload Insecure Files/Extension PHP/extensions.lst", "file"),
    ("null-byte", PATT, "Upload Insecure Files/Extension ASP/extensions.lst", "file"),
    ("source-disclosure", FUZZDB,
     "discovery/predictable-filepaths/filename-dirname-bruteforce/Extensions.Backup.txt",
     "ext:/index.php"),
    ("source-disclosure", FUZZDB,
     "discovery/predictable-filepaths/filename-dirname-bruteforce/copy_of.txt",
     "prefix:index.php"),
    ("source-disclosure", FUZZDB, "attack/disclosure-source/source-disclosure-generic.txt",
     "append:/index.php"),
    ("source-disclosure", FUZZDB, "attack/disclosure-source/source-disclosure-microsoft.txt",
     "append:/default.asp"),
    ("source-disclosure", FUZZDB, "discovery/predictable-filepaths/UnixDotfiles.txt", "file"),
    *(
        ("legacy-probe", FUZZDB, f"discovery/predictable-filepaths/{name}", "file")
        for name in (
            "webservers-appservers/Frontpage.txt", "webservers-appservers/IIS.txt",
            "webservers-appservers/ColdFusion.txt", "webservers-appservers/LotusNotes.txt",
            "webservers-appservers/JRun.txt", "cgi/CGI_Microsoft.txt",
        )
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Payload:
    """One corpus row."""

    cls: str
    split: str
    kind: str
    place: str
    source: str
    payload: str

    def method(self) -> str:
        """The request method (``GET`` unless the place names one)."""
        return self.place.split(":")[1] if self.place.startswith("request:") else "GET"

    def cookie(self) -> str:
        """The Cookie header sent with the request (empty unless the place names one)."""
        _, _, cookie = self.place.partition(":cookie=")
        return cookie

    def target(self) -> str:
        """The request target this payload is sent in."""
        if self.place.startswith("request:"):
            return self.payload
        if self.place == "query-plain":
            return "/search?q=" + urllib.parse.quote(self.payload, safe="")
        if self.place == "query-raw":
            return "/search?q=" + self.payload.replace(" ", "%20")
        text = self.payload.replace(" ", "%20")
        kind, _, base = self.place.partition(":")
        if kind == "ext":
            return f"{base}.{text}"
        if kind == "prefix":
            return f"/{text}{base}"
        if kind == "append":
            return base + text
        return text if text.startswith("/") else "/" + text


def split_of(payload: str) -> str:
    """``dev`` or ``held-out``, fixed by the payload's text."""
    return "dev" if hashlib.sha1(payload.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def _unquoted(text: str) -> str:
    for _ in range(3):
        text = urllib.parse.unquote(text, errors="replace")
    return text


_SQL_WORD = re.compile(
    r"\b(?:select|union|insert|update|delete|drop|exec|execute|declare|waitfor|sleep|benchmark"
    r"|pg_sleep|and|or|xor|having|order|group|like|where|from|null|char|concat|cast|convert"
    r"|xp_\w+|sp_\w+|information_schema|if|case|when|rlike|regexp|procedure|into|load_file"
    r"|version|user|database|substring|ascii|count|limit|grant|create|alter|truncate|table"
    r"|copy|set|is|not|in|all|top)\b|@@\w+",
    re.IGNORECASE,
)
_SQL_SHAPE = re.compile(
    r"['\"`)][^'\"`]*?(?:\b[a-z_]{2,}\b|--|#|/\*|;)"  # a quote, then a word, comment or ;
    r"|\w+\s*(?:=|<>|!=|<|>)\s*['\"(]?\w"  # a comparison
    r"|\b[a-z_]+\s*\(",  # a function call
    re.IGNORECASE,
)
_COMMANDS = re.compile(
    r"\b(?:id|uname|whoami|cat|ls|dir|type|ping|sleep|echo|net|ipconfig|ifconfig|netstat|wget"
    r"|curl|nc|bash|sh|cmd|powershell|hostname|pwd|env|set|ver|systeminfo|tasklist|nslookup"
    r"|passwd|reboot|rm|uptime|tail|head|more|find|perl|python|php|ruby|telnet|xterm|touch"
    r"|kill|ps|who|w|last|sort|expr|timeout|copy|del|rem|start|time|exit|shutdown|mkdir"
    r"|chmod|printenv|gcc|cc|ftp|tftp|route|arp|traceroute|tracert|lsof|finger|mail)\b"
    r"|/etc/|/bin/|\{cmd\}",
    re.IGNORECASE,
)
# Expressions a template engine or PHP evaluates (``{{ get_user_file("/etc/hosts") }}``,
# PHP's ``{${sleep(20)}}``): code injection, where no shell runs.
_CODE_EXPRESSION = re.compile(r"\{\{.*?\}\}|\$\{[^{}]*\}")
_HEADER_AFTER_BREAK = re.compile(r"[\r\n\u560a\u560d][\s\r\n]*[A-Za-z][\w-]*\s*:")
# One path component of ASCII letters only (``/bin/``, ``/Search``, ``isadmin``).
_LONE_WORD = re.compile(r"/?[A-Za-z]+/?")


def label(cls: str, payload: str) -> str:
    """``target`` when the payload carries the class's evidence, else ``probe``.

    header-injection: a line break (any encoding) followed by a ``Name:`` header line;
    sqli: two SQL words, or one with SQL's shape (after a quote, in a comparison or a
    call); a lone keyword (``having``, ``delete``) or comment marker is a probe;
    command-injection: more than a bare command name, with a
    command name or a path into ``/bin``/``/etc``; ``other`` when that evidence is only inside
    an expression a template engine or PHP evaluates (``{{...}}``, ``${...}``): code
    injection by the taxonomy, no OS command; null-byte: a NUL once URL-decoded;
    legacy-probe: every entry but a lone word, a path of one component made only of ASCII
    letters (``/bin/``, ``/db/``, ``/Search``, ``/isadmin``, the random name a scanner asks
    for to learn the site's 404 page). Such a word is a path any site may use: alone it says
    nothing about the product, and answered 404 it must not alert an ordinary user, so it is
    a probe like sqli's lone keyword. A second component, an extension, a digit, ``_``, ``-``
    or ``.`` is the product's own layout (``/_vti_pvt/``, ``/iisadmpwd/aexp2b.htr``).
    source-disclosure: every entry. Its requests always name a script and the backup, copy
    or dotfile shape around it (``/index.php.old``, ``/.bash_history``): none is a lone word,
    and the rule above, read on the list entry alone (``old``), would take the evidence away.
    """
    if cls == "header-injection":
        return "target" if _HEADER_AFTER_BREAK.search(_unquoted(payload)) else "probe"
    if cls == "sqli":
        words = len(set(word.lower() for word in _SQL_WORD.findall(payload)))
        shaped = words >= 1 and _SQL_SHAPE.search(payload) is not None
        return "target" if words >= 2 or shaped else "probe"
    if cls == "command-injection":
        # A bare command name (``dir``, ``route``) runs only when the whole value is the
        # command line: an everyday value (``?sort=id``), counted as a probe.
        bare = re.fullmatch(r"\s*[a-z]+\s*", payload, re.IGNORECASE) is not None
        if not _COMMANDS.search(payload) or bare:
            return "probe"
        return "target" if _COMMANDS.search(_CODE_EXPRESSION.sub(" ", payload)) else "other"
    if cls == "null-byte":
        return "target" if "\x00" in _unquoted(payload) else "probe"
    if cls == "legacy-probe":
        return "probe" if _LONE_WORD.fullmatch(payload) else "target"
    return "target"


def _lines(repo_dir: Path, path: str) -> Iterator[str]:
    text = subprocess.run(
        ["git", "--git-dir", str(repo_dir), "show", f"HEAD:{path}"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.strip() and not line.startswith("#"):
            yield line


def _cleaned(line: str) -> str:
    """A list line as a payload: a cheat sheet's description after a TAB dropped, fuzzdb's
    placeholders filled as its users do before sending (``__TIME__``: 5 seconds, ``{cmd}``:
    ``id``)."""
    payload = line.split("\t", 1)[0].rstrip()
    return payload.replace("__TIME__", "5").replace("{cmd}", "id")


def _commit(repo_dir: Path) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(repo_dir), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def build(repos: dict[str, Path], out: Path) -> dict[str, int]:
    """Write ``<class>.tsv`` files into ``out``; returns rows per class."""
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[Payload]] = {cls: [] for cls in CLASSES}
    seen: set[tuple[str, str, str]] = set()
    commits = {name: _commit(path) for name, path in repos.items()}
    for cls, repo, path, place in LISTS:
        source = f"{repo}@{commits[repo][:10]}:{path}"
        for line in _lines(repos[repo], path):
            payload = _cleaned(line)
            if not payload:
                continue
            key = (cls, place, payload)
            if key in seen:
                continue
            seen.add(key)
            kind = label(cls, payload)
            rows[cls].append(Payload(cls, split_of(payload), kind, place, source, payload))
    for cls, found in rows.items():
        write(out / f"{cls}.tsv", found)
    return {cls: len(found) for cls, found in rows.items()}


def write(path: Path, rows: list[Payload]) -> None:
    """Write corpus rows to ``path``, in the layout :func:`load` reads."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["split", "kind", "place", "source", "payload"])
        for row in rows:
            writer.writerow([row.split, row.kind, row.place, row.source, row.payload])


def load(directory: Path, name: str, cls: str | None = None) -> list[Payload]:
    """The rows of corpus file ``name``.tsv, of class ``cls`` (default: ``name``)."""
    with (directory / f"{name}.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader)
        return [Payload(cls or name, *row) for row in reader]


def main(argv: list[str] | None = None) -> int:
    """``build``: write the corpora from git snapshots of the source repositories."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--patt", type=Path, required=True, help=f"git dir of {PATT}")
    parser.add_argument("--fuzzdb", type=Path, required=True, help=f"git dir of {FUZZDB}")
    parser.add_argument("--data", type=Path, required=True, help="shared data directory")
    args = parser.parse_args(argv)
    counts = build({PATT: args.patt, FUZZDB: args.fuzzdb}, args.data / "payloads" / "round2")
    for cls, count in counts.items():
        print(f"{cls}: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
