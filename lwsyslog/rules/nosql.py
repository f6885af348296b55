"""NoSQL operator injection: a MongoDB query operator where the application expects a value.

``/login?user[$ne]=x&pass[$ne]=x`` reaches an Express or PHP application as
``{user: {$ne: "x"}, pass: {$ne: "x"}}`` (``qs`` and PHP both build objects from bracketed
names): passed on to ``find()`` it matches every user, a login without a password.
``pass[$regex]=^a`` guesses a password one character at a time, and ``{"$where": ...}`` runs
JavaScript in the database. The category is ``sqli``: OWASP's Core Rule Set files its MongoDB
injection rules (942290) among the SQL injection ones, and the taxonomy's ``sqli`` is an
injection into the application's database query, whatever its language.

Two shapes count: a bracketed operator in a parameter's name (``user[$ne]``,
``a[b][$gt]``), and an operator as a key of a JSON object in a value (``{"$ne": 1}``,
``,"$where":``); a ``$`` before a word in prose (``$gt 5``, ``q=$ne``) is neither.

Query-builder APIs take these operators by design: Strapi's ``filters[field][$eq]``, Parse
Server's ``where={"score":{"$gte":1000}}``, RESTHeart's ``filter=``. A parameter named
``filters``, ``filter`` or ``where`` is passed over for that reason, in both shapes. Search APIs
take a whole query document in ``q``, ``query``, ``search`` or ``sort``
(``q={"$text":{"$search":"coffee"}}``): such a parameter is passed over when its whole value is
one JSON object, the document the API asked for. The injection is the other shape, an operator
where the application expects a scalar: in a parameter's name (``q[$ne]=``, ``user[$ne]=``,
reported whatever the name but the three above) or in a JSON value given to another parameter.
The operators that run JavaScript in the database (``$where``, ``$function``,
``$accumulator``) are reported in any parameter: APIs that take query documents refuse them
(RESTHeart, for one, by default). A site built on an API that takes operators in other
parameters (Feathers: ``?read[$ne]=true``) allows its paths in ``[rules.sqli-nosql-operator]``.
"""

from __future__ import annotations

from typing import Final

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["NosqlOperator"]

_OPERATORS = (
    r"\$(?:n?eq|ne|gte?|lte?|regex|where|n?in|exists|expr|or|and|not|nor|elemmatch|all|size"
    r"|type|mod|text|function|accumulator|jsonschema)"
)
# A parameter's name (its root and up to four bracketed keys) ending in a bracketed operator,
# or an operator as a key of a JSON object. The character before a name is matched, not
# reported in its place (the search gives the whole match: the rule strips it).
_OPERATOR = linear_search(
    Regex(
        r"(?:^|[&;])\s*[^&;=\[\]\s]+(?:\[[^&;=\[\]]*\]){0,4}\[\s*" + _OPERATORS + r"\s*\]"
        r"|[{,]\s*[\"']" + _OPERATORS + r"[\"']\s*:"
    )
)
# Parameters whose API takes operators by design (see the module docstring): in either shape,
# and (the second set) as a whole JSON object, a query document.
_QUERY_BUILDERS: Final = frozenset({"filters", "filter", "where"})
_QUERY_DOCUMENTS: Final = _QUERY_BUILDERS | {"q", "query", "search", "sort"}
# Operators that run JavaScript in the database: no query document passes them.
_SCRIPT_OPERATORS: Final = ("$where", "$function", "$accumulator")
#: Most operators of one field the rule reads (the work per line stays bounded).
MAX_OPERATORS: Final = 16


def _begin(text: str, end: int) -> int:
    """Where the parameter holding what ends at ``end`` begins."""
    return max(text.rfind("&", 0, end), text.rfind(";", 0, end)) + 1


def _root(text: str, end: int) -> str:
    """The root name of the parameter whose name or value holds what ends at ``end``."""
    name = text[_begin(text, end) : end]
    for stop in "=[":
        cut = name.find(stop)
        if cut >= 0:
            name = name[:cut]
    return name.strip()


