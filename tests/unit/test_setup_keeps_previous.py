"""``lwsyslog setup`` run again (the upgrade path) never loses the drop-in that was there: a
different one is kept as NAME.lwsyslog-old, which rsyslog does not load, and the changes are
printed, escaped and bounded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lwsyslog import lab
from lwsyslog.cli.main import main
from lwsyslog.deploy.previous import MAX_DIFF_LINES, keep_previous, short_diff

DROPIN = "20-lwsyslog-server.conf"
HAND_EDIT = "# hand edit: keep me\n"

needs_rsyslogd = pytest.mark.skipif(
    shutil.which("openssl") is None or not Path(lab.RSYSLOGD).exists(),
    reason="needs openssl and rsyslogd",
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> lab.ChainPki:
    return lab.make_chain_pki(tmp_path_factory.mktemp("pki"))


def _setup(pki: lab.ChainPki, target: Path, *extra: str) -> list[str]:
    return [
        "setup", "server", "--ca", str(pki.ca.cert), "--cert", str(pki.server.cert),
        "--key", str(pki.server.key), "--peer", "*.web.lwsyslog.test",
        "--rsyslog-dir", str(target), "--rsyslog-conf", "none", *extra,
    ]  # fmt: skip


@needs_rsyslogd
def test_a_changed_dropin_is_kept_and_the_changes_shown(
    pki: lab.ChainPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "rsyslog.d"
    assert main(_setup(pki, target)) == 0
    dropin = target / DROPIN
    with dropin.open("a", encoding="utf-8") as file:
        file.write(HAND_EDIT)
    edited = dropin.read_text(encoding="utf-8")
    capsys.readouterr()

    assert main(_setup(pki, target, "--port", "2600")) == 0
    out = capsys.readouterr().out
    kept = target / (DROPIN + ".lwsyslog-old")
    assert kept.read_text(encoding="utf-8") == edited  # rsyslog's *.conf include skips it
    assert 'port="2600"' in dropin.read_text(encoding="utf-8")
    assert f"kept as {kept}" in out
    assert f"    -{HAND_EDIT.strip()}" in out and '    +    port="2600"' in out

    # The same options again: nothing differs, nothing more is kept.
    assert main(_setup(pki, target, "--port", "2600")) == 0
    assert "kept as" not in capsys.readouterr().out
    assert sorted(p.name for p in target.iterdir()) == [DROPIN, kept.name]


@needs_rsyslogd
def test_a_dry_run_says_what_it_would_keep_and_writes_nothing(
    pki: lab.ChainPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "rsyslog.d"
    target.mkdir()
    (target / DROPIN).write_text(HAND_EDIT, encoding="utf-8")
    assert main(_setup(pki, target, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert f"# the file there differs: it would be kept as {target / DROPIN}.lwsyslog-old" in out
    assert [p.name for p in target.iterdir()] == [DROPIN]


def test_an_earlier_kept_version_is_never_overwritten(tmp_path: Path) -> None:
    dropin = tmp_path / DROPIN
    dropin.write_text("version 2\n", encoding="utf-8")
    first = tmp_path / (DROPIN + ".lwsyslog-old")
    first.write_text("version 1, hand edited\n", encoding="utf-8")
    kept = keep_previous(dropin, "version 3\n")
    assert kept is not None and kept.path == tmp_path / (DROPIN + ".lwsyslog-old.1")
    assert kept.path.read_text(encoding="utf-8") == "version 2\n"
    assert first.read_text(encoding="utf-8") == "version 1, hand edited\n"
    # A version kept already is not kept twice; the new text itself is no change at all.
    again = keep_previous(dropin, "version 4\n")
    assert again is not None and again.path == kept.path
    assert keep_previous(dropin, "version 2\n") is None
    assert len(list(tmp_path.iterdir())) == 3


def test_the_diff_shown_is_escaped_and_bounded() -> None:
    old = "".join(f"line {n}\n" for n in range(200)).encode() + b"\x1b[2J\xff\n"
    new = "".join(f"line {n} changed\n" for n in range(200)).encode()
    shown = short_diff(old, new, "OLD", "NEW")
    assert len(shown) == MAX_DIFF_LINES + 1
    assert shown[-1].startswith("... ") and shown[-1].endswith("more lines: diff -u OLD NEW")
    tail = short_diff(b"same\n\x1b[2J\xff\n", b"same\n", "OLD", "NEW")
    assert "-\\x1b[2J\ufffd" in tail and all(line.isprintable() for line in tail)
