"""Section 7: which CVEs the rules recognise, against CISA's KEV catalog and SigmaHQ's rules.

The CVEs are those the loaded rules name (the known-exploit rule pack and the built-in rules
that detect one exploit, ``lwsyslog rules --cve``). ``kev/known_exploited_vulnerabilities.csv``
is CISA's catalog (snapshot date in the data's ``SOURCES.md``). There is no list of "web CVEs
that leave a trace in an access log"; the nearest public one is the set of CVEs SigmaHQ's
webserver rules name (``sigma-web/``: their tags and titles), so coverage is also given
against that set and against its KEV part.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from detection.markdown import counts, table
from detection.section import Section
from lwsyslog.config import load_config
from lwsyslog.detection.catalog import load_detection

__all__ = ["measure"]

_CVE = re.compile(r"cve[.-](\d{4}-\d{4,7})", re.IGNORECASE)


def measure(data: Path) -> Section:
    """CVEs named by the rules, on KEV, and against SigmaHQ's webserver rules' CVEs."""
    detection = load_detection(load_config([]))
    ours: dict[str, list[str]] = {}
    for info in detection.rules:
        for cve in info.cves:
            ours.setdefault(cve, []).append(info.id)
    kev = _kev(data / "kev" / "known_exploited_vulnerabilities.csv")
    sigma = _sigma_cves(data / "sigma-web")
    covered_kev = sorted(set(ours) & set(kev))
    sigma_kev = {cve for cve in sigma if cve in kev}
    rows = [
        ["CVEs named by lwsyslog's rules", len(ours), "-"],
        ["of them on CISA's KEV list", len(covered_kev), f"of {len(kev)} KEV entries"],
        [
            "CVEs named by SigmaHQ's webserver rules (sigma-web/)",
            len(sigma & set(ours)),
            f"of {len(sigma)} covered",
        ],
        [
            "KEV CVEs named by SigmaHQ's webserver rules",
            len(sigma_kev & set(ours)),
            f"of {len(sigma_kev)} covered",
        ],
    ]
    vendors = Counter(kev[cve] for cve in covered_kev)
    missing = sorted(sigma - set(ours))
    doc = [
        table(["what", "count", "out of"], rows),
        "",
        f"KEV CVEs covered, by vendor: {counts(vendors, 40)}.",
        "",
        "SigmaHQ webserver-rule CVEs with no lwsyslog rule: "
        + (", ".join(f"{cve}{' (KEV)' if cve in kev else ''}" for cve in missing) or "none")
        + ".",
    ]
    headline = [
        f"{len(ours)} CVEs named by rules, {len(covered_kev)} of them on KEV; "
        f"{len(sigma_kev & set(ours))} of the {len(sigma_kev)} KEV CVEs SigmaHQ's webserver "
        "rules name"
    ]
    details = "\n".join(f"- {cve}: {kev[cve]} — {', '.join(ours[cve])}" for cve in covered_kev)
    return Section("coverage", "CVE coverage", "\n".join(doc), details, headline)


def _kev(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["cveID"]: row["vendorProject"] for row in csv.DictReader(handle)}


def _sigma_cves(directory: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(directory.glob("*.yml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        head = text.split("detection:", 1)[0]
        found.update(f"CVE-{m.group(1)}" for m in _CVE.finditer(head))
    return found