def _query_document(text: str, end: int) -> bool:
    """Whether what ends at ``end`` is in a value that is one whole JSON object (``{`` first,
    ``}`` last) of a parameter named for a query document."""
    begin = _begin(text, end)
    equals = text.find("=", begin, end)
    if equals < 0 or text[begin:equals].strip() not in _QUERY_DOCUMENTS:
        return False
    stop = text.find("&", end)
    value = text[equals + 1 : stop if stop >= 0 else len(text)].strip()
    return value.startswith("{") and value.endswith("}")


def nosql_operator(text: str) -> str | None:
    """The first operator of ``text`` (a decoded, lower-cased query or cookie) that is not in
    a query builder's parameter, with its parameter's name or its JSON key's quote."""
    pos = 0
    for _ in range(MAX_OPERATORS):
        fragment = _OPERATOR.search(text[pos:])
        if fragment is None:
            return None
        start = text.find(fragment, pos)
        pos = start + len(fragment)
        operator = fragment.lstrip("&;{, \n")
        if _root(text, pos) in _QUERY_BUILDERS:
            continue
        if (
            fragment.endswith(":")  # an operator as a JSON key, not in a parameter's name
            and not operator.lstrip("\"'").startswith(_SCRIPT_OPERATORS)
            and _query_document(text, pos)
        ):
            continue
        return operator
    return None


class NosqlOperator(Rule):
    """A MongoDB operator in a parameter's name or as a JSON key (see the module docstring)."""

    id = "sqli-nosql-operator"
    categories = ("sqli",)
    severity = Severity.HIGH
    description = 'NoSQL (MongoDB) operator injection: user[$ne]=, pass[$regex]=, {"$where":'
    logs = ACCESS
    fields = ("query", "cookie")
    triggers = dict.fromkeys(fields, r"\$")
    gate = "$"
    field_local = True
    must_match = (
        AccessSample(target="/login?user[$ne]=x&pass[$ne]=x"),
        AccessSample(target="/login?user%5B%24ne%5D=admin&pass%5B%24gt%5D="),
        AccessSample(target="/login?user=admin&pass[$regex]=^a"),
        AccessSample(target='/api?q={"$where":"sleep(5000)"}'),
        AccessSample(target='/api?filter_by={"user":{"$ne":null}}'),
        AccessSample(target="/api/users?id[$in][]=1&id[$in][]=2", method="GET"),
        AccessSample(target="/", cookie='session=j:{"user":{"$gt":""}}'),
        AccessSample(target="/login?filters=1&user[$ne]=x"),
        AccessSample(target="/search?q[$ne]=x"),
        AccessSample(target='/api/items?q={"$where":"sleep(5000)"}&page=2'),
        AccessSample(target='/api/items?q={"a":1}&user={"$ne":null}'),
        AccessSample(target='/api/items?q=coffee+{"$ne":1}'),
        AccessSample(target='/api/items?qq={"tags":{"$in":["a"]}}'),
    )
    must_not_match = (
        AccessSample(target="/shop?price[$]=10"),
        AccessSample(target="/search?q=$ne"),
        AccessSample(target="/search?q=prices+$gt+and+$lt+explained"),
        AccessSample(target="/search?q=the+%22$gt%22:+operator"),
        AccessSample(target="/api/articles?filters[title][$eq]=hello&filters[views][$gt]=10"),
        AccessSample(target='/parse/classes/Score?where={"score":{"$gte":1000}}'),
        AccessSample(target="/search?q=user[$ne]=x"),
        AccessSample(target='/api/items?q={"$text":{"$search":"coffee"}}'),
        AccessSample(target='/api/items?query={"tags":{"$in":["a"]}}&page=2'),
        AccessSample(target='/api/items?sort={"price":1}&search={"price":{"$lt":10}}'),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """The operator :func:`nosql_operator` finds in ``text``."""
        return nosql_operator(text)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first field holding an operator."""
        return self.first_match(self.fields, view.lower)
