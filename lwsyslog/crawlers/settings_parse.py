"""The merged ``[crawlers]`` table into :class:`~lwsyslog.settings.CrawlerSettings`.

The loader (:mod:`lwsyslog.config`) has checked every key's type and range file by file (the
schema is there, with the other tables'); what only the merged table can show is checked
here: a crawler with neither ``domains`` nor ``networks``, or without ``user_agent``,
``verify = true`` without a ``resolver``, and (when verification is on) a crawler's
``must_match`` User-Agent that does not claim it or ``must_not_match`` one that does, read by
the catalog itself with every enabled crawler in place. Errors name the file (and line) that
set the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lwsyslog.crawlers.catalog import Catalog
from lwsyslog.errors import ConfigError
from lwsyslog.settings import CrawlerSettings, CrawlerSpec, Location
from lwsyslog.severity import Severity

__all__ = ["parse_crawler_settings"]


def parse_crawler_settings(
    data: Mapping[str, Any], where: str, places: Mapping[str, Location]
) -> CrawlerSettings:
    """Settings from the merged table ``data``; ``where`` is the last file read, ``places``
    where each ``[crawlers.catalog.ID]`` table was last set."""
    defaults = CrawlerSettings()
    enabled = [
        (crawler_id, places.get(crawler_id, Location(where)), entry)
        for crawler_id, entry in data.get("catalog", {}).items()
        if entry.get("enabled", True)
    ]
    catalog = [_spec(crawler_id, entry, place) for crawler_id, place, entry in enabled]
    verify = data.get("verify", defaults.verify)
    resolver = data.get("resolver", defaults.resolver)
    if verify and not resolver:
        raise ConfigError(
            'verify = true needs a resolver: "system" (/etc/resolv.conf) or an address '
            'such as "127.0.0.1:53"',
            file=where,
            table="crawlers",
            key="resolver",
        )
    if verify:
        _check_samples(catalog, [(crawler_id, place) for crawler_id, place, _ in enabled])
    return CrawlerSettings(
        verify=verify,
        resolver=resolver,
        timeout_secs=float(data.get("timeout_secs", defaults.timeout_secs)),
        cache_ttl_secs=float(data.get("cache_ttl_secs", defaults.cache_ttl_secs)),
        negative_ttl_secs=float(data.get("negative_ttl_secs", defaults.negative_ttl_secs)),
        retry_secs=float(data.get("retry_secs", defaults.retry_secs)),
        max_lookups_per_sec=float(data.get("max_lookups_per_sec", defaults.max_lookups_per_sec)),
        max_in_flight=data.get("max_in_flight", defaults.max_in_flight),
        max_pending=data.get("max_pending", defaults.max_pending),
        max_cache_entries=data.get("max_cache_entries", defaults.max_cache_entries),
        max_cache_bytes=data.get("max_cache_bytes", defaults.max_cache_bytes),
        scan_wait_secs=float(data.get("scan_wait_secs", defaults.scan_wait_secs)),
        verify_private=data.get("verify_private", defaults.verify_private),
        severity=Severity(data.get("severity", defaults.severity.value)),
        catalog=tuple(catalog),
    )


def _spec(crawler_id: str, entry: Mapping[str, Any], place: Location) -> CrawlerSpec:
    table = f"crawlers.catalog.{crawler_id}"
    if "user_agent" not in entry:
        raise ConfigError("missing user_agent", file=place.file, line=place.line, table=table)
    if not entry.get("domains") and not entry.get("networks"):
        raise ConfigError(
            "set domains (reverse DNS) or networks (published address ranges), or enabled = false",
            file=place.file,
            line=place.line,
            table=table,
        )
    return CrawlerSpec(
        name=entry.get("name", crawler_id),
        user_agent=entry["user_agent"],
        domains=tuple(d.lower().removesuffix(".") for d in entry.get("domains", [])),
        networks=tuple(entry.get("networks", [])),
        must_match=tuple(entry.get("must_match", [])),
        must_not_match=tuple(entry.get("must_not_match", [])),
    )


def _check_samples(specs: list[CrawlerSpec], where: list[tuple[str, Location]]) -> None:
    """Each crawler's samples, as the per-line path reads them: a user's pattern (or one
    changed key by key) that no longer reads a real crawler's User-Agent fails here, not as a
    silent gap (or takes the claims of a crawler listed before it)."""
    catalog = Catalog(specs)
    for spec, crawler, disguised, (crawler_id, place) in zip(
        specs, catalog.crawlers, catalog.disguised, where, strict=True
    ):
        for key, samples, wanted in (
            ("must_match", spec.must_match, True),
            ("must_not_match", spec.must_not_match, False),
        ):
            for sample in samples:
                found = catalog.claimed(sample)
                if (found is crawler or found is disguised) is wanted:
                    continue
                claims = f"claims {found.name}" if found is not None else "claims no crawler"
                raise ConfigError(
                    f"User-Agent {sample!r} {claims}",
                    file=place.file,
                    line=place.line,
                    table=f"crawlers.catalog.{crawler_id}",
                    key=key,
                )
