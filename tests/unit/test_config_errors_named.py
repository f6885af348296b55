"""Bad configurations: every error names the file, the line, the table and the key.

Each test writes a configuration with one mistake below a comment line (so the line of the
mistake is not the first) and runs the real loader or command line on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.config import config_files, load_config
from lwsyslog.config_read import MAX_CONFIG_BYTES
from lwsyslog.errors import ConfigError
from lwsyslog.notify.settings_parse import check_rule_filters

ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = (
    "[Tue Oct 10 13:55:36.123456 2023] [core:error] [pid 10] [client 192.0.2.7:5000] "
    "AH00127: Cannot map GET /../../etc/passwd HTTP/1.1 to file\n"
)
LOG_LINE = '192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.0"\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The error line of a command that must fail with the usage status."""
    assert main(list(args)) == 2
    return capsys.readouterr().err


def check_and_scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, config: Path) -> list[str]:
    """The errors of ``check-config`` and of ``scan``, which must both refuse ``config``."""
    log = write(tmp_path, "access.log", LOG_LINE)
    common = ("--no-system-config", "--config", str(config))
    return [
        cli_error(capsys, "check-config", *common),
        cli_error(capsys, "scan", *common, str(log)),
    ]


def test_a_bad_logformat_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "bad.toml", '# input\n[input]\naccess_formats = ["%h %{bad"]\n')
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [input] key 'access_formats'" in error
        assert "LogFormat '%h %{bad'" in error and "unterminated '{' argument" in error


def test_an_empty_access_format_list_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "bad.toml", "# input\n[input]\naccess_formats = []\n")
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [input] key 'access_formats'" in error
        assert "no access-log format" in error


def test_an_empty_access_format_list_is_fine_for_error_logs_only(tmp_path: Path) -> None:
    config = write(tmp_path, "ok.toml", '[input]\nlog = "error"\naccess_formats = []\n')
    assert load_config([config]).access_formats == ()


