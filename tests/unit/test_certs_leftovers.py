"""``lwsyslog certs`` after a run killed while writing: the temporary files it left (a key's
holds a private key) are removed by the next run, and only those: never a file a live run is
writing, never through a symbolic link, never a file of another name."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.deploy import certs

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

# Stops the real command once its files are staged, before the first rename: where SIGKILL
# (an OOM kill, a power cut's reboot) leaves them.
_STOPPED_BEFORE_RENAME = textwrap.dedent(
    """
    import sys, time
    from lwsyslog.deploy import certs
    def stopped(staged):
        print("staged", flush=True)
        time.sleep(120)
    certs._install = stopped
    from lwsyslog.cli.main import main
    main(["certs", "--dir", sys.argv[1], "--ca-name", "x", "--server", "s"])
    """
)


def _hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_a_rerun_removes_the_temporary_files_of_a_run_killed_before_its_rename(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = tmp_path / "pki"
    with subprocess.Popen(
        [sys.executable, "-c", _STOPPED_BEFORE_RENAME, str(pki)],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "staged\n"
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    left = _hidden(pki)
    assert [name.split(".")[1:3] for name in left] == [["x-ca", "crt"], ["x-ca", "key"]], left

    assert main(["certs", "--dir", str(pki), "--ca-name", "x", "--server", "s"]) == 0
    out = capsys.readouterr().out
    assert _hidden(pki) == []
    for name in left:
        assert f"note: removed {pki / name}, left by a run that was stopped" in out, out
    assert sorted(p.name for p in pki.iterdir()) == ["s.crt", "s.key", "x-ca.crt", "x-ca.key"]


def test_only_unlocked_regular_files_of_its_own_names_are_removed(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    pki.mkdir(mode=0o700)
    outside = tmp_path / "outside.key"
    outside.write_text("not ours")
    stale = pki / ".x-ca.key.0123456789abcdef.tmp"
    stale.write_text("stale")
    older = pki / ".s.crt.ab_cd12z.tmp"  # what versions using tempfile.mkstemp left
    older.write_text("stale")
    link = pki / ".x-ca.crt.fedcba9876543210.tmp"
    link.symlink_to(outside)
    others = [
        pki / n for n in (".x-ca.key.swp", ".x-ca.key.0123.tmp", ".w.key.0123456789abcdef.tmp")
    ]
    for path in others:
        path.write_text("someone else's")
    live = pki / ".s.key.00000000000000aa.tmp"
    live.write_text("a run going on")
    with live.open() as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        removed = certs.remove_leftovers(pki, ["x-ca.key", "x-ca.crt", "s.key", "s.crt"])
        assert sorted(removed) == sorted([stale, older])
        assert live.exists()
    assert link.is_symlink() and outside.read_text() == "not ours"
    assert all(path.exists() for path in others)
    assert certs.remove_leftovers(tmp_path / "missing", ["x-ca.key"]) == []


def test_a_file_being_written_is_locked_until_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = tmp_path / "pki"
    real_install = certs._install
    seen: list[list[Path]] = []

    def install_after_looking(staged: list[tuple[Path, Path]]) -> None:
        seen.append(certs.remove_leftovers(pki, [path.name for _, path in staged]))
        assert all(tmp.exists() for tmp, _ in staged)
        real_install(staged)

    monkeypatch.setattr(certs, "_install", install_after_looking)
    certs.make_ca(pki, "x")
    assert seen == [[]]
    assert sorted(os.listdir(pki)) == ["x-ca.crt", "x-ca.key"]
