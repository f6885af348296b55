"""Watched paths: off by default, configured in [rules.watched-path], checked strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from lwsyslog.config import load_config
from lwsyslog.detection.catalog import Detection, load_detection
from lwsyslog.errors import ConfigError
from lwsyslog.normalize import EventView
from lwsyslog.rules import AccessSample
from lwsyslog.rules.watched import WatchedPath
from lwsyslog.severity import Severity


def _config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lwsyslog.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _watched(detection: Detection, target: str) -> list[str]:
    event = AccessSample(target=target).to_event()
    findings = detection.detect(event, EventView(event))
    return [finding.rule_id for finding in findings if finding.rule_id == "watched-path"]


def test_built_in_defaults_watch_nothing() -> None:
    detector = load_detection(load_config([]))
    for target in ("/knocking/", "/", "/admin/", "/trap.php"):
        assert _watched(detector, target) == []


def test_configured_paths_raise_a_high_finding_for_the_client(tmp_path: Path) -> None:
    config = load_config(
        [_config_file(tmp_path, '[rules.watched-path]\npaths = ["/knocking/", "/Trap.php"]\n')]
    )
    detector = load_detection(config)
    event = AccessSample(target="/knocking/", client_ip="192.0.2.12").to_event()
    found = detector.detect(event, EventView(event))
    [finding] = [f for f in found if f.rule_id == "watched-path"]
    assert finding.severity is Severity.HIGH
    assert finding.client_ip == "192.0.2.12"
    assert finding.field == "path"
    assert _watched(detector, "/trap.php?x=1") == ["watched-path"]
    assert _watched(detector, "/knocking/deeper/") == ["watched-path"]
    assert _watched(detector, "/knockingx/") == []
    assert _watched(detector, "/trap.php.bak") == []


def test_drop_in_replaces_the_list_and_enabled_false_removes_the_rule(tmp_path: Path) -> None:
    first = _config_file(tmp_path, '[rules.watched-path]\npaths = ["/knocking/"]\n')
    second = tmp_path / "off.toml"
    second.write_text("[rules.watched-path]\nenabled = false\n", encoding="utf-8")
    detection = load_detection(load_config([first, second]))
    assert _watched(detection, "/knocking/") == []
    assert not next(info for info in detection.rules if info.id == "watched-path").enabled


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[rules.watched-path]\npaths = ["knocking/"]\n', "starts with '/'"),
        ('[rules.watched-path]\npaths = ["/"]\n', "site root"),
        ('[rules.watched-path]\npaths = ["/trap?x=1"]\n', "without query"),
        ('[rules.watched-path]\npaths = "/knocking/"\n', "list of strings"),
        ('[rules.sqli-union-select]\npaths = ["/x"]\n', "takes no option"),
    ],
)
def test_bad_watched_paths_are_config_errors_naming_the_place(
    tmp_path: Path, body: str, fragment: str
) -> None:
    path = _config_file(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_detection(load_config([path]))
    text = str(caught.value)
    assert fragment in text
    assert f"{path}:2" in text
    assert "'paths'" in text


def test_watching_rejects_what_the_config_rejects() -> None:
    with pytest.raises(ValueError, match="starts with"):
        WatchedPath.watching(["knocking"])
    assert WatchedPath.watching([]).paths == ()
