"""What ``lwsyslog scan`` loads before its first line: only what its configuration asks for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LINE = (
    '198.18.24.183 - - [01/Mar/2026:00:00:00 +0000] "GET /docs/ HTTP/1.1" 200 512 '
    '"https://www.example.com/" "Mozilla/5.0 (compatible; Googlebot/2.1)"\n'
)
_PROBE = """
import json, sys
from lwsyslog.cli.main import main
status = main(sys.argv[1:])
heavy = sorted(
    m for m in sys.modules if m in ("dns", "pyparsing") or m.startswith(("dns.", "asyncio"))
)
print(json.dumps({"status": status, "heavy": heavy}), file=sys.stderr)
"""


def _scan(tmp_path: Path, *options: str) -> dict[str, object]:
    log = tmp_path / "one.log"
    log.write_text(LINE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "scan", "--json", *options, str(log)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_a_default_scan_loads_neither_dnspython_nor_pyparsing(
    tmp_path: Path,
) -> None:
    result = _scan(tmp_path, "--no-system-config")
    assert result == {"status": 0, "heavy": []}


def test_a_scan_with_crawler_verification_loads_it(tmp_path: Path) -> None:
    config = tmp_path / "crawlers.toml"
    # A resolver that answers nothing: the claim stays unjudged, the scan ends on time.
    config.write_text(
        '[crawlers]\nverify = true\nresolver = "127.0.0.1:9"\ntimeout_secs = 0.2\n'
        "scan_wait_secs = 0.5\n",
        encoding="utf-8",
    )
    result = _scan(tmp_path, "--config", str(config))
    assert result["status"] == 0
    assert "dns.asyncresolver" in result["heavy"]  # type: ignore[operator]


def test_a_scan_with_a_logformat_of_its_own_loads_the_grammar(tmp_path: Path) -> None:
    result = _scan(tmp_path, "--no-system-config", "--format", '%h %l %u %t "%r" %>s %O')
    assert result == {"status": 0, "heavy": ["pyparsing"]}
