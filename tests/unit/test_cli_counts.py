"""A count given on a command line is refused when negative (or zero where zero means
nothing), with one error line naming the option, instead of being taken (``lwsyslog status
--max-queue -5`` called every queue a problem) or silently raised to a floor."""

from __future__ import annotations

import pytest

from lwsyslog.cli.main import build_parser
from lwsyslog.omprog.options import parse_options


@pytest.mark.parametrize("value", ["-5", "-1", "2147483648", "nan", "1e3"])
def test_status_refuses_a_max_queue_that_is_no_count_of_lines(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser("status").parse_args(["status", "--max-queue", value])
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("lwsyslog status: error: argument --max-queue: "), last
    assert repr(value) in last or value in last, last


@pytest.mark.parametrize("value", ["0", "10", "2147483647"])
def test_status_takes_a_max_queue_from_zero(value: str) -> None:
    args = build_parser("status").parse_args(["status", "--max-queue", value])
    assert args.max_queue == int(value)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--stats-every-lines", "-5"),
        ("--stats-every-lines", "0"),
        ("--stats-interval-secs", "-5"),
        ("--stats-interval-secs", "nan"),
        ("--stats-interval-secs", "inf"),
    ],
)
def test_the_omprog_program_refuses_negative_stats_intervals(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_options([option, value])
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"error: argument {option}: " in last and value in last, last


def test_the_omprog_program_takes_its_stats_intervals() -> None:
    options = parse_options(["--stats-every-lines", "7", "--stats-interval-secs", "0.3"])
    assert (options.stats_every_lines, options.stats_interval_secs) == (7, 0.3)
