"""Watched paths: trap URLs the user lists, which no legitimate visitor requests.

A honeytoken URL (linked nowhere, or only in ``robots.txt``'s ``Disallow``) is found only by
something crawling what it should not, or by someone who was told it; either way each request
for it is worth an alert. The built-in default watches nothing, so the rule never fires until
``[rules.watched-path] paths`` lists some.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

from lwsyslog.checks import Checker, string_list
from lwsyslog.events import Event
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["WatchedPath", "check_watched_paths", "watched_path_problem"]


def watched_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a watched path (``None`` when it can)."""
    if not path.startswith("/"):
        return f"a watched path starts with '/', got {path!r}"
    if not path.strip("/"):
        return "the site root cannot be a watched path (it would match every request)"
    if any(char in path for char in "?#") or any(char.isspace() for char in path):
        return f"a watched path is a URL path without query, fragment or spaces, got {path!r}"
    return None


def check_watched_paths(value: Any) -> str | None:
    """The ``paths`` option: a list of usable watched paths."""
    problem = string_list(value)
    if problem:
        return problem
    return next((p for p in map(watched_path_problem, value) if p), None)


class WatchedPath(Rule):
    """A request for a path the user watches (``[rules.watched-path] paths``), or below it.

    An entry matches the path itself and everything under it: ``/knocking/`` matches
    ``/knocking``, ``/knocking/`` and ``/knocking/x``, not ``/knocking2``; ``/trap.php``
    matches ``/trap.php?a=1`` but not ``/trap.php.bak``. Paths are compared decoded and
    lower-cased, so ``/%4Bnocking/`` is ``/knocking/``. Any method and status count: a trap
    answered 404 was still asked for. The samples hold when the rule watches
    :attr:`sample_paths`; the built-in instance watches nothing and never fires.
    """

    id = "watched-path"
    categories = ("scanner",)
    severity = Severity.HIGH
    description = "request for a watched trap path ([rules.watched-path] paths)"
    logs = ACCESS
    #: The watched paths, lower-cased, without their trailing ``/``.
    paths: ClassVar[tuple[str, ...]] = ()
    #: What the samples are checked against.
    sample_paths: ClassVar[tuple[str, ...]] = ("/knocking/", "/backup-admin.php")
    # Configured: the last segment of each watched path selects the rule.
    segments: ClassVar[frozenset[str]] = frozenset()
    options: ClassVar[Mapping[str, Checker]] = {"paths": check_watched_paths}
    must_match = (
        AccessSample(target="/knocking/"),
        AccessSample(target="/Knocking"),
        AccessSample(target="/knocking/open?port=22", status=404),
        AccessSample(target="/backup-admin.php?user=admin", method="POST", status=403),
        AccessSample(target="/%6Bnocking/"),
    )
    must_not_match = (
        AccessSample(target="/knocking2/"),
        AccessSample(target="/blog/knocking/"),
        AccessSample(target="/backup-admin.php.bak"),
        AccessSample(target="/search?q=/knocking/"),
    )

    @property
    def active(self) -> bool:
        """Only an instance that watches some path can match."""
        return bool(self.paths)

    @classmethod
    def configured(cls, options: Mapping[str, Any]) -> Self:
        """An instance watching the ``paths`` option (none: never fires)."""
        return cls.watching(options.get("paths", ()))

    @classmethod
    def watching(cls, paths: Iterable[str]) -> Self:
        """An instance that watches ``paths`` (each checked by :func:`watched_path_problem`).

        Raises ``ValueError`` for an entry that is no usable path. With no paths: the
        built-in instance, which never fires.
        """
        cleaned: dict[str, None] = {}
        for path in paths:
            problem = watched_path_problem(path)
            if problem:
                raise ValueError(problem)
            cleaned[path.lower().rstrip("/")] = None
        if not cleaned:
            return cls()
        watched = tuple(cleaned)
        configured = type(
            cls.__name__,
            (cls,),
            {
                "__doc__": cls.__doc__,
                "__module__": cls.__module__,
                "paths": watched,
                "segments": frozenset(path.rsplit("/", 1)[-1] for path in watched),
            },
        )
        instance: Self = configured()
        return instance

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """A match on ``path`` when it is a watched path or lies under one."""
        path = view.lower("path")
        if not path:
            return None
        for watched in self.paths:
            if path == watched or path.startswith(watched + "/"):
                return RuleMatch("path", path)
        return None
