"""The rule contract, and the few shapes most rules take.

A rule is a small stateless class: declarative metadata (``id``, ``categories``, ``severity``,
``description``, ``logs``, samples), a *prefilter* declaration, and one method, ``evaluate``.
A rule whose verdict depends on one text field alone says so with ``field_local = True`` and
also implements ``match_field``: the Detector then caches its verdict per field value.

The prefilter is what keeps detection fast: the :class:`~lwsyslog.rules.detector.Detector`
evaluates a rule on an event only when one of its declarations holds, and it checks all the
declarations of all rules together (one combined regex per field, one dict lookup per status,
method, error code, path segment and extension). A declaration is a *necessary* condition of a
match, never a sufficient one:

``triggers``   field name -> regex searched in the field's decoded, lower-cased text
``gate``       characters, one of which every text a trigger matches contains: the Detector
               tests them as one character class per field (the cheapest test there is) and
               runs the trigger only when one is present; empty: the trigger itself is tested
``tokens``     field name -> words (runs of ``[a-z0-9_]`` in the lower-cased decoded text)
               that select the rule like its trigger does: keywords cost one dict lookup each
               instead of a regex alternation (subject to the gate like the trigger)
``statuses``   HTTP statuses (access log)
``methods``    request methods, exact (``""`` is a request line without one)
``codes``      ``AHnnnnn`` message ids (error log)
``segments``   lower-cased decoded path segments (the text between two ``/``)
``extensions`` lower-cased extensions of the last path segment (``"sql"`` for ``/db.sql``)

A rule whose evidence decoding removes (a NUL byte) sets ``form = "raw"``: its triggers are
then looked for in the field as parsed, case-folded, and it is evaluated on the event (its
verdict cannot be confirmed on the decoded text). A :class:`PatternRule` that also reads
another view of a field where decoding loses something (a backslash, an encoded ``/``) names
literals of the field as parsed in ``raw_literals``: an event holding one has the rule
evaluated on it, besides the confirmation on the decoded text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar, Literal, NamedTuple, Self

from lwsyslog.checks import Checker
from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import LinearSearch, PatternLike, Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.content import served_as_content
from lwsyslog.rules.samples import Sample
from lwsyslog.severity import Severity

__all__ = [
    "ACCESS",
    "BOTH",
    "ERROR",
    "NOT_FOUND",
    "PAYLOAD_FIELDS",
    "CodeRule",
    "PathRule",
    "PatternRule",
    "Rule",
    "RuleMatch",
    "StatusRule",
    "segment_search",
]

ACCESS: frozenset[str] = frozenset({"access"})
ERROR: frozenset[str] = frozenset({"error"})
BOTH: frozenset[str] = ACCESS | ERROR

#: Every logged field a client controls, where an injected payload can show.
PAYLOAD_FIELDS: tuple[str, ...] = (
    "target",
    "cookie",
    "referer",
    "user_agent",
    "headers",
    "message",
)

#: The answers that say the path does not exist: a request for what a site lacks.
NOT_FOUND: frozenset[int] = frozenset({404, 410})

_NO_INTS: frozenset[int] = frozenset()
_NO_STRS: frozenset[str] = frozenset()


class RuleMatch(NamedTuple):
    """Where a rule matched: the field name and the decoded text that matched.

    A named tuple, not a frozen dataclass: one is made per confirmed candidate, several per
    attack line, and a tuple is built at a third of the cost.
    """

    field: str
    fragment: str


class Rule(ABC):
    """One detection: metadata, samples, prefilter declarations and :meth:`evaluate`."""

    id: ClassVar[str]
    categories: ClassVar[tuple[str, ...]]
    severity: ClassVar[Severity]
    description: ClassVar[str]
    logs: ClassVar[frozenset[str]]
    must_match: ClassVar[tuple[Sample, ...]]
    must_not_match: ClassVar[tuple[Sample, ...]]

    triggers: ClassVar[Mapping[str, str]] = {}
    gate: ClassVar[str] = ""
    tokens: ClassVar[Mapping[str, frozenset[str]]] = {}
    field_local: ClassVar[bool] = False
    statuses: ClassVar[frozenset[int]] = _NO_INTS
    methods: ClassVar[frozenset[str]] = _NO_STRS
    codes: ClassVar[frozenset[str]] = _NO_STRS
    segments: ClassVar[frozenset[str]] = _NO_STRS
    extensions: ClassVar[frozenset[str]] = _NO_STRS
    #: Selected by every access line that arrived cut (``AccessEvent.cut``).
    cut_lines: ClassVar[bool] = False
    #: Which text ``triggers`` are looked for in: ``decoded`` (lower-cased) or ``raw``
    #: (as parsed, case-folded).
    form: ClassVar[Literal["decoded", "raw"]] = "decoded"
    #: Keys the rule's ``[rules.ID]`` table takes beyond enabled/severity/allow, with checks.
    options: ClassVar[Mapping[str, Checker]] = {}
    #: The CVEs of the exploit the rule recognises, if it is one (named in its findings).
    cves: ClassVar[tuple[str, ...]] = ()

    @property
    def active(self) -> bool:
        """False for an instance that can never match (an unconfigured watched-path rule):
        the engine leaves it out."""
        return True

    @classmethod
    def configured(cls, options: Mapping[str, Any]) -> Self:
        """An instance set up with its checked ``options`` (default: the plain instance)."""
        return cls()

    @abstractmethod
    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The match on ``event`` (read through ``view``), or ``None``."""

    def match_field(self, field: str, text: str) -> str | None:
        """For ``field_local`` rules: the fragment matched in one field's lower-cased text."""
        raise NotImplementedError(f"rule {self.id} is not field-local")

    def first_match(self, fields: Iterable[str], read: Callable[[str], str]) -> RuleMatch | None:
        """For ``field_local`` rules: :meth:`match_field` on each of ``fields`` as ``read``
        gives it (``view.lower``), the first that matches."""
        for name in fields:
            text = read(name)
            if text:
                fragment = self.match_field(name, text)
                if fragment is not None:
                    return RuleMatch(name, fragment)
        return None

    def confirmation(self, field: str) -> Callable[[str], str | None]:
        """For ``field_local`` rules: :meth:`match_field` on ``field`` as a function of the
        text, taken once at start-up (a rule may give a cheaper function that answers the
        same)."""
        return partial(self.match_field, field)

    @classmethod
    def has_prefilter(cls) -> bool:
        """True when the rule declares at least one way for the Detector to select it."""
        return bool(
            cls.triggers
            or cls.tokens
            or cls.statuses
            or cls.methods
            or cls.codes
            or cls.segments
            or cls.extensions
            or cls.cut_lines
        )

    def __repr__(self) -> str:
        return f"<rule {self.id}>"


