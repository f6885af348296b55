"""SQL injection shapes beyond the classic ones: a statement after ``;`` or a quote, a value
that is a statement, a value that starts with a condition, and a value that is a quote, an
operator and a quote (login bypasses), a quoted-string condition left open."""

from __future__ import annotations

from lwsyslog.matching.linear import Regex, checked_search
from lwsyslog.normalize import VALUE_END as _END
from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule
from lwsyslog.rules.samples import AccessSample
from lwsyslog.rules.sqli import _S
from lwsyslog.rules.sqli_quotes import closes_unopened
from lwsyslog.severity import Severity

__all__ = [
    "SqliLeadingCondition",
    "SqliQuoteOperator",
    "SqliQuoteStatement",
    "SqliStackedQuery",
    "SqliStringCondition",
    "SqliValueStatement",
]

# Statements that change data, users or the schema, or run a procedure, each with the SQL
# that must follow its keywords (a name, a column list...): "delete from' meaning" is a phrase.
_NAME = r"[\w.$\[\]`\"]+"
_STATEMENT = (
    rf"(?:drop\s+(?:table|database|user|view|procedure|function)\s+{_NAME}"
    rf"|delete\s+from\s+{_NAME}|insert\s+into\s+{_NAME}\s*(?:\(|values\b|select\b)"
    rf"|update\s+{_NAME}\s+set\s+{_NAME}\s*=|truncate\s+table\s+{_NAME}"
    rf"|create\s+(?:user|login)\s+{_NAME}\s+(?:identified|with)\b"
    rf"|create\s+(?:table|database|procedure|function|trigger)\s+{_NAME}\s*(?:\(|as\b)"
    rf"|alter\s+(?:table|user|database|login)\s+{_NAME}\s+(?:add|drop|modify|alter|set"
    r"|identified|with|rename)\b"
    r"|(?:grant|revoke)\s+(?:all|select|insert|update|delete|execute|connect|resource|dba"
    r"|create)\b[\w, ]*\b(?:to|from)\b"
    rf"|exec(?:ute)?\s+(?:master\s*\.|xp_|sp_|@|\()|declare\s+@|shutdown\s*(?:with\b|--|;|{_END}))"
)


