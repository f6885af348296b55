"""SQL injection: payloads that change the meaning of a query, in any client-controlled field."""

from __future__ import annotations

import re

from lwsyslog.matching.linear import Regex, checked_search, verified_search
from lwsyslog.normalize import VALUE_END as _END
from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.rules.sqli_quotes import after_contains_operator
from lwsyslog.rules.sqli_signed import without_signed_query
from lwsyslog.severity import Severity

__all__ = [
    "SqliBlindProbe",
    "SqliDatabaseFingerprint",
    "SqliQuoteBreakout",
    "SqliSubqueryCondition",
    "SqliTautology",
    "SqliTimeBlind",
    "SqliUnionSelect",
]

# One separator in SQL: white space, or a comment that a line break ends ("#" in MySQL, "--"
# in every dialect). sqlmap's space2hash and space2dash write one for every space
# (``1%23x%0AAND%23y%0A9227=9227``). Only the SQL rules read "#...\n" as a space: the text
# other rules read keeps it (``#<script>`` is still markup). SQL Server also reads the
# control characters decoding leaves (%01-%08, %0E-%1B) as blanks (sqlmap's space2mssqlblank).
_S = r"(?:[\s\x01-\x08\x0e-\x1b]|#[^\n]*\n|--[^\n]*\n)"
# The same blanks as characters of a rule's gate.
_BLANK_GATE = " \n" + "".join(map(chr, [*range(1, 9), *range(14, 28)]))
# What SQL needs after SELECT: a literal, "*", "@@", a parenthesis, NULL/TOP/DISTINCT, or a
# name that a comma, FROM, a call, a concatenation or a comment follows ("UNION SELECT
# committee" in a search is English); or nothing, the value ending there (a fuzzing list's
# "' UNION SELECT").
_SELECTED = (
    rf"(?:{_S}*(?:{_END}|[&;]|-?\d|[(*@`]|['\"][^'\"]*['\"])|{_S}+(?:null|distinct|all|top|case)\b"
    rf"|{_S}+[a-z_][\w.$]*{_S}*(?:[(,)]|\|\||\bfrom\b|\binto\b|--|#|/\*|;))"
)