def test_an_empty_access_format_list_is_fine_when_the_command_line_says_log_error_or_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--log error`` and ``--format`` win over ``[input]`` before it is checked: a config
    naming no access format scans an error log, or an access log in the format given."""
    config = write(tmp_path, "errors-only.toml", "[input]\naccess_formats = []\n")
    error_log = write(tmp_path, "error.log", ERROR_LINE)
    access_log = write(
        tmp_path, "access.log", LOG_LINE.replace("GET / ", "GET /?f=../../etc/passwd ")
    )
    common = ("scan", "--no-system-config", "--config", str(config), "--json")
    assert main([*common, "--log", "error", str(error_log)]) == 0
    assert "path-traversal-system-file" in capsys.readouterr().out
    assert main([*common, "--format", "combined", str(access_log)]) == 0
    assert "path-traversal-system-file" in capsys.readouterr().out


def test_a_missing_sigma_rule_dir_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nonexistent"
    config = write(tmp_path, "bad.toml", f'# sigma\n[sigma]\nrule_dirs = ["{missing}"]\n')
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [sigma] key 'rule_dirs'" in error
        assert f"{missing}: no such Sigma rule file or directory" in error


def test_a_bad_notify_value_names_the_line(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "bad.toml",
        "# notify\n"
        "[notify.channels.w]\n"
        'type = "webhook"\n'
        'url = "https://hooks.example.net/x"\n'
        "[notify.channels.w.quiet_hours]\n"
        'start = "25:00"\n'
        'end = "07:00"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(
        f"{config}:6 [notify.channels.w.quiet_hours] key 'start': expected a time of day"
    )


def test_a_missing_notify_key_names_the_line_of_its_table(tmp_path: Path) -> None:
    # Found only once every file is merged: the error points at the channel's table.
    config = write(
        tmp_path,
        "bad.toml",
        '# notify\n\n[notify.channels.mail]\ntype = "email"\nto = ["ops@example.net"]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(f"{config}:3 [notify.channels.mail] key 'host': missing")


def test_a_notify_error_names_the_file_that_set_the_key(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "10-hook.toml",
        "# the channel\n"
        "[notify.channels.w]\n"
        'type = "webhook"\n'
        'url = "https://hooks.example.net/x"\n'
        'secret_file = "/nonexistent/secret"\n',
    )
    second = write(tmp_path, "20-more.toml", "[notify.channels.w]\ntimeout_secs = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config([first, second])
    assert str(caught.value).startswith(
        f"{first}:5 [notify.channels.w] key 'secret_file': cannot read /nonexistent/secret"
    )


def test_an_unknown_rule_in_a_notify_filter_names_the_line(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "bad.toml",
        "# notify\n"
        "[notify.channels.w]\n"
        'type = "webhook"\n'
        'url = "https://hooks.example.net/x"\n'
        'include_rules = ["no-such-rule"]\n',
    )
    settings = load_config([config])
    # As check-config does once the rules are loaded (their ids known).
    with pytest.raises(ConfigError) as caught:
        check_rule_filters(settings.notify, {"sqli-union-select"}, file=settings.files[-1])
    assert str(caught.value).startswith(
        f"{config}:5 [notify.channels.w] key 'include_rules': unknown rule id 'no-such-rule'"
    )


def test_a_huge_max_line_bytes_names_file_line_key_and_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "bad.toml", "# input\n[input]\nmax_line_bytes = 10000000000\n")
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [input] key 'max_line_bytes'" in error
        assert "from 256 to 1048576" in error and "10000000000" in error


def test_the_largest_max_line_bytes_is_accepted(tmp_path: Path) -> None:
    config = write(tmp_path, "ok.toml", "[input]\nmax_line_bytes = 1048576\n")
    assert load_config([config]).max_line_bytes == 1 << 20


def test_a_bad_sigma_regex_leaves_no_re2_log_lines_on_stderr(tmp_path: Path) -> None:
    pytest.importorskip("sigma")
    rules = tmp_path / "rules"
    rules.mkdir()
    write(
        rules,
        "bad.yml",
        "title: Look-behind\n"
        "id: 11111111-2222-4333-8444-555555555557\n"
        "logsource:\n    category: webserver\n"
        "detection:\n    sel:\n        cs-uri-query|re: '(?<=a)b'\n    condition: sel\n"
        "level: medium\n",
    )
    config = write(
        tmp_path, "sigma.toml", f'[sigma]\nrule_dirs = ["{rules}"]\n[detection]\ncache = false\n'
    )
    # A new process: RE2 writes its "before absl::InitializeLog()" line once per process.
    done = subprocess.run(
        [
            *(sys.executable, "-m", "lwsyslog", "check-config"),
            *("--no-system-config", "--config", str(config)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "absl" not in done.stderr and "re2.cc" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lwsyslog: error: ")
    assert "bad.yml" in lines[0] and "(?<=a)b" in lines[0]


@pytest.mark.parametrize(
    ("table", "place", "problem"),
    [
        ("sinks.messages_file", "directory", "it is a directory"),
        ("sinks.messages_file", "fifo", "it is a FIFO"),
        ("sinks.messages_file", "blocker/messages", "a directory on its path is a file"),
        ("store", "directory", "it is a directory"),
    ],
)
def test_an_output_file_that_cannot_be_one_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, place: str, problem: str
) -> None:
    """check-config said OK to these; the program then answered every alert line with an
    error (the messages file) or ran without a store."""
    (tmp_path / "directory").mkdir()
    (tmp_path / "blocker").write_text("a file\n")
    os.mkfifo(tmp_path / "fifo")
    path = tmp_path / place
    config = write(tmp_path, "bad.toml", f'# outputs\n[{table}]\npath = "{path}"\n')
    error = cli_error(capsys, "check-config", "--no-system-config", "--config", str(config))
    problem = problem.format(tmp=tmp_path)
    assert f"{config}:3 [{table}] key 'path': {path} cannot be written: {problem}" in error


# --- sizes, numbers and names out of range ----------------------------------------------


@pytest.mark.parametrize("count", ["99999999999999999", "200000000", "65536"])
def test_a_huge_threshold_count_is_refused_before_scan_allocates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    """Once accepted, the scan died with MemoryError (or took 3.9 GB for 16 lines)."""
    config = write(tmp_path, "bad.toml", f"# windows\n[thresholds.urgent-burst]\ncount = {count}\n")
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [thresholds.urgent-burst] key 'count'" in error
        assert f"from 1 to 65535, got {count}" in error


def test_a_count_the_memory_budget_cannot_hold_names_the_largest_that_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "bad.toml", "# windows\n[thresholds.urgent-burst]\ncount = 65535\n")
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [thresholds.urgent-burst] key 'count'" in error
        assert "memory_budget_bytes = 100663296" in error and "fewer than the 100" in error
    largest = int(error.split("at most ")[1].split()[0])
    assert load_config([write(tmp_path, "ok.toml", f"{config.read_text()[:-6]}{largest}\n")])
    with pytest.raises(ConfigError, match="key 'count'"):
        load_config([write(tmp_path, "over.toml", f"{config.read_text()[:-6]}{largest + 1}\n")])


def test_a_smaller_memory_budget_lowers_the_count_it_holds(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "small.toml",
        "# windows\n[alerts]\nmemory_budget_bytes = 1048576\n"
        "[thresholds.brute-force-success]\ncount = 2000\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(
        f"{config}:5 [thresholds.brute-force-success] key 'count': 2000 events per window"
    )
    assert f"memory_budget_bytes = 1048576 ({config}:3)" in str(caught.value)


def test_missing_page_windows_too_far_apart_name_the_longer_window(tmp_path: Path) -> None:
    """The shared tally keeps a bucket per eighth of the shorter window over the longer one."""
    config = write(
        tmp_path,
        "windows.toml",
        "# windows\n[thresholds.scan-404-burst]\nwindow_secs = 1\n"
        "[thresholds.scan-distinct-404]\nwindow_secs = 31536000\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(
        f"{config}:5 [thresholds.scan-distinct-404] key 'window_secs': the missing-page rules'"
    )


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("alerts", "storm_window_secs", "inf"),
        ("alerts", "cooldown_secs", "nan"),
        ("alerts", "cooldown_secs", "1e308"),
        ("hosts", "silent_after_secs", "inf"),
        ("metrics", "interval_secs", "1e300"),
        ("store", "retention_days", "inf"),
        ("store", "retention_days", "3651"),
        ("crawlers", "timeout_secs", "inf"),
        ("crawlers", "cache_ttl_secs", "1e300"),
        ("crawlers", "max_lookups_per_sec", "inf"),
        ("sinks.messages_file", "hold_secs", "inf"),
        ("thresholds.urgent-burst", "window_secs", "1e300"),
        ("thresholds.urgent-burst", "cooldown_secs", "-inf"),
        ("thresholds.request-flood", "baseline_factor", "inf"),
        ("thresholds.request-flood", "baseline_factor", "1001"),
    ],
)
def test_an_infinite_or_absurd_number_names_file_line_table_and_key(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    config = write(tmp_path, "bad.toml", f"# numbers\n[{table}]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(f"{config}:3 [{table}] key '{key}': must be a finite")


def test_an_infinite_storm_window_is_refused_by_check_config_and_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It held 36 of 41 alerts back until the scan ended ("within infs")."""
    config = write(tmp_path, "storm.toml", "# storm\n[alerts]\nstorm_window_secs = inf\n")
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [alerts] key 'storm_window_secs'" in error
        assert "finite number from 1 to 315360000, got inf" in error