class SqliStackedQuery(PatternRule):
    """A second, destructive statement after ``;``."""

    id = "sqli-stacked-query"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "stacked SQL statement (; DROP TABLE, ; EXEC xp_...)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # A separator may be a "#"/"--" comment that a line break ends (:data:`_S`).
    pattern = Regex(
        rf";{_S}*(?:drop{_S}+(?:table|database)|insert{_S}+into|delete{_S}+from"
        rf"|update{_S}+\w+{_S}+set|truncate{_S}+table|exec(?:ute)?{_S}*(?:xp_|sp_|master\.|\()"
        # TRUNCATE without TABLE names one table and ends the statement; COPY ... PROGRAM
        # runs a command (PostgreSQL); ALTER USER/ROLE changes a password.
        rf"|truncate{_S}+[\w.$\[\]`\"]+{_S}*(?:{_END}|[;&#]|--)"
        rf"|copy{_S}+[\w.$\"]+(?:{_S}*\([^)]*\))?{_S}+(?:from|to){_S}+(?:program|stdin|stdout|['\"])"
        rf"|alter{_S}+(?:user|role|login|table|database){_S}+[\w.$\[\]`\"]+{_S}+"
        r"(?:with|set|add|drop|rename|identified|password|owner|modify|alter)\b"
        rf"|declare{_S}+@|shutdown\b|create{_S}+(?:table|user|function)"
        rf"|select{_S}*(?:[(*@'\"]|\d|null\b|[a-z_][\w.$]*{_S}*(?:\(|,|\bfrom\b))"
        rf"|i?if{_S}*\(|call{_S}+[\w.$]+{_S}*\(|waitfor{_S}+(?:delay|time)\b)"
    )
    trigger = (
        rf";{_S}*(?:drop|insert|delete|update|truncate|exec|declare|shutdown|create|select|if"
        r"|iif|call|waitfor|copy|alter)"
    )
    gate = ";"
    must_match = (
        AccessSample(target="/p?id=1;DROP%20TABLE%20users--"),
        AccessSample(target="/p?id=1';exec%20master..xp_cmdshell%20'ping%2010.0.0.1'--"),
        AccessSample(target="/p?id=1%3B%20declare%20@q%20varchar(99)"),
        AccessSample(target="/p?id=4);SELECT%20COUNT(*)%20FROM%20pg_class--"),
        AccessSample(target="/p?id=4%22;IF(1=1)%20SELECT%201%20ELSE%20DROP%20FUNCTION%20x--"),
        AccessSample(target="/p?id=9;CALL%20sleepy(5)"),
        AccessSample(target="/p?id=1;%23x%0ADROP%23y%0ATABLE%23z%0Ausers"),
        AccessSample(target="/p?id=1%27;--a%0Adeclare--b%0A@q%20varchar(99)"),
        AccessSample(target="/p?id=1;COPY%20cmd%20FROM%20PROGRAM%20%27id%27"),
        AccessSample(target="/p?id=1;TRUNCATE%20users"),
        AccessSample(target="/p?id=1;TRUNCATE%20users/*x*/"),
        AccessSample(target="/p?id=1;ALTER%20USER%20postgres%20WITH%20PASSWORD%20%27x%27"),
    )
    must_not_match = (
        AccessSample(target="/docs/drop-table-howto;jsessionid=ABC123"),
        AccessSample(target="/", cookie="theme=dark; update_banner=seen"),
        AccessSample(target="/", cookie="lang=en; select_region=eu; iframe_ok=1"),
        AccessSample(target="/search?q=pick+one;+select+the+best+answer"),
        AccessSample(target="/notes?text=done;%23todo%0Aselect+the+best%0Adrop+it"),
        AccessSample(target="/notes?text=done;+truncate+long+lines"),
        AccessSample(target="/notes?text=done;+truncate+lines/*x*/+first"),
        AccessSample(target="/notes?text=ok;+copy+the+files+from+usb"),
        AccessSample(target="/notes?text=ok;+alter+table+layout+to+fit"),
    )