class PatternRule(Rule):
    """A rule that is one regex over the decoded, lower-cased text of some fields.

    ``fields`` are searched in order; the first match wins. ``trigger`` (a regex) and ``words``
    (tokens) select the rule in every field; without either, ``pattern`` itself is the trigger.
    Set ``triggers``/``tokens`` instead to declare them per field.
    """

    pattern: ClassVar[PatternLike]
    fields: ClassVar[tuple[str, ...]]
    trigger: ClassVar[str] = ""
    words: ClassVar[frozenset[str]] = _NO_STRS
    field_local = True
    #: ``pattern`` compiled for a linear-time search (RE2 when it fits, see
    #: :mod:`lwsyslog.matching.linear`).
    linear: ClassVar[LinearSearch]
    #: Per field, literals of its text as parsed (case-folded) that have the rule evaluated
    #: on the event (:meth:`evaluate`), for a rule that reads another view of the field when
    #: one is there (:meth:`raw_holds`); the decoded text is confirmed as for any other.
    raw_literals: ClassVar[Mapping[str, frozenset[str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "pattern" not in cls.__dict__:
            return
        if "linear" not in cls.__dict__:  # a class may set its own (verified_search)
            cls.linear = linear_search(cls.pattern)
        if "triggers" not in cls.__dict__:
            trigger = cls.trigger or ("" if cls.words else cls.pattern.pattern)
            cls.triggers = dict.fromkeys(cls.fields, trigger) if trigger else {}
        if "tokens" not in cls.__dict__ and cls.words:
            cls.tokens = dict.fromkeys(cls.fields, cls.words)

    def match_field(self, field: str, text: str) -> str | None:
        """The text ``pattern`` matches in ``text``."""
        return self.linear.search(text)

    def confirmation(self, field: str) -> Callable[[str], str | None]:
        """The linear search itself, unless a subclass confirms otherwise."""
        if type(self).match_field is PatternRule.match_field:
            return self.linear.search
        return super().confirmation(field)

    def raw_holds(self, view: EventView, field: str) -> bool:
        """Whether ``field`` as parsed holds one of its :attr:`raw_literals`: the condition
        the detect stage selects the rule by, so a rule reads its other view only then."""
        literals = self.raw_literals.get(field)
        if not literals:
            return False
        raw = view.raw(field)
        if not raw:
            return False
        raw = fold(raw)
        return any(literal in raw for literal in literals)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first match of ``pattern`` in ``fields``."""
        return self.first_match(self.fields, view.lower)


class StatusRule(Rule):
    """An access-log rule that is one set of statuses (``statuses`` is the whole rule)."""

    logs = ACCESS

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match on ``status`` when it is one of ``statuses``."""
        status = getattr(event, "status", None)
        if status in self.statuses:
            return RuleMatch("status", str(status))
        return None


class CodeRule(Rule):
    """An error-log rule: one of ``codes``, or ``pattern`` in the message (Apache 2.2 lines).

    Set ``trigger`` to a cheap regex that every ``pattern`` match contains; it defaults to the
    pattern itself.
    """

    logs = ERROR
    pattern: ClassVar[PatternLike | None] = None
    trigger: ClassVar[str] = ""
    field_local = True
    linear: ClassVar[LinearSearch | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pattern = cls.__dict__.get("pattern")
        if pattern is not None:
            cls.linear = linear_search(pattern)
            if "triggers" not in cls.__dict__:
                cls.triggers = {"message": cls.trigger or pattern.pattern}

    def match_field(self, field: str, text: str) -> str | None:
        """The text ``pattern`` matches in the message."""
        if self.linear is None or field != "message":
            return None
        return self.linear.search(text)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match on ``code`` when it is one of ``codes``, else on ``message``."""
        code = view.raw("code")
        if code and code in self.codes:
            return RuleMatch("code", code)
        fragment = self.match_field("message", view.lower("message"))
        return None if fragment is None else RuleMatch("message", fragment)


# A release suffix: "-3.2", "-4.9.1-all-languages", "_v2.1-beta3".
_VERSION = r"[-_]v?\d+(?:\.\d+)+(?:[-_.][a-z0-9]+)*"


def segment_search(segments: frozenset[str]) -> LinearSearch:
    """The search for the first path segment that is one of ``segments``, also with a release
    suffix (``pmapper-3.2-beta3``, ``phpmyadmin-4.9.1-all-languages``: a probe for an unpacked
    release tarball is the probe for the product). The search reports the whole segment.

    One linear pass over the path: splitting it and looking up each part costs Python work
    per segment, 8 ms for the 8,000 segments of an 8 KB path of ``/``.
    """
    names = "|".join(re.escape(name) for name in sorted(segments, key=lambda n: (-len(n), n)))
    return linear_search(Regex(rf"(?:^|/)(?P<frag>(?:{names})(?:{_VERSION})?)(?:/|$)"))


class PathRule(Rule):
    """A rule on the request path (for an error-log entry: the file path its message names).

    With a ``pattern``, a match is the pattern's match in the path; ``segments`` and
    ``extensions`` then only select the rule (without them, ``trigger`` on ``path`` does, default
    the pattern). Without a pattern, a match is the first segment in ``segments``, else the last
    segment when its extension is in ``extensions``. :meth:`accepts` lets a rule ignore some
    events, e.g. by status.
    """

    logs = BOTH
    pattern: ClassVar[PatternLike | None] = None
    trigger: ClassVar[str] = ""
    linear: ClassVar[LinearSearch | None] = None
    #: ``segments`` as one search (:func:`segment_search`), for a rule without a pattern.
    segment_linear: ClassVar[LinearSearch | None] = None
    #: Whether a request under a route that serves files as content (a code browser, a WebDAV
    #: share: :func:`~lwsyslog.rules.content.served_as_content`) is passed over: for a rule
    #: that names a file by its path (``/.env``, ``shell.php``), not one that names a program.
    content_routes_pass: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pattern = cls.__dict__.get("pattern")
        if pattern is not None:
            cls.linear = linear_search(pattern)
        if "segments" in cls.__dict__ and cls.segments:
            cls.segment_linear = segment_search(cls.segments)
        dispatched = cls.segments or cls.extensions
        if pattern is not None and not dispatched and "triggers" not in cls.__dict__:
            cls.triggers = {"path": cls.trigger or pattern.pattern}

    def accepts(self, event: Event) -> bool:
        """False for events the rule must ignore whatever their path (default: none)."""
        return True

    def served_as_content(self, event: Event, path: str) -> bool:
        """Whether the request for ``path`` (decoded, lower-cased) is one the rule passes over
        as a file an application serves as content (:attr:`content_routes_pass`)."""
        return self.content_routes_pass and event.log == "access" and served_as_content(event, path)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match on ``path`` by segment, extension or pattern."""
        path = view.lower("path")
        if not path or not self.accepts(event) or self.served_as_content(event, path):
            return None
        if self.linear is not None:
            fragment = self.linear.search(path)
            return None if fragment is None else RuleMatch("path", fragment)
        if self.segment_linear is not None:
            fragment = self.segment_linear.search(path)
            if fragment is not None:
                return RuleMatch("path", fragment)
        if self.extensions:
            last = path[path.rfind("/") + 1 :]
            dot = last.rfind(".")
            if dot >= 0 and last[dot + 1 :] in self.extensions:
                return RuleMatch("path", last)
        return None
