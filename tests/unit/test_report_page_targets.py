"""``lwsyslog report --html FILE`` writes the page into what FILE is: a regular file is
replaced atomically, a FIFO or a character device (or a link to one) is written through and
stays what it was; a block device, and a link to a file or to nothing, are refused."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from lwsyslog.cli.main import main
from lwsyslog.cli.report_cmd import PAGE_MODE
from tests.unit.store_support import fill, make_alert

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with one alert of now."""
    path = tmp_path / "alerts.db"
    fill(path, [make_alert(at=time.time())])
    return path


def report_html(store: Path, target: Path) -> int:
    """``lwsyslog report --json --html TARGET``; its exit status."""
    return main(
        ["report", "--no-system-config", "--db", str(store), "--json", "--html", str(target)]
    )


def test_a_regular_file_is_replaced_with_the_page_mode(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    page.write_text("old")
    page.chmod(0o666)
    assert report_html(store, page) == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(page.stat().st_mode) & ~PAGE_MODE == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlink_to_a_file_or_to_nothing_is_refused_and_nothing_is_touched(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dangling: bool
) -> None:
    """Run as root in the service user's directory, following the link let that user make
    root overwrite (and chmod) any file, or create one anywhere (review finding)."""
    victim = tmp_path / "etc" / "shadow"
    victim.parent.mkdir()
    if not dangling:
        victim.write_text("root:x:\n")
        victim.chmod(0o644)
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    assert report_html(store, link) == 1
    assert f"{link}: a symbolic link to a file or to nothing" in capsys.readouterr().err
    assert link.is_symlink() and os.readlink(link) == str(victim)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "root:x:\n"
        assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_a_symlink_to_a_fifo_is_written_through(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert report_html(store, link) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith(b"<!DOCTYPE html>")
    assert link.is_symlink()


def test_a_fifo_is_written_through_and_stays_a_fifo(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert report_html(store, fifo) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith(b"<!DOCTYPE html>")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@root_only
def test_a_full_device_is_an_error_and_the_device_node_stays(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # what /dev/full is
    assert report_html(store, full) == 1
    assert f"{full}: No space left on device" in capsys.readouterr().err
    node = os.lstat(full)
    assert stat.S_ISCHR(node.st_mode) and node.st_rdev == os.makedev(1, 7)


@root_only
def test_a_null_device_takes_the_page_and_stays(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    assert report_html(store, null) == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)


@root_only
def test_a_block_device_is_refused_unopened(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disk = tmp_path / "disk"
    # Major 240 is reserved for local use: nothing answers it, were it ever opened.
    os.mknod(disk, 0o600 | stat.S_IFBLK, os.makedev(240, 0))
    assert report_html(store, disk) == 1
    assert f"{disk}: not a file, a pipe or a character device" in capsys.readouterr().err
    assert stat.S_ISBLK(os.lstat(disk).st_mode)