class SqliUnionSelect(PatternRule):
    """``UNION [ALL] SELECT``: appending attacker rows to a query's result."""

    id = "sqli-union-select"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "UNION SELECT appended to a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # "union" and "select" whole words (not "reunion", "selection"): the letter before and
    # the start of the selected list after them are matched, the report is the words;
    # what SQL needs after it (:data:`_SELECTED`) is matched but not reported. MySQL reads
    # ``\N`` as NULL, so ``\NUNION SELECT`` is a NULL and UNION: decoded (a backslash reads
    # as "/"), a "/n" right before "union" counts as the start of the word.
    pattern = Regex(
        rf"(?:^|[^a-z]|/n)(?P<frag>union(?:{_S}+(?:all|distinct))?(?:[(]|{_S})*select){_SELECTED}"
    )
    words = frozenset({"union"})
    gate = _BLANK_GATE + "("
    must_match = (
        AccessSample(
            target="/item.php?id=-1%20UNION%20ALL%20SELECT%201,2,concat(user,0x3a,password)--"
        ),
        AccessSample(target="/news.php?id=1/**/UnIoN/**/SeLeCt/**/1,2,3"),
        AccessSample(target="/p?id=1%2527%2520union%2520select%2520null--"),
        AccessSample(target="/", cookie="lang=en' union select null,version()-- -"),
        ErrorSample(message="File does not exist: /var/www/html/index.php' UNION(SELECT 1)"),
        AccessSample(
            target="/item.php?id=-1%23a%0AUNION%23b%0ASELECT%23c%0Ausername,password%23d%0AFROM"
        ),
        AccessSample(target="/item.php?id=-1--a%0AUNION--b%0AALL--c%0ASELECT--d%0ANULL"),
        AccessSample(target="/item.php?id=1%27%20UNION%20SELECT%20password%20FROM%20users--"),
        AccessSample(target="/item.php?id=1%20UNION%20SELECT%20@@version"),
        AccessSample(target="/search?q=%5Cx27UNION%20SELECT&page=1"),
        AccessSample(target="/item.php?id=%5cNUNION%20SELECT%201,2"),
        AccessSample(target="/item.php?id=1%5CNunion%23a%0Aselect%23b%0Anull"),
        # A sql_signature= off phpMyAdmin's SQL route, or not an HMAC-SHA256, signs nothing.
        AccessSample(
            target="/app.php?sql_query=1+union+select+password+from+users&sql_signature=0"
        ),
        AccessSample(target="/pma/index.php?sql_query=select+1+union+select+2&sql_signature=ab"),
        AccessSample(
            target="/pma/index.php?route=/sql&sql_query=select+1+union+select+2&sql_signature=ab12"
        ),
        AccessSample(
            target="/app.php?sql_query=select+1+union+select+2&sql_signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ),
        # The value ends after SELECT in the comment-free text (a fuzzing list's "' UNION
        # SELECT" behind a comment).
        AccessSample(target="/item.php?id=1/*a*/UNION/*b*/SELECT/*c*/"),
        AccessSample(target="/pma/index.php?sql_query=select+1+union+select+2&sql_signature="),
    )
    must_not_match = (
        AccessSample(target="/select-your-plan"),
        AccessSample(target="/search?q=union+station"),
        AccessSample(target="/about/european-union/select-committee"),
        AccessSample(target="/search?q=european+union+select+committee"),
        AccessSample(target="/search?q=credit+union+select+account+types"),
        AccessSample(target="/search?q=union+select%22+menu"),
        AccessSample(target="/search?q=nunion+select+1,2"),
        AccessSample(target="/wiki/NUnion%20Select%20committee"),
        AccessSample(target="/search?q=union/*a*/select/*b*/committee"),
        # phpMyAdmin's signed Browse links (5.1 on, and 4.9/5.0's sql.php).
        AccessSample(
            target="/pma/index.php?route=/sql&db=shop&sql_query=select+1+union+select+2"
            "&sql_signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ),
        AccessSample(
            target="/pma/sql.php?db=shop&sql_query=select+1+union+select+2"
            "&sql_signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The match, outside a statement phpMyAdmin signed (:mod:`.sqli_signed`)."""
        return self.linear.search(without_signed_query(text) if field == "target" else text)


class SqliTautology(PatternRule):
    """``' OR 1=1``-style conditions that are always true."""

    id = "sqli-tautology"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "always-true condition (' OR 1=1, ' or 'a'='a)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # Compiled: the search confirms each candidate with it (RE2 has no back-reference).
    # A separator may be a "#"/"--" comment that a line break ends (:data:`_S`).
    pattern = re.compile(
        rf"(?:['\"`)]|(?<![\w.])\d+){_S}*(?:or|and|xor|\|\||&&){_S}*\(?{_S}*(['\"`]?)(\w{{1,20}})\1"
        rf"{_S}*(?:=|<=>|like){_S}*\(?{_S}*\1\2(?:\1|\b)"
        rf"|(['\"]){_S}*(?:or|\|\|){_S}*\3\3{_S}*={_S}*\3"
        rf"|['\"`)]{_S}*(?:or|\|\|){_S}+(?:true|not{_S}+false)\b"
    )
    # The same value on both sides is a back-reference, which RE2 does not have: RE2 finds
    # each comparison after OR/AND (the pattern without the back-references), ``pattern``
    # confirms it there. A field of more near-misses than that counts as a match.
    linear = verified_search(
        Regex(
            rf"(?:['\"`)]|(?:^|[^\w.])\d+){_S}*(?:or|and|xor|\|\||&&){_S}*\(?{_S}*"
            rf"['\"`]?\w+['\"`]?{_S}*(?:=|<=>|like)"
            rf"|'{_S}*(?:or|\|\|){_S}*''{_S}*={_S}*'|\"{_S}*(?:or|\|\|){_S}*\"\"{_S}*={_S}*\""
            rf"|['\"`)]{_S}*(?:or|\|\|){_S}+(?:true|not{_S}+false)\b"
        ),
        pattern,
        lead=1,
        tries=8,
    )
    words = frozenset({"or", "and", "xor"})
    trigger = r"\|\||&&"
    gate = " \n'\"`)|"
    must_match = (
        AccessSample(target="/login.php?user=admin%27%20OR%201=1--&pass=x"),
        AccessSample(target="/login?u=x'%20or%20'a'='a"),
        AccessSample(target="/item?id=1+OR+1%3D1"),
        AccessSample(target="/", user_agent="' or ''='"),
        AccessSample(target="/item.php?id=1%27%23x%0AOR%23y%0A1=1"),
        AccessSample(target="/login?u=x%27--a%0Aor--b%0A%27a%27=%27a"),
    )
    must_not_match = (
        AccessSample(target="/search?q=this+or+that"),
        AccessSample(target="/search?q=rock+%27n%27+roll&order=desc"),
        AccessSample(target="/shop?size=1&color=red"),
        AccessSample(target="/notes?text=see+%2312%0Aor+%2313%0Aequal+bugs"),
        AccessSample(target="/search?q=c%23+or+f%23+%3D+same"),
    )


# AND/OR/WHERE... and a comparison of a number (or sums of numbers) with something.
_CONDITION = (
    rf"(?:(?:\b|\d)(?:and|or|xor|where|having|when|not)|&&|\|\|){_S}*\(*{_S}*"
    rf"-?\d+(?:{_S}*[-+*/%]{_S}*\d+)*{_S}*(?:=|<>|!=|<=>|<=?|>=?){_S}*\(*{_S}*"
)


class SqliBlindProbe(PatternRule):
    """Boolean and conditional probes that need no quote: how blind injection reads a database.

    A comparison of two literals (or of a literal and a sub-query or function) right after
    ``AND``/``OR``/``WHERE``/``HAVING``/``WHEN`` (``1 AND 4022=4022``, ``) WHERE 5=5``, with
    arithmetic on the left as in ``-1 OR 17-7=10`` or ``OR 3*2<(0+5+966-966)``), a
    conditional function on such a comparison (``ELT(3=3,1)``, ``IIF(2>1,1,1/0)``), ``CASE WHEN
    ... THEN``, ``ORDER BY n`` ended by a comment, and ``RLIKE``/``REGEXP`` on a sub-query.
    """

    id = "sqli-blind-probe"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "boolean/conditional blind probe (AND 3=3, CASE WHEN, IIF(, ELT(, ORDER BY n--)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # The comparison, then a number (ended by what is no part of it, matched but not
    # reported), a sub-query or a function call.
    pattern = Regex(
        rf"(?P<frag>{_CONDITION}-?\d+)(?:$|[^\w.])"
        rf"|{_CONDITION}(?:select\b|[a-z_][\w.$]*\s*\()"
        r"|\b(?:elt|make_set|iif|if|nullif|ifnull)\s*\(\s*\(*\s*-?\d+\s*(?:=|<>|!=|<|>)\s*-?\d+"
        r"|\bcase\s+when\b.+?\bthen\b"
        r"|(?:\)|\b\d+)\s*order\s+by\s+\d+\s*(?:--|#|;)"
        r"|\b(?:r?like|regexp)\s*\(*\s*select\b"
        r"|\(\s*-?\d+\s*(?:=|<>|!=|<|>)\s*-?\d+\s*\)\s*[*/+-]\s*\d"
        # BETWEEN on literals, ending the value (sqlmap: "AND 9227 BETWEEN 9227 AND 9227").
        rf"|(?:\b|\d)(?:and|or|xor|where|having|when){_S}+-?\d+{_S}+(?:not{_S}+)?between"
        rf"{_S}+-?\d+{_S}+and{_S}+-?\d+{_S}*(?:{_END}|[&);#]|--|/\*)"
        # GREATEST/LEAST of literals compared with one (sqlmap: "AND GREATEST(9227,9226)=9227").
        rf"|\b(?:greatest|least){_S}*\({_S}*-?\d+{_S}*,{_S}*-?\d+{_S}*\){_S}*"
        r"(?:=|<>|!=|<=?|>=?)\s*-?\d"
    )
    words = frozenset(
        {
            "and", "or", "xor", "where", "having", "when", "not", "elt", "make_set", "iif", "if",
            "nullif", "ifnull", "case", "order", "like", "rlike", "regexp", "between",
            "greatest", "least",
        }
    )  # fmt: skip
    trigger = r"&&|\|\||\(\s*-?\d+\s*[=<>!]"
    gate = " \n("
    must_match = (
        AccessSample(target="/product.php?id=7%20AND%204022=4022"),
        AccessSample(
            target="/product.php?id=7)%20WHERE%2012=12%20OR%203=(SELECT%20COUNT(*)%20FROM%20t)"
        ),
        AccessSample(target="/list?cat=3%20AND%20MAKE_SET(7=7,1)"),
        AccessSample(target="/list?cat=3,IIF(1=2,1,1/0)"),
        AccessSample(
            target="/list?sort=(SELECT%20CASE%20WHEN%20(1=1)%20THEN%20name%20ELSE%20id%20END)"
        ),
        AccessSample(target="/list?cat=3))%20ORDER%20BY%2011%23"),
        AccessSample(target="/list?cat=3)%20RLIKE%20(SELECT%201)"),
        AccessSample(target="/", user_agent="Mozilla/5.0 || 77>3"),
        AccessSample(target="/list?page=(4=4)*2"),
        AccessSample(target="/list?page=-1%20OR%2017-7=10"),
        AccessSample(target="/list?view=-1%20OR%203*2<(0%2b5%2b966-966)%20--%20"),
        AccessSample(target="/list?id=2AND%203=4"),
        AccessSample(target="/item.php?id=1%23upgPydUzKpMX%0AAND%23RcDKhIr%0A9227=9227"),
        AccessSample(target="/item.php?id=1--upgPydUzKpMX%0AAND--RcDKhIr%0A9227=9227"),
        AccessSample(target="/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227"),
        AccessSample(target="/item.php?id=1%20AND%20GREATEST(9227,9226)=9227"),
        AccessSample(target="/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227--%20-"),
        AccessSample(target="/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227&x=1"),
        AccessSample(target="/item.php?id=1%20AND%209227%20BETWEEN%209227%20AND%209227/*x*/"),
    )
    must_not_match = (
        AccessSample(target="/search?q=ages+5+and+6+years"),
        AccessSample(target="/search?q=what+if+x+%3D+2"),
        AccessSample(target="/help?topic=in+case+when+you+forget+your+password"),
        AccessSample(target="/shop?sort=price&order=desc&page=2"),
        AccessSample(target="/search?q=or+3+stars"),
        AccessSample(target="/calc?expr=(3%2B4)*2"),
        AccessSample(target="/search?q=results+1-2+of+10"),
        AccessSample(target="/search?q=pages+1-2+or+3-4"),
        AccessSample(target="/calc?expr=4-1%3D3"),
        AccessSample(target="/scores?q=won+4-1+and+drew+2-2"),
        AccessSample(target="/search?q=kids+5+and+6+between+3+and+4+years"),
        AccessSample(target="/search?q=greatest+(2+hits)+%3D+3+cds"),
        AccessSample(target="/search?q=kids+or+5+between+3+and+4/*x*/+years"),
    )


class SqliQuoteBreakout(PatternRule):
    """A quote that closes a SQL string, followed by a comment or a SQL clause.

    A quote directly before a parenthesised sub-query (``' (select top 1``) counts when the
    sub-query reads as SQL (``TOP n``, a literal, ``*`` or a function call), not as a phrase
    such as ``"(select all that apply)"``.

    A quote and ``;`` with nothing after them is no evidence on its own: it ends code
    snippets (``a="get";``) and shell commands as often as SQL, so ``;`` counts only before a
    comment (``';--``); a SQL statement after it is the stacked-query rule's.
    """

    id = "sqli-quote-breakout"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "string literal closed and followed by SQL (comment, clause, statement)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # A comment right after the quote (``admin'--``); after a space, only a comment that holds
    # no word: "Believin' -- Journey" is a song title.
    pattern = Regex(
        rf"['\"`]\)*--(?:\s|-|&|{_END})"
        r"|['\"`]\s*\)*\s*(?:"
        rf"--(?:$|-|&|\s+(?:$|[^\sa-z]))|#\s*(?:{_END}|&)|;\s*--"
        r"|(?:having|union|order\s+by\s+\d|group\s+by|procedure\s+analyse|rlike|regexp|waitfor)\b"
        # SELECT and what SQL needs after it: not a quoted word ("select" element).
        r"|select(?:\s*(?:-?\d|[(*@])|\s+(?:null\b|top\s+\d)"
        r"|\s+[a-z_][\w.$]*\s*(?:[(,]|\bfrom\b))"
        r"|\(\s*select\s+(?:top\s+\d|distinct\b|null\b|\d|\*|[\w.$]+\s*\()"
        r"|is\s+(?:not\s+)?null\s*(?:--|#|;|/\*)"
        # A number after AND/OR must be SQL's, not a length: "6' or 8' fence" is feet.
        rf"|(?:and|or|xor|&&|\|\|)\s*\(*\s*(?:-?\d+(?:\.\d+)?(?:\s*[-+*/%]\s*\d+)*\s*(?:[=<>!)]|--|#|;|{_END}|&"
        r"|\b(?:and|or|xor|is|between|like|rlike|regexp|in|limit|order|group|union|div|mod)\b)"
        r"|not\b|exists|select|substr|mid|ascii|char|length|"
        r"sleep|benchmark|if\s*\(|isnull\s*\(|case\b|true\b|false\b|null\b|@@|0x"
        r"|['\"]['\"]|['\"]\w*['\"]?\s*\)*\s*(?:=|<>|!=|<=?|>=?|like\b)"
        rf"|[a-z_]\w*\s+is\s+(?:not\s+)?null\b|['\"]\d*\s*(?:{_END}|&)"
        rf"|[a-z_]\w*\s*(?:--[\s-]*|#\s*)(?:{_END}|&)))"
    )
    # Not a quote after JQL's and CQL's "~" (``text ~ "select * from t"``): it opens a
    # literal of the query the value is.
    linear = checked_search(
        pattern, lambda text, start, _end: not after_contains_operator(text, start), tries=8
    )
    gate = "'\"`"
    must_match = (
        AccessSample(target="/account.php?user=admin'--"),
        AccessSample(target="/p?id=5%22%20AND%20ASCII(SUBSTRING(user(),1,1))%3E64--"),
        AccessSample(target="/list?cat=2')%20order%20by%205%23"),
        AccessSample(target="/", cookie="PHPSESSID=abc; uid=1' and 1=2 -- "),
        AccessSample(target="/account.php?user=admin'%3B--"),
        AccessSample(target="/search?q=%27%20(select%20top%201"),
        AccessSample(target="/login?u=%27%20or%20%27%27-%27"),
        AccessSample(target="/login?u=%27or%271%3D1"),
        AccessSample(target="/login?u=%27))%20or%20((%27x%27))%3D((%27x"),
        AccessSample(target="/login?u=x%27%20AND%20email%20IS%20NULL;%20--"),
        AccessSample(target="/login?u=admin%27%20or%20%27"),
        AccessSample(target="/login?u=%22%20or%20isNULL(1/0)%20/*"),
        AccessSample(target="/p?id=1%27%20select%20password%20from%20users"),
        AccessSample(target="/p?id=1%27)%20select%20*%20from%20users"),
        AccessSample(target="/login?u=%27%20OR%201=1--"),
        AccessSample(target="/login?u=1%27%20or%20%271%27=%271"),
        AccessSample(target="/login?u=%27%20or%201=1%23"),
        AccessSample(target="/login?u=%27)%20or%20(%27a%27=%27a"),
        AccessSample(target="/login?u=admin%27%20--%20-"),
        AccessSample(target="/login?u=admin%27%20or%20%271"),
        AccessSample(target="/login?u=%27%20or%20id%20--%20-"),
        AccessSample(target="/p?id=1%27%20IS%20NOT%20NULL--%20-"),
        # A whole value ended by a SQL comment: the comment-free text ends there.
        AccessSample(target="/login?u=admin%27%23/*x*/"),
        AccessSample(target="/login?u=admin%27%20or%20%27/*x*/"),
        AccessSample(target="/login?u=admin%27--&p=x"),
        AccessSample(target="/login?u=admin%27%20--&p=x"),
        AccessSample(target="/login?u=admin%27%23&p=x"),
        # "~" opens a literal only in a JQL or CQL query (jql=, cql=).
        AccessSample(target="/item?id=x~%27%20order%20by%203--%20-"),
        AccessSample(target="/item?id=x~%27)%20or%20(%27a%27=%27a"),
        AccessSample(target="/issues/?jql=a&id=x~%27%20having%201=1--"),
    )
    must_not_match = (
        AccessSample(target="/search?q=%22hello+world%22&page=2"),
        AccessSample(target="/code/search?q=a%3D%22get%22%3B"),
        AccessSample(target="/", user_agent="() { :; }; echo; /bin/echo 'done';"),
        AccessSample(target="/people/o'brien"),
        AccessSample(target="/quotes?text=she+said+%27hi%27+and+left"),
        AccessSample(target="/form?hint=%22(select+all+that+apply)%22"),
        AccessSample(target="/form?hint=%27(select+one)%27"),
        AccessSample(target="/search?q=%27tea%27+or+%27coffee%27+please"),
        AccessSample(target="/search?q=o%27neil+or+smith+is+nullable"),
        AccessSample(target="/search?q=%22select%22+element+not+working"),
        AccessSample(target="/search?q=%27select+all%27+checkbox"),
        AccessSample(target="/search?q=6%27+or+8%27+fence+panel"),
        AccessSample(target="/search?q=12%27+and+16%27+boards"),
        AccessSample(target="/search?q=1/2%22+or+3/4%22+pipe"),
        AccessSample(target="/search?q=6%272%22+or+6%273%22"),
        AccessSample(target="/search?q=Don%27t+Stop+Believin%27+--+Journey"),
        AccessSample(target="/search?q=The+%27Best%27+--+and+worst"),
        AccessSample(target="/search?q=%27undefined%27+is+not+null+error"),
        AccessSample(target="/search?q=%27tom%27+or+jerry+--+cartoon"),
        AccessSample(target="/search?q=admin%27%23/*x*/tag"),
        AccessSample(target="/search?q=it%27s/*x*/"),
        AccessSample(target="/issues/?jql=text+~+%22select+*+from+users+where+id+%3D+1%22"),
        AccessSample(target="/dosearchsite.action?cql=siteSearch+~+%22union+select+1%22"),
        AccessSample(target="/rest/api/2/search?maxResults=5&jql=summary~%27order+by+3--%27"),
    )


class SqliTimeBlind(PatternRule):
    """Time-based blind injection: making the database wait."""

    id = "sqli-time-blind"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "time-delay function in a parameter (SLEEP, BENCHMARK, WAITFOR DELAY)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # The number of seconds (or rounds) ends the argument: "sleep (5 hours)" is a search.
    pattern = Regex(
        rf"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*(?:\d+(?:\.\d+)?\s*(?:[-+*/),]|{_END})"
        r"|\(\s*select)"
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
        AccessSample(target="/p.php?id=1%20AND%20SLEEP(0.5)"),
        AccessSample(target="/p.php?id=1%20AND%20SLEEP%20(%205%20)"),
        # The value ends after the number: the application's own ")" closes the call.
        AccessSample(target="/item.php?id=1%20or%20sleep(5"),
        AccessSample(target="/item.php?id=1%20and%20pg_sleep(5"),
        AccessSample(target="/item.php?id=benchmark(10000000"),
    )
    must_not_match = (
        AccessSample(target="/blog/sleep-better-tips"),
        AccessSample(target="/reviews?q=benchmark+results+2024"),
        AccessSample(target="/search?q=sleep+(5+hours)"),
        AccessSample(target="/search?q=benchmark+(3+runs)+results"),
    )


class SqliDatabaseFingerprint(PatternRule):
    """Reading the database's own catalog, version or files, and quote-free string building.

    Also the type conversions error-based probes force (``CONVERT(int, ...)``, ``CAST(0x... AS
    varchar(8000))``: the database's error message then prints the value), and ``CHAR(n)``
    calls joined by commas (a string built without a quote, as for ``CONCAT``).
    ``information_schema`` as a whole value (a console's ``?db=information_schema``) names a
    database; it counts inside SQL (``FROM information_schema``, ``information_schema.tables``).
    """

    id = "sqli-db-fingerprint"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "database catalog, version or file functions in a parameter"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        # information_schema as a whole value is a database's name, as a console's link or a
        # search has it (``?db=information_schema``); in SQL something comes before or after.
        r"(?:[^=&\s]|[^=&]\s)\s*information_schema|information_schema\s*[^&\s]"
        r"|\bsys\s*\.\s*(?:objects|tables|columns|databases)\b"
        r"|\bsys(?:objects|columns|comments|databases|xlogins|processes)\b"
        r"|\bmysql\s*\.\s*(?:user|db)\b|\bsqlite_master\b|\bsyscat\s*\.\s*\w"
        r"|\bpg_(?:catalog|shadow|user|group|roles|authid|database|namespace|settings|ls_dir"
        r"|read_file|stat_activity)\b|\bcurrent_(?:database|setting|schemas?)\s*\("
        r"|@@(?:version|datadir|hostname|basedir|servername|microsoftversion|spid|language)\b"
        r"|\b(?:version|database|current_user|system_user|schema)\s*\(\s*\)"
        r"|\b(?:load_file|extractvalue|updatexml|group_concat|concat_ws|xp_cmdshell|sp_executesql"
        r")\s*\(|\butl_http\s*\.\s*request\b"
        r"|\binto\s+(?:out|dump)file\b"
        r"|\bchar\s*\(\s*\d{1,3}\s*(?:,\s*\d{1,3}\s*)+\)"
        r"|\bconcat\s*\([^)]*?0x[0-9a-f]{2}"
        r"|['\"]\s*(?:\|\||\+)\s*['\"]"
        r"|\bch(?:a?r)\s*\(\s*\d{1,4}\s*\)\s*(?:\|\||\+)\s*\(?\s*ch(?:a?r)\s*\("
        r"|\bchar\s*\(\s*\d{1,4}\s*\)\s*,\s*char\s*\(\s*\d"
        r"|\bcast\s*\([^()]+?\bas\s+(?:n?(?:var)?char|int(?:eger)?|bigint|numeric|decimal"
        r"|signed|unsigned|binary|text)\b"
        r"|\bconvert\s*\(\s*(?:int(?:eger)?|bigint|n?(?:var)?char|numeric|decimal)\s*(?:\(|,)"
        r"|\b(?:randomblob|regexp_substring|generate_series|xmltype|cvar|crypt_key"
        r"|sqlid_to_sqlhash|drithsx\s*\.\s*sn|utl_inaddr\s*\.\s*get_host_\w+)\s*\("
        r"|\bsysibm\s*\.\s*sys\w+|\brdb\$\w+|\bmaster\s*\.\.\s*sys\w+|\bmsysaccessobjects\b"
        r"|\bfrom\s+(?:dual|all_users|sysusers)\b"
        # MySQL's double overflow error: EXP(~(SELECT * FROM (SELECT USER())a)).
        r"|\bexp\s*\(\s*~\s*\("
        r"|\bcount\s*\(\s*\*\s*\)\s*from\s+[\w.$]+(?:\s+as)?\s+\w+\s*,\s*[\w.$]+"
    )
    words = frozenset(
        {
            "information_schema", "sys", "sysobjects", "mysql", "pg_catalog", "pg_shadow",
            "pg_user", "sqlite_master", "version", "database", "current_user", "system_user",
            "schema", "load_file", "extractvalue", "updatexml", "group_concat", "concat_ws",
            "xp_cmdshell", "sp_executesql", "utl_http", "into", "char", "chr", "concat",
            "randomblob", "regexp_substring", "generate_series", "xmltype", "cvar", "crypt_key",
            "sqlid_to_sqlhash", "drithsx", "utl_inaddr", "sysibm", "rdb", "master",
            "msysaccessobjects", "dual", "all_users", "sysusers", "count", "syscolumns",
            "syscomments", "sysdatabases", "sysxlogins", "sysprocesses", "cast", "convert",
            "exp",
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
        AccessSample(target="/p?id=2%20OR%20CHR(65)||CHR(66)=CHR(65)||CHR(66)"),
        AccessSample(target="/p?id=2%20AND%20LIKE(%27x%27,UPPER(HEX(RANDOMBLOB(90000000))))"),
        AccessSample(
            target="/p?id=2%20AND%20(SELECT%20COUNT(*)%20FROM%20sysusers%20AS%20a,sysusers%20AS%20b)"
        ),
        AccessSample(target="/p?id=convert(int,%20cast(0x5f2140%20as%20varchar(8000)))"),
        AccessSample(target="/p?id=(select%20name%20from%20syscolumns)"),
        AccessSample(target="/p?id=(SELECT%20CONCAT(CHAR(95),CHAR(33),CHAR(64)))"),
        AccessSample(target="/p?id=1%20AND%201=CAST(version%20AS%20NUMERIC)"),
        AccessSample(target="/p?id=1%20AND%20EXP(~(SELECT%20*%20FROM%20(SELECT%20USER())a))"),
        AccessSample(target="/p?db=information_schema.tables"),
        AccessSample(target="/p?id=1+union+select+1+from+information_schema"),
        AccessSample(target="/p?id=(information_schema)"),
    )
    must_not_match = (
        AccessSample(target="/docs/system-requirements"),
        AccessSample(target="/api/v2/version"),
        AccessSample(target="/product?name=Widget+(large)"),
        AccessSample(target="/flights?from=dual+city&count=2"),
        AccessSample(target="/search?q=chr+(5+pack)+%2B+chrome+(6)"),
        AccessSample(target="/movies/cast?title=Cast+(as+seen+on+TV)"),
        AccessSample(target="/tools?q=convert+(integer+to+roman)"),
        AccessSample(target="/search?q=cast+(tom+as+the+lead)"),
        AccessSample(target="/units/convert?from=int&to=char"),
        AccessSample(target="/search?q=~(select+a+size)"),
        AccessSample(target="/calc?expr=exp(2)*~3"),
        # A database named by a console's link (phpMyAdmin, Adminer), or searched for.
        AccessSample(
            target="/phpmyadmin/index.php?route=/database/structure&db=information_schema"
        ),
        AccessSample(target="/adminer.php?username=root&db=information_schema&select=TABLES"),
        AccessSample(target="/search?q=+information_schema+"),
    )


class SqliSubqueryCondition(PatternRule):
    """A parenthesised ``SELECT`` sub-query tested right after ``AND``/``OR``.

    How a tool asks the database a yes/no question whose answer depends on the product: sqlmap's
    fingerprinting sends ``1 AND (SELECT QUOTE_IDENT(NULL)) IS NULL`` with one function or
    catalog name per product, ``AND (SELECT 'x' FROM SYSMASTER:SYSDUAL)='x'``. The sub-query
    must read as SQL (a function call, ``NULL``, ``FROM``, a literal, ``*`` or ``@``) and be
    followed by ``IS [NOT] NULL`` or a comparison, so a phrase such as "size and (select a
    colour)" stays quiet. A literal compared with a sub-query (``AND 3=(SELECT ...)``) is the
    blind-probe rule's.
    """

    id = "sqli-subquery-condition"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "sub-query tested after AND/OR (AND (SELECT ...) IS NULL, OR (SELECT ...)=1)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # What reads as SQL comes before the first ")" after SELECT, no ";" before the ")" that
    # closes the sub-query. The sub-query may be the argument of functions
    # (``AND ASCII(SUBSTRING((SELECT ...),1,1))>64``, ``AND LENGTH((SELECT ...))=32``).
    pattern = Regex(
        rf"(?:\b(?:and|or|xor|not|where|having|when)|&&|\|\|){_S}*"
        rf"(?:[a-z_]\w*{_S}*\({_S}*)*\(+{_S}*select\b"
        rf"[^);]*?(?:\(|\bnull\b|\bfrom\b|['\"*@]|\b\d)[^;]*?\){_S}*"
        r"(?:is\s+(?:not\s+)?null\b|=|<>|!=|<|>|(?:not\s+)?(?:r?like|regexp|in|between)\b)"
    )
    words = frozenset({"select"})
    gate = "("
    must_match = (
        AccessSample(target="/item?id=1%20AND%20(SELECT%20TDESENCRYPT(NULL,NULL))%20IS%20NULL"),
        AccessSample(
            target="/item?id=1%20AND%20(SELECT%20%27YKWI%27%20FROM%20SYSMASTER:SYSDUAL)=%27YKWI%27"
        ),
        AccessSample(
            target="/item?id=1%20OR%20(SELECT%20ALPHA(NULL)%20FROM%20VERSIONS)%20IS%20NOT%20NULL"
        ),
        AccessSample(target="/", cookie="id=7 && (select count(*) from users)>0"),
        AccessSample(
            target="/item.php?id=1%20AND%20ascii(substring((select%20password%20from%20users"
            "%20limit%201),1,1))%3E64"
        ),
        AccessSample(
            target="/item.php?id=1%20AND%20ISNULL(ASCII(SUBSTRING(CAST((SELECT%20LOWER(name)"
            "%20FROM%20users)%20AS%20NVARCHAR(4000)),1,1)),0)%3E64"
        ),
        AccessSample(
            target="/item.php?id=1%20AND%20length((select%20password%20from%20users"
            "%20limit%201))=32"
        ),
        AccessSample(
            target="/p?id=1%20AND%20(SELECT%20password%20FROM%20users%20LIMIT%201)%20REGEXP%20%27%5Ea%27"
        ),
    )
    must_not_match = (
        AccessSample(target="/shop?q=size+and+(select+a+colour)"),
        AccessSample(target="/help?q=pick+one+or+(select+none)+to+skip"),
        AccessSample(target="/form?note=name+and+(select+your+plan)+%3D+required+fields"),
        AccessSample(target="/help?q=sizes+and+colours(select+one)+%3D+required"),
        AccessSample(target="/help?q=and+(select+a+pattern)+regexp+tester"),
    )