class SqliQuoteStatement(PatternRule):
    """A quote that ends a string, then a statement (``' DELETE FROM users``, ``'; DROP TABLE``).

    The statement is what a stacked or batched query runs; a ``;`` between them is optional
    (SQL Server runs ``' DELETE FROM users`` as a second statement without one).
    """

    id = "sqli-quote-statement"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "string closed, then a SQL statement (' DELETE FROM users, '; GRANT ... TO)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(r"['\"`]\s*\)*\s*;?\s*" + _STATEMENT)
    must_match = (
        AccessSample(target="/p?id=1'%20DELETE%20FROM%20USERS"),
        AccessSample(target="/p?id=x';%20DROP%20TABLE%20members;--"),
        AccessSample(target="/p?u='%20grant%20connect%20to%20name;%20--"),
        AccessSample(
            target="/p?u='create%20user%20name%20identified%20by%20pass123%20temporary%20tablespace"
        ),
        AccessSample(target="/p?u=x')%20exec%20master..xp_cmdshell%20'dir'"),
        AccessSample(target="/p?u=a'%20UPDATE%20users%20SET%20role='admin'"),
    )
    must_not_match = (
        AccessSample(target="/search?q=%27delete%20from%27+meaning"),
        AccessSample(target="/search?q=%22insert+into%22+word+doc"),
        AccessSample(target="/search?q=it%27s+time+to+update+your+set"),
        AccessSample(target="/search?q=%27create+user+account%27+help"),
        AccessSample(target="/search?q=%22grant+access+to+files%22"),
    )


class SqliValueStatement(PatternRule):
    """A parameter value that is itself a SQL Server batch or a statement on a catalog.

    ``declare @q varchar(200) select @q = 0x... exec(@q)``, ``exec master..xp_cmdshell``,
    ``select @@servername``, PostgreSQL's ``copy t from '/etc/passwd'`` and ``create table
    t (x TEXT);``: what is sent once a tool knows the value reaches the database as a query.
    The name ``xp_cmdshell`` alone is no batch (a wiki page, a search for it): it counts after
    ``exec``, quoted (``sp_configure 'xp_cmdshell'``) or before its argument.
    """

    id = "sqli-value-statement"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "a value that is a SQL batch (declare @q ... exec(@q), select @@servername)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    pattern = Regex(
        r"\bdeclare\s+@\w+\s+n?(?:var)?char\b|\bexec(?:ute)?\s*\(\s*@\w"
        r"|\bexec(?:ute)?\s+master\s*\.\s*\w*\s*\.\s*(?:xp|sp)_\w|\bexec(?:ute)?\s+xp_cmdshell\b"
        r"|['\"]xp_cmdshell['\"]|\bxp_cmdshell\s*\(?\s*['\"@]"
        r"|\b(?:select|print)\s+@@[a-z_]{3,}"
        r"|\bcopy\s+[\w.]+\s+(?:from|to)\s+(?:program\s+)?['\"]?/"
        r"|\bcreate\s+table\s+[\w.]+\s*\(\s*\w+\s+(?:text|int|integer|varchar|char)\b[^;]*\)\s*;"
        r"|\bselect\s+\*\s+from\s+(?:syscat|sysibm|pg_\w+|all_\w+|dba_\w+)"
    )
    must_match = (
        AccessSample(target="/p?q=declare%20%40q%20nvarchar%20(200)%20select%20%40q%20%3D%200x73"),
        AccessSample(target="/p?q=x%20exec(%40s)"),
        AccessSample(target="/p?q=exec%20master..xp_cmdshell%20%27net%2Busers%27"),
        AccessSample(target="/p?id=1%3B%20EXEC%20xp_cmdshell(%27cat%20%2Fetc%2Fpasswd%27)"),
        AccessSample(target="/p?id=1%3Bexec%20sp_configure%20%27xp_cmdshell%27%2C1"),
        AccessSample(target="/p?id=1%3Bxp_cmdshell%20%27dir%27"),
        AccessSample(target="/p?q=select%20%40%40servername"),
        AccessSample(target="/p?q=copy%20myfile%20from%20%27%2Fetc%2Fpasswd%27%3B"),
        AccessSample(target="/p?q=create%20table%20myfile%20(input%20TEXT)%3B"),
        AccessSample(target="/p?q=select%20*%20from%20pg_group%3B"),
    )
    must_not_match = (
        AccessSample(target="/search?q=declare+a+variable+in+sql"),
        AccessSample(target="/wiki/Xp_cmdshell"),
        AccessSample(target="/search?q=how+to+enable+xp_cmdshell+on+sql+server"),
        AccessSample(target="/search?q=copy+files+from+usb"),
        AccessSample(target="/search?q=create+table+of+contents"),
        AccessSample(target="/search?q=select+all+from+list"),
        AccessSample(target="/mail?to=team%40%40example"),
    )


