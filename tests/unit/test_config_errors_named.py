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
from lwsyslog.config import load_config
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
        ("sinks.messages_file", "missing/messages", "its directory {tmp}/missing does not exist"),
        ("sinks.messages_file", "fifo", "it is a FIFO"),
        ("store", "directory", "it is a directory"),
    ],
)
def test_an_output_file_that_cannot_be_one_names_file_line_table_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, place: str, problem: str
) -> None:
    """check-config said OK to these; the program then answered every alert line with an
    error (the messages file) or ran without a store."""
    (tmp_path / "directory").mkdir()
    os.mkfifo(tmp_path / "fifo")
    path = tmp_path / place
    config = write(tmp_path, "bad.toml", f'# outputs\n[{table}]\npath = "{path}"\n')
    error = cli_error(capsys, "check-config", "--no-system-config", "--config", str(config))
    problem = problem.format(tmp=tmp_path)
    assert f"{config}:3 [{table}] key 'path': {path} cannot be written: {problem}" in error
