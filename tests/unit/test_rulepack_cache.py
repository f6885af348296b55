"""The checked rule pack kept in the database cache: unchanged pack files load without being
checked again and give the same rules, a changed file is checked whole (a bad pattern is still
an error naming file, line and key), and a pack read from the cache compiles a rule's pattern
only when a line's literals select the rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.detection.engine import DetectEngine
from lwsyslog.errors import RuleError
from lwsyslog.matching import dbcache
from lwsyslog.matching.dbcache import DatabaseCache
from lwsyslog.rulepack import schema
from lwsyslog.rulepack.detector import PackDetector
from lwsyslog.rulepack.pack import RulePack
from lwsyslog.rules import AccessSample

RULE = """
[pack]
product = "Example Appliance"

[[rule]]
id = "exploit-example-cached-exec"
title = "Example Appliance unauthenticated command endpoint"
cves = ["CVE-2099-0002"]
fields = ["path"]
pattern = '''/appliance/{literal}'''
must_match = ["/appliance/{literal}?cmd=id"]
must_not_match = ["/appliance/status"]
"""


def _pack(directory: Path, literal: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "example.toml"
    path.write_text(RULE.replace("{literal}", literal), encoding="utf-8")
    return path


def _touch(path: Path) -> None:
    """A new mtime: the process's memo of the last load no longer answers, the cache may."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))


def test_an_unchanged_pack_loads_from_the_cache_with_the_same_rules(tmp_path: Path) -> None:
    path = _pack(tmp_path / "packs", "cached-exec")
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        first = RulePack.load([tmp_path / "packs"]).rules
        assert len(list((tmp_path / "cache").iterdir())) == 1
        _touch(path)
        again = RulePack.load([tmp_path / "packs"]).rules
    assert again == first
    assert again[0].lines["pattern"] == first[0].lines["pattern"] == 10
    assert again[0].search.search("/appliance/cached-exec?cmd=id") == "/appliance/cached-exec"


def test_a_changed_pack_file_with_a_bad_pattern_is_still_an_error_naming_file_line_and_key(
    tmp_path: Path,
) -> None:
    path = _pack(tmp_path / "packs", "cached-exec")
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        RulePack.load([tmp_path / "packs"])
        path.write_text(path.read_text().replace("cached-exec'''", "cached-(exec'''"))
        with pytest.raises(RuleError) as caught:
            RulePack.load([tmp_path / "packs"])
    assert str(caught.value).startswith(
        f"{path}:10: [[rule]] exploit-example-cached-exec: key 'pattern': not a regular expression"
    )


def test_a_pack_from_the_cache_compiles_a_pattern_only_when_a_line_selects_its_rule(
    tmp_path: Path,
) -> None:
    literal = "never-compiled-in-this-process"
    _pack(tmp_path / "packs", literal)
    prime = (
        "import sys; from pathlib import Path; from lwsyslog.matching import dbcache; "
        "from lwsyslog.rulepack.pack import RulePack; "
        "dbcache.use(dbcache.DatabaseCache(Path(sys.argv[1]))); RulePack.load([Path(sys.argv[2])])"
    )
    subprocess.run(
        [sys.executable, "-c", prime, str(tmp_path / "cache"), str(tmp_path / "packs")],
        check=True,
    )
    with dbcache.using(DatabaseCache(tmp_path / "cache")):
        pack = RulePack.load([tmp_path / "packs"])
    (rule,) = pack.rules
    engine = DetectEngine([PackDetector(pack, [tmp_path / "packs"])])
    assert engine.detect(AccessSample(target="/appliance/status", status=404).to_event()) == []
    assert rule.source not in schema._SEARCHES  # read from the cache: nothing compiled yet
    exploit = AccessSample(target=f"/appliance/{literal}?cmd=id", status=404).to_event()
    assert [finding.rule_id for finding in engine.detect(exploit)] == [rule.id]
    assert rule.source in schema._SEARCHES