class SqliLeadingCondition(PatternRule):
    """A value that starts with ``OR``/``AND`` and a comparison or a call (`` OR x=x``,
    `` or isNULL(1/0)``): the value is pasted after the application's own condition.

    Also a whole value that is a negative number OR'd with a number (``-1 or 1``): no row has
    the id, the OR makes every row match. "1 or 2" (a count) is not negative.
    """

    id = "sqli-leading-condition"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "a value starting with OR/AND and a condition ( OR x=x,  or isnull(1/0))"
    logs = BOTH
    fields = ("query", "cookie")
    pattern = Regex(
        r"(?:^|=)\s*(?:(?:or|and|xor)\s|\|\||&&)\s*\(*\s*(?:[a-z_]\w*\s*(?:=|<>|!=|<=?|>=?)"
        r"\s*\(*\s*['\"]?\w|(?:isnull|ifnull|nullif|sleep|benchmark|ascii|substr(?:ing)?|mid"
        r"|length|char|exists)\s*\()"
        rf"|(?:^|=)\s*-\d+\s+(?:or|\|\|)\s+\d+\s*(?:{_END}|&|--|#)"
    )
    must_match = (
        AccessSample(target="/p?q=%20OR%20x%3Dx--"),
        AccessSample(target="/p?q=%20or%20a%20%3D%20a"),
        AccessSample(target="/p?id=%20or%20isNULL(1/0)%20/*"),
        AccessSample(target="/p?id=and%20user%3D'admin"),
        AccessSample(target="/p?id=-1%20or%201"),
        AccessSample(target="/p?id=-1%20OR%201--%20-&x=2"),
        AccessSample(target="/p?id=-1/*x*/or/*x*/1"),
    )
    must_not_match = (
        AccessSample(target="/search?q=or+maybe+not"),
        AccessSample(target="/search?q=and+then+there+were+none"),
        AccessSample(target="/search?q=or+(maybe)"),
        AccessSample(target="/search?q=rock+and+roll&sort=id"),
        AccessSample(target="/search?q=cats+or+x%3Dy"),
        AccessSample(target="/products?sort=price&order=desc"),
        AccessSample(target="/products?q=x&and=1&or=2"),
        AccessSample(target="/search?q=1+or+2+players"),
        AccessSample(target="/search?q=-1+or+1+which+is+larger"),
        AccessSample(target="/search?q=-1+or+1.5+stars"),
        AccessSample(target="/search?q=-1/*x*/or/*x*/1+which+is+larger"),
    )


class SqliQuoteOperator(PatternRule):
    """A whole value that is a quote, an operator and a quote or a comment: the login bypasses
    of every wordlist (``'='``, ``'*'``, ``'+0+'``, ``'-0-- -``).

    In ``WHERE user=''='' AND pass=''='...`` the comparisons chain into a truth for every row;
    ``'-0-- -`` compares the name with 0 (true for non-numeric names in MySQL) and comments out
    the password test. Only the whole value, ended by ``&`` or the end: "'=' sign" is a search.
    A minus needs a number ("'-'" is a dash someone searches for).
    """

    id = "sqli-quote-operator"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "a value that is quote, operator, quote ('=', '*', '+0+', '-0-- -)"
    logs = BOTH
    fields = ("query", "cookie")
    pattern = Regex(
        r"(?:^|=)\s*(?P<frag>['\"]\s*(?:[=*^|]|\|\||-\s*\d+|\+\s*\d*\s*\+?)\s*"
        rf"(?:['\"]\s*(?:--[\s-]*|#)?|--[\s-]*|#))\s*(?:{_END}|&)"
    )
    gate = "'\""
    must_match = (
        AccessSample(target="/login?u=%27%3D%27&p=%27%3D%27"),
        AccessSample(target="/login?u=%27-0--%20-"),
        AccessSample(target="/login?u=%27*%27"),
        AccessSample(target="/login?u=%27%2B0%2B%27"),
        AccessSample(target="/login?u=%22%3D%22"),
        AccessSample(target="/login?u=%27%7C%7C%27"),
        AccessSample(target="/login?u=%27%3D%27/*x*/"),
        AccessSample(target="/login?u=%27/*x*/-0--%20-/*y*/"),
    )
    must_not_match = (
        AccessSample(target="/search?q=%27%3D%27+sign+meaning"),
        AccessSample(target="/search?q=%27-%27"),
        AccessSample(target="/search?q=%22-%22+in+logs"),
        AccessSample(target="/search?q=a%27%3D%27b"),
        AccessSample(target="/search?q=%27%2B%27+operator"),
        AccessSample(target="/rating?stars=%27*%27+(one)"),
        AccessSample(target="/search?q=%27%3D%27/*x*/+sign"),
    )


# After the left side: AND/OR, a name, "=" and an opening quote, or LIKE and a "%" pattern.
_STRING_CONDITION = (
    rf"{_S}*(?:(?:and|or|xor)\b|&&|\|\|){_S}*['\"`]?[a-z_][\w.]*['\"`]?{_S}*"
    rf"(?:={_S}*['\"`]\w|like{_S}*['\"`][^'\"`]*%|like{_S}*cha?r\s*\(\s*37\s*\))"
)