def test_an_infinite_per_host_silence_names_the_host(tmp_path: Path) -> None:
    config = write(
        tmp_path, "bad.toml", '# hosts\n[hosts.silent_after_secs_per_host]\n"web1" = inf\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert "[hosts] key 'silent_after_secs_per_host': host 'web1': must be a finite" in str(
        caught.value
    )


@pytest.mark.parametrize("key", ["group_interval_secs", "storm_window_secs", "retry_max_secs"])
def test_an_infinite_notify_interval_names_file_line_table_and_key(
    tmp_path: Path, key: str
) -> None:
    config = write(
        tmp_path,
        "bad.toml",
        "# notify\n[notify]\n"
        + ("retry_max_secs = inf\n" if key == "retry_max_secs" else "")
        + '[notify.channels.w]\ntype = "webhook"\nurl = "https://hooks.example.net/x"\n'
        + ("" if key == "retry_max_secs" else f"{key} = inf\n"),
    )
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    table = "notify" if key == "retry_max_secs" else "notify.channels.w"
    line = 3 if key == "retry_max_secs" else 6
    assert str(caught.value).startswith(f"{config}:{line} [{table}] key '{key}': must be between")
    assert "got inf" in str(caught.value)


def test_the_longest_durations_are_accepted(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "ok.toml",
        "[alerts]\nstorm_window_secs = 315360000\n[store]\nretention_days = 3650\n"
        "[thresholds.request-flood]\nbaseline_factor = 1000\n",
    )
    loaded = load_config([config])
    assert loaded.storm_window_secs == 315360000 and loaded.store.retention_days == 3650


