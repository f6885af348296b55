"""The real program raises host-silent when a web host stops sending, even while no line at
all arrives, and host-back when it sends again; a restart remembers both."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.unit.omprog_run import BENIGN, RunningProgram, base_config, envelope, wait_until

CONFIG = (
    "[hosts]\nsilent_after_secs = 1\n"
    '[hosts.silent_after_secs_per_host]\n"batch" = 0\n'
    "[metrics]\ninterval_secs = 0.2\n"
)


def alerts(tmp_path: Path, rule: str) -> list[str]:
    """Lines of the messages file for ``rule``."""
    path = tmp_path / "messages"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [line for line in lines if f" {rule} " in line]


def hosts_in_status(tmp_path: Path) -> dict[str, bool]:
    record = json.loads((tmp_path / "state" / "omprog-default.status.json").read_text())
    return {host: entry["silent"] for host, entry in record["hosts"].items()}


def test_silence_then_return_each_raise_one_alert(tmp_path: Path) -> None:
    program = RunningProgram(tmp_path, base_config(tmp_path, CONFIG))
    try:
        line = BENIGN.format(n=1)
        lines = [envelope(line, host=h) for h in ("web1", "web2", "batch")]
        assert program.send(*lines) == ["OK"] * 3
        # Nothing arrives any more: the program's idle housekeeping notices.
        wait_until(lambda: len(alerts(tmp_path, "host-silent")) == 2, "two host-silent alerts")
        silent = alerts(tmp_path, "host-silent")
        assert sorted(a.split("[source ")[1].split("/")[0] for a in silent) == ["web1", "web2"]
        assert all(" high host-silent " in a and "sent nothing for" in a for a in silent)
        assert program.send(envelope(line, host="web1")) == ["OK"]
        wait_until(lambda: alerts(tmp_path, "host-back") != [], "a host-back alert")
        (back,) = alerts(tmp_path, "host-back")
        assert " low host-back " in back and "[source web1/-:0]" in back
        time.sleep(1.5)  # web2 stays quiet, web1 goes quiet again: one new alert, for web1
        wait_until(
            lambda: hosts_in_status(tmp_path) == {"web1": True, "web2": True, "batch": False},
            "the status file to show both silences",
        )
        assert len(alerts(tmp_path, "host-silent")) == 3
        assert program.finish() == 0
    finally:
        program.close()

    # A restart remembers who was silent: no second alert for them, a host-back when back.
    again = RunningProgram(tmp_path, base_config(tmp_path, CONFIG))
    try:
        assert again.send(envelope(BENIGN.format(n=2), host="web2")) == ["OK"]
        wait_until(lambda: len(alerts(tmp_path, "host-back")) == 2, "web2 back after restart")
        time.sleep(0.5)
        assert len(alerts(tmp_path, "host-silent")) == 3
        assert again.finish() == 0
    finally:
        again.close()
    stats = again.stats_lines()[-1]
    assert stats["hosts"] == "3" and stats["alerts"] == "1"  # remembered hosts; host-back


def test_shards_share_their_hosts_and_one_of_them_raises(tmp_path: Path) -> None:
    config = base_config(
        tmp_path, "[hosts]\nsilent_after_secs = 1.5\n[metrics]\ninterval_secs = 0.2\n"
    )
    leader = RunningProgram(tmp_path, config, "--instance", "0")
    follower = RunningProgram(tmp_path, config, "--instance", "1")
    try:
        # All of web1's clients hash to shard 1: shard 0 sees none of its lines for 4 s.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert follower.send(envelope(BENIGN.format(n=3), host="web1")) == ["OK"]
            time.sleep(0.2)
        assert alerts(tmp_path, "host-silent") == []
        # web1 stops: one alert, from shard 0, which learnt of web1 from shard 1's status.
        wait_until(lambda: alerts(tmp_path, "host-silent") != [], "a host-silent alert")
        time.sleep(2)
        assert len(alerts(tmp_path, "host-silent")) == 1
        assert leader.finish() == 0 and follower.finish() == 0
    finally:
        leader.close()
        follower.close()
    assert leader.stats_lines()[-1]["alerts"] == "1"
    assert follower.stats_lines()[-1]["alerts"] == "0"