class SqliStringCondition(PatternRule):
    """A condition on a quoted string right after ``AND``/``OR``, the string left open.

    The value ends inside the application's own quotes, which close it: ``1 OR X='ss`` becomes
    ``... WHERE id='1 OR X='ss'``, ``' or username like '%`` a ``LIKE`` on any name. Only the
    left side needs no quote; the right side must open one, and a ``LIKE`` must carry SQL's
    ``%`` wildcard, so "2 or more like 'this'" and ``a AND b`` stay quiet. A balanced
    comparison of one value with itself (``' or 'a'='a``) is the tautology rule's.
    """

    id = "sqli-string-condition"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = "quoted-string condition after AND/OR (1 OR x='ss, ' or user like '%)"
    logs = BOTH
    fields = PAYLOAD_FIELDS
    # A number counts as the left side when it is not the end of a word or of a decimal:
    # the character before it is matched but not reported.
    pattern = Regex(rf"(?:^|[^\w.])(?P<frag>\d+{_STRING_CONDITION})|['\"`)]{_STRING_CONDITION}")
    # The quote (or ")") before AND/OR must close a string the value never opened
    # (:func:`~lwsyslog.rules.sqli_quotes.closes_unopened`): in ``status = "Open" AND x = "y``
    # it closes the value's own "Open". A number's match starts with a digit after its start.
    linear = checked_search(
        pattern,
        lambda text, start, _end: (
            text[start + 1 : start + 2].isdigit()
            or text[start] not in "'\"`)"
            or closes_unopened(text, start)
        ),
        tries=8,
    )
    words = frozenset({"and", "or", "xor"})
    trigger = r"&&|\|\|"
    gate = "'\"`"
    must_match = (
        AccessSample(target="/p?id=1%20OR%20X=%27ss"),
        AccessSample(target="/p?id=1%20AND%20%27NS=%27ss"),
        AccessSample(target="/search?q=%27%20or%20username%20like%20%27%25"),
        AccessSample(target="/p?id=1%20AND%20passwd%20LIKE%20%27a%25%27/*"),
        AccessSample(target="/p?u=%27%20or%20username%20like%20char(37);"),
        AccessSample(target="/p?id=1%23x%0AOR%23y%0AX=%27ss"),
        AccessSample(target="/p?id=1%27--a%0Aor--b%0Ausername--c%0Alike--d%0A%27%25"),
        # An odd quote from the value's start, whatever a decoded "&" (%26) splits off.
        AccessSample(target="/p?q=%27%26%27%27+or+user+like+%27%25&x=%22a%22"),
        AccessSample(target="/p?q=(%27a%27))+or+user+like+%27%25"),
        # MySQL reads \' as a quote character: the next quote breaks out.
        AccessSample(target="/login?u=%5C%27%27%20or%20user%20like%20%27%25"),
        AccessSample(target="/login?u=%5C%27x%27%20or%20user%20like%20%27%25"),
    )
    must_not_match = (
        AccessSample(target="/search?q=rock+and+roll"),
        AccessSample(target="/search?q=2+or+more+like+%27this%27"),
        AccessSample(target="/search?q=a+AND+b"),
        AccessSample(target="/search?q=%22like+new%22+or+used"),
        AccessSample(target="/search?q=tom+%27and%27+jerry+%3D+%27cartoon%27"),
        AccessSample(target="/search?q=%27tom%27+and+jerry"),
        AccessSample(target="/search?q=1+or+2+%27stars%27"),
        AccessSample(target="/", cookie="lang='en'; order='desc'"),
        AccessSample(target="/notes?text=%231%0Aor+name+%3D+tom"),
        AccessSample(target="/s?cql=siteSearch+~+%22a%22+and+space+%3D+%22OPS%22&q=a"),
        AccessSample(target="/s?cql=space+in+(%22OPS%22,%22DEV%22)+and+type+%3D+%22page%22"),
        AccessSample(target="/issues/?jql=reporter+%3D+%27o.brien%27+or+assignee+%3D+%27x%27"),
        AccessSample(target="/s?cql=title+~+%22docs/%22+and+space+%3D+%22OPS%22"),
    )
