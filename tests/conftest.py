"""Fixtures for every test: the suite keeps its matching-database cache to itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lwsyslog.matching import dbcache


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``lwsyslog scan`` run by a test (in this process or a child) caches its databases in
    a directory of the suite's, never the user's ``~/.cache``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(autouse=True)
def _no_cache_left_behind() -> Iterator[None]:
    """A program a test builds installs its cache for the process; the next test starts
    without it."""
    with dbcache.using(None):
        yield
