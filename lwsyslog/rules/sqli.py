"""SQL injection: payloads that change the meaning of a query, in any client-controlled field."""

from __future__ import annotations

import re

from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "SqliDatabaseFingerprint",
    "SqliQuoteBreakout",
    "SqliStackedQuery",
    "SqliTautology",
    "SqliTimeBlind",
    "SqliUnionSelect",
]


class SqliUnionSelect(PatternRule):
    """``UNION [ALL] SELECT``: appending attacker rows to a query's result."""

    id = "sqli-union-select"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "UNION SELECT appended to a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(r"(?<![a-z])union(?:\s+(?:all|distinct))?[\s(]*select(?![a-z])")
    words = frozenset({"union"})
    gate = " \n("
    must_match = (
        AccessSample(
            target="/item.php?id=-1%20UNION%20ALL%20SELECT%201,2,concat(user,0x3a,password)--"
        ),
        AccessSample(target="/news.php?id=1/**/UnIoN/**/SeLeCt/**/1,2,3"),
        AccessSample(target="/p?id=1%2527%2520union%2520select%2520null--"),
        AccessSample(target="/", cookie="lang=en' union select null,version()-- -"),
        ErrorSample(message="File does not exist: /var/www/html/index.php' UNION(SELECT 1)"),
    )
    must_not_match = (
        AccessSample(target="/select-your-plan"),
        AccessSample(target="/search?q=union+station"),
        AccessSample(target="/about/european-union/select-committee"),
    )


class SqliTautology(PatternRule):
    """``' OR 1=1``-style conditions that are always true."""

    id = "sqli-tautology"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "always-true condition (' OR 1=1, ' or 'a'='a)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"(?:['\"`)]|(?<![\w.])\d+)\s*(?:or|and|xor|\|\||&&)\s*\(?\s*(['\"`]?)(\w{1,20})\1\s*"
        r"(?:=|<=>|like)\s*\(?\s*\1\2(?:\1|\b)"
        r"|(['\"])\s*(?:or|\|\|)\s*\3\3\s*=\s*\3"
        r"|['\"`)]\s*(?:or|\|\|)\s+(?:true|not\s+false)\b"
    )
    words = frozenset({"or", "and", "xor"})
    trigger = r"\|\||&&"
    gate = " \n'\"`)|"
    must_match = (
        AccessSample(target="/login.php?user=admin%27%20OR%201=1--&pass=x"),
        AccessSample(target="/login?u=x'%20or%20'a'='a"),
        AccessSample(target="/item?id=1+OR+1%3D1"),
        AccessSample(target="/", user_agent="' or ''='"),
    )
    must_not_match = (
        AccessSample(target="/search?q=this+or+that"),
        AccessSample(target="/search?q=rock+%27n%27+roll&order=desc"),
        AccessSample(target="/shop?size=1&color=red"),
    )


class SqliQuoteBreakout(PatternRule):
    """A quote that closes a SQL string, followed by a comment or a SQL clause."""

    id = "sqli-quote-breakout"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "string literal closed and followed by SQL (comment, clause, statement)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"['\"`]\s*\)*\s*(?:"
        r"--(?:\s|-|$)|#\s*$|;\s*(?:--|$)"
        r"|(?:having|union|order\s+by\s+\d|group\s+by|procedure\s+analyse|rlike|regexp|select|waitfor)\b"
        r"|(?:and|or|xor|&&|\|\|)\s*\(*\s*(?:\d|not\b|exists|select|substr|mid|ascii|char|length|"
        r"sleep|benchmark|if\s*\(|case\b|true\b|false\b|null\b|@@|0x))"
    )
    gate = "'\"`"
    must_match = (
        AccessSample(target="/account.php?user=admin'--"),
        AccessSample(target="/p?id=5%22%20AND%20ASCII(SUBSTRING(user(),1,1))%3E64--"),
        AccessSample(target="/list?cat=2')%20order%20by%205%23"),
        AccessSample(target="/", cookie="PHPSESSID=abc; uid=1' and 1=2 -- "),
    )
    must_not_match = (
        AccessSample(target="/search?q=%22hello+world%22&page=2"),
        AccessSample(target="/people/o'brien"),
        AccessSample(target="/quotes?text=she+said+%27hi%27+and+left"),
    )


class SqliTimeBlind(PatternRule):
    """Time-based blind injection: making the database wait."""

    id = "sqli-time-blind"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "time-delay function in a parameter (SLEEP, BENCHMARK, WAITFOR DELAY)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*(?:\d|\(\s*select)"
        r"|\bwaitfor\s+delay\s*['\"]"
        r"|dbms_pipe\s*\.\s*receive_message\s*\("
    )
    words = frozenset({"sleep", "pg_sleep", "benchmark", "waitfor", "dbms_pipe"})
    gate = " \n('\""
    must_match = (
        AccessSample(target="/p.php?id=1%20AND%20SLEEP(5)"),
        AccessSample(target="/p?id=1;WAITFOR%20DELAY%20'0:0:5'--"),
        AccessSample(target="/p?id=(select(0)from(select(sleep(10)))v)"),
        AccessSample(target="/", user_agent="Mozilla/5.0' and benchmark(5000000,md5(1))-- "),
    )
    must_not_match = (
        AccessSample(target="/blog/sleep-better-tips"),
        AccessSample(target="/reviews?q=benchmark+results+2024"),
    )


class SqliDatabaseFingerprint(PatternRule):
    """Reading the database's own catalog, version or files, and quote-free string building."""

    id = "sqli-db-fingerprint"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "database catalog, version or file functions in a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r"information_schema|\bsys\s*\.\s*(?:objects|tables|columns|databases)\b|\bsysobjects\b"
        r"|\bmysql\s*\.\s*(?:user|db)\b|\bpg_(?:catalog|shadow|user)\b|\bsqlite_master\b"
        r"|@@(?:version|datadir|hostname|basedir)\b"
        r"|\b(?:version|database|current_user|system_user|schema)\s*\(\s*\)"
        r"|\b(?:load_file|extractvalue|updatexml|group_concat|concat_ws|xp_cmdshell|sp_executesql"
        r"|utl_http\s*\.\s*request)\s*\("
        r"|\binto\s+(?:out|dump)file\b"
        r"|\bchar\s*\(\s*\d{1,3}\s*(?:,\s*\d{1,3}\s*)+\)"
        r"|\bconcat\s*\([^)]{0,60}0x[0-9a-f]{2}"
        r"|['\"]\s*(?:\|\||\+)\s*['\"]"
    )
    words = frozenset(
        {
            "information_schema", "sys", "sysobjects", "mysql", "pg_catalog", "pg_shadow",
            "pg_user", "sqlite_master", "version", "database", "current_user", "system_user",
            "schema", "load_file", "extractvalue", "updatexml", "group_concat", "concat_ws",
            "xp_cmdshell", "sp_executesql", "utl_http", "into", "char", "concat",
        }
    )  # fmt: skip
    trigger = r"@@|\|\||['\"]\s*\+"
    gate = " \n('\"|"
    must_match = (
        AccessSample(
            target="/p?id=1+and+1=0+union+all+select+table_name+from+information_schema.tables"
        ),
        AccessSample(target="/p?id=1%20and%20extractvalue(1,concat(0x7e,@@version))"),
        AccessSample(target="/p?id=-1%20or%201=1%20into%20outfile%20'/var/www/html/x.php'"),
        AccessSample(target="/p?name=%27||%27adm%27||%27in"),
        AccessSample(target="/p?user=x%27%2B%27adm%27%2B%27in"),
    )
    must_not_match = (
        AccessSample(target="/docs/system-requirements"),
        AccessSample(target="/api/v2/version"),
        AccessSample(target="/product?name=Widget+(large)"),
    )


class SqliStackedQuery(PatternRule):
    """A second, destructive statement after ``;``."""

    id = "sqli-stacked-query"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "stacked SQL statement (; DROP TABLE, ; EXEC xp_...)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = re.compile(
        r";\s*(?:drop\s+(?:table|database)|insert\s+into|delete\s+from|update\s+\w{1,64}\s+set"
        r"|truncate\s+table|exec(?:ute)?\s*(?:xp_|sp_|master\.|\()|declare\s+@|shutdown\b"
        r"|create\s+(?:table|user|function))"
    )
    trigger = r";\s*(?:drop|insert|delete|update|truncate|exec|declare|shutdown|create)"
    gate = ";"
    must_match = (
        AccessSample(target="/p?id=1;DROP%20TABLE%20users--"),
        AccessSample(target="/p?id=1';exec%20master..xp_cmdshell%20'ping%2010.0.0.1'--"),
        AccessSample(target="/p?id=1%3B%20declare%20@q%20varchar(99)"),
    )
    must_not_match = (
        AccessSample(target="/docs/drop-table-howto;jsessionid=ABC123"),
        AccessSample(target="/", cookie="theme=dark; update_banner=seen"),
    )
