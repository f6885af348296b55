"""Configuration: defaults, drop-in merging, strict errors that say where."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lwsyslog.config import config_files, load_config
from lwsyslog.errors import ConfigError
from lwsyslog.severity import Severity


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_hold_the_original_urgent_burst_rule() -> None:
    config = load_config([])
    burst = config.thresholds["urgent-burst"]
    assert (burst.count, burst.window_secs) == (5, 60.0)
    assert 500 in config.urgent_statuses and 401 in config.urgent_statuses
    assert 404 not in config.urgent_statuses and 200 not in config.urgent_statuses


def test_later_files_override_earlier_ones_key_by_key(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", "[thresholds.urgent-burst]\ncount = 7\n")
    second = write(tmp_path, "b.toml", "[thresholds.urgent-burst]\nwindow_secs = 30\n")
    config = load_config([first, second])
    burst = config.thresholds["urgent-burst"]
    assert (burst.count, burst.window_secs, burst.severity) == (7, 30.0, Severity.HIGH)


def test_dropin_directory_is_merged_in_sorted_order(tmp_path: Path) -> None:
    main = write(tmp_path, "lwsyslog.toml", "[alerts]\ncooldown_secs = 10\n")
    dropins = tmp_path / "lwsyslog.d"
    dropins.mkdir()
    write(dropins, "20-b.toml", "[alerts]\ncooldown_secs = 30\n")
    write(dropins, "10-a.toml", "[alerts]\ncooldown_secs = 20\n")
    files = config_files(main, dropins)
    assert [p.name for p in files] == ["lwsyslog.toml", "10-a.toml", "20-b.toml"]
    assert load_config(files).cooldown_secs == 30


def test_unknown_key_names_file_line_table_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "# comment\n[alerts]\ncooldown_secs = 5\ncooldown = 9\n")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    text = str(caught.value)
    assert f"{path}:4" in text and "[alerts]" in text and "cooldown" in text
    assert "unknown key" in text


def test_wrong_type_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[thresholds.scan-404-burst]\ncount = "thirty"\n')
    with pytest.raises(ConfigError, match=r"bad.toml:2 \[thresholds.scan-404-burst\] key 'count'"):
        load_config([path])


def test_unknown_threshold_id_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[thresholds.no-such-rule]\ncount = 3\n")
    with pytest.raises(ConfigError, match="unknown threshold rule id"):
        load_config([path])


def test_bad_regex_and_bad_network_in_allow_lists(tmp_path: Path) -> None:
    regex = write(tmp_path, "re.toml", '[allow]\npaths = ["(unclosed"]\n')
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_config([regex])
    network = write(tmp_path, "net.toml", '[allow]\nclients = ["10.0.0.300/8"]\n')
    with pytest.raises(ConfigError, match="not an IP address"):
        load_config([network])


def test_an_allow_list_pattern_that_cannot_run_in_linear_time_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("re2")
    path = write(tmp_path, "allow.toml", '[allow]\nclients = []\npaths = ["^/a", "(?<=/)x"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    message = str(caught.value)
    assert "allow.toml:3" in message and "'paths'" in message
    assert "cannot run in linear time" in message and "(?<=/)x" in message


def test_an_allow_list_reads_a_crafted_path_in_linear_time(tmp_path: Path) -> None:
    # (a+)+$ backtracks exponentially in re: 30 a's and a "!" would take minutes.
    pytest.importorskip("re2")
    path = write(tmp_path, "allow.toml", '[allow]\npaths = ["^/static/", "(a+)+$"]\n')
    allow = load_config([path]).allow
    start = time.perf_counter()
    assert not allow.allows("192.0.2.1", "/" + "a" * 30 + "!", "")
    assert time.perf_counter() - start < 1.0
    assert allow.allows("192.0.2.1", "/aaa", "")


def test_the_same_allow_list_loaded_twice_is_equal(tmp_path: Path) -> None:
    # A reload compares configurations: an unchanged allow list must not rebuild the pipeline.
    text = '[allow]\npaths = ["^/health$"]\nuser_agents = ["^Monit/"]\n'
    first = load_config([write(tmp_path, "a.toml", text)])
    second = load_config([write(tmp_path, "b.toml", text)])
    assert first.allow == second.allow
    changed = load_config([write(tmp_path, "c.toml", text.replace("health", "ready"))])
    assert changed.allow != first.allow


def test_bad_status_spec_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[triage]\nurgent_statuses = ["5yy"]\n')
    with pytest.raises(ConfigError, match="bad status '5yy'"):
        load_config([path])


def test_toml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[alerts]\ncooldown_secs = = 3\n")
    with pytest.raises(ConfigError, match=r"bad.toml:2: not valid TOML"):
        load_config([path])


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config([tmp_path / "absent.toml"])


def test_allow_list_matches_networks_paths_and_agents(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "allow.toml",
        '[allow]\nclients = ["10.0.0.0/8"]\npaths = ["^/health$"]\nuser_agents = ["^Monit/"]\n',
    )
    allow = load_config([path]).allow
    assert allow.allows("10.1.2.3", "/x", "")
    assert allow.allows("192.0.2.1", "/health", "")
    assert allow.allows("192.0.2.1", "/x", "Monit/5.33")
    assert not allow.allows("192.0.2.1", "/healthz", "curl/8")
