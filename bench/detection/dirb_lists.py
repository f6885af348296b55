"""A second legacy-probe corpus: the product lists a real scanner ships, dirb's ``vulns``.

The first legacy-probe corpus (``payloads/round2/legacy-probe.tsv``, fuzzdb's predictable file
paths) is the one the pack's legacy rules were written from (its dev half). This one comes from
another source nobody here wrote rules from: the word lists of Debian's ``dirb`` package, which
the scanner reads when asked to look for a product (``dirb URL
/usr/share/dirb/wordlists/vulns/iis.txt``). The lists are the products issue 13 names among the
legacy probes (IIS and ``/msadc/``, FrontPage's ``/_vti_pvt/``, ColdFusion's ``/CFIDE/``, Lotus
Domino's ``names.nsf``, JRun's ``WEB-INF``, CGI scripts), chosen before any was measured.

Every entry is probed as a file (``/`` added in front when missing) and labelled by
:func:`detection.payload_lists.label`, the same rule as the first corpus: a lone word is a
``probe``. An entry whose request is already in the first corpus (compared without case: IIS
and Domino read paths so) is left out, so the two figures measure different requests. The
split is the first corpus's: SHA-1 of the entry as the list writes it.

``python -m detection.restore_data --only dirb`` (from the checkout's ``bench/``) downloads the
package with ``apt-get download`` (nothing is installed), unpacks it with ``dpkg-deb -x`` and
writes ``payloads/round2/legacy-probe-dirb.tsv``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from detection.payload_lists import Payload, label, load, split_of, write

__all__ = ["CLASS", "FILE", "LISTS", "build", "download", "load_dirb"]

CLASS = "legacy-probe"
#: The corpus file under ``payloads/round2``.
FILE = "legacy-probe-dirb.tsv"
PACKAGE = "dirb"
#: Lists read, under the package's ``usr/share/dirb/wordlists/vulns/``.
LISTS = ("iis.txt", "frontpage.txt", "coldfusion.txt", "domino.txt", "jrun.txt", "cgis.txt")
_WORDLISTS = Path("usr/share/dirb/wordlists/vulns")


def download(work: Path) -> tuple[Path, str]:
    """Fetch and unpack the ``dirb`` package into ``work``; its word lists and version."""
    subprocess.run(
        ["apt-get", "download", "-q", PACKAGE], cwd=work, check=True, capture_output=True
    )
    deb = next(work.glob(f"{PACKAGE}_*.deb"))
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
    return work / "x" / _WORDLISTS, version


def _entries(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", "replace")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def build(wordlists: Path, version: str, first: list[Payload], out: Path) -> dict[str, int]:
    """Write ``out/FILE``; the rows kept per list (those already in ``first`` are left out)."""
    known = {row.target().casefold() for row in first}
    rows: list[Payload] = []
    counts: dict[str, int] = {}
    for name in LISTS:
        kept = 0
        for entry in _entries(wordlists / name):
            row = Payload(
                CLASS,
                split_of(entry),
                label(CLASS, entry),
                "file",
                f"debian:{PACKAGE} {version}:vulns/{name}",
                entry,
            )
            key = row.target().casefold()
            if key in known:
                continue
            known.add(key)
            rows.append(row)
            kept += 1
        counts[name] = kept
    write(out / FILE, rows)
    return counts


def load_dirb(directory: Path) -> list[Payload]:
    """The rows of the dirb corpus (class ``legacy-probe``)."""
    return load(directory, FILE.removesuffix(".tsv"), cls=CLASS)
