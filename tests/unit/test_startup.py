"""What ``lwsyslog scan`` loads before its first line: only what its configuration asks for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


_REGEX_PROBE = """
import json, sys
from lwsyslog.config import load_config
from lwsyslog.events import Origin
from lwsyslog.matching.linear import Regex
from lwsyslog.pipeline import Pipeline
from lwsyslog.rules import ALL_RULES
pipeline = Pipeline(load_config([]))
found = [f.rule_id for n, line in enumerate(sys.argv[1:], 1)
         for f in pipeline.process(line, Origin("t", n)).findings]
patterns = [cls.pattern for cls in ALL_RULES if isinstance(getattr(cls, "pattern", None), Regex)]
compiled = [p.pattern[:60] for p in patterns if p.is_compiled]
print(json.dumps({"findings": found, "patterns": len(patterns), "compiled": compiled}))
"""


def test_a_scan_compiles_no_built_in_rule_pattern_with_re() -> None:
    # RE2 runs them; re would only be asked for a pattern RE2 cannot take (none is).
    pytest.importorskip("re2")
    attack = LINE.replace("/docs/", "/x?c=;cat%20/etc/passwd&q=%3Cscript%3Ealert(1)")
    done = subprocess.run(
        [sys.executable, "-c", _REGEX_PROBE, LINE.strip(), attack.strip()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"command-injection-chain", "xss-script-tag"} <= set(result["findings"])
    assert result["patterns"] > 50
    assert result["compiled"] == []
