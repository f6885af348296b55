"""Bytes the alert store takes per alert: an ordinary alert, and the worst case.

Stores N alerts (default 20,000) of each kind through ``StoreSink`` into a fresh store,
checkpoints its write-ahead log, and divides the pages in use by N. Kinds:

- ordinary: a scanner's request with a browser User-Agent (the line is about 200 bytes);
- padded: the worst an attacker can do: a line padded (User-Agent) past the stored sample's
  bound of 2,000 characters. The other long fields (rule and category names, the web host's
  name) come from the rule pack and the syslog envelope, not from the client.

usage: python bench/store_bytes.py [N]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from lwsyslog.alerts import Alert
from lwsyslog.events import Origin
from lwsyslog.severity import Severity
from lwsyslog.store import AlertStore, StoreSink

BASE = 1_795_449_600.0
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"


def alert(i: int, kind: str) -> Alert:
    """Alert ``i`` of ``kind`` (a new IPv6 client each, as a flood from rotating /64s)."""
    client = f"2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::1"
    host = "web1"
    ua = UA if kind == "ordinary" else "Mozilla/5.0 " + "A" * 4000
    line = (
        f'{client} - - [23/Nov/2026:14:00:00 +0000] "GET /wp-login.php?x={i} HTTP/1.1" 404 '
        f'381 "-" "{ua}"'
    )
    origin = Origin(f"{host}/apache-access", i, host=host, tag="apache-access")
    return Alert(
        rule="scanner-wp-login",
        key=client,
        client_ip=client,
        categories=("scanner",),
        severity=Severity.MEDIUM,
        count=1,
        window_secs=0.0,
        first=origin,
        last=origin,
        first_time=BASE + i,
        last_time=BASE + i,
        message=f"probe of /wp-login.php from {client}",
        sample=line,
        log="access",
    )


def measure(kind: str, count: int, where: Path) -> float:
    """Bytes in use per alert after storing ``count`` alerts of ``kind``."""
    path = where / f"{kind}.db"
    sink = StoreSink(AlertStore(path))
    for i in range(count):
        sink.write(alert(i, kind))
    sink.close()
    store = AlertStore(path)
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    used = store.used_bytes()
    store.close()
    return used / count


def main() -> None:
    """Print bytes per alert for each kind."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as where:
        for kind in ("ordinary", "padded"):
            print(f"{kind:9} {measure(kind, count, Path(where)):,.0f} bytes per alert")


if __name__ == "__main__":
    main()
