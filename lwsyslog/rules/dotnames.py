"""Dot-named path segments that are no hidden file: a feed's or a format's suffix, dot folders
that software serves on purpose, names of .NET (see ``sensitive-hidden-path``)."""

from __future__ import annotations

__all__ = ["FORMAT_NAMES", "MAX_PASSED", "passed_over"]

#: Names that are a feed's or a format's suffix, not a hidden file: ``/blog/.rss``.
FORMAT_NAMES = frozenset({".rss", ".atom", ".json", ".xml", ".rdf", ".jsonld", ".jsonp"})
#: Dot folders that software serves at the site's root on purpose: Azure App Service's sign-in
#: (``/.auth/me``) and the Anubis bot challenge in front of a site (``/.within.website/x/``).
_SERVED_ROOT_NAMES = frozenset({".auth", ".within.website"})
#: How many passed-over hidden names one path may hold before the next is reported whatever it
#: is: the work per line stays bounded.
MAX_PASSED = 8


def passed_over(path: str, at: int, name: str) -> bool:
    """Whether the hidden ``name`` at ``path[at]`` (its "/") is no hidden file: a dot folder
    served at the root on purpose, Vite's dependency cache under ``node_modules``, or a tag or
    package named for .NET (``/tags/.net``, ``/packages/.netstandard.library``)."""
    if at == 0:
        return name in _SERVED_ROOT_NAMES
    if name == ".vite":
        return path.endswith("/node_modules", 0, at)
    return name.startswith(".net") and not name.startswith(".netrc")