def test_a_misspelt_urgent_level_names_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``eror`` made every error line standard, without a word."""
    config = write(tmp_path, "bad.toml", '# triage\n[triage]\nurgent_levels = ["crit", "eror"]\n')
    for error in check_and_scan(capsys, tmp_path, config):
        assert f"{config}:3 [triage] key 'urgent_levels': unknown 'eror'" in error
        assert "emerg, alert, crit, error, warn, notice, info, debug, trace1," in error


def test_every_apache_level_in_any_case_is_an_urgent_level(tmp_path: Path) -> None:
    config = write(
        tmp_path, "ok.toml", '[triage]\nurgent_levels = ["EMERG", "Warn", "notice", "trace8"]\n'
    )
    assert load_config([config]).urgent_levels == ("EMERG", "Warn", "notice", "trace8")


def test_a_bad_urgent_status_names_the_file_and_line_that_set_it(tmp_path: Path) -> None:
    """Found after the merge, it named the last file, and no line."""
    first = write(tmp_path, "10-a.toml", '\n\n[triage]\nurgent_statuses = ["4xx", "abc"]\n')
    second = write(tmp_path, "20-b.toml", "[alerts]\ncooldown_secs = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config([first, second])
    assert str(caught.value).startswith(
        f"{first}:4 [triage] key 'urgent_statuses': bad status 'abc'"
    )


@pytest.mark.parametrize("bad", ["abc", "5xx-", "99", "500-400", "1000", "500-"])
def test_an_urgent_status_out_of_range_is_refused(tmp_path: Path, bad: str) -> None:
    config = write(tmp_path, "bad.toml", f'[triage]\nurgent_statuses = ["{bad}"]\n')
    with pytest.raises(ConfigError, match=r"bad.toml:2 \[triage\] key 'urgent_statuses'"):
        load_config([config])


def test_a_list_item_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    config = write(tmp_path, "bad.toml", '# proxies\n[input]\ntrusted_proxies = ["10.0.0.1", 1]\n')
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value) == (
        f"{config}:3 [input] key 'trusted_proxies': expected a list of strings: "
        "item 2 is an integer (1)"
    )


# --- the files themselves -----------------------------------------------------------------


def test_a_fifo_given_as_config_is_refused_at_once(tmp_path: Path) -> None:
    """Reading it blocked for good, waiting for a writer."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "lwsyslog", "check-config"),
            *("--no-system-config", "--config", str(fifo)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert f"{fifo}: is a FIFO, not a regular file" in done.stderr


def test_a_character_device_is_refused_and_dev_null_is_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``/dev/zero`` grew the program by gigabytes; ``/dev/null`` is the empty config."""
    error = cli_error(capsys, "check-config", "--no-system-config", "--config", "/dev/zero")
    assert "/dev/zero: is a character device, not a regular file" in error
    assert load_config(["/dev/null"]).cooldown_secs == load_config([]).cooldown_secs


def test_a_dropin_that_is_not_a_regular_file_is_named_not_skipped(tmp_path: Path) -> None:
    dropins = tmp_path / "lwsyslog.d"
    dropins.mkdir()
    write(dropins, "10-ok.toml", "[alerts]\ncooldown_secs = 5\n")
    (dropins / "20-x.toml").mkdir()
    files = config_files(tmp_path / "lwsyslog.toml", dropins)
    assert [path.name for path in files] == ["10-ok.toml", "20-x.toml"]
    with pytest.raises(ConfigError) as caught:
        load_config(files)
    assert str(caught.value).startswith(f"{dropins / '20-x.toml'}: is a directory, not a regular")


def test_a_config_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "big.toml"
    config.write_bytes(b"[alerts]\ncooldown_secs = 5\n" + b"#" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value) == (
        f"{config}: is larger than 4 MiB, the most a configuration file may hold"
    )


def test_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bom.toml"
    config.write_bytes(b"\xef\xbb\xbf[alerts]\ncooldown_secs = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value).startswith(f"{config}:1: starts with a UTF-8 byte order mark")


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes(b"[alerts]\ncooldown_secs = 5\n\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config([config])
    assert str(caught.value) == (
        f"{config}:4: not valid UTF-8: byte 0xe9 at column 6 (a TOML file must be UTF-8)"
    )


def test_an_output_file_in_a_directory_not_made_yet_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sink makes its directory (a machine not set up yet has no /var/log/lwsyslog)."""
    path = tmp_path / "missing" / "messages"
    config = write(tmp_path, "ok.toml", f'# outputs\n[sinks.messages_file]\npath = "{path}"\n')
    assert main(["check-config", "--no-system-config", "--config", str(config)]) == 0
    assert "cannot be written" not in capsys.readouterr().out
